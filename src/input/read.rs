//! Reading a file on a hostile tree: no symlink followed, no FIFO blocked on, no unbounded read.

/// What reading a file for scanning gave.
#[derive(Debug)]
pub enum ReadOutcome {
    Bytes(Vec<u8>),
    /// A FIFO, socket, device, folder or symlink: never opened for reading.
    NotRegular,
    /// Over the size limit (the size seen).
    TooLarge(u64),
}

/// Reads a regular file of at most `max` bytes, safely on a hostile tree: the file is opened
/// without following a final symlink and without blocking (a FIFO swapped in after discovery
/// would otherwise block the open forever), its type and size are checked on the opened
/// handle, and reading stops at `max + 1` bytes however much the file grows meanwhile.
pub fn read_regular_file(path: &std::path::Path, max: u64) -> std::io::Result<ReadOutcome> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Ok(ReadOutcome::NotRegular);
    }
    if meta.len() > max {
        return Ok(ReadOutcome::TooLarge(meta.len()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        // O_NOFOLLOW on a symlink swapped in after discovery.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(ReadOutcome::NotRegular),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(ReadOutcome::NotRegular);
    }
    if meta.len() > max {
        return Ok(ReadOutcome::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(ReadOutcome::TooLarge(bytes.len() as u64));
    }
    Ok(ReadOutcome::Bytes(bytes))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn fifos_symlinks_and_growing_files_are_read_safely() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.js");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // No writer: a blocking open would never return.
        assert!(matches!(
            read_regular_file(&fifo, 100),
            Ok(ReadOutcome::NotRegular)
        ));
        let file = dir.path().join("a.js");
        std::fs::write(&file, b"0123456789").unwrap();
        let link = dir.path().join("link.js");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(matches!(
            read_regular_file(&link, 100),
            Ok(ReadOutcome::NotRegular)
        ));
        assert!(matches!(
            read_regular_file(&file, 9),
            Ok(ReadOutcome::TooLarge(10))
        ));
        assert!(matches!(read_regular_file(&file, 10), Ok(ReadOutcome::Bytes(b)) if b.len() == 10));
    }
}

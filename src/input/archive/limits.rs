//! The limits that keep hostile archives harmless, and the readers that enforce them while a
//! member or a gzip stream is read (shared budget, compression ratio, caps).

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Limits that keep hostile archives harmless. All apply per top-level archive.
#[derive(Debug, Clone)]
pub struct ArchiveLimits {
    /// Archives inside archives expanded (an archive in the scanned archive is level 1).
    pub max_depth: usize,
    /// Entries looked at, nested archives included.
    pub max_members: usize,
    /// Uncompressed bytes read, nested archives included.
    pub max_total_bytes: u64,
    /// A member larger than this is not scanned (reported).
    pub max_member_bytes: u64,
    /// A nested archive larger than this is not expanded (reported).
    pub max_nested_archive_bytes: u64,
    /// Uncompressed ÷ compressed size above which a member (or a gzip stream) is refused,
    /// once it is over 1 MiB.
    pub max_ratio: u64,
    /// Bytes that may be read to load a zip's central directory.
    pub max_index_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_depth: 3,
            max_members: 100_000,
            max_total_bytes: 1 << 30,
            max_member_bytes: 16 << 20,
            max_nested_archive_bytes: 64 << 20,
            max_ratio: 200,
            max_index_bytes: 32 << 20,
        }
    }
}

/// Sizes below this are never refused for their compression ratio.
pub(super) const RATIO_FLOOR: u64 = 1 << 20;
/// GNU long names and pax headers larger than this are ignored.
pub(super) const MAX_TAR_EXTENSION_BYTES: u64 = 64 << 10;

/// A reader that charges every byte to a shared budget and fails once it is spent.
pub(super) struct Metered<R> {
    pub(super) inner: R,
    pub(super) remaining: Rc<Cell<u64>>,
    pub(super) what: &'static str,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.remaining.get();
        if left == 0 {
            return Err(io::Error::other(self.what));
        }
        let cap = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.remaining.set(left - n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Metered<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Counts the bytes read through it (the compressed side of a gzip stream).
pub(super) struct Counting<R> {
    pub(super) inner: R,
    pub(super) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The decompressed side of a gzip stream: fails when the stream inflates beyond the ratio
/// guard.
pub(super) struct RatioGuard<R> {
    pub(super) inner: R,
    pub(super) compressed: Rc<Cell<u64>>,
    pub(super) produced: u64,
    pub(super) max_ratio: u64,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let compressed = self.compressed.get().max(1);
        if self.produced > RATIO_FLOOR && self.produced / compressed > self.max_ratio {
            return Err(io::Error::other(format!(
                "the gzip stream inflates more than {}:1 (compression-ratio guard)",
                self.max_ratio
            )));
        }
        Ok(n)
    }
}

/// Reads at most `cap` bytes; `Err(())` when there are more.
pub(super) fn read_capped(
    r: &mut dyn Read,
    cap: u64,
    hint: u64,
) -> io::Result<Result<Vec<u8>, ()>> {
    let mut out = Vec::with_capacity(hint.min(cap).min(1 << 20) as usize);
    Read::take(r, cap.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        Ok(Err(()))
    } else {
        Ok(Ok(out))
    }
}

//! Archives (`.zip`, `.tar`, `.tar.gz`, `.tgz`) scanned in memory, members through the same
//! pipeline as files. Nothing is ever extracted to disk: member names are untrusted strings,
//! normalised for display and never joined to a real path.
//!
//! A member is reported as `archive.zip!/path/in/archive.php`; nested archives add another
//! `!/` (`outer.zip!/inner.tar.gz!/x.js`). Limits against archive bombs ([`ArchiveLimits`]):
//! nesting depth, members, total and per-member uncompressed bytes, the size of the zip index
//! and the compression ratio. A limit that is hit becomes a problem for the archive; the scan
//! goes on with the next member or archive.

use std::cell::Cell;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::input::source::FileProblem;
use crate::input::source::SourceFile;

/// The archive formats skimlint opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    Tar,
    TarGz,
}

/// What an archive name says it is (case-insensitive suffix), or `None` for anything else.
pub fn kind_of(name: &str) -> Option<ArchiveKind> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Some(ArchiveKind::Zip)
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        Some(ArchiveKind::TarGz)
    } else if lower.ends_with(".tar") {
        Some(ArchiveKind::Tar)
    } else {
        None
    }
}

mod limits;
mod tar;
mod zip;

pub use limits::ArchiveLimits;
use limits::{read_capped, Counting, Metered, RatioGuard, MAX_TAR_EXTENSION_BYTES, RATIO_FLOOR};

/// Normalises an untrusted member name for display: `\` becomes `/`; control characters
/// (NUL included) become `�`; empty, `.` and `..` components, a leading `/` and drive letters
/// are dropped. Returns the name and whether it had to be changed for anything but
/// redundant separators (path traversal, absolute path, backslashes, control characters).
pub fn normalise_member_name(raw: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(raw);
    let mut suspicious = false;
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            '\\' => {
                suspicious = true;
                '/'
            }
            c if c.is_control() => {
                suspicious = true;
                '\u{fffd}'
            }
            c => c,
        })
        .collect();
    if cleaned.starts_with('/') {
        suspicious = true;
    }
    let mut parts: Vec<&str> = Vec::new();
    for (i, part) in cleaned.split('/').enumerate() {
        match part {
            "" | "." => {}
            ".." => suspicious = true,
            p if i == 0 && p.len() == 2 && p.ends_with(':') => suspicious = true,
            p => parts.push(p),
        }
    }
    let name = if parts.is_empty() {
        "unnamed".to_string()
    } else {
        parts.join("/")
    };
    (name, suspicious)
}

/// Walks the archive at `disk_path`, reported as `display_path`, handing every regular member
/// (nested archives expanded) to `sink` in archive order. Returns the problems met and whether
/// the file was not an archive after all and was handed to `sink` whole, as a plain file.
pub fn expand(
    display_path: &str,
    disk_path: &Path,
    kind: ArchiveKind,
    limits: &ArchiveLimits,
    sink: &mut dyn FnMut(SourceFile),
) -> (Vec<FileProblem>, bool) {
    let mut walker = Walker::new(limits, None, sink);
    let plain = walker.top_level(display_path, disk_path, kind);
    (walker.problems, plain)
}

/// The bytes of one member, found again by its display path inside the archive at
/// `disk_path` (`inner` is the part after the archive's own `!/`). Used for excerpts.
pub fn read_member(
    disk_path: &Path,
    kind: ArchiveKind,
    inner: &str,
    limits: &ArchiveLimits,
) -> Option<Vec<u8>> {
    let mut found: Option<Vec<u8>> = None;
    let wanted = format!("\u{0}!/{inner}");
    {
        let mut sink = |file: SourceFile| {
            if found.is_none() && file.display_path == wanted {
                found = Some(file.bytes.to_vec());
            }
        };
        let mut walker = Walker::new(limits, Some(&wanted), &mut sink);
        walker.top_level("\u{0}", disk_path, kind);
    }
    found
}

/// Every regular member of the archive at `disk_path`, in archive order, as (normalised name,
/// bytes); nested archives are members like any other (not expanded). The same limits as a
/// scan apply; what they stopped is returned as problems (paths `display!/member`). Used to
/// build known-good manifests from release archives.
pub fn members(
    display: &str,
    disk_path: &Path,
    kind: ArchiveKind,
    limits: &ArchiveLimits,
    sink: &mut dyn FnMut(String, Vec<u8>),
) -> Vec<FileProblem> {
    let prefix = format!("{display}!/");
    let mut forward = |file: SourceFile| {
        // The file itself when it is not an archive after all (reported below).
        let Some(name) = file.display_path.strip_prefix(&prefix) else {
            return;
        };
        let name = name.to_string();
        sink(
            name,
            Arc::try_unwrap(file.bytes).unwrap_or_else(|b| b.to_vec()),
        );
    };
    let mut walker = Walker::new(limits, None, &mut forward);
    walker.expand_nested = false;
    if walker.top_level(display, disk_path, kind) {
        walker.problem(display, "not a readable archive");
    }
    walker.problems
}

/// Finds the bytes behind a reported path again: a file on disk, or an archive member
/// (`a.zip!/x.php`) read from the archive in memory. `roots` are the paths that were scanned.
pub fn reread(display: &str, roots: &[PathBuf], limits: &ArchiveLimits) -> Option<Arc<Vec<u8>>> {
    let (outer, inner) = match display.split_once("!/") {
        Some((outer, inner)) => (outer, Some(inner)),
        None => (display, None),
    };
    // Reported paths are relative to an absolute root, or as given for a relative one (see
    // discover::display): an absolute root's paths are never looked up in the working folder.
    let mut candidates = Vec::new();
    for root in roots {
        candidates.push(match (root.is_dir(), root.is_absolute()) {
            (true, true) => root.join(outer),
            (true, false) => PathBuf::from(outer),
            (false, _) if root.ends_with(outer) => root.clone(),
            (false, _) => continue,
        });
    }
    for candidate in candidates {
        match inner {
            None => {
                // The scan's safe reader: a FIFO or symlink found there now is not opened.
                if let Ok(crate::input::read::ReadOutcome::Bytes(b)) =
                    crate::input::read::read_regular_file(&candidate, u64::MAX)
                {
                    return Some(Arc::new(b));
                }
            }
            Some(inner) => {
                let Some(kind) = kind_of(&candidate.to_string_lossy()) else {
                    continue;
                };
                if !candidate.is_file() {
                    continue;
                }
                if let Some(b) = read_member(&candidate, kind, inner, limits) {
                    return Some(Arc::new(b));
                }
            }
        }
    }
    None
}

/// Walks one top-level archive and the archives nested in it, handing regular members to
/// `sink` in archive order.
struct Walker<'a> {
    limits: &'a ArchiveLimits,
    /// Only members on the way to this display path are read (re-reading for excerpts).
    wanted: Option<&'a str>,
    sink: &'a mut dyn FnMut(SourceFile),
    /// Uncompressed bytes still allowed.
    budget: Rc<Cell<u64>>,
    entries: usize,
    stopped: bool,
    /// Hashes of the archives being walked, outermost first (an archive containing itself).
    ancestors: Vec<[u8; 32]>,
    problems: Vec<FileProblem>,
    /// Nested archives are walked (a scan) or handed on as members (`members`).
    expand_nested: bool,
}

/// How walking one archive ended.
enum Walked {
    /// Entries were read (perhaps with problems along the way).
    Read,
    /// Not an archive of that kind at all: nothing could be read.
    Unreadable(String),
}

impl<'a> Walker<'a> {
    fn new(
        limits: &'a ArchiveLimits,
        wanted: Option<&'a str>,
        sink: &'a mut dyn FnMut(SourceFile),
    ) -> Self {
        Walker {
            limits,
            wanted,
            sink,
            budget: Rc::new(Cell::new(limits.max_total_bytes)),
            entries: 0,
            stopped: false,
            ancestors: Vec::new(),
            problems: Vec::new(),
            expand_nested: true,
        }
    }

    fn problem(&mut self, path: &str, message: impl Into<String>) {
        if self.wanted.is_none() {
            self.problems.push(FileProblem {
                path: path.to_string(),
                message: message.into(),
            });
        }
    }

    /// Walks the archive on disk; true when it was not an archive and was scanned as a file.
    fn top_level(&mut self, display: &str, disk_path: &Path, kind: ArchiveKind) -> bool {
        let file = match std::fs::File::open(disk_path) {
            Ok(f) => f,
            Err(e) => {
                self.problem(display, format!("cannot read: {e}"));
                return false;
            }
        };
        let walked = match kind {
            ArchiveKind::Zip => self.zip(io::BufReader::new(file), display, 0),
            ArchiveKind::Tar => self.tar(io::BufReader::new(file), display, 0, None),
            ArchiveKind::TarGz => self.tar_gz(io::BufReader::new(file), display, 0),
        };
        let Walked::Unreadable(why) = walked else {
            return false;
        };
        // Named like an archive but is not one: scan it as the file it is.
        let size = std::fs::metadata(disk_path).map(|m| m.len()).unwrap_or(0);
        if size > self.limits.max_member_bytes {
            self.problem(display, format!("not a readable archive ({why})"));
            return false;
        }
        match std::fs::read(disk_path) {
            Ok(bytes) => {
                self.problem(
                    display,
                    format!("not a readable archive ({why}); scanned as a plain file"),
                );
                (self.sink)(SourceFile {
                    display_path: display.to_string(),
                    disk_path: disk_path.to_path_buf(),
                    bytes: Arc::new(bytes),
                });
                true
            }
            Err(e) => {
                self.problem(display, format!("cannot read: {e}"));
                false
            }
        }
    }

    /// Whether a member at `display` may lead to the wanted member.
    fn wanted(&self, display: &str, is_archive: bool) -> bool {
        match self.wanted {
            None => true,
            Some(w) => w == display || (is_archive && w.starts_with(&format!("{display}!/"))),
        }
    }

    /// Counts one entry; false once the member limit is reached.
    fn count_entry(&mut self, display: &str) -> bool {
        if self.stopped {
            return false;
        }
        self.entries += 1;
        if self.entries > self.limits.max_members {
            self.stopped = true;
            let max = self.limits.max_members;
            self.problem(
                display,
                format!("more than {max} archive entries; the rest was not scanned"),
            );
            return false;
        }
        true
    }

    fn note_name(&mut self, archive: &str, raw: &[u8], name: &str, suspicious: bool) {
        if suspicious {
            let shown = String::from_utf8_lossy(raw).into_owned();
            self.problem(
                &format!("{archive}!/{name}"),
                format!(
                    "hostile member name {:?} (path traversal, absolute path, backslashes or \
                     control characters); shown normalised",
                    shown
                ),
            );
        }
    }

    fn cap_for(&self, nested: bool) -> u64 {
        if nested {
            self.limits.max_nested_archive_bytes
        } else {
            self.limits.max_member_bytes
        }
    }

    fn too_large(&mut self, member: &str, size: u64, nested: bool) {
        let (what, max) = if nested {
            ("nested archive", self.limits.max_nested_archive_bytes)
        } else {
            ("member", self.limits.max_member_bytes)
        };
        self.problem(
            member,
            format!("skipped: {what} of {size} bytes is over the {max}-byte limit"),
        );
    }

    fn ratio_refused(&mut self, member: &str, size: u64, compressed: u64) {
        self.problem(
            member,
            format!(
                "skipped: {size} bytes from {compressed} compressed is over the {}:1 \
                 compression-ratio guard",
                self.limits.max_ratio
            ),
        );
    }

    fn budget_spent(&mut self, display: &str) {
        if !self.stopped {
            self.stopped = true;
            let max = self.limits.max_total_bytes;
            self.problem(
                display,
                format!("archive inflates to more than {max} bytes; the rest was not scanned"),
            );
        }
    }

    /// A regular member's bytes: expanded when it is an archive, else handed to the pipeline.
    fn member(
        &mut self,
        display: String,
        name: &str,
        nested: Option<ArchiveKind>,
        bytes: Vec<u8>,
        depth: usize,
    ) {
        let Some(kind) = nested.filter(|_| self.expand_nested) else {
            (self.sink)(SourceFile {
                display_path: display,
                disk_path: PathBuf::from(name),
                bytes: Arc::new(bytes),
            });
            return;
        };
        if depth + 1 > self.limits.max_depth {
            let max = self.limits.max_depth;
            self.problem(
                &display,
                format!("archive nested more than {max} levels deep; not expanded"),
            );
            return;
        }
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        if self.ancestors.contains(&hash) {
            self.problem(&display, "the archive contains itself; not expanded again");
            return;
        }
        self.ancestors.push(hash);
        let walked = match kind {
            ArchiveKind::Zip => self.zip(io::Cursor::new(&bytes), &display, depth + 1),
            ArchiveKind::Tar => self.tar(&bytes[..], &display, depth + 1, None),
            ArchiveKind::TarGz => self.tar_gz(&bytes[..], &display, depth + 1),
        };
        self.ancestors.pop();
        if let Walked::Unreadable(why) = walked {
            if bytes.len() as u64 > self.limits.max_member_bytes {
                self.problem(&display, format!("not a readable archive ({why})"));
                return;
            }
            self.problem(
                &display,
                format!("not a readable archive ({why}); scanned as a plain file"),
            );
            if self.wanted(&display, false) {
                (self.sink)(SourceFile {
                    display_path: display,
                    disk_path: PathBuf::from(name),
                    bytes: Arc::new(bytes),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_normalised_and_flagged() {
        assert_eq!(
            normalise_member_name(b"app/code/x.php"),
            ("app/code/x.php".into(), false)
        );
        assert_eq!(
            normalise_member_name(b"./app//x.php"),
            ("app/x.php".into(), false)
        );
        assert_eq!(
            normalise_member_name(b"../../etc/x.php"),
            ("etc/x.php".into(), true)
        );
        assert_eq!(
            normalise_member_name(b"/var/www/x.php"),
            ("var/www/x.php".into(), true)
        );
        assert_eq!(
            normalise_member_name(b"C:\\temp\\..\\x.php"),
            ("temp/x.php".into(), true)
        );
        assert_eq!(
            normalise_member_name(b"a\0b.php"),
            ("a\u{fffd}b.php".into(), true)
        );
        assert_eq!(normalise_member_name(b"/../"), ("unnamed".into(), true));
    }

    #[test]
    fn an_archive_that_contains_itself_is_not_expanded_again() {
        // A zip quine's member has the same bytes as the archive being walked.
        let limits = ArchiveLimits::default();
        let mut seen: Vec<String> = Vec::new();
        let mut sink = |f: SourceFile| seen.push(f.display_path);
        let mut walker = Walker::new(&limits, None, &mut sink);
        let bytes = b"PK\x05\x06 not really expanded".to_vec();
        walker.ancestors.push(Sha256::digest(&bytes).into());
        walker.member(
            "up.zip!/up.zip".into(),
            "up.zip",
            Some(ArchiveKind::Zip),
            bytes,
            1,
        );
        let problems = std::mem::take(&mut walker.problems);
        assert_eq!(
            problems,
            vec![FileProblem {
                path: "up.zip!/up.zip".into(),
                message: "the archive contains itself; not expanded again".into()
            }]
        );
        drop(walker);
        assert!(seen.is_empty());
    }

    #[test]
    fn archive_kinds_by_suffix() {
        assert_eq!(kind_of("a/B.ZIP"), Some(ArchiveKind::Zip));
        assert_eq!(kind_of("x.tar.gz"), Some(ArchiveKind::TarGz));
        assert_eq!(kind_of("x.tgz"), Some(ArchiveKind::TarGz));
        assert_eq!(kind_of("x.tar"), Some(ArchiveKind::Tar));
        assert_eq!(kind_of("x.gz"), None);
        assert_eq!(kind_of("zip.php"), None);
    }
}

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
use std::io::{self, Read, Seek, SeekFrom};
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
const RATIO_FLOOR: u64 = 1 << 20;
/// GNU long names and pax headers larger than this are ignored.
const MAX_TAR_EXTENSION_BYTES: u64 = 64 << 10;

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

/// A reader that charges every byte to a shared budget and fails once it is spent.
struct Metered<R> {
    inner: R,
    remaining: Rc<Cell<u64>>,
    what: &'static str,
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
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
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
struct RatioGuard<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    produced: u64,
    max_ratio: u64,
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
fn read_capped(r: &mut dyn Read, cap: u64, hint: u64) -> io::Result<Result<Vec<u8>, ()>> {
    let mut out = Vec::with_capacity(hint.min(cap).min(1 << 20) as usize);
    Read::take(r, cap.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        Ok(Err(()))
    } else {
        Ok(Ok(out))
    }
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

    fn tar_gz<R: Read>(&mut self, reader: R, display: &str, depth: usize) -> Walked {
        let compressed = Rc::new(Cell::new(0u64));
        let counting = Counting {
            inner: reader,
            count: compressed.clone(),
        };
        let guard = RatioGuard {
            inner: flate2::read::MultiGzDecoder::new(counting),
            compressed,
            produced: 0,
            max_ratio: self.limits.max_ratio,
        };
        self.tar(guard, display, depth, Some("gzip"))
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

    fn zip<R: Read + Seek>(&mut self, reader: R, display: &str, depth: usize) -> Walked {
        let index_budget = Rc::new(Cell::new(self.limits.max_index_bytes));
        let metered = Metered {
            inner: reader,
            remaining: index_budget.clone(),
            what: "the zip central directory is larger than the index limit",
        };
        let mut zip = match zip::ZipArchive::new(metered) {
            Ok(z) => z,
            Err(e) => return Walked::Unreadable(format!("zip: {e}")),
        };
        // Member data is bounded per member and by the total budget instead.
        index_budget.set(u64::MAX);
        if zip.has_duplicate_names() {
            self.problem(
                display,
                "the zip lists the same member name more than once; only one of each was scanned",
            );
        }
        for i in 0..zip.len() {
            let Ok(entry) = zip.by_index_data(i) else {
                continue;
            };
            let raw = entry.name_raw().to_vec();
            let (name, suspicious) = normalise_member_name(&raw);
            let member = format!("{display}!/{name}");
            if !self.count_entry(display) {
                break;
            }
            if entry.is_dir() || entry.is_symlink() {
                continue;
            }
            let nested = kind_of(&name);
            if !self.wanted(&member, nested.is_some()) {
                continue;
            }
            self.note_name(display, &raw, &name, suspicious);
            let declared = entry.size();
            let compressed = entry.compressed_size();
            let cap = self.cap_for(nested.is_some());
            if declared > cap {
                self.too_large(&member, declared, nested.is_some());
                continue;
            }
            if declared > RATIO_FLOOR && declared / compressed.max(1) > self.limits.max_ratio {
                self.ratio_refused(&member, declared, compressed);
                continue;
            }
            if entry.encrypted() {
                self.problem(&member, "encrypted member; not scanned");
                continue;
            }
            let read = match zip.by_index(i) {
                Ok(mut f) => {
                    let mut metered = Metered {
                        inner: &mut f,
                        remaining: self.budget.clone(),
                        what: "archive total uncompressed-size limit reached",
                    };
                    read_capped(&mut metered, cap, declared)
                }
                Err(e) => Err(io::Error::other(e.to_string())),
            };
            let bytes = match read {
                Ok(Ok(b)) => b,
                Ok(Err(())) => {
                    self.too_large(&member, cap + 1, nested.is_some());
                    continue;
                }
                Err(e) => {
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                        break;
                    }
                    self.problem(&member, format!("cannot read member: {e}"));
                    continue;
                }
            };
            let len = bytes.len() as u64;
            if len > RATIO_FLOOR && len / compressed.max(1) > self.limits.max_ratio {
                self.ratio_refused(&member, len, compressed);
                continue;
            }
            self.member(member, &name, nested, bytes, depth);
            if self.stopped {
                break;
            }
        }
        Walked::Read
    }

    fn tar<R: Read>(
        &mut self,
        reader: R,
        display: &str,
        depth: usize,
        compression: Option<&str>,
    ) -> Walked {
        let metered = Metered {
            inner: reader,
            remaining: self.budget.clone(),
            what: "archive total uncompressed-size limit reached",
        };
        let mut archive = tar::Archive::new(metered);
        let entries = match archive.entries() {
            Ok(e) => e.raw(true),
            Err(e) => return Walked::Unreadable(format!("tar: {e}")),
        };
        let mut pending_name: Option<Vec<u8>> = None;
        let mut any = false;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if !any {
                        let kind = compression.map_or("tar".to_string(), |c| format!("tar+{c}"));
                        return Walked::Unreadable(format!("{kind}: {e}"));
                    }
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                    } else {
                        self.problem(
                            display,
                            format!("archive is damaged ({e}); the rest was not scanned"),
                        );
                    }
                    break;
                }
            };
            any = true;
            if !self.count_entry(display) {
                break;
            }
            let header = entry.header();
            let kind = header.entry_type();
            let size = entry.size();
            if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
                if size > MAX_TAR_EXTENSION_BYTES {
                    self.problem(display, "an oversized tar name extension was ignored");
                    continue;
                }
                let mut data = Vec::new();
                if entry.read_to_end(&mut data).is_err() {
                    continue;
                }
                if kind.is_gnu_longname() {
                    while data.last() == Some(&0) {
                        data.pop();
                    }
                    pending_name = Some(data);
                } else {
                    for ext in tar::PaxExtensions::new(&data).flatten() {
                        if ext.key_bytes() == b"path" {
                            pending_name = Some(ext.value_bytes().to_vec());
                        }
                    }
                }
                continue;
            }
            let raw = pending_name
                .take()
                .unwrap_or_else(|| header.path_bytes().into_owned());
            if !(kind.is_file() || kind.is_contiguous()) {
                continue;
            }
            let (name, suspicious) = normalise_member_name(&raw);
            let member = format!("{display}!/{name}");
            let nested = kind_of(&name);
            if !self.wanted(&member, nested.is_some()) {
                continue;
            }
            self.note_name(display, &raw, &name, suspicious);
            let cap = self.cap_for(nested.is_some());
            if size > cap {
                self.too_large(&member, size, nested.is_some());
                continue;
            }
            let bytes = match read_capped(&mut entry, cap, size) {
                Ok(Ok(b)) => b,
                Ok(Err(())) => {
                    self.too_large(&member, cap + 1, nested.is_some());
                    continue;
                }
                Err(e) => {
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                    } else {
                        self.problem(
                            &member,
                            format!("cannot read member ({e}); the rest was not scanned"),
                        );
                    }
                    break;
                }
            };
            self.member(member, &name, nested, bytes, depth);
            if self.stopped {
                break;
            }
        }
        Walked::Read
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

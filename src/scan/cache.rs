//! The result cache: the findings of each analysed file, keyed by its content, its file name,
//! the rule set and configuration, and the skimlint build, so a rescan of an unchanged tree
//! reads and hashes files but analyses none of them.
//!
//! - Where: `--cache-dir DIR`, else `SKIMLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/skimlint`, else
//!   `~/.cache/skimlint`; never inside a scanned path (the cache is then not used). `--no-cache`
//!   turns it off.
//! - Key: SHA-256 over the configuration fingerprint ([`fingerprint`]: skimlint version and
//!   executable, every rule's id, severity and source text, the limits including the shop's
//!   hosts, the prefilter and query-merging switches), the lower-cased file name (file kinds
//!   come from extensions and names) and the SHA-256 of the content. Nothing else about a file's
//!   path changes what is found in it, so entries are stored without paths and shared by
//!   identical files anywhere (every `index.php` that says "Silence is golden"); the reported
//!   path is filled in on the way out.
//! - Every file read is looked up before it is classified (hashing costs less than the
//!   prefilter). Most files have no finding and no problem: their keys are kept together, 32
//!   bytes each, in one file per configuration fingerprint (`clean/<fingerprint>.bin`, loaded
//!   once per run, rewritten at the end of a run that found new ones). Other results are one
//!   JSON file each (`<2 hex>/<62 hex>.json`), stored with their problems (a folding depth cap
//!   hit is the same every time), except when a problem depends on time (a parse or file time
//!   budget ran out) or on a panic: those files are analysed again next time
//!   ([`time_dependent`]).
//! - Files are written to a temporary file and renamed into place, so concurrent runs never see
//!   half a file (two runs that both add clean keys may lose one run's additions: they are found
//!   again next time). An entry that cannot be read or parsed, or whose key does not match its
//!   name, is ignored and written again; a clean-key file whose length is not a multiple of 32
//!   is ignored and replaced.
//! - Bounded: after a run that wrote files, files unused for 30 days are removed, then the
//!   oldest files (by modification time; using a file refreshes it once a day) until the cache
//!   is under 3/4 of its maximum size ([`DEFAULT_MAX_BYTES`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::Layer;
use crate::finding::{FileProblem, Finding, Location, Related};
use crate::fold::Limits;
use crate::input::source::Position;
use crate::rules::{RuleSet, Severity};
use crate::scan::manifest::hex;

/// Default bound on the cache's size on disk.
pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;
/// The layout version: a folder of its own under the cache root.
const LAYOUT: &str = "v1";
/// Entries larger than this are not read (they are not written either).
const MAX_ENTRY_BYTES: u64 = 32 << 20;
/// Temporary files older than this are left-overs of killed runs.
const STALE_TEMP: Duration = Duration::from_secs(3600);
/// A hit refreshes an entry's time when it is older than this.
const REFRESH_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Files not used for this long are removed by [`Cache::prune`].
const UNUSED: Duration = Duration::from_secs(30 * 24 * 3600);
/// Clean keys kept per configuration (8 MiB); past it, a run keeps only its own.
const MAX_CLEAN_KEYS: usize = 1 << 18;

/// A cache key: SHA-256 of the configuration fingerprint, file name and content hash.
pub type Key = [u8; 32];

#[derive(Debug)]
pub struct Cache {
    /// `<root>/v1`.
    dir: PathBuf,
    fingerprint: [u8; 32],
    pub max_bytes: u64,
    /// Keys of files without findings or problems, as loaded at the start.
    /// Sorted, deduplicated (looked up by binary search: no set to build at start-up).
    clean: Vec<Key>,
    /// Clean keys found in this run.
    new_clean: Mutex<Vec<Key>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    writes: AtomicUsize,
    temp_counter: AtomicU64,
}

/// The default cache folder from the environment's values (read by the command line):
/// `SKIMLINT_CACHE_DIR`, `$XDG_CACHE_HOME/skimlint` or `~/.cache/skimlint`. Empty values
/// count as unset.
pub fn default_dir(
    skimlint_cache_dir: Option<&Path>,
    xdg_cache_home: Option<&Path>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    fn set(v: Option<&Path>) -> Option<&Path> {
        v.filter(|p| !p.as_os_str().is_empty())
    }
    if let Some(d) = set(skimlint_cache_dir) {
        return Some(d.to_path_buf());
    }
    if let Some(x) = set(xdg_cache_home).filter(|p| p.is_absolute()) {
        return Some(x.join("skimlint"));
    }
    set(home).map(|h| h.join(".cache").join("skimlint"))
}

/// Whether `dir` is (or would be) inside one of the scanned `paths`.
pub fn inside_any(dir: &Path, paths: &[PathBuf]) -> bool {
    // The nearest existing ancestor, canonicalised, with the rest appended.
    let resolve = |p: &Path| -> Option<PathBuf> {
        let abs = std::path::absolute(p).ok()?;
        let mut existing = abs.as_path();
        let mut rest = Vec::new();
        loop {
            if let Ok(c) = existing.canonicalize() {
                let mut out = c;
                for r in rest.iter().rev() {
                    out.push(r);
                }
                return Some(out);
            }
            rest.push(existing.file_name()?.to_os_string());
            existing = existing.parent()?;
        }
    };
    let Some(dir) = resolve(dir) else {
        return true;
    };
    paths
        .iter()
        .filter_map(|p| resolve(p))
        .any(|root| dir.starts_with(root))
}

/// Everything besides a file's name and content that changes what is found in it.
pub fn fingerprint(rules: &RuleSet, limits: &Limits) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"skimlint ");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // The executable itself: a rebuild at the same version number invalidates the cache.
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|e| std::fs::metadata(e).ok())
    {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(format!("\0exe {} {mtime}", meta.len()).as_bytes());
    }
    for r in &rules.rules {
        h.update(b"\0rule\0");
        h.update(r.meta.id.as_bytes());
        h.update(b"\0");
        h.update(r.meta.severity.as_str().as_bytes());
        h.update(b"\0");
        h.update(r.source_path.as_bytes());
        h.update(b"\0");
        h.update(r.source_text.as_bytes());
    }
    h.update(format!("\0limits {limits:?}").as_bytes());
    h.update(format!("\0prefilter {}", crate::rules::prefilter::enabled()).as_bytes());
    let per_rule = crate::rules::merge::per_rule_forced();
    h.update(format!("\0per-rule {per_rule}").as_bytes());
    h.finalize().into()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    findings: Vec<CachedFinding>,
    /// Problem messages (the path is the file's).
    problems: Vec<String>,
}

/// Whether a problem may not happen on another run: a time budget ran out, or the scan of the
/// file panicked. Results with such problems are not cached.
pub fn time_dependent(message: &str) -> bool {
    message == crate::fold::LimitHit::TimeBudget.describe()
        || message.contains("time budget")
        || message.starts_with("internal error")
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachedFinding {
    rule_id: String,
    severity: Severity,
    message: String,
    at: CachedLocation,
    snippet: String,
    layers: Vec<CachedLayer>,
    related: Vec<(CachedLocation, String)>,
}

/// A location without its path: (start line, column), (end line, column), byte range.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachedLocation {
    start: (usize, usize),
    end: (usize, usize),
    bytes: (usize, usize),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachedLayer {
    decoders: Vec<String>,
    scanned_as: String,
    position: (usize, usize),
    excerpt: String,
}

impl CachedLocation {
    fn from(l: &Location) -> Self {
        CachedLocation {
            start: (l.start.line, l.start.column),
            end: (l.end.line, l.end.column),
            bytes: (l.bytes.start, l.bytes.end),
        }
    }

    fn to(&self, path: &str) -> Location {
        let pos = |(line, column)| Position { line, column };
        Location {
            path: path.to_string(),
            start: pos(self.start),
            end: pos(self.end),
            bytes: self.bytes.0..self.bytes.1,
        }
    }
}

impl CachedFinding {
    fn from(f: &Finding) -> Self {
        CachedFinding {
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            message: f.message.clone(),
            at: CachedLocation::from(&f.location),
            snippet: f.snippet.clone(),
            layers: f
                .layers
                .iter()
                .map(|l| CachedLayer {
                    decoders: l.decoders.clone(),
                    scanned_as: l.scanned_as.clone(),
                    position: (l.position.line, l.position.column),
                    excerpt: l.excerpt.clone(),
                })
                .collect(),
            related: f
                .related
                .iter()
                .map(|r| (CachedLocation::from(&r.location), r.message.clone()))
                .collect(),
        }
    }

    fn to(&self, path: &str) -> Finding {
        Finding::new(
            self.rule_id.clone(),
            self.severity,
            self.message.clone(),
            self.at.to(path),
            self.snippet.clone(),
        )
        .with_layers(
            self.layers
                .iter()
                .map(|l| Layer {
                    decoders: l.decoders.clone(),
                    scanned_as: l.scanned_as.clone(),
                    position: Position {
                        line: l.position.0,
                        column: l.position.1,
                    },
                    excerpt: l.excerpt.clone(),
                })
                .collect(),
        )
        .with_related(
            self.related
                .iter()
                .map(|(l, m)| Related {
                    location: l.to(path),
                    message: m.clone(),
                })
                .collect(),
        )
    }
}

impl Cache {
    /// A cache under `root` for results of `rules` with `limits`; creates the folder.
    pub fn open(root: &Path, rules: &RuleSet, limits: &Limits) -> std::io::Result<Cache> {
        let dir = root.join(LAYOUT);
        std::fs::create_dir_all(&dir)?;
        let fingerprint = fingerprint(rules, limits);
        let clean_file = clean_path(&dir, &fingerprint);
        let clean = read_keys(&clean_file).unwrap_or_default();
        refresh(&clean_file);
        Ok(Cache {
            dir,
            fingerprint,
            max_bytes: DEFAULT_MAX_BYTES,
            clean,
            new_clean: Mutex::new(Vec::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            temp_counter: AtomicU64::new(0),
        })
    }

    /// Results served from the cache so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that found nothing usable (the file was analysed).
    pub fn misses(&self) -> usize {
        self.misses.load(Ordering::Relaxed)
    }

    /// The key of a file with this name and content.
    pub fn key(&self, disk_path: &Path, bytes: &[u8]) -> Key {
        let name = disk_path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.fingerprint);
        h.update(name.as_bytes());
        h.update([0]);
        h.update(Sha256::digest(bytes));
        h.finalize().into()
    }

    fn path_of(&self, key: &Key) -> PathBuf {
        let key = hex(key);
        self.dir.join(&key[..2]).join(format!("{}.json", &key[2..]))
    }

    /// The cached findings and problems for `key`, reported at `display`.
    pub fn get(&self, key: &Key, display: &str) -> Option<(Vec<Finding>, Vec<FileProblem>)> {
        if self.clean.binary_search(key).is_ok() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some((Vec::new(), Vec::new()));
        }
        let found = self.read(key).map(|e| {
            let findings = e.findings.iter().map(|f| f.to(display)).collect();
            let problems = e
                .problems
                .into_iter()
                .map(|message| FileProblem {
                    path: display.to_string(),
                    message,
                })
                .collect();
            (findings, problems)
        });
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    fn read(&self, key: &Key) -> Option<Entry> {
        let path = self.path_of(key);
        let bytes = match crate::input::read::read_regular_file(&path, MAX_ENTRY_BYTES) {
            Ok(crate::input::read::ReadOutcome::Bytes(b)) => b,
            _ => return None,
        };
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.key != hex(key) {
            return None;
        }
        refresh(&path);
        Some(entry)
    }

    /// Stores the findings and problems for `key`, unless a problem is [`time_dependent`].
    /// Failures are ignored (the cache is an optimisation).
    pub fn put(&self, key: &Key, findings: &[Finding], problems: &[FileProblem]) {
        if problems.iter().any(|p| time_dependent(&p.message)) {
            return;
        }
        if findings.is_empty() && problems.is_empty() {
            if let Ok(mut v) = self.new_clean.lock() {
                v.push(*key);
            }
            return;
        }
        let entry = Entry {
            key: hex(key),
            findings: findings.iter().map(CachedFinding::from).collect(),
            problems: problems.iter().map(|p| p.message.clone()).collect(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        if text.len() as u64 > MAX_ENTRY_BYTES {
            return;
        }
        self.write_atomically(&self.path_of(key), &text);
    }

    /// Writes `path` through a temporary file in its folder and a rename.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) {
        let Some(folder) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(folder).is_err() {
            return;
        }
        let temp = folder.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.temp_counter.fetch_add(1, Ordering::Relaxed)
        ));
        if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, path).is_ok() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        } else {
            let _ = std::fs::remove_file(&temp);
        }
    }

    /// At the end of a scan: saves the clean keys found (merged with those saved meanwhile by
    /// other runs), then prunes ([`Cache::prune`]).
    pub fn finish(&self) {
        let new: Vec<Key> = self
            .new_clean
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        if !new.is_empty() {
            let path = clean_path(&self.dir, &self.fingerprint);
            let mut all = read_keys(&path).unwrap_or_default();
            if all.len() + new.len() > MAX_CLEAN_KEYS {
                all.clear();
            }
            all.extend(new);
            all.sort_unstable();
            all.dedup();
            let bytes: Vec<u8> = all.iter().flatten().copied().collect();
            self.write_atomically(&path, &bytes);
        }
        self.prune();
    }

    /// When this run wrote files: removes left-over temporary files and files unused for 30
    /// days (other configurations, older skimlints) and, if the cache is over its maximum size,
    /// the oldest files until it is under 3/4 of it.
    pub fn prune(&self) {
        if self.writes.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let mut total = 0u64;
        let Ok(shards) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for shard in shards.flatten() {
            if !shard.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.flatten() {
                let Ok(meta) = f.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if f.file_name().to_string_lossy().starts_with(".tmp-") {
                    if mtime.elapsed().is_ok_and(|age| age > STALE_TEMP) {
                        let _ = std::fs::remove_file(f.path());
                    }
                    continue;
                }
                // Unused for a month: another configuration or an older skimlint.
                if mtime.elapsed().is_ok_and(|age| age > UNUSED) {
                    let _ = std::fs::remove_file(f.path());
                    continue;
                }
                let size = disk_size(&meta);
                total += size;
                entries.push((mtime, size, f.path()));
            }
        }
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        let target = self.max_bytes / 4 * 3;
        for (_, size, path) in entries {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }
}

/// Keeps files in use from being evicted first: a file older than a day gets the current time
/// (day granularity: at most one write a day per file).
fn refresh(path: &Path) {
    let old = std::fs::metadata(path)
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age > REFRESH_AFTER);
    if old {
        if let Ok(f) = std::fs::File::options().append(true).open(path) {
            let _ = f.set_modified(SystemTime::now());
        }
    }
}

fn clean_path(dir: &Path, fingerprint: &[u8; 32]) -> PathBuf {
    dir.join("clean").join(format!("{}.bin", hex(fingerprint)))
}

/// The keys in a clean-key file, sorted and deduplicated; `None` when it is missing, unreadable
/// or not a whole number of keys.
fn read_keys(path: &Path) -> Option<Vec<Key>> {
    let max = (MAX_CLEAN_KEYS * 32) as u64;
    let bytes = match crate::input::read::read_regular_file(path, max) {
        Ok(crate::input::read::ReadOutcome::Bytes(b)) => b,
        _ => return None,
    };
    if bytes.len() % 32 != 0 {
        return None;
    }
    let mut keys: Vec<Key> = bytes
        .chunks_exact(32)
        .map(|c| <Key>::try_from(c).unwrap_or([0; 32]))
        .collect();
    // Written sorted; sorting again is a linear check then, and repairs a file that is not.
    keys.sort_unstable();
    keys.dedup();
    Some(keys)
}

/// Bytes a file takes on disk (whole blocks), or its length where that is not known.
fn disk_size(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.blocks() * 512
    }
    #[cfg(not(unix))]
    {
        meta.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        let at = |line, column| Position { line, column };
        Finding {
            rule_id: "js/x".into(),
            severity: Severity::Error,
            message: "m".into(),
            location: Location {
                path: "a/b.js".into(),
                start: at(2, 3),
                end: at(2, 9),
                bytes: 10..16,
            },
            snippet: "eval(x)".into(),
            layers: vec![Layer {
                decoders: vec!["base64".into()],
                scanned_as: "javascript".into(),
                position: at(1, 1),
                excerpt: "e".into(),
            }],
            related: vec![Related {
                location: Location {
                    path: "a/b.js".into(),
                    start: at(1, 1),
                    end: at(1, 2),
                    bytes: 0..1,
                },
                message: "source".into(),
            }],
            fingerprint: String::new(),
            line_hash: String::new(),
        }
    }

    fn open(dir: &Path) -> Cache {
        let rules = crate::rules::load_builtin_and(&[]).unwrap();
        Cache::open(dir, &rules, &Limits::default()).unwrap()
    }

    #[test]
    fn entries_round_trip_without_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path());
        let key = c.key(Path::new("x/b.js"), b"eval(x)");
        assert!(c.get(&key, "a/b.js").is_none());
        c.put(&key, &[finding()], &[]);
        let (back, problems) = c.get(&key, "elsewhere/b.js").unwrap();
        assert!(problems.is_empty());
        assert_eq!(back.len(), 1);
        let (f, g) = (&finding(), &back[0]);
        assert_eq!(g.location.path, "elsewhere/b.js");
        assert_eq!(g.related[0].location.path, "elsewhere/b.js");
        assert_eq!(
            (&g.rule_id, g.severity, &g.message, &g.snippet),
            (&f.rule_id, f.severity, &f.message, &f.snippet)
        );
        assert_eq!(g.location.bytes, f.location.bytes);
        assert_eq!(g.location.start, f.location.start);
        assert_eq!(g.layers, f.layers);
        assert_eq!((c.hits(), c.misses()), (1, 1));
        // The name and the content are both part of the key.
        assert_ne!(key, c.key(Path::new("x/b.php"), b"eval(x)"));
        assert_ne!(key, c.key(Path::new("x/b.js"), b"eval(y)"));
        assert_eq!(key, c.key(Path::new("other/B.JS"), b"eval(x)"));
    }

    #[test]
    fn clean_keys_are_saved_at_the_end_and_a_damaged_key_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path());
        let keys: Vec<Key> = (0..5)
            .map(|i| c.key(Path::new("a.php"), format!("{i}").as_bytes()))
            .collect();
        for k in &keys {
            assert!(c.get(k, "a.php").is_none());
            c.put(k, &[], &[]);
        }
        c.finish();
        let file = clean_path(&c.dir, &c.fingerprint);
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 5 * 32);
        let c = open(dir.path());
        for k in &keys {
            let (f, p) = c.get(k, "b.php").unwrap();
            assert!(f.is_empty() && p.is_empty());
        }
        // Another run adds keys: both runs' keys are kept.
        let extra = c.key(Path::new("a.php"), b"extra");
        c.put(&extra, &[], &[]);
        c.finish();
        assert_eq!(read_keys(&file).unwrap().len(), 6);
        // Half a key: the file is ignored, then replaced by the next run's keys.
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.truncate(6 * 32 - 5);
        std::fs::write(&file, &bytes).unwrap();
        let c = open(dir.path());
        assert!(c.get(&keys[0], "a.php").is_none());
        c.put(&keys[0], &[], &[]);
        c.finish();
        assert_eq!(read_keys(&file).unwrap(), vec![keys[0]]);
    }

    #[test]
    fn problems_are_kept_unless_they_depend_on_time() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path());
        let problem = |m: &str| FileProblem {
            path: "a.js".into(),
            message: m.into(),
        };
        let depth = crate::fold::LimitHit::FoldDepth.describe();
        let k1 = c.key(Path::new("a.js"), b"1");
        c.put(&k1, &[], &[problem(depth)]);
        let (_, problems) = c.get(&k1, "b/a.js").unwrap();
        assert_eq!(
            problems,
            vec![FileProblem {
                path: "b/a.js".into(),
                message: depth.into()
            }]
        );
        for timed in [
            crate::fold::LimitHit::TimeBudget.describe().to_string(),
            "javascript parse did not finish within the time budget".to_string(),
            "internal error while scanning (please report)".to_string(),
        ] {
            let k = c.key(Path::new("a.js"), timed.as_bytes());
            c.put(&k, &[], &[problem(depth), problem(&timed)]);
            assert!(c.get(&k, "a.js").is_none(), "{timed}");
        }
    }

    #[test]
    fn corrupt_entries_are_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path());
        let key = c.key(Path::new("b.js"), b"1");
        c.put(&key, &[finding()], &[]);
        let path = c.path_of(&key);
        let whole = std::fs::read(&path).unwrap();
        for bad in [
            whole[..whole.len() / 2].to_vec(),
            b"\x00\xffgarbage".to_vec(),
            Vec::new(),
            // Another key's entry under this name.
            String::from_utf8(whole.clone())
                .unwrap()
                .replace(&hex(&key), &"0".repeat(64))
                .into_bytes(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            assert!(c.get(&key, "b.js").is_none());
            c.put(&key, &[finding()], &[]);
            assert_eq!(std::fs::read(&path).unwrap(), whole);
            assert!(c.get(&key, "b.js").is_some());
        }
    }

    #[test]
    fn the_oldest_entries_are_evicted_past_the_maximum() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = open(dir.path());
        let keys: Vec<Key> = (0..40)
            .map(|i| c.key(Path::new("a.js"), format!("{i}").as_bytes()))
            .collect();
        let base = SystemTime::now() - Duration::from_secs(10_000);
        for (i, k) in keys.iter().enumerate() {
            c.put(k, &[finding()], &[]);
            let f = std::fs::File::options()
                .append(true)
                .open(c.path_of(k))
                .unwrap();
            f.set_modified(base + Duration::from_secs(i as u64))
                .unwrap();
        }
        let one = disk_size(&std::fs::metadata(c.path_of(&keys[0])).unwrap());
        c.max_bytes = one * 20;
        c.prune();
        let kept: Vec<bool> = keys.iter().map(|k| c.path_of(k).exists()).collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), 15);
        // The newest are kept.
        assert!(kept[25..].iter().all(|k| *k));
        assert!(!kept[0]);
        // A file unused for more than 30 days goes whatever the size.
        c.max_bytes = u64::MAX;
        let stale = c.key(Path::new("a.js"), b"stale");
        c.put(&stale, &[finding()], &[]);
        std::fs::File::options()
            .append(true)
            .open(c.path_of(&stale))
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(40 * 24 * 3600))
            .unwrap();
        c.prune();
        assert!(!c.path_of(&stale).exists());
        assert!(c.path_of(&keys[39]).exists());
    }

    #[test]
    fn the_cache_is_never_inside_a_scanned_path() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(&tree).unwrap();
        assert!(inside_any(
            &tree.join("not/yet/there"),
            std::slice::from_ref(&tree)
        ));
        assert!(inside_any(&tree, std::slice::from_ref(&tree)));
        assert!(!inside_any(
            &dir.path().join("cache"),
            std::slice::from_ref(&tree)
        ));
    }
}

//! Known-good manifests: the path, size and SHA-256 of every file of an official release
//! (`skimlint manifest create`), and the integrity check a scan runs with them
//! (`--known-good FILE`, `known-good = [...]` in skimlint.toml).
//!
//! With manifests, each discovered file on disk is one of:
//! - at a path a manifest lists, with the same size and hash: known good, not analysed;
//! - at a path a manifest lists, with other content: `integrity/modified-core-file`, then
//!   analysed as usual;
//! - not listed, a code file (PHP, JavaScript, `.htaccess`, `.user.ini`) directly in a folder
//!   that holds listed files: `integrity/unexpected-file`, then analysed as usual;
//! - anything else: analysed as usual.
//!
//! Where a release sits in the scanned tree is found from the paths: a manifest is anchored at
//! the folder prefix under which most of its paths exist (WordPress at the scan root,
//! WooCommerce under `wp-content/plugins/woocommerce/`). The format is documented in
//! docs/manifest.md.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::{FileProblem, Finding, Location};
use crate::input::archive::{self, ArchiveLimits};
use crate::input::discover::Candidate;
use crate::input::source::Position;
use crate::rules::schema::{Precision, RuleFile};
use crate::rules::Severity;

pub const MODIFIED: &str = "integrity/modified-core-file";
pub const UNEXPECTED: &str = "integrity/unexpected-file";

/// The `format` field of a manifest file.
pub const FORMAT: &str = "skimlint-manifest";
/// The manifest format version written and read.
pub const VERSION: u32 = 1;

/// A manifest file as stored (docs/manifest.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub format: String,
    pub version: u32,
    /// What the manifest was made from (the file or folder name), for messages.
    pub source: String,
    /// The skimlint that wrote it.
    pub tool: String,
    /// Sorted by path; paths are unique.
    pub files: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Relative to the release root, `/`-separated, no `.` or `..` components.
    pub path: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// A loaded manifest with its lookups.
#[derive(Debug)]
pub struct Manifest {
    /// The manifest file (for messages).
    pub name: String,
    pub file: ManifestFile,
    by_path: HashMap<String, usize>,
    /// Folders that directly hold listed files (`""` is the release root).
    folders: HashSet<String>,
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Whether a path names a file in which injected code runs (the files `unexpected-file`
/// reports).
pub fn is_code_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name == ".htaccess" || name == ".user.ini" {
        return true;
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(
        ext,
        "php"
            | "phtml"
            | "php3"
            | "php4"
            | "php5"
            | "php6"
            | "php7"
            | "php8"
            | "phps"
            | "pht"
            | "phar"
            | "inc"
            | "js"
            | "mjs"
            | "cjs"
    )
}

fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Manifest {
    pub fn new(name: String, file: ManifestFile) -> Result<Manifest, String> {
        if file.format != FORMAT {
            return Err(format!(
                "{name}: not a skimlint manifest (format `{FORMAT}`)"
            ));
        }
        if file.version != VERSION {
            return Err(format!(
                "{name}: manifest version {} is not supported (this skimlint reads version {VERSION})",
                file.version
            ));
        }
        let mut by_path = HashMap::with_capacity(file.files.len());
        let mut folders = HashSet::new();
        for (i, e) in file.files.iter().enumerate() {
            if !valid_path(&e.path) {
                return Err(format!("{name}: invalid path `{}`", e.path));
            }
            if e.sha256.len() != 64
                || !e
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(format!("{name}: `{}`: sha256 is not 64 hex digits", e.path));
            }
            if by_path.insert(e.path.clone(), i).is_some() {
                return Err(format!("{name}: `{}` is listed twice", e.path));
            }
            folders.insert(parent(&e.path).to_string());
        }
        Ok(Manifest {
            name,
            file,
            by_path,
            folders,
        })
    }

    pub fn read(path: &Path) -> Result<Manifest, String> {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
        let file: ManifestFile =
            serde_json::from_slice(&text).map_err(|e| format!("{name}: invalid manifest: {e}"))?;
        Manifest::new(name, file)
    }

    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.by_path.get(path).map(|&i| &self.file.files[i])
    }

    /// The document, pretty-printed, with a final newline.
    pub fn to_json(file: &ManifestFile) -> String {
        let mut s = serde_json::to_string_pretty(file).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Builds a manifest of a release folder or archive (`.zip`, `.tar`, `.tar.gz`, `.tgz`, read in
/// memory). Archive member names are normalised as in a scan, and when every member sits in one
/// top folder (`wordpress/…`) that folder is dropped unless `keep_top_folder`. A folder is
/// walked completely (hidden files included, `.gitignore` not honoured, symlinks not followed,
/// `.git` skipped). Returns the manifest and warnings (members that could not be read).
pub fn create(source: &Path, keep_top_folder: bool) -> Result<(ManifestFile, Vec<String>), String> {
    let shown = source.display().to_string();
    let meta = std::fs::metadata(source).map_err(|e| format!("{shown}: {e}"))?;
    let mut files: Vec<Entry> = Vec::new();
    let mut warnings = Vec::new();
    let entry = |path: String, bytes: &[u8]| Entry {
        path,
        size: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
    };
    if meta.is_dir() {
        let walker = ignore::WalkBuilder::new(source)
            .standard_filters(false)
            .hidden(false)
            .follow_links(false)
            .build();
        for item in walker {
            let e = match item {
                Ok(e) => e,
                Err(e) => {
                    warnings.push(e.to_string());
                    continue;
                }
            };
            if !e.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = e.path().strip_prefix(source) else {
                continue;
            };
            if rel.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let path = rel.to_string_lossy().replace('\\', "/");
            match hash_file(e.path()) {
                Ok((size, sha256)) => files.push(Entry { path, size, sha256 }),
                Err(err) => warnings.push(format!("{}: cannot read: {err}", e.path().display())),
            }
        }
    } else {
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        let Some(kind) = archive::kind_of(&name) else {
            return Err(format!(
                "{shown}: give a folder or a .zip, .tar, .tar.gz or .tgz archive"
            ));
        };
        let limits = ArchiveLimits {
            // Releases are larger than uploads; members are still read whole, one at a time,
            // so memory stays bounded by the member cap.
            max_total_bytes: 8 << 30,
            max_member_bytes: 256 << 20,
            max_nested_archive_bytes: 256 << 20,
            max_members: 1_000_000,
            ..ArchiveLimits::default()
        };
        let mut seen = HashSet::new();
        let problems = archive::members(&shown, source, kind, &limits, &mut |path, bytes| {
            if seen.insert(path.clone()) {
                files.push(entry(path, &bytes));
            }
        });
        for p in problems {
            if p.path == shown && files.is_empty() {
                return Err(format!("{}: {}", p.path, p.message));
            }
            warnings.push(format!("{}: {}", p.path, p.message));
        }
        if !keep_top_folder {
            strip_top_folder(&mut files);
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    let source_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(shown);
    Ok((
        ManifestFile {
            format: FORMAT.into(),
            version: VERSION,
            source: source_name,
            tool: format!("skimlint {}", env!("CARGO_PKG_VERSION")),
            files,
        },
        warnings,
    ))
}

/// Drops a first path component shared by every entry (`wordpress/` in WordPress's zip).
fn strip_top_folder(files: &mut [Entry]) {
    let Some(first) = files
        .first()
        .and_then(|e| e.path.split_once('/'))
        .map(|p| p.0)
    else {
        return;
    };
    let top = format!("{first}/");
    if files.iter().all(|e| e.path.starts_with(&top)) {
        for e in files.iter_mut() {
            e.path.drain(..top.len());
        }
    }
}

/// Size and SHA-256 of a regular file, streamed (never follows a final symlink, never blocks on
/// a FIFO).
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let mut file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

/// What the manifests say about one discovered file.
#[derive(Debug, Clone)]
pub enum Role {
    /// Listed: the entries it may match (one per manifest that lists it) and the manifests.
    Listed(Vec<(Arc<Manifest>, Entry)>),
    /// Not listed, a code file in a folder of this manifest.
    Unexpected(Arc<Manifest>),
}

/// The roles of the discovered files, by display path, and problems (a manifest that matches
/// no scanned path).
#[derive(Debug, Default)]
pub struct Plan {
    pub roles: HashMap<String, Role>,
    pub problems: Vec<FileProblem>,
}

/// The folder prefix (`""` or ending in `/`) under which most of the manifest's paths are among
/// `paths`; ties go to the shortest prefix. `None` when none is.
pub fn anchor<'a>(manifest: &Manifest, paths: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut votes: HashMap<&str, usize> = HashMap::new();
    for d in paths {
        let starts = std::iter::once(0).chain(d.match_indices('/').map(|(i, _)| i + 1));
        for i in starts {
            if manifest.by_path.contains_key(&d[i..]) {
                *votes.entry(&d[..i]).or_insert(0) += 1;
            }
        }
    }
    votes
        .into_iter()
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.0.len().cmp(&a.0.len()))
                .then(b.0.cmp(a.0))
        })
        .map(|(p, _)| p.to_string())
}

/// Anchors every manifest in the discovered files and gives each file its role.
pub fn plan(manifests: &[Arc<Manifest>], candidates: &[Candidate]) -> Plan {
    let mut out = Plan::default();
    for m in manifests {
        let Some(prefix) = anchor(m, candidates.iter().map(|c| c.display_path.as_str())) else {
            out.problems.push(FileProblem {
                path: m.name.clone(),
                message: format!(
                    "known-good manifest of `{}`: no scanned file is at a path it lists",
                    m.file.source
                ),
            });
            continue;
        };
        for c in candidates {
            let Some(rel) = c.display_path.strip_prefix(prefix.as_str()) else {
                continue;
            };
            if let Some(e) = m.entry(rel) {
                match out.roles.get_mut(&c.display_path) {
                    Some(Role::Listed(v)) => v.push((m.clone(), e.clone())),
                    _ => {
                        out.roles.insert(
                            c.display_path.clone(),
                            Role::Listed(vec![(m.clone(), e.clone())]),
                        );
                    }
                }
            } else if m.folders.contains(parent(rel))
                && is_code_path(rel)
                && !out.roles.contains_key(&c.display_path)
            {
                out.roles
                    .insert(c.display_path.clone(), Role::Unexpected(m.clone()));
            }
        }
    }
    out
}

/// What checking one file against its role gave.
#[derive(Debug)]
pub enum Verdict {
    /// Same content as a listed entry: nothing more to do.
    KnownGood,
    /// Analyse it; report this finding first (if any).
    Analyse(Option<Box<Finding>>),
}

fn finding(rule: &str, display: &str, message: String, sha256: &str) -> Finding {
    let at = Position { line: 1, column: 1 };
    let location = Location {
        path: display.to_string(),
        start: at,
        end: at,
        bytes: 0..0,
    };
    // The content hash stands in for the line: a baselined finding comes back when the file
    // changes again.
    let snippet = format!("sha256:{}", &sha256[..sha256.len().min(16)]);
    Finding::new(rule, Severity::Warning, message, location, snippet)
}

/// Checks the file at `disk_path` (reported as `display`) against its role.
pub fn check(role: &Role, display: &str, disk_path: &Path) -> Verdict {
    match role {
        Role::Listed(entries) => {
            let largest = entries.iter().map(|(_, e)| e.size).max().unwrap_or(0);
            let (size, sha) = match crate::input::read::read_regular_file(disk_path, largest) {
                Ok(crate::input::read::ReadOutcome::Bytes(b)) => {
                    (b.len() as u64, hex(&Sha256::digest(&b)))
                }
                Ok(crate::input::read::ReadOutcome::TooLarge(_)) => match hash_file(disk_path) {
                    Ok(r) => r,
                    Err(_) => return Verdict::Analyse(None),
                },
                // Not a regular file (any more), or unreadable: the scan reports it.
                _ => return Verdict::Analyse(None),
            };
            if entries
                .iter()
                .any(|(_, e)| e.size == size && e.sha256 == sha)
            {
                return Verdict::KnownGood;
            }
            let (m, e) = &entries[0];
            let how = if e.size == size {
                format!("same size ({size} bytes), different content")
            } else {
                format!("{size} bytes, the release has {}", e.size)
            };
            Verdict::Analyse(Some(Box::new(finding(
                MODIFIED,
                display,
                format!(
                    "file differs from the known-good release `{}` ({how}; manifest {})",
                    m.file.source, m.name
                ),
                &sha,
            ))))
        }
        Role::Unexpected(m) => {
            let sha = hash_file(disk_path).map(|r| r.1).unwrap_or_default();
            Verdict::Analyse(Some(Box::new(finding(
                UNEXPECTED,
                display,
                format!(
                    "code file not in the known-good release `{}`, in a folder of that release \
                     (manifest {})",
                    m.file.source, m.name
                ),
                &sha,
            ))))
        }
    }
}

/// Descriptions of the integrity rules, for SARIF descriptors and `skimlint rules explain`.
pub fn meta_rules() -> Vec<RuleFile> {
    let rule = |id: &str, summary: &str, help: &str| RuleFile {
        precision: Precision::High,
        security_severity: Some(6.0),
        tags: vec!["security".into(), "integrity".into()],
        cwe: vec!["CWE-494".into()],
        ..RuleFile::outside_engine(id, Severity::Warning, summary, help)
    };
    vec![
        rule(
            MODIFIED,
            "A file of a known-good release has different content",
            "The file is at a path the known-good manifest (`--known-good`) lists, but its size \
             or SHA-256 differs from the release's. Injected skimmers and backdoors often sit in \
             core files no rule can tell from the vendor's own code. Compare the file with the \
             release (download it again from the vendor) and restore it.\n\nOnly reported with \
             manifests; the file is also analysed by the rules. Cannot be silenced with \
             `skimlint-ignore` comments (the file's content is what is in question).",
        ),
        rule(
            UNEXPECTED,
            "A code file that the known-good release does not have, in one of its folders",
            "A PHP or JavaScript file (or `.htaccess`, `.user.ini`) sits directly in a folder of \
             the release the manifest describes, but the release has no such file. Backdoors are \
             often dropped next to core files under plausible names. Site-specific files \
             (`wp-config.php`, Magento's `app/etc/env.php`) are expected: accept them with a \
             baseline (`--write-baseline`); the fingerprint includes the file's hash, so the \
             finding comes back when such a file changes.",
        ),
    ]
}

/// The manifests given by path, loaded.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Arc<Manifest>>, String> {
    paths
        .iter()
        .map(|p| Manifest::read(p).map(Arc::new))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(paths: &[&str]) -> Manifest {
        let files = paths
            .iter()
            .map(|p| Entry {
                path: p.to_string(),
                size: 1,
                sha256: "0".repeat(64),
            })
            .collect();
        Manifest::new(
            "m.json".into(),
            ManifestFile {
                format: FORMAT.into(),
                version: VERSION,
                source: "r.zip".into(),
                tool: "t".into(),
                files,
            },
        )
        .unwrap()
    }

    #[test]
    fn anchors_where_most_paths_are() {
        let m = manifest(&["index.php", "includes/a.php", "includes/b.php"]);
        let paths = [
            "index.php",
            "wp-content/plugins/x/index.php",
            "wp-content/plugins/x/includes/a.php",
            "wp-content/plugins/x/includes/b.php",
        ];
        assert_eq!(
            anchor(&m, paths.iter().copied()).as_deref(),
            Some("wp-content/plugins/x/")
        );
        assert_eq!(anchor(&m, ["index.php"].into_iter()).as_deref(), Some(""));
        assert_eq!(anchor(&m, ["other.php"].into_iter()), None);
        // A path that only ends like a listed one (`xindex.php`) is not a match.
        assert_eq!(anchor(&m, ["a/xindex.php"].into_iter()), None);
    }

    #[test]
    fn roles_listed_and_unexpected() {
        let m = Arc::new(manifest(&["index.php", "inc/a.php", "img/logo.png"]));
        let cands: Vec<Candidate> = [
            "site/index.php",
            "site/inc/a.php",
            "site/inc/evil.php",
            "site/inc/notes.txt",
            "site/inc/new/evil.php",
            "site/uploads/x.php",
            "site/img/x.js",
        ]
        .iter()
        .map(|p| Candidate {
            display_path: p.to_string(),
            disk_path: PathBuf::from(p),
        })
        .collect();
        let plan = plan(&[m], &cands);
        let kind = |p: &str| match plan.roles.get(p) {
            Some(Role::Listed(_)) => "listed",
            Some(Role::Unexpected(_)) => "unexpected",
            None => "-",
        };
        assert_eq!(kind("site/index.php"), "listed");
        assert_eq!(kind("site/inc/a.php"), "listed");
        assert_eq!(kind("site/inc/evil.php"), "unexpected");
        assert_eq!(kind("site/img/x.js"), "unexpected");
        assert_eq!(kind("site/inc/notes.txt"), "-");
        assert_eq!(kind("site/inc/new/evil.php"), "-");
        assert_eq!(kind("site/uploads/x.php"), "-");
    }

    #[test]
    fn invalid_manifests_are_refused() {
        let mut f = manifest(&["a.php"]).file;
        f.files[0].path = "../a.php".into();
        assert!(Manifest::new("m".into(), f.clone()).is_err());
        f.files[0].path = "a.php".into();
        f.files[0].sha256 = "xyz".into();
        assert!(Manifest::new("m".into(), f.clone()).is_err());
        f.files[0].sha256 = "0".repeat(64);
        f.version = 2;
        assert!(Manifest::new("m".into(), f).is_err());
    }

    #[test]
    fn top_folder_is_stripped_only_when_shared() {
        let e = |p: &str| Entry {
            path: p.into(),
            size: 0,
            sha256: String::new(),
        };
        let mut v = vec![e("wordpress/a.php"), e("wordpress/b/c.php")];
        strip_top_folder(&mut v);
        assert_eq!(v[0].path, "a.php");
        assert_eq!(v[1].path, "b/c.php");
        let mut v = vec![e("a/x.php"), e("b/y.php")];
        strip_top_folder(&mut v);
        assert_eq!(v[0].path, "a/x.php");
        let mut v = vec![e("x.php")];
        strip_top_folder(&mut v);
        assert_eq!(v[0].path, "x.php");
    }
}

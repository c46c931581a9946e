//! Paths for GitHub: SARIF URIs and `github` annotations are resolved against the repository
//! root, not against the folder that was scanned. [`Rebase`] turns the display paths of a scan
//! (relative to the working directory, or to an absolute scan root) into paths relative to a
//! root folder: `--root DIR`, else the git work tree enclosing the first scanned path, else the
//! working directory. Only the path is rewritten; nothing is read but folder metadata.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::scan::ScanResult;

/// Removes `.` and resolves `..` lexically (`/a/b/../c` → `/a/c`); never climbs above `/`.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let climbs = matches!(
                    out.components().next_back(),
                    None | Some(Component::ParentDir)
                );
                if climbs && !out.has_root() {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// An absolute, normalised form of `path` (symlinks in the existing part resolved when possible).
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let joined = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    normalize(&joined)
}

/// The nearest folder at or above `start` that holds `.git` (a folder, or a file in worktrees
/// and submodules).
pub fn git_work_tree(start: &Path) -> Option<PathBuf> {
    let start = absolute(start);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        if std::fs::symlink_metadata(d.join(".git")).is_ok() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// The folder reported paths are relative to: `explicit` (`--root`), else the git work tree
/// around `first` (the first scanned path), else the working directory.
pub fn repository_root(explicit: Option<&Path>, first: Option<&Path>) -> PathBuf {
    if let Some(r) = explicit {
        return absolute(r);
    }
    first
        .and_then(git_work_tree)
        .or_else(|| std::env::current_dir().ok())
        .map(|p| absolute(&p))
        .unwrap_or_default()
}

/// `path` relative to `root` (both absolute and normalised), with `../` when it is outside.
fn relative_to(path: &Path, root: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let r: Vec<Component> = root.components().collect();
    let common = p.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Rewrites display paths to paths relative to a root folder.
pub struct Rebase {
    root: PathBuf,
    /// The scanned paths, absolute: (as given, absolute form).
    scanned: Vec<(PathBuf, PathBuf)>,
    cwd: PathBuf,
    /// Display path → file on disk, for the files the scan reported.
    files: HashMap<String, PathBuf>,
    cache: std::cell::RefCell<HashMap<String, String>>,
}

impl Rebase {
    pub fn new(root: PathBuf, scanned: &[PathBuf], result: &ScanResult) -> Rebase {
        Rebase {
            root: absolute(&root),
            scanned: scanned.iter().map(|p| (p.clone(), absolute(p))).collect(),
            cwd: std::env::current_dir()
                .map(|c| absolute(&c))
                .unwrap_or_default(),
            files: result
                .files
                .iter()
                .map(|c| (c.display_path.clone(), c.disk_path.clone()))
                .collect(),
            cache: Default::default(),
        }
    }

    /// The root as a `file://` URI ending in `/` (SARIF's `%SRCROOT%`).
    pub fn root_uri(&self) -> String {
        let mut s = self.root.to_string_lossy().replace('\\', "/");
        if !s.ends_with('/') {
            s.push('/');
        }
        let encoded: String = s
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@:".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("file://{encoded}")
    }

    /// Where a display path (a file, or the outer file of `archive!/member`) is on disk.
    fn disk(&self, display: &str) -> PathBuf {
        if let Some(p) = self.files.get(display) {
            return absolute(p);
        }
        // Candidates by the rule that made the display path (see discover.rs): a relative scan
        // path is shown as given, an absolute folder relative to itself, an absolute file by its
        // name. The first that exists wins.
        let mut candidates = Vec::new();
        for (given, abs) in &self.scanned {
            if given.is_relative() {
                candidates.push(normalize(&self.cwd.join(display)));
            } else if abs.is_dir() {
                candidates.push(normalize(&abs.join(display)));
            } else if abs
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == display)
            {
                candidates.push(abs.clone());
            }
        }
        candidates
            .iter()
            .find(|c| std::fs::symlink_metadata(c).is_ok())
            .or(candidates.first())
            .cloned()
            .unwrap_or_else(|| normalize(&self.cwd.join(display)))
    }

    /// `display` relative to the root, `/`-separated; archive members keep their `!/…` part.
    pub fn path(&self, display: &str) -> String {
        if let Some(hit) = self.cache.borrow().get(display) {
            return hit.clone();
        }
        let (outer, member) = match display.find("!/") {
            Some(i) => display.split_at(i),
            None => (display, ""),
        };
        let rel = relative_to(&self.disk(outer), &self.root);
        let mut s = rel.to_string_lossy().replace('\\', "/");
        if s.is_empty() {
            s = outer.to_string();
        }
        s.push_str(member);
        self.cache
            .borrow_mut()
            .insert(display.to_string(), s.clone());
        s
    }

    /// A copy of `result` with every reported path rebased.
    pub fn apply(&self, result: &ScanResult) -> ScanResult {
        let mut findings = result.findings.clone();
        for f in &mut findings {
            f.location.path = self.path(&f.location.path);
            for r in &mut f.related {
                r.location.path = self.path(&r.location.path);
            }
        }
        let mut problems = result.problems.clone();
        for p in &mut problems {
            p.path = self.path(&p.path);
        }
        ScanResult {
            findings,
            problems,
            files_scanned: result.files_scanned,
            files: result.files.clone(),
            directives: result.directives.clone(),
            sources: result.sources.clone(),
            archives: result.archives.clone(),
            files_from_cache: result.files_from_cache,
            files_known_good: result.files_known_good,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
        assert_eq!(normalize(Path::new("../a/../../b")), Path::new("../../b"));
    }

    #[test]
    fn relative_paths_climb_out_of_the_root_with_dotdot() {
        assert_eq!(
            relative_to(Path::new("/r/src/a.js"), Path::new("/r")),
            Path::new("src/a.js")
        );
        assert_eq!(
            relative_to(Path::new("/elsewhere/a.js"), Path::new("/r/x")),
            Path::new("../../elsewhere/a.js")
        );
    }
}

//! Stage 1: finding the files to scan. `.gitignore` is honoured; hidden files and dotfiles are
//! scanned (malware hides in them); symlinks are not followed. The result is sorted.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// A file to scan and the path it is reported under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub display_path: String,
    pub disk_path: PathBuf,
}

/// Walks each path (a file or a folder). Problems (unreadable folders) are returned as
/// (path, message) pairs; the walk goes on.
pub fn discover(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .follow_links(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .ignore(true)
            .parents(true)
            .require_git(false)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_some_and(|t| t.is_file());
                    if !is_file {
                        continue;
                    }
                    let path = e.path();
                    // Never descend into version-control internals.
                    if path.components().any(|c| c.as_os_str() == ".git") {
                        continue;
                    }
                    out.push(Candidate {
                        display_path: display(root, path),
                        disk_path: path.to_path_buf(),
                    });
                }
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.display().to_string(),
                        _ => root.display().to_string(),
                    };
                    problems.push((path, err.to_string()));
                }
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.disk_path == b.disk_path);
    (out, problems)
}

/// The reported path: relative paths as given (without `./`); absolute roots are reported
/// relative to the root itself (or the file name when the root is a file).
fn display(root: &Path, path: &Path) -> String {
    let shown = if root.is_absolute() {
        match path.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
        }
    } else {
        path.to_path_buf()
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

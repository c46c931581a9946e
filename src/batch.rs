//! Reviewing many uploads at once: a progress bar on a terminal and a per-archive summary
//! table. Both go to stderr, never into the report.

use std::io::{IsTerminal, Write};

use crate::report::sanitize::terminal;
use crate::rules::Severity;
use crate::scan::ScanResult;

/// Told about the scan's progress, one discovered path (a file or a whole archive) at a time.
/// Called from worker threads.
pub trait Progress: Sync {
    fn start(&self, _total: usize) {}
    fn advance(&self, _path: &str) {}
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// An indicatif progress bar on stderr.
pub struct TerminalProgress {
    bar: indicatif::ProgressBar,
}

impl TerminalProgress {
    /// A bar on stderr when stderr is a terminal; `None` otherwise (pipes, CI logs, files).
    pub fn if_terminal() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Some(TerminalProgress { bar })
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn advance(&self, path: &str) {
        self.bar.set_message(terminal(path));
        self.bar.inc(1);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One row of the per-archive summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    pub archive: String,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub problems: usize,
}

/// Does a reported path belong to the top-level archive `archive`?
fn inside(path: &str, archive: &str) -> bool {
    path.strip_prefix(archive)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("!/"))
}

/// One row per top-level archive scanned, in path order.
pub fn archive_rows(result: &ScanResult) -> Vec<ArchiveRow> {
    result
        .archives
        .iter()
        .map(|a| {
            let mut row = ArchiveRow {
                archive: a.path.clone(),
                files: a.files,
                errors: 0,
                warnings: 0,
                notes: 0,
                problems: 0,
            };
            for f in result
                .findings
                .iter()
                .filter(|f| inside(&f.location.path, &a.path))
            {
                match f.severity {
                    Severity::Error => row.errors += 1,
                    Severity::Warning => row.warnings += 1,
                    Severity::Note => row.notes += 1,
                    Severity::Signal => {}
                }
            }
            row.problems = result
                .problems
                .iter()
                .filter(|p| inside(&p.path, &a.path))
                .count();
            row
        })
        .collect()
}

/// The per-archive table; nothing when no archive was scanned.
pub fn write_summary(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    let rows = archive_rows(result);
    if rows.is_empty() {
        return Ok(());
    }
    const MAX_NAME: usize = 60;
    let shown: Vec<String> = rows
        .iter()
        .map(|r| {
            let name = terminal(&r.archive);
            let n = name.chars().count();
            if n > MAX_NAME {
                let tail: String = name.chars().skip(n - (MAX_NAME - 1)).collect();
                format!("…{tail}")
            } else {
                name
            }
        })
        .collect();
    let total_label = format!("total ({} archives)", rows.len());
    let width = shown
        .iter()
        .map(|s| s.chars().count())
        .chain([7, total_label.chars().count()])
        .max()
        .unwrap_or(7);
    let pad = |s: &str| {
        let n = s.chars().count();
        format!("{s}{}", " ".repeat(width.saturating_sub(n)))
    };
    writeln!(
        out,
        "{}  {:>7}  {:>6}  {:>8}  {:>5}  {:>8}",
        pad("archive"),
        "files",
        "errors",
        "warnings",
        "notes",
        "problems"
    )?;
    let mut total = ArchiveRow {
        archive: String::new(),
        files: 0,
        errors: 0,
        warnings: 0,
        notes: 0,
        problems: 0,
    };
    for (r, name) in rows.iter().zip(&shown) {
        writeln!(
            out,
            "{}  {:>7}  {:>6}  {:>8}  {:>5}  {:>8}",
            pad(name),
            r.files,
            r.errors,
            r.warnings,
            r.notes,
            r.problems
        )?;
        total.files += r.files;
        total.errors += r.errors;
        total.warnings += r.warnings;
        total.notes += r.notes;
        total.problems += r.problems;
    }
    if rows.len() > 1 {
        writeln!(
            out,
            "{}  {:>7}  {:>6}  {:>8}  {:>5}  {:>8}",
            pad(&total_label),
            total.files,
            total.errors,
            total.warnings,
            total.notes,
            total.problems
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_is_by_archive_prefix_and_separator() {
        assert!(inside("a.zip!/x.php", "a.zip"));
        assert!(inside("a.zip", "a.zip"));
        assert!(!inside("a.zip.bak!/x.php", "a.zip"));
        assert!(!inside("a.zipper/x.php", "a.zip"));
    }
}

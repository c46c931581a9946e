//! The per-archive summary table (stderr, never in the report).

use std::io::Write;

use super::sanitize::terminal;
use crate::rules::Severity;
use crate::scan::ScanResult;

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

/// The totals line the `full` format ends with.
pub fn write_totals(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let mut extra = String::new();
    if result.files_from_cache > 0 {
        extra.push_str(&format!(" ({} from cache)", result.files_from_cache));
    }
    if result.files_known_good > 0 {
        extra.push_str(&format!(
            ", {} files matched known-good manifests",
            result.files_known_good
        ));
    }
    writeln!(
        out,
        "skimlint: {} files scanned{extra}, {} errors, {} warnings, {} notes, {} files not fully scanned",
        result.files_scanned,
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
        result
            .problems
            .iter()
            .map(|p| &p.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    )
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

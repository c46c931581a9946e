//! Archives found in the walk, scanned in memory: `input::archive` yields the members, and
//! they go through [`super::scan_source`] in parallel batches.

use std::path::Path;

use rayon::prelude::*;

use crate::finding::{FileProblem, Finding};
use crate::fold::Limits;
use crate::input::archive::{self, ArchiveKind, ArchiveLimits};
use crate::input::source::SourceFile;
use crate::rules::RuleSet;

/// Members are scanned in parallel in batches of this many files or bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: usize = 32 << 20;

/// What scanning one top-level archive produced.
#[derive(Debug, Default)]
pub struct ArchiveOutcome {
    pub findings: Vec<Finding>,
    pub problems: Vec<FileProblem>,
    /// Members handed to the pipeline (nested archives' members included).
    pub files: usize,
    /// The file was not a readable archive and was scanned as a plain file.
    pub scanned_as_plain_file: bool,
    /// Members with findings and their bytes (only with `keep_sources`).
    pub sources: Vec<(String, std::sync::Arc<Vec<u8>>)>,
}

/// Scans the archive at `disk_path`, reported as `display_path`, member by member, in memory.
pub fn scan_archive(
    display_path: &str,
    disk_path: &Path,
    kind: ArchiveKind,
    rules: &RuleSet,
    limits: &Limits,
    archive_limits: &ArchiveLimits,
    keep_sources: bool,
) -> ArchiveOutcome {
    // `--max-file-size` caps members too.
    let archive_limits = &ArchiveLimits {
        max_member_bytes: archive_limits.max_member_bytes.min(limits.max_file_bytes),
        ..archive_limits.clone()
    };
    let mut outcome = ArchiveOutcome::default();
    let mut batch: Vec<SourceFile> = Vec::new();
    let mut batch_bytes = 0usize;
    let flush = |batch: &mut Vec<SourceFile>, outcome: &mut ArchiveOutcome| {
        let results: Vec<_> = batch
            .par_iter()
            .map(|f| super::scan_source(f, rules, limits))
            .collect();
        outcome.files += batch.len();
        for (file, (findings, problems)) in batch.iter().zip(results) {
            if keep_sources && !findings.is_empty() {
                outcome
                    .sources
                    .push((file.display_path.clone(), file.bytes.clone()));
            }
            outcome.findings.extend(findings);
            outcome.problems.extend(problems);
        }
        batch.clear();
    };
    let problems = {
        let mut sink = |file: SourceFile| {
            batch_bytes += file.bytes.len();
            batch.push(file);
            if batch.len() >= BATCH_FILES || batch_bytes >= BATCH_BYTES {
                flush(&mut batch, &mut outcome);
                batch_bytes = 0;
            }
        };
        archive::expand(display_path, disk_path, kind, archive_limits, &mut sink)
    };
    let (problems, plain) = problems;
    outcome.scanned_as_plain_file = plain;
    flush(&mut batch, &mut outcome);
    outcome.problems.extend(problems);
    outcome
}

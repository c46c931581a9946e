//! The JSON format: `{"version", "findings": [...], "problems": [...], "files_scanned"}`.
//! Documented in docs/json.md; fields are only ever added.

use std::io::Write;

use serde::Serialize;

use crate::finding::{FileProblem, Finding};
use crate::scan::ScanResult;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    files_scanned: usize,
    /// Files whose content matched a known-good manifest (not analysed, not in files_scanned).
    files_known_good: usize,
    /// Files whose results came from the result cache (among files_scanned).
    files_from_cache: usize,
    findings: &'a [Finding],
    problems: &'a [FileProblem],
}

pub fn write(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    let doc = Document {
        version: 1,
        tool: "skimlint",
        tool_version: env!("CARGO_PKG_VERSION"),
        files_scanned: result.files_scanned,
        files_known_good: result.files_known_good,
        files_from_cache: result.files_from_cache,
        findings: &result.findings,
        problems: &result.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

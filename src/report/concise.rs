//! `path:line:col: severity[rule-id] message` — one line per finding, for editors and grep.

use std::io::Write;

use super::sanitize::terminal;
use crate::finding::Finding;
use crate::scan::ScanResult;

pub fn write(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    for f in &result.findings {
        let layers = if f.layers.is_empty() {
            String::new()
        } else {
            format!(" [decoded: {}]", super::chain::names(&f.layers))
        };
        writeln!(out, "{}{}", headline(f), terminal(&layers))?;
    }
    Ok(())
}

/// `path:line:col: severity[rule-id] message`, safe for a terminal (also the GitHub
/// reporter's plain-text line).
pub(super) fn headline(f: &Finding) -> String {
    format!(
        "{}:{}:{}: {}[{}] {}",
        terminal(&f.location.path),
        f.location.start.line,
        f.location.start.column,
        f.severity.as_str(),
        f.rule_id,
        terminal(&f.message)
    )
}

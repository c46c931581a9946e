//! `skimlint diff OLD NEW`: the findings of NEW that OLD does not have, for reviewing an update
//! of a theme or plugin. Both trees are scanned with paths relative to their own root, so a file
//! at the same place in both versions has the same display path and the same fingerprints.

use std::collections::BTreeSet;

use crate::scan::ScanResult;

/// Keeps the findings of `new` whose (rule, fingerprint) is absent from `old`; returns how many
/// were dropped. Fingerprints count repeated occurrences, so a second copy of an old finding in
/// the same file is new.
pub fn keep_new(old: &ScanResult, new: &mut ScanResult) -> usize {
    let seen: BTreeSet<(&str, &str)> = old
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.fingerprint.as_str()))
        .collect();
    let before = new.findings.len();
    new.findings
        .retain(|f| !seen.contains(&(f.rule_id.as_str(), f.fingerprint.as_str())));
    before - new.findings.len()
}

//! `skimlint diff OLD NEW`: the findings of NEW that OLD does not have, for reviewing an update
//! of a theme or plugin. Both versions are scanned with paths relative to their own root, so a
//! file at the same place in both versions has the same path and the same fingerprints.
//!
//! A version may be a folder or an archive (scanned in memory like `check` does). An archive's
//! findings are reported as `name.zip!/member`; they are compared by the path inside the archive,
//! and when the archive keeps everything in one top folder (`theme-1.5.0/…`, as release archives
//! do) that folder is left out of the comparison if that lines the versions up better.

use std::collections::BTreeSet;

use crate::finding::{fingerprint_all, Finding};
use crate::scan::ScanResult;

/// Keeps the findings of `new` whose (rule, fingerprint) is absent from `old`; returns how many
/// were dropped. Fingerprints count repeated occurrences, so a second copy of an old finding in
/// the same file is new.
pub fn keep_new(old: &ScanResult, new: &mut ScanResult) -> usize {
    keep_new_in(old, "", new, "")
}

/// [`keep_new`] for versions whose reported paths start with `old_prefix` / `new_prefix` (an
/// archive's `name.zip!/`, or empty for a folder): the prefixes, and a top folder that all of an
/// archive's findings share, are not part of the comparison. Of the ways to line the versions up
/// (with or without each archive's top folder) the one that matches most findings is used.
pub fn keep_new_in(
    old: &ScanResult,
    old_prefix: &str,
    new: &mut ScanResult,
    new_prefix: &str,
) -> usize {
    let old_wrapper = wrapper(&old.findings, old_prefix);
    let new_wrapper = wrapper(&new.findings, new_prefix);
    let mut best: Option<(usize, Vec<bool>)> = None;
    for (strip_old, strip_new) in [(false, false), (false, true), (true, false), (true, true)] {
        if (strip_old && old_wrapper.is_none()) || (strip_new && new_wrapper.is_none()) {
            continue;
        }
        let old_keys = keys(
            &old.findings,
            old_prefix,
            old_wrapper.as_deref().filter(|_| strip_old),
        );
        let seen: BTreeSet<&(String, String)> = old_keys.iter().collect();
        let new_keys = keys(
            &new.findings,
            new_prefix,
            new_wrapper.as_deref().filter(|_| strip_new),
        );
        let matched: Vec<bool> = new_keys.iter().map(|k| seen.contains(k)).collect();
        let count = matched.iter().filter(|m| **m).count();
        if best.as_ref().is_none_or(|(c, _)| count > *c) {
            best = Some((count, matched));
        }
    }
    let Some((dropped, matched)) = best else {
        return 0;
    };
    let mut i = 0;
    new.findings.retain(|_| {
        let keep = !matched[i];
        i += 1;
        keep
    });
    dropped
}

/// The path of a finding inside its version: `prefix` removed (when present).
fn inside<'a>(path: &'a str, prefix: &str) -> &'a str {
    path.strip_prefix(prefix).unwrap_or(path)
}

/// For an archive (`prefix` not empty): the top folder (`name/`) all findings lie in, if any.
fn wrapper(findings: &[Finding], prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return None;
    }
    let mut top: Option<&str> = None;
    for f in findings {
        let path = inside(&f.location.path, prefix);
        let (first, _) = path.split_once('/')?;
        match top {
            None => top = Some(first),
            Some(t) if t == first => {}
            Some(_) => return None,
        }
    }
    top.map(|t| format!("{t}/"))
}

/// (rule, fingerprint) of each finding with its path as compared: fingerprints are computed
/// again over the path inside the version, occurrence counts included.
fn keys(findings: &[Finding], prefix: &str, wrapper: Option<&str>) -> Vec<(String, String)> {
    let mut copies: Vec<Finding> = findings.to_vec();
    for f in &mut copies {
        let path = inside(&f.location.path, prefix);
        let path = wrapper
            .and_then(|w| path.strip_prefix(w))
            .unwrap_or(path)
            .to_string();
        f.location.path = path;
    }
    // Paths are only shortened by common parts, so each file's findings keep their order.
    fingerprint_all(&mut copies);
    copies
        .into_iter()
        .map(|f| (f.rule_id, f.fingerprint))
        .collect()
}

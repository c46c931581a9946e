//! Baselines: the fingerprints of findings that were accepted at some point. `--write-baseline`
//! records the current findings; `--baseline` reports only findings not recorded. Fingerprints do
//! not contain line numbers (see `crate::finding`), so edits elsewhere in a file keep them.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::scan::ScanResult;

/// The file format: a JSON document with entries sorted by path, rule and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// For people reading the file; matching uses `rule_id` and `fingerprint`.
    pub path: String,
    pub rule_id: String,
    pub fingerprint: String,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let entries: BTreeSet<Entry> = findings
            .iter()
            .map(|f| Entry {
                path: f.location.path.clone(),
                rule_id: f.rule_id.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        Baseline {
            version: 1,
            tool: "skimlint".into(),
            findings: entries.into_iter().collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_json())
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a skimlint baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if b.version != 1 {
            return Err(format!(
                "{}: baseline version {} is not supported (expected 1)",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }

    /// Removes the findings recorded in the baseline; returns how many were removed.
    pub fn filter(&self, result: &mut ScanResult) -> usize {
        let known: BTreeSet<(&str, &str)> = self
            .findings
            .iter()
            .map(|e| (e.rule_id.as_str(), e.fingerprint.as_str()))
            .collect();
        let before = result.findings.len();
        result
            .findings
            .retain(|f| !known.contains(&(f.rule_id.as_str(), f.fingerprint.as_str())));
        before - result.findings.len()
    }
}

//! The finding model every stage after the engine shares: `Finding` (built by one
//! constructor), its `Location`s, the decoded `Layer`s it was found under, `FileProblem`, the
//! report order and the fingerprints.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::input::source::Position;
use crate::rules::Severity;

/// One decoding step on the way to a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    /// Decoders applied to the outer literal, innermost first.
    pub decoders: Vec<String>,
    /// What the decoded text was scanned as: `javascript`, `php` or `markup`.
    pub scanned_as: String,
    /// Where, in the decoded text, the next layer or the finding is (1-based).
    pub position: Position,
    /// That line of the decoded text, shortened.
    pub excerpt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated (`archive.zip!/member` for archive members).
    pub path: String,
    pub start: Position,
    pub end: Position,
    /// Byte offsets in the file (for excerpts).
    #[serde(skip)]
    pub bytes: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// The source line of the primary location, trimmed and shortened.
    pub snippet: String,
    /// Decoded layers between the file and the finding, outermost first.
    pub layers: Vec<Layer>,
    pub related: Vec<Related>,
    /// Stable across runs and machines: rule, path, the normalised line text, layer excerpts, and
    /// the occurrence count of that combination in the file. Line numbers are not part of it,
    /// so unrelated edits above a finding do not change it.
    pub fingerprint: String,
    /// GitHub's `primaryLocationLineHash`: hash of the line content plus occurrence index.
    #[serde(skip)]
    pub line_hash: String,
}

/// A file that could not be scanned, or was scanned only in part.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileProblem {
    pub path: String,
    pub message: String,
}

/// The report order: path, position, rule, message.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.start, &a.rule_id, &a.message).cmp(&(
            &b.location.path,
            b.location.start,
            &b.rule_id,
            &b.message,
        ))
    });
}

/// Assigns fingerprints; `findings` must already be in their final (sorted) order.
pub fn fingerprint_all(findings: &mut [Finding]) {
    let mut seen: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let mut seen_line: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for f in findings.iter_mut() {
        let normalised: String = f.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        let layers: Vec<&str> = f.layers.iter().map(|l| l.excerpt.as_str()).collect();
        let key = hex(&Sha256::digest(format!(
            "{}\n{}\n{}\n{}",
            f.rule_id,
            f.location.path,
            normalised,
            layers.join("\n")
        )));
        let n = seen
            .entry((f.location.path.clone(), key.clone()))
            .or_insert(0);
        f.fingerprint = format!("{}:{}", &key[..32], n);
        *n += 1;
        let line_key = hex(&Sha256::digest(normalised.as_bytes()));
        let m = seen_line
            .entry((f.location.path.clone(), line_key.clone()))
            .or_insert(0);
        f.line_hash = format!("{}:{}", &line_key[..16], *m + 1);
        *m += 1;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

impl Finding {
    /// The one constructor: no decoded layers, no related locations, fingerprints assigned
    /// later by [`fingerprint_all`]. `snippet` is the primary line as [`snippet`] shortens it
    /// (or a stand-in for findings about a whole file, or the snippet of a cached finding).
    pub fn new(
        rule_id: impl Into<String>,
        severity: Severity,
        message: String,
        location: Location,
        snippet: String,
    ) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            severity,
            message,
            location,
            snippet,
            layers: Vec::new(),
            related: Vec::new(),
            fingerprint: String::new(),
            line_hash: String::new(),
        }
    }

    /// The decoded layers between the file and the finding, outermost first.
    pub fn with_layers(mut self, layers: Vec<Layer>) -> Finding {
        self.layers = layers;
        self
    }

    /// Other locations that explain the finding.
    pub fn with_related(mut self, related: Vec<Related>) -> Finding {
        self.related = related;
        self
    }
}

/// Longest snippet kept, in characters (a longer one keeps one less and ends in `…`).
const SNIPPET_CHARS: usize = 200;

/// A finding's snippet from its source line: trimmed, control characters but tab as spaces, at
/// most [`SNIPPET_CHARS`] characters. Snippets feed fingerprints: changing this changes them.
pub fn snippet(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let clean: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect();
    if clean.chars().count() > SNIPPET_CHARS {
        let mut cut: String = clean.chars().take(SNIPPET_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        clean
    }
}

/// A file that could not be scanned, or was scanned only in part (defined in `input::source`).
pub use crate::input::source::FileProblem;

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

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn snippets_are_trimmed_cleaned_and_shortened() {
        assert_eq!(snippet(b"  a\tb\x1bc \r"), "a\tb c");
        let long = "x".repeat(300);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), 200);
        assert!(s.ends_with("x…"));
        assert_eq!(snippet("é".repeat(200).as_bytes()), "é".repeat(200));
        assert_eq!(snippet(b"\xff ok"), "\u{fffd} ok");
    }
}

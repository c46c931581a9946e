//! The rule file format (one TOML file per rule). See docs/rules.md for the reference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Feeds composites and flows only; never reported on its own.
    Signal,
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Signal => "signal",
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    #[default]
    High,
    Medium,
    Low,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

/// What a rule's query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Javascript,
    Php,
    /// The address of every `<script src=…>` in markup (templates, decoded payloads). Such a rule
    /// has no query; its `[where.src]` constraints apply to the URL.
    #[serde(rename = "script-src")]
    ScriptSrc,
    /// The address of every script JavaScript loads at run time: a created `<script>` element's
    /// `src`, `getScript`, `import()`, workers, and `<script src>` in markup that JavaScript
    /// writes into the page. No query; `[where.src]` applies to the URL.
    #[serde(rename = "injected-src")]
    InjectedSrc,
    /// Each directive line of an `.htaccess` / `.user.ini` file; `[where.line]` applies to it.
    Htaccess,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFile {
    pub id: String,
    pub severity: Severity,
    #[serde(default)]
    pub precision: Precision,
    /// CVSS-like 0.0–10.0 score GitHub code scanning shows.
    pub security_severity: Option<f64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub cwe: Vec<String>,
    #[serde(default)]
    pub languages: Vec<Target>,
    pub summary: String,
    /// Shown per finding; `{capture}`, `{capture.value}`, `{capture.callee}`,
    /// `{capture.decoders}` are replaced.
    pub message: String,
    /// Markdown: what it is, why attackers do it, how to confirm, how to fix.
    pub help: String,
    /// A tree-sitter query (standard predicates honoured).
    pub query: Option<String>,
    /// The capture whose node is reported; defaults to the capture spanning the most text.
    pub report: Option<String>,
    /// Constraints on captures, by capture name.
    #[serde(default, rename = "where")]
    pub constraints: BTreeMap<String, Constraint>,
    /// A composite over other rules' matches in the same file.
    pub composite: Option<Composite>,
    /// What the byte-level prefilter needs to see before this rule can match a file that shows
    /// no obfuscation: every group must have at least one of its atoms in the file's bytes
    /// (ASCII case-insensitive; `@card-field` stands for the card-field vocabulary,
    /// `@text-before-code` for "the file does not start with `<?`"). Absent:
    /// the rule may match any file. Composites need their signals' atoms instead.
    #[serde(default)]
    pub atoms: Vec<AtomGroup>,
    #[serde(default, rename = "case")]
    pub cases: Vec<Case>,
}

impl RuleFile {
    /// Metadata of a rule skimlint reports itself, outside the rule engine (suppressions,
    /// integrity): no query, no cases; callers set precision, tags and scores.
    pub fn outside_engine(id: &str, severity: Severity, summary: &str, help: &str) -> Self {
        RuleFile {
            id: id.to_string(),
            severity,
            precision: Precision::VeryHigh,
            security_severity: None,
            tags: Vec::new(),
            cwe: Vec::new(),
            languages: Vec::new(),
            summary: summary.to_string(),
            message: summary.to_string(),
            help: help.to_string(),
            query: None,
            report: None,
            constraints: std::collections::BTreeMap::new(),
            composite: None,
            atoms: Vec::new(),
            cases: Vec::new(),
        }
    }
}

/// One prefilter group: a single atom or a list of alternatives.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum AtomGroup {
    One(String),
    AnyOf(Vec<String>),
}

impl AtomGroup {
    pub fn atoms(&self) -> &[String] {
        match self {
            AtomGroup::One(a) => std::slice::from_ref(a),
            AtomGroup::AnyOf(list) => list,
        }
    }
}

/// Predicates on one capture. All given predicates must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Constraint {
    // On source text.
    pub regex: Option<String>,
    pub not_regex: Option<String>,
    pub any_of: Option<Vec<String>>,
    pub min_length: Option<usize>,
    pub entropy_above: Option<f64>,
    // On meaning.
    /// Regex on the folded value (fails when the value cannot be folded).
    pub value_regex: Option<String>,
    /// Regex the folded value must not match (holds when the value cannot be folded).
    pub value_not_regex: Option<String>,
    /// Canonical callee names (`*` wildcards allowed): `eval`, `document.write`, `$().on`.
    pub resolves_to: Option<Vec<String>>,
    pub not_resolves_to: Option<Vec<String>>,
    /// The folded value went through one of these decoders.
    pub decoded_by: Option<Vec<String>>,
    /// The folded value went through at least one decoder (true) or none (false).
    pub decoded: Option<bool>,
    /// The folded value (or the source text) names a payment-card field.
    pub card_field: Option<bool>,
    /// The folded value is a URL whose host is one of: `relative`, `trusted`, `known-bad`,
    /// `lookalike`, `foreign` (see src/hosts.rs and rules/vocabulary/).
    pub host: Option<Vec<String>>,
    /// The capture's node contains a match of one of these (signal) rules.
    pub contains: Option<Vec<String>>,
    pub not_contains: Option<Vec<String>>,
    /// Data from a match of one of these rules reaches the capture: directly, or through
    /// variables assigned from it (flow inside the unit).
    pub tainted_by: Option<Vec<String>>,
    /// Matches of these rules stop the flow of `tainted-by` (escaping, casts, validation).
    pub sanitized_by: Option<Vec<String>>,
    /// The capture's node is exactly a match of one of these rules.
    pub is: Option<Vec<String>>,
    /// The capture's node lies inside a match of one of these rules.
    pub inside: Option<Vec<String>>,
    pub not_inside: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Composite {
    /// Every one of these rules must match in the file.
    #[serde(default)]
    pub all: Vec<String>,
    /// At least `min-any` (default 1) of these must match.
    #[serde(default)]
    pub any: Vec<String>,
    pub min_any: Option<usize>,
    /// Not reported when one of these (more specific) rules already matched in the file.
    #[serde(default)]
    pub none: Vec<String>,
    /// Rules that must match at least this many times in the file (default once), e.g. a web
    /// shell probes several execution functions where ordinary code checks one.
    #[serde(default)]
    pub min_matches: std::collections::BTreeMap<String, usize>,
    /// Locality: the contributing matches (every `all` rule, at least `min-any` of `any`, each
    /// as often as `min-matches` asks) must start within this many bytes of each other, in one
    /// window chosen by a sliding search over the matches sorted by position. Bytes, not lines,
    /// because minified code is one line. Matches inside decoded payloads carry the position of
    /// their carrier literal, so a payload's matches are always local to each other. Without
    /// it, matches anywhere in the file count (big bundles concatenate unrelated modules whose
    /// ordinary behaviours then add up to a skimmer's). `none` still looks at the whole file.
    pub within: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Case {
    /// Code the rule must report.
    pub bad: Option<String>,
    /// Code the rule must not report.
    pub good: Option<String>,
    /// File name the case is scanned as (its extension picks the units); defaults by language.
    pub file: Option<String>,
    /// Why the case exists (shown on failure).
    pub note: Option<String>,
}

//! Running rules' own `[[case]]` examples: every `bad` case must make the rule match, every
//! `good` case must not. Used by the test suite and by `skimlint rules test`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine;
use crate::fold::{Budget, Limits};
use crate::rules::{Rule, RuleSet, Severity, Target};
use crate::units::{self, classify};

#[derive(Debug)]
pub struct CaseFailure {
    pub rule_id: String,
    pub case_index: usize,
    pub expected_match: bool,
    pub code: String,
    pub note: Option<String>,
    /// The bad case matches, but the byte-level prefilter would skip the file.
    pub skipped_by_prefilter: bool,
}

impl std::fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.skipped_by_prefilter {
            "bad case skipped by the prefilter (add an atom it holds)"
        } else if self.expected_match {
            "bad case not matched"
        } else {
            "good case matched"
        };
        write!(f, "{} case #{}: {what}", self.rule_id, self.case_index + 1)?;
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        write!(
            f,
            "\n    {}",
            self.code.lines().take(6).collect::<Vec<_>>().join("\n    ")
        )
    }
}

fn default_file(rule: &Rule) -> &'static str {
    match rule.meta.languages.first() {
        Some(Target::Php) => "case.php",
        _ => "case.js",
    }
}

/// Does `rule` match anywhere (including inside decoded payloads) when `code` is scanned as `file`?
pub fn rule_matches(rules: &RuleSet, rule_index: usize, file: &str, code: &str) -> bool {
    let bytes = Arc::new(code.as_bytes().to_vec());
    let kind = classify::classify(&PathBuf::from(file), &bytes);
    let file_units = units::extract(kind, &bytes);
    let budget = Budget::new(Limits::default());
    let scan = engine::scan_file(&file_units, rules, &budget);
    scan.hits.iter().any(|h| h.rule == rule_index)
}

/// Runs every case of every rule; returns the failures and the number of cases run.
pub fn run_cases(rules: &RuleSet) -> (Vec<CaseFailure>, usize) {
    let mut failures = Vec::new();
    let mut count = 0;
    let prefilter = rules.prefilter();
    for (ri, rule) in rules.rules.iter().enumerate() {
        for (ci, case) in rule.meta.cases.iter().enumerate() {
            let file = case
                .file
                .clone()
                .unwrap_or_else(|| default_file(rule).to_string());
            for (code, expected) in [(&case.bad, true), (&case.good, false)] {
                let Some(code) = code else { continue };
                count += 1;
                let matched = rule_matches(rules, ri, &file, code);
                let skipped = expected
                    && rule.severity() != Severity::Signal
                    && !prefilter.admits(ri, code.as_bytes());
                if matched != expected || skipped {
                    failures.push(CaseFailure {
                        rule_id: rule.meta.id.clone(),
                        case_index: ci,
                        expected_match: expected,
                        code: code.clone(),
                        note: case.note.clone(),
                        skipped_by_prefilter: matched == expected,
                    });
                }
            }
        }
    }
    (failures, count)
}

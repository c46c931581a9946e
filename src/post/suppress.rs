//! Inline suppressions: `skimlint-ignore RULE-ID[, RULE-ID…]: reason` in a comment of the file's
//! own language. A suppression silences findings of the named rules on its own line and on the
//! next line. A suppression without a reason (or naming no rule, or an unknown rule) is reported
//! as `skimlint/invalid-suppression`; one that silenced nothing as `skimlint/unused-suppression`.
//!
//! This is a pass over the findings of a finished scan. The directives were found during the
//! scan, from the bytes it read (`scan::directives`); no file is read again. The findings they
//! cover are dropped. Attackers can write suppressions too: `--no-ignores` skips this pass.

use crate::finding::{fingerprint_all, sort_findings, FileProblem, Finding, Location};
use crate::rules::schema::RuleFile;
use crate::rules::Severity;
use crate::scan::directives::MAX_DIRECTIVES_PER_FILE;
use crate::scan::ScanResult;

pub const INVALID: &str = "skimlint/invalid-suppression";
pub const UNUSED: &str = "skimlint/unused-suppression";

/// The rules skimlint itself reports (about suppressions, and the integrity rules of
/// known-good manifests), for SARIF descriptors, help lines and `skimlint rules explain`. They
/// are not in the rule set, so `skimlint-ignore` comments cannot name them.
pub fn meta_rules() -> Vec<RuleFile> {
    let rule = |id: &str, severity, summary: &str, help: &str| RuleFile {
        tags: vec!["maintainability".into(), "suppression".into()],
        ..RuleFile::outside_engine(id, severity, summary, help)
    };
    vec![
        rule(
            INVALID,
            Severity::Warning,
            "A skimlint-ignore comment is malformed and suppresses nothing",
            "A suppression must name the rules it silences and say why: \
             `// skimlint-ignore js/eval-of-decoded-string: vendor loader, reviewed 2024-05`.\n\n\
             Without a reason, naming no rule or naming an unknown rule, it silences nothing. \
             Fix the comment, or remove it.",
        ),
        rule(
            UNUSED,
            Severity::Note,
            "A skimlint-ignore comment silences no finding",
            "No finding of the named rule is on the suppression's line or the next line. The \
             code it excused has changed or moved; remove the comment so it cannot silence a \
             future finding by accident.\n\nReviewers: suppressions are text in the scanned \
             files, and attackers can write them too. Scan with `--no-ignores` to see every \
             finding.",
        ),
    ]
    .into_iter()
    .chain(crate::scan::manifest::meta_rules())
    .collect()
}

/// Drops the findings that suppressions cover and adds the meta-findings about suppressions,
/// from the directives the scan found (`result.directives`). Kept findings keep their
/// fingerprints.
pub fn apply(result: &mut ScanResult) {
    if result.directives.is_empty() {
        return;
    }
    let mut meta: Vec<Finding> = Vec::new();
    for file in &result.directives {
        let path = &file.path;
        if file.capped {
            result.problems.push(FileProblem {
                path: path.clone(),
                message: format!(
                    "more than {MAX_DIRECTIVES_PER_FILE} skimlint-ignore comments; the rest were not read"
                ),
            });
        }
        let mut used = vec![false; file.directives.len()];
        result.findings.retain(|f| {
            if f.location.path != *path {
                return true;
            }
            let line = f.location.start.line;
            let mut suppressed = false;
            for (i, d) in file.directives.iter().map(|l| &l.directive).enumerate() {
                if d.problem.is_none()
                    && (line == d.line || line == d.line + 1)
                    && d.rules.contains(&f.rule_id)
                {
                    used[i] = true;
                    suppressed = true;
                }
            }
            !suppressed
        });
        for (located, used) in file.directives.iter().zip(used) {
            let d = &located.directive;
            let (rule_id, severity, message) = match &d.problem {
                Some(p) => (INVALID, Severity::Warning, format!("suppression {p}")),
                None if !used => (
                    UNUSED,
                    Severity::Note,
                    format!(
                        "suppression of {} matches no finding on this line or the next",
                        d.rules
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                None => continue,
            };
            let location = Location {
                path: path.clone(),
                start: located.start,
                end: located.end,
                bytes: d.span.clone(),
            };
            let snippet = located.snippet.clone();
            meta.push(Finding::new(rule_id, severity, message, location, snippet));
        }
    }
    sort_findings(&mut meta);
    fingerprint_all(&mut meta);
    result.findings.extend(meta);
    sort_findings(&mut result.findings);
    result.problems.sort();
    result.problems.dedup();
}

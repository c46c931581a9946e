//! Annotated fixture files for `skimlint rules test DIR`: a comment `ruleid: RULE-ID` says the
//! next line must be flagged by RULE-ID, `ok: RULE-ID` says it must not be. Comments use the
//! host language's syntax (`// ruleid: x`, `# ruleid: x`, `/* ok: x */`, `<!-- ruleid: x -->`,
//! `{# ok: x #}`); several ids may be separated by commas, and consecutive annotation lines all
//! apply to the next line that is not an annotation.
//!
//! Files are scanned through the whole pipeline, so a fixture checks what users see. For every
//! rule a file annotates, a finding of that rule on a line without `ruleid:` also fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::fold::Limits;
use crate::input::source::SourceFile;
use crate::rules::{RuleSet, Severity};
use crate::scan::scan_source;

/// One `ruleid:` or `ok:` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// 1-based line of the comment.
    pub line: usize,
    /// 1-based line it applies to.
    pub target: usize,
    /// `ruleid:` (must be flagged) or `ok:` (must not be).
    pub expect_match: bool,
    pub rule_id: String,
}

/// A miss, an unexpected hit or an unusable annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedFailure {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for AnnotatedFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// The outcome of the annotated fixtures under a folder.
#[derive(Debug, Default)]
pub struct AnnotatedReport {
    /// Files with at least one annotation.
    pub files: usize,
    /// Checks made: one per annotation, plus one per unexpected finding.
    pub checks: usize,
    pub failures: Vec<AnnotatedFailure>,
}

static ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?://+|#+|/\*+|\*+|<!--|\{#|\{\{!(?:--)?|\{\*)\s*(ruleid|ok)\s*:\s*(.*?)\s*(?:\*+/|-->|#\}|(?:--)?\}\}|\*\})?\s*$",
    )
    .expect("annotation regex compiles")
});

/// The annotations of a file's text.
pub fn parse_annotations(text: &str) -> Vec<Annotation> {
    let lines: Vec<&str> = text.lines().collect();
    let parsed: Vec<Option<(bool, Vec<String>)>> = lines
        .iter()
        .map(|l| {
            let c = ANNOTATION.captures(l)?;
            let ids: Vec<String> = c[2]
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            Some((&c[1] == "ruleid", ids))
        })
        .collect();
    let mut out = Vec::new();
    for (i, p) in parsed.iter().enumerate() {
        let Some((expect_match, ids)) = p else {
            continue;
        };
        // The next line that is not itself an annotation.
        let target = (i + 1..lines.len())
            .find(|&j| parsed[j].is_none())
            .map_or(lines.len() + 1, |j| j + 1);
        for id in ids {
            out.push(Annotation {
                line: i + 1,
                target,
                expect_match: *expect_match,
                rule_id: id.clone(),
            });
        }
    }
    out
}

/// Checks one file's annotations against what scanning it reports. Returns the number of checks
/// and the failures; a file without annotations makes no checks.
pub fn check_file(
    display: &str,
    disk_path: &Path,
    bytes: Vec<u8>,
    rules: &RuleSet,
) -> (usize, Vec<AnnotatedFailure>) {
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let annotations = parse_annotations(&text);
    if annotations.is_empty() {
        return (0, Vec::new());
    }
    let file = SourceFile {
        display_path: display.to_string(),
        disk_path: disk_path.to_path_buf(),
        bytes: Arc::new(bytes),
    };
    let (findings, problems) = scan_source(&file, rules, &Limits::default());
    let fail = |line: usize, message: String| AnnotatedFailure {
        path: display.to_string(),
        line,
        message,
    };
    let mut failures = Vec::new();
    for p in &problems {
        failures.push(fail(1, format!("not fully scanned: {}", p.message)));
    }
    let mut checks = 0;
    let mut flagged: BTreeSet<(&str, usize)> = BTreeSet::new();
    let mut annotated_rules: BTreeSet<&str> = BTreeSet::new();
    for a in &annotations {
        checks += 1;
        let Some(rule) = rules.get(&a.rule_id) else {
            failures.push(fail(
                a.line,
                format!("unknown rule `{}` (see `skimlint rules list`)", a.rule_id),
            ));
            continue;
        };
        if rule.meta.severity == Severity::Signal {
            failures.push(fail(
                a.line,
                format!(
                    "`{}` is a signal and is never reported; annotate the rules that use it",
                    a.rule_id
                ),
            ));
            continue;
        }
        annotated_rules.insert(&a.rule_id);
        let on_line: Vec<_> = findings
            .iter()
            .filter(|f| f.rule_id == a.rule_id && f.location.start.line == a.target)
            .collect();
        if a.expect_match {
            flagged.insert((&a.rule_id, a.target));
            if on_line.is_empty() {
                failures.push(fail(
                    a.line,
                    format!(
                        "missed: `{}` should flag line {} but did not",
                        a.rule_id, a.target
                    ),
                ));
            }
        } else {
            flagged.insert((&a.rule_id, a.target));
            for f in on_line {
                failures.push(fail(
                    a.line,
                    format!(
                        "unexpected: `{}` flags line {} (annotated `ok`): {}",
                        a.rule_id, a.target, f.message
                    ),
                ));
            }
        }
    }
    for f in &findings {
        let line = f.location.start.line;
        if annotated_rules.contains(f.rule_id.as_str())
            && !flagged.contains(&(f.rule_id.as_str(), line))
        {
            checks += 1;
            failures.push(fail(
                line,
                format!(
                    "unexpected: `{}` flags line {line}, which has no `ruleid: {}` annotation: {}",
                    f.rule_id, f.rule_id, f.message
                ),
            ));
        }
    }
    (checks, failures)
}

/// Every annotated file under `dir` (rule files, `*.toml`, excluded), in path order.
pub fn run_dir(dir: &Path, rules: &RuleSet) -> AnnotatedReport {
    let mut report = AnnotatedReport::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            let p = e.path();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() && p.extension().is_none_or(|x| x != "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let display = p.to_string_lossy().replace('\\', "/");
        let bytes = match std::fs::metadata(&p) {
            Ok(m) if m.len() <= Limits::default().max_file_bytes => match std::fs::read(&p) {
                Ok(b) => b,
                Err(_) => continue,
            },
            _ => continue,
        };
        let (checks, failures) = check_file(&display, &p, bytes, rules);
        if checks > 0 {
            report.files += 1;
            report.checks += checks;
            report.failures.extend(failures);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_in_every_comment_syntax_apply_to_the_next_code_line() {
        let text = "// ruleid: js/a\nx();\n# ok: php/b, php/c\n<!-- ruleid: html/d -->\ny();\n\
                    /* ok: js/e */\n{# ruleid: t/f #}\nz\n// not an annotation: ruleid js/g\n";
        let a = parse_annotations(text);
        let got: Vec<(usize, usize, bool, &str)> = a
            .iter()
            .map(|a| (a.line, a.target, a.expect_match, a.rule_id.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 2, true, "js/a"),
                (3, 5, false, "php/b"),
                (3, 5, false, "php/c"),
                (4, 5, true, "html/d"),
                (6, 8, false, "js/e"),
                (7, 8, true, "t/f"),
            ]
        );
    }
}

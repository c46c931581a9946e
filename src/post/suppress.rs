//! Inline suppressions: `skimlint-ignore RULE-ID[, RULE-ID…]: reason` in a comment of the file's
//! own language. A suppression silences findings of the named rules on its own line and on the
//! next line. A suppression without a reason (or naming no rule, or an unknown rule) is reported
//! as `skimlint/invalid-suppression`; one that silenced nothing as `skimlint/unused-suppression`.
//!
//! This is a pass over the findings of a finished scan: every scanned file is read again, its
//! comments are found lexically (no parse), and the findings they cover are dropped. Attackers
//! can write suppressions too: `--no-ignores` skips this pass.

use std::collections::BTreeMap;
use std::ops::Range;

use memchr::memmem;
use rayon::prelude::*;

use crate::finding::{fingerprint_all, sort_findings, FileProblem, Finding, Location};
use crate::input::source::{utf16_len, LineIndex, Position};
use crate::rules::schema::RuleFile;
use crate::rules::{RuleSet, Severity};
use crate::scan::ScanResult;
use crate::units::template::Dialect;
use crate::units::{classify, FileKind};

pub const INVALID: &str = "skimlint/invalid-suppression";
pub const UNUSED: &str = "skimlint/unused-suppression";

const TOKEN: &[u8] = b"skimlint-ignore";
/// How much text after the token a directive may span.
const MAX_DIRECTIVE_BYTES: usize = 1024;
/// Directives read per file; a file with more gets a problem report.
const MAX_DIRECTIVES_PER_FILE: usize = 1000;

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

/// One `skimlint-ignore` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the `skimlint-ignore` token.
    pub line: usize,
    /// Bytes from the comment opener to the end of the directive.
    pub span: Range<usize>,
    pub rules: Vec<String>,
    pub reason: String,
    /// Why the directive is invalid (then it suppresses nothing).
    pub problem: Option<String>,
}

/// Comment openers (with their closers) in which a directive is recognised, longest first.
fn comment_syntax(kind: FileKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        FileKind::Javascript => &[("//", ""), ("/*", "*/")],
        FileKind::ServerConfig => &[("#", ""), (";", "")],
        FileKind::Php | FileKind::PhpFragment | FileKind::Markup(Dialect::Php) => {
            &[("<!--", "-->"), ("//", ""), ("/*", "*/"), ("#", "")]
        }
        FileKind::Markup(Dialect::Twig) => {
            &[("<!--", "-->"), ("{#", "#}"), ("//", ""), ("/*", "*/")]
        }
        FileKind::Markup(Dialect::Smarty) => {
            &[("<!--", "-->"), ("{*", "*}"), ("//", ""), ("/*", "*/")]
        }
        FileKind::Markup(Dialect::Handlebars) => &[
            ("{{!--", "--}}"),
            ("<!--", "-->"),
            ("{{!", "}}"),
            ("//", ""),
            ("/*", "*/"),
        ],
        FileKind::Markup(Dialect::Ejs) => {
            &[("<!--", "-->"), ("<%#", "%>"), ("//", ""), ("/*", "*/")]
        }
        FileKind::Markup(Dialect::Liquid) => &[
            ("<!--", "-->"),
            ("{% #", "%}"),
            ("{%#", "%}"),
            ("//", ""),
            ("/*", "*/"),
        ],
        FileKind::Markup(Dialect::Html | Dialect::Escaped) => {
            &[("<!--", "-->"), ("//", ""), ("/*", "*/")]
        }
        FileKind::Skip => &[],
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// The comment opener right before `at` (only spaces between), with its closer.
fn opener_before(
    text: &[u8],
    line_start: usize,
    at: usize,
    syntax: &[(&'static str, &'static str)],
) -> Option<(usize, &'static str)> {
    let mut end = at;
    while end > line_start && is_ws(text[end - 1]) {
        end -= 1;
    }
    let before = &text[line_start..end];
    for (open, close) in syntax {
        if before.ends_with(open.as_bytes()) {
            return Some((end - open.len(), close));
        }
        // `/** skimlint-ignore …` is a block comment too.
        if *open == "/*" {
            let stars = before.iter().rev().take_while(|&&b| b == b'*').count();
            if stars > 1 && before[..before.len() - stars].ends_with(b"/") {
                return Some((end - stars - 1, close));
            }
        }
    }
    None
}

fn valid_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
}

/// Whether a file's bytes may hold a directive (the scan leaves files without one out of
/// `ScanResult::files`, so this pass does not read them again).
pub fn may_have_directives(bytes: &[u8]) -> bool {
    memmem::find(bytes, TOKEN).is_some()
}

/// Finds the directives in a file of the given kind. `known` says whether a rule id exists.
/// Linear in the file size; the number of directives is capped (the bool says it was hit).
pub fn directives(
    kind: FileKind,
    text: &[u8],
    known: &dyn Fn(&str) -> bool,
) -> (Vec<Directive>, bool) {
    let syntax = comment_syntax(kind);
    let mut out = Vec::new();
    if syntax.is_empty() {
        return (out, false);
    }
    // Line bookkeeping is incremental so that many tokens on one huge line stay linear.
    let (mut cursor, mut line, mut line_start) = (0usize, 1usize, 0usize);
    for at in memmem::find_iter(text, TOKEN) {
        let chunk = &text[cursor..at];
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            line += memchr::memchr_iter(b'\n', chunk).count();
            line_start = cursor + i + 1;
        }
        cursor = at;
        let after = at + TOKEN.len();
        // `skimlint-ignored`, `skimlint-ignore-file`: not this directive.
        if text
            .get(after)
            .is_some_and(|&b| !(is_ws(b) || b == b':' || b == b'\r' || b == b'\n'))
        {
            continue;
        }
        let Some((open_at, close)) = opener_before(text, line_start, at, syntax) else {
            continue;
        };
        if out.len() == MAX_DIRECTIVES_PER_FILE {
            return (out, true);
        }
        let mut window_end = (after + MAX_DIRECTIVE_BYTES).min(text.len());
        // Never cut a UTF-8 sequence.
        while window_end > after && window_end < text.len() && text[window_end] & 0xC0 == 0x80 {
            window_end -= 1;
        }
        let line_end =
            memchr::memchr(b'\n', &text[after..window_end]).map_or(window_end, |i| after + i);
        let mut body_end = line_end;
        if !close.is_empty() {
            if let Some(i) = memmem::find(&text[after..line_end], close.as_bytes()) {
                body_end = after + i;
            }
        }
        let end = if body_end < line_end && !close.is_empty() {
            body_end + close.len()
        } else {
            line_end
        };
        let body = String::from_utf8_lossy(&text[after..body_end]);
        let body = body.trim_end_matches('\r');
        let (ids_part, reason) = match body.split_once(':') {
            Some((ids, reason)) => (ids, reason.trim().to_string()),
            None => (body, String::new()),
        };
        let rules: Vec<String> = ids_part
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let problem = if rules.is_empty() {
            Some("names no rule: write `skimlint-ignore RULE-ID: reason`".to_string())
        } else if let Some(bad) = rules.iter().find(|r| !valid_rule_id(r) || !known(r)) {
            Some(format!(
                "names `{bad}`, which is not a rule (see `skimlint rules list`)"
            ))
        } else if reason.is_empty() {
            Some(format!(
                "gives no reason: write `skimlint-ignore {}: why this is safe`",
                rules.join(", ")
            ))
        } else {
            None
        };
        out.push(Directive {
            line,
            span: open_at..end.max(open_at),
            rules,
            reason,
            problem,
        });
    }
    (out, false)
}

/// Positions of ascending byte offsets, computed in one pass over the text (a column is not
/// recounted from the start of its line for every offset).
fn positions(text: &[u8], offsets: &[usize]) -> Vec<Position> {
    let (mut cursor, mut line, mut column) = (0usize, 1usize, 1usize);
    offsets
        .iter()
        .map(|&o| {
            let o = o.min(text.len()).max(cursor);
            let chunk = &text[cursor..o];
            match memchr::memrchr(b'\n', chunk) {
                Some(i) => {
                    line += memchr::memchr_iter(b'\n', chunk).count();
                    column = utf16_len(&chunk[i + 1..]) + 1;
                }
                None => column += utf16_len(chunk),
            }
            cursor = o;
            Position { line, column }
        })
        .collect()
}

/// Drops the findings that suppressions cover and adds the meta-findings about suppressions.
/// Files are read again from disk (`result.files`); a file that cannot be read keeps its
/// findings. Kept findings keep their fingerprints.
pub fn apply(result: &mut ScanResult, rules: &RuleSet, max_file_bytes: u64) {
    let known = |id: &str| {
        rules
            .get(id)
            .is_some_and(|r| r.meta.severity != Severity::Signal)
    };
    let per_file: Vec<(String, Vec<Directive>, Vec<u8>, bool)> = result
        .files
        .par_iter()
        .filter_map(|c| {
            // The scan's safe reader: a FIFO or symlink swapped in since is never opened.
            let bytes = match crate::input::read::read_regular_file(&c.disk_path, max_file_bytes) {
                Ok(crate::input::read::ReadOutcome::Bytes(b)) => b,
                _ => return None,
            };
            memmem::find(&bytes, TOKEN)?;
            let kind = classify(&c.disk_path, &bytes);
            let (found, capped) = directives(kind, &bytes, &known);
            (!found.is_empty()).then(|| (c.display_path.clone(), found, bytes, capped))
        })
        .collect();
    if per_file.is_empty() {
        return;
    }
    let mut meta: Vec<Finding> = Vec::new();
    for (path, found, bytes, capped) in per_file {
        if capped {
            result.problems.push(FileProblem {
                path: path.clone(),
                message: format!(
                    "more than {MAX_DIRECTIVES_PER_FILE} skimlint-ignore comments; the rest were not read"
                ),
            });
        }
        let mut used = vec![false; found.len()];
        result.findings.retain(|f| {
            if f.location.path != path {
                return true;
            }
            let line = f.location.start.line;
            let mut suppressed = false;
            for (i, d) in found.iter().enumerate() {
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
        let index = LineIndex::new(&bytes);
        let mut offsets: Vec<usize> = found
            .iter()
            .flat_map(|d| [d.span.start, d.span.end])
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let at: BTreeMap<usize, Position> = offsets
            .iter()
            .copied()
            .zip(positions(&bytes, &offsets))
            .collect();
        for (d, used) in found.iter().zip(used) {
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
            let start = at[&d.span.start];
            // The shared shortening (before: tabs became spaces and long lines were cut
            // at 200 characters without `…`).
            let snippet = crate::finding::snippet(index.line_text(&bytes, start.line));
            let location = Location {
                path: path.clone(),
                start,
                end: at[&d.span.end],
                bytes: d.span.clone(),
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> bool {
        matches!(id, "js/a" | "js/b" | "php/c")
    }

    fn parse(kind: FileKind, text: &str) -> Vec<Directive> {
        directives(kind, text.as_bytes(), &known).0
    }

    #[test]
    fn each_language_uses_its_own_comment_syntax() {
        let js = "x();\n// skimlint-ignore js/a: vendor code\n/** skimlint-ignore js/a, js/b: ok */ y();\n";
        let d = parse(FileKind::Javascript, js);
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].line, d[0].rules.clone(), d[0].reason.as_str()),
            (2, vec!["js/a".to_string()], "vendor code")
        );
        assert_eq!(d[1].rules, vec!["js/a", "js/b"]);
        assert_eq!(d[1].reason, "ok");
        assert_eq!(
            &js[d[1].span.clone()],
            "/** skimlint-ignore js/a, js/b: ok */"
        );
        // `#` is not a JavaScript comment.
        assert!(parse(FileKind::Javascript, "# skimlint-ignore js/a: x").is_empty());

        let php = "<?php\n# skimlint-ignore php/c: a\n// skimlint-ignore php/c: b\n/* skimlint-ignore php/c: c */\n?><!-- skimlint-ignore js/a: d -->\n";
        let reasons: Vec<String> = parse(FileKind::Php, php)
            .into_iter()
            .map(|d| d.reason)
            .collect();
        assert_eq!(reasons, vec!["a", "b", "c", "d"]);

        let html = "<!-- skimlint-ignore js/a: tracking pixel -->\n<script>\n// skimlint-ignore js/b: inline\n</script>";
        let d = parse(FileKind::Markup(Dialect::Html), html);
        assert_eq!(d.iter().map(|d| d.line).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(d[0].reason, "tracking pixel");
        assert!(parse(
            FileKind::Markup(Dialect::Html),
            "{# skimlint-ignore js/a: x #}"
        )
        .is_empty());

        let twig = "{# skimlint-ignore js/a: payment widget #}\n";
        let d = parse(FileKind::Markup(Dialect::Twig), twig);
        assert_eq!(d[0].reason, "payment widget");
        assert_eq!(
            &twig[d[0].span.clone()],
            "{# skimlint-ignore js/a: payment widget #}"
        );
    }

    #[test]
    fn malformed_directives_say_why() {
        let d = parse(FileKind::Javascript, "// skimlint-ignore js/a\n// skimlint-ignore js/a:   \n// skimlint-ignore: because\n// skimlint-ignore js/zzz: x\n// skimlint-ignore js/skimlint/unused-suppression: x");
        let problems: Vec<&str> = d.iter().map(|d| d.problem.as_deref().unwrap()).collect();
        assert!(problems[0].contains("no reason"));
        assert!(problems[1].contains("no reason"));
        assert!(problems[2].contains("no rule"));
        assert!(problems[3].contains("`js/zzz`"));
        assert!(problems[4].contains("not a rule"));
    }

    #[test]
    fn prose_and_longer_words_are_not_directives() {
        for text in [
            "// see the skimlint-ignore docs: x",
            "var s = 'skimlint-ignore js/a: x';",
            "// skimlint-ignored js/a: x",
            "// skimlint-ignore-file js/a: x",
        ] {
            assert!(parse(FileKind::Javascript, text).is_empty(), "{text}");
        }
    }

    #[test]
    fn hostile_input_stays_linear_and_capped() {
        let line = "/*skimlint-ignore js/a".repeat(200_000);
        let start = std::time::Instant::now();
        let (d, capped) = directives(FileKind::Javascript, line.as_bytes(), &known);
        assert!(capped);
        assert_eq!(d.len(), MAX_DIRECTIVES_PER_FILE);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // Invalid UTF-8 and a token at the very end.
        let (d, _) = directives(FileKind::Javascript, b"\xff\xfe// skimlint-ignore", &known);
        assert_eq!(d.len(), 1);
        assert!(d[0].problem.is_some());
    }

    #[test]
    fn incremental_positions_agree_with_the_line_index() {
        let text = "a€b\r\n\n  x𝄞y z\nlast".as_bytes();
        let offsets: Vec<usize> = (0..=text.len())
            .filter(|&i| i == text.len() || text[i] & 0xC0 != 0x80)
            .collect();
        let index = LineIndex::new(text);
        let expected: Vec<Position> = offsets.iter().map(|&o| index.position(text, o)).collect();
        assert_eq!(positions(text, &offsets), expected);
    }
}

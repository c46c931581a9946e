//! `skimlint-ignore RULE-ID[, RULE-ID…]: reason` directives, found lexically (no parse) in the
//! comments of the file's own language while the file is scanned, from the bytes the scan read:
//! the suppression pass (`post::suppress`) works from what is found here and never reads the
//! file again. Files expanded from archives are not looked at (suppressions are not read from
//! archive members).

use std::ops::Range;
use std::path::Path;

use memchr::memmem;

use crate::input::source::{utf16_len, LineIndex, Position};
use crate::rules::{RuleSet, Severity};
use crate::units::template::Dialect;
use crate::units::{classify, FileKind};

const TOKEN: &[u8] = b"skimlint-ignore";
/// How much text after the token a directive may span.
const MAX_DIRECTIVE_BYTES: usize = 1024;
/// Directives read per file; a file with more gets a problem report.
pub const MAX_DIRECTIVES_PER_FILE: usize = 1000;

/// A file's directives, each with its place, for the suppression pass.
#[derive(Debug, Clone)]
pub struct FileDirectives {
    /// The file's display path.
    pub path: String,
    pub directives: Vec<Located>,
    /// More than [`MAX_DIRECTIVES_PER_FILE`]: the rest were not read.
    pub capped: bool,
}

/// A directive with its positions and its line's snippet (`finding::snippet`).
#[derive(Debug, Clone)]
pub struct Located {
    pub directive: Directive,
    pub start: Position,
    pub end: Position,
    pub snippet: String,
}

/// The directives of a file read by the scan (`bytes` as read, `disk_path` for its kind):
/// `None` when it has none. A directive naming a rule that is not in `rules` (or a signal) is
/// invalid.
pub fn find(path: &str, disk_path: &Path, bytes: &[u8], rules: &RuleSet) -> Option<FileDirectives> {
    memmem::find(bytes, TOKEN)?;
    let known = |id: &str| {
        rules
            .get(id)
            .is_some_and(|r| r.meta.severity != Severity::Signal)
    };
    let kind = classify(disk_path, bytes);
    let (found, capped) = directives(kind, bytes, &known);
    if found.is_empty() {
        return None;
    }
    let index = LineIndex::new(bytes);
    let mut offsets: Vec<usize> = found
        .iter()
        .flat_map(|d| [d.span.start, d.span.end])
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let at: std::collections::BTreeMap<usize, Position> = offsets
        .iter()
        .copied()
        .zip(positions(bytes, &offsets))
        .collect();
    let directives = found
        .into_iter()
        .map(|d| {
            let start = at[&d.span.start];
            Located {
                start,
                end: at[&d.span.end],
                snippet: crate::finding::snippet(index.line_text(bytes, start.line)),
                directive: d,
            }
        })
        .collect();
    Some(FileDirectives {
        path: path.to_string(),
        directives,
        capped,
    })
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

/// Whether a file's bytes may hold a directive.
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

//! The `html` format: one self-contained page for reviewers. Findings grouped by file and
//! severity, with source excerpts, decoded layers and the rules' help. No scripts, no external
//! resources (a Content-Security-Policy forbids them), and everything that comes from scanned
//! files is HTML-escaped.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use super::summary::archive_rows;
use crate::finding::Finding;
use crate::rules::{RuleSet, Severity};
use crate::scan::ScanResult;

/// Escapes text for HTML element content and attribute values. Control characters other than
/// tab and newline become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// An `id` attribute value made of `[a-z0-9-]` only.
fn anchor(prefix: &str, s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{body}")
}

/// Inline markdown: `code`, **strong**, [text](url) (shown as text and address, no link).
fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                out.push_str(&format!("<code>{}</code>", escape(&after[..end])));
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**") {
                out.push_str(&format!("<strong>{}</strong>", inline(&after[..end])));
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some(close) = after.find("](") {
                if let Some(end) = after[close + 2..].find(')') {
                    let text = &after[..close];
                    let url = &after[close + 2..close + 2 + end];
                    out.push_str(&format!(
                        "{} (<span class=\"url\">{}</span>)",
                        inline(text),
                        escape(url)
                    ));
                    rest = &after[close + 3 + end..];
                    continue;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push_str(&escape(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A small, safe markdown subset: paragraphs, headings, `-`/`*`/`1.` lists, fenced code and the
/// inline forms of [`inline`]. Raw HTML is shown as text.
pub fn markdown(md: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    fn flush(out: &mut String, para: &mut Vec<&str>, list: &mut Vec<String>) {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", inline(&para.join(" "))));
            para.clear();
        }
        if !list.is_empty() {
            out.push_str("<ul>");
            for item in list.iter() {
                out.push_str(&format!("<li>{}</li>", inline(item)));
            }
            out.push_str("</ul>\n");
            list.clear();
        }
    }
    for line in md.lines() {
        let t = line.trim();
        if let Some(block) = code.as_mut() {
            if t.starts_with("```") {
                out.push_str(&format!(
                    "<pre class=\"code\">{}</pre>\n",
                    escape(&block.join("\n"))
                ));
                code = None;
            } else {
                block.push(line);
            }
            continue;
        }
        if t.starts_with("```") {
            flush(&mut out, &mut para, &mut list);
            code = Some(Vec::new());
            continue;
        }
        if t.is_empty() {
            flush(&mut out, &mut para, &mut list);
            continue;
        }
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
            flush(&mut out, &mut para, &mut list);
            let level = (hashes + 3).min(6);
            out.push_str(&format!(
                "<h{level}>{}</h{level}>\n",
                inline(t[hashes..].trim())
            ));
            continue;
        }
        let item = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .or_else(|| {
                let digits = t.chars().take_while(char::is_ascii_digit).count();
                (digits > 0)
                    .then(|| t[digits..].strip_prefix(". "))
                    .flatten()
            });
        match item {
            Some(item) => {
                if !para.is_empty() {
                    let mut none = Vec::new();
                    flush(&mut out, &mut para, &mut none);
                }
                list.push(item.to_string());
            }
            None if !list.is_empty() && line.starts_with(' ') => {
                // A continuation line of the last list item.
                if let Some(last) = list.last_mut() {
                    last.push(' ');
                    last.push_str(t);
                }
            }
            None => {
                if !list.is_empty() {
                    let mut none = Vec::new();
                    flush(&mut out, &mut none, &mut list);
                }
                para.push(t);
            }
        }
    }
    if let Some(block) = code {
        out.push_str(&format!(
            "<pre class=\"code\">{}</pre>\n",
            escape(&block.join("\n"))
        ));
    }
    flush(&mut out, &mut para, &mut list);
    out
}

/// Keeps at most `max` characters of `s`, from the start or (when `tail`) from the end.
fn clip(s: &str, max: usize, tail: bool) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if tail {
        let kept: String = s.chars().skip(n - max).collect();
        format!("…{kept}")
    } else {
        let kept: String = s.chars().take(max).collect();
        format!("{kept}…")
    }
}

/// Source lines around the finding, numbered, with the reported span marked.
fn excerpt(bytes: &[u8], f: &Finding) -> String {
    let mut starts = vec![0usize];
    starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
    let first = f.location.start.line.saturating_sub(2).max(1);
    let last = (f.location.end.line + 2)
        .min(starts.len())
        .min(f.location.start.line + 10);
    let span = f.location.bytes.start.min(bytes.len())..f.location.bytes.end.min(bytes.len());
    let text = |r: std::ops::Range<usize>| String::from_utf8_lossy(&bytes[r]).into_owned();
    let mut out = String::new();
    for line in first..=last {
        let Some(&ls) = starts.get(line - 1) else {
            break;
        };
        let mut le = starts.get(line).map_or(bytes.len(), |&e| e - 1).max(ls);
        if le > ls && bytes[le - 1] == b'\r' {
            le -= 1;
        }
        let in_span = (f.location.start.line..=f.location.end.line).contains(&line);
        let body = if in_span {
            let ms = span.start.clamp(ls, le);
            let me = span.end.clamp(ms, le);
            format!(
                "{}<mark>{}</mark>{}",
                escape(&clip(&text(ls..ms), 80, true)),
                escape(&clip(&text(ms..me), 240, false)),
                escape(&clip(&text(me..le), 80, false))
            )
        } else {
            escape(&clip(&text(ls..le), 160, false))
        };
        let class = if in_span { " class=\"hit\"" } else { "" };
        out.push_str(&format!(
            "<span{class}><span class=\"ln\">{line}</span>{body}</span>\n"
        ));
    }
    out
}

const STYLE: &str = r#"
:root { --err: #b00020; --warn: #9a5b00; --note: #1559a8; --line: #d8dde3; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1d232a; background: #f4f6f8; }
header { background: #1d232a; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9d1d9; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 32px 48px; }
h2 { font-size: 18px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 8px; text-transform: uppercase; letter-spacing: .04em; }
code, pre { font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; }
td.n, th.n { text-align: right; width: 6em; }
section.file { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 4px 20px 12px; margin: 18px 0; }
section.file > h2 { word-break: break-all; }
section.file > h2 code { font-size: 15px; font-weight: 700; }
article { border-left: 4px solid var(--line); padding: 6px 0 6px 14px; margin: 12px 0 20px; }
article.error { border-color: var(--err); }
article.warning { border-color: var(--warn); }
article.note { border-color: var(--note); }
.badge { display: inline-block; color: #fff; border-radius: 3px; padding: 0 7px;
  font-size: 12px; font-weight: 600; text-transform: uppercase; }
.badge.error { background: var(--err); } .badge.warning { background: var(--warn); }
.badge.note { background: var(--note); }
h3.error { color: var(--err); } h3.warning { color: var(--warn); } h3.note { color: var(--note); }
.loc { color: #57606a; }
.message { margin: 6px 0; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px 0;
  overflow-x: auto; white-space: pre; margin: 6px 0; }
pre.code { padding: 8px 12px; }
pre .ln { display: inline-block; width: 4.5em; padding-right: 10px; text-align: right;
  color: #8c959f; user-select: none; }
pre .hit { background: #fff3c4; display: inline-block; min-width: 100%; }
mark { background: #ffc34d; color: #000; }
.layers ol { margin: 4px 0; padding-left: 22px; }
.layers pre { padding: 6px 12px; }
.related { margin: 4px 0; color: #57606a; }
.fp { color: #8c959f; font-size: 12px; margin: 2px 0; }
.rule h3 { text-transform: none; letter-spacing: 0; font-size: 16px; }
.rule { margin: 16px 0; background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 4px 20px 10px; }
.url { color: #57606a; word-break: break-all; }
.none { background: #e6f4ea; border: 1px solid #a8d5b5; padding: 12px 16px; border-radius: 6px; }
"#;

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
        Severity::Signal => 3,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the report. `read` finds a reported file's bytes again (for excerpts); when it cannot,
/// the finding's one-line snippet is shown instead.
pub fn write(
    out: &mut dyn Write,
    result: &ScanResult,
    rules: &RuleSet,
    read: &dyn Fn(&str) -> Option<Arc<Vec<u8>>>,
) -> std::io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &result.findings {
        by_file.entry(&f.location.path).or_default().push(f);
    }
    let problem_files: std::collections::BTreeSet<&str> =
        result.problems.iter().map(|p| p.path.as_str()).collect();
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>skimlint report</title>\n<style>{STYLE}</style>\n</head>\n<body>"
    )?;
    writeln!(
        out,
        "<header><h1>skimlint report</h1><p id=\"totals\">skimlint {} · {} scanned · {} · {} · {} · {} not fully scanned</p></header>\n<main>",
        env!("CARGO_PKG_VERSION"),
        plural(result.files_scanned, "file", "files"),
        plural(count(Severity::Error), "error", "errors"),
        plural(count(Severity::Warning), "warning", "warnings"),
        plural(count(Severity::Note), "note", "notes"),
        plural(problem_files.len(), "file", "files"),
    )?;

    let archives = archive_rows(result);
    if !archives.is_empty() {
        writeln!(
            out,
            "<h2>Archives</h2>\n<table id=\"archives\"><tr><th>archive</th><th class=\"n\">files</th>\
             <th class=\"n\">errors</th><th class=\"n\">warnings</th><th class=\"n\">notes</th>\
             <th class=\"n\">problems</th></tr>"
        )?;
        for a in &archives {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&a.archive),
                a.files,
                a.errors,
                a.warnings,
                a.notes,
                a.problems
            )?;
        }
        writeln!(out, "</table>")?;
    }

    if by_file.is_empty() {
        writeln!(out, "<p class=\"none\" id=\"no-findings\">No findings.</p>")?;
    } else {
        writeln!(
            out,
            "<h2>Files with findings</h2>\n<table id=\"files\"><tr><th>file</th>\
             <th class=\"n\">errors</th><th class=\"n\">warnings</th><th class=\"n\">notes</th></tr>"
        )?;
        for (i, (path, fs)) in by_file.iter().enumerate() {
            let n = |s: Severity| fs.iter().filter(|f| f.severity == s).count();
            writeln!(
                out,
                "<tr><td><a href=\"#file-{}\"><code>{}</code></a></td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                i + 1,
                escape(path),
                n(Severity::Error),
                n(Severity::Warning),
                n(Severity::Note)
            )?;
        }
        writeln!(out, "</table>")?;
    }

    let mut finding_no = 0;
    for (i, (path, fs)) in by_file.iter().enumerate() {
        writeln!(
            out,
            "<section class=\"file\" id=\"file-{}\">\n<h2><code>{}</code></h2>",
            i + 1,
            escape(path)
        )?;
        let bytes = read(path);
        let mut sorted = fs.clone();
        sorted.sort_by_key(|f| severity_rank(f.severity));
        let mut current: Option<Severity> = None;
        for f in sorted {
            if current != Some(f.severity) {
                current = Some(f.severity);
                let n = fs.iter().filter(|g| g.severity == f.severity).count();
                let name = match f.severity {
                    Severity::Error => plural(n, "error", "errors"),
                    Severity::Warning => plural(n, "warning", "warnings"),
                    _ => plural(n, "note", "notes"),
                };
                writeln!(
                    out,
                    "<h3 class=\"{}\">{}</h3>",
                    f.severity.as_str(),
                    escape(&name)
                )?;
            }
            finding_no += 1;
            write_finding(out, f, finding_no, rules, bytes.as_deref())?;
        }
        writeln!(out, "</section>")?;
    }

    if !result.problems.is_empty() {
        writeln!(
            out,
            "<h2>Not fully scanned</h2>\n<table id=\"problems\"><tr><th>path</th><th>why</th></tr>"
        )?;
        for p in &result.problems {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(&p.path),
                escape(&p.message)
            )?;
        }
        writeln!(out, "</table>")?;
    }

    let mut used: Vec<&str> = result.findings.iter().map(|f| f.rule_id.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    if !used.is_empty() {
        writeln!(out, "<h2>Rules</h2>")?;
    }
    for id in used {
        let Some(rule) = rules.get(id) else { continue };
        let m = &rule.meta;
        writeln!(
            out,
            "<div class=\"rule\" id=\"{}\">\n<h3>{} <code>{}</code> — {}</h3>\n\
             <p class=\"loc\">precision: {} · security-severity: {} · {} · {}</p>\n{}</div>",
            anchor("rule", id),
            format_args!("<span class=\"badge {0}\">{0}</span>", m.severity.as_str()),
            escape(id),
            escape(&m.summary),
            m.precision.as_str(),
            m.security_severity
                .map_or("-".to_string(), |s| format!("{s:.1}")),
            escape(&m.tags.join(", ")),
            escape(&m.cwe.join(", ")),
            markdown(&m.help)
        )?;
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

fn write_finding(
    out: &mut dyn Write,
    f: &Finding,
    n: usize,
    rules: &RuleSet,
    bytes: Option<&Vec<u8>>,
) -> std::io::Result<()> {
    let sev = f.severity.as_str();
    let summary = rules
        .get(&f.rule_id)
        .map(|r| r.meta.summary.clone())
        .unwrap_or_default();
    writeln!(
        out,
        "<article class=\"{sev}\" id=\"finding-{n}\">\n<div><span class=\"badge {sev}\">{sev}</span> \
         <a href=\"#{}\"><code>{}</code></a> <span class=\"loc\">line {}, column {} · {}</span></div>\n\
         <p class=\"message\">{}</p>",
        anchor("rule", &f.rule_id),
        escape(&f.rule_id),
        f.location.start.line,
        f.location.start.column,
        escape(&summary),
        inline(&f.message)
    )?;
    match bytes {
        Some(b) if !b.is_empty() => {
            writeln!(out, "<pre class=\"excerpt\">{}</pre>", excerpt(b, f))?
        }
        _ => writeln!(
            out,
            "<pre class=\"excerpt\"><span class=\"hit\"><span class=\"ln\">{}</span>{}</span></pre>",
            f.location.start.line,
            escape(&f.snippet)
        )?,
    }
    if !f.layers.is_empty() {
        writeln!(
            out,
            "<div class=\"layers\"><strong>Decoded layers</strong> (outermost first)<ol>"
        )?;
        for step in super::chain::steps(&f.layers) {
            writeln!(
                out,
                "<li>decoded by <code>{}</code>, scanned as {}; at line {}, column {}:\
                 <pre>{}</pre></li>",
                escape(&step.decoders),
                escape(step.scanned_as),
                step.line,
                step.column,
                escape(step.excerpt)
            )?;
        }
        writeln!(out, "</ol></div>")?;
    }
    let related: Vec<_> = f
        .related
        .iter()
        .filter(|r| r.location.bytes != f.location.bytes)
        .collect();
    if !related.is_empty() {
        writeln!(out, "<ul class=\"related\">")?;
        for r in related {
            writeln!(
                out,
                "<li>line {}, column {}: {}</li>",
                r.location.start.line,
                r.location.start.column,
                escape(&r.message)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(
        out,
        "<p class=\"fp\">fingerprint {}</p>\n</article>",
        escape(&f.fingerprint)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script>&\"\u{1b}[31m"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{fffd}[31m"
        );
    }

    #[test]
    fn markdown_subset_is_rendered_and_raw_html_is_text() {
        let html = markdown(
            "Intro with `eval(x)` and **bold** <img src=x onerror=alert(1)>.\n\n\
             ## How to fix\n\n- one\n- two [docs](https://example.test/a)\n\n```js\nif (a < b) {}\n```\n",
        );
        assert!(html.contains("<p>Intro with <code>eval(x)</code> and <strong>bold</strong> &lt;img src=x onerror=alert(1)&gt;.</p>"), "{html}");
        assert!(html.contains("<h5>How to fix</h5>"), "{html}");
        assert!(html.contains("<ul><li>one</li><li>two docs (<span class=\"url\">https://example.test/a</span>)</li></ul>"), "{html}");
        assert!(
            html.contains("<pre class=\"code\">if (a &lt; b) {}</pre>"),
            "{html}"
        );
        assert!(!html.contains("<img"));
    }
}

//! A markdown job summary for GitHub Actions (`--step-summary $GITHUB_STEP_SUMMARY`): counts by
//! severity, the top findings with links to the lines, and whether annotations were capped.
//! Everything taken from scanned files (paths, messages with code) is escaped, so a file name
//! cannot add links, images or HTML to the summary.

use std::io::Write;

use super::github::{Capped, PER_JOB, PER_LEVEL_PER_STEP};
use crate::rules::Severity;
use crate::scan::ScanResult;

/// Findings listed in the summary, most severe first.
pub const TOP: usize = 20;

/// Markdown text: ASCII punctuation backslash-escaped, `<`, `>` and `&` as entities, line
/// breaks as spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            // Bidi overrides would reorder what a reader sees ("Trojan Source").
            c if super::sanitize::is_bidi_control(c) => out.push('\u{fffd}'),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A path inside a URL: everything but unreserved characters and `/` percent-encoded.
fn url_path(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `https://github.com/OWNER/REPO/blob/SHA/` from the runner's variables `GITHUB_SERVER_URL`,
/// `GITHUB_REPOSITORY` and `GITHUB_SHA` (read by the command line), when all are set and
/// well-formed.
pub fn link_base(server: Option<&str>, repo: Option<&str>, sha: Option<&str>) -> Option<String> {
    let (server, repo, sha) = (server?, repo?, sha?);
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    let ok = server.starts_with("https://")
        && !server[8..].contains(['/', '?', '#', '(', ')', ' '])
        && repo
            .split_once('/')
            .is_some_and(|(o, r)| name_ok(o) && name_ok(r))
        && !sha.is_empty()
        && sha.chars().all(|c| c.is_ascii_hexdigit());
    ok.then(|| format!("{server}/{repo}/blob/{sha}/"))
}

/// Writes the summary. `result` has repository-relative paths; `link_base` turns them into
/// links; `capped` is how annotations were written in this step, if they were.
pub fn write(
    out: &mut dyn Write,
    result: &ScanResult,
    link_base: Option<&str>,
    capped: Option<&Capped>,
) -> std::io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let n = result.findings.len();
    writeln!(
        out,
        "### skimlint: {n} findings in {} files scanned\n",
        result.files_scanned
    )?;
    writeln!(out, "| Severity | Findings |\n|---|---:|")?;
    for (name, s) in [
        ("error", Severity::Error),
        ("warning", Severity::Warning),
        ("note", Severity::Note),
    ] {
        writeln!(out, "| {name} | {} |", count(s))?;
    }
    writeln!(out)?;
    let unscanned: std::collections::BTreeSet<&str> =
        result.problems.iter().map(|p| p.path.as_str()).collect();
    if !unscanned.is_empty() {
        writeln!(
            out,
            "{} files were not fully scanned (too large, time or decode limits); see the log.\n",
            unscanned.len()
        )?;
    }
    if n > 0 {
        let mut top: Vec<&crate::finding::Finding> = result.findings.iter().collect();
        top.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let shown = n.min(TOP);
        if shown < n {
            writeln!(out, "Top {shown} of {n} findings, most severe first:\n")?;
        } else {
            writeln!(out, "Findings, most severe first:\n")?;
        }
        writeln!(
            out,
            "| Severity | Where | Rule | Message |\n|---|---|---|---|"
        )?;
        for f in top.into_iter().take(TOP) {
            let path = &f.location.path;
            let line = f.location.start.line;
            let place = escape(&format!("{path}:{line}"));
            let place = match link_base {
                // An archive member links to the archive.
                Some(base) => match path.split_once("!/") {
                    Some((archive, _)) => format!("[{place}]({base}{})", url_path(archive)),
                    None => format!("[{place}]({base}{}#L{line})", url_path(path)),
                },
                None => place,
            };
            writeln!(
                out,
                "| {} | {place} | `{}` | {} |",
                f.severity.as_str(),
                // Rule ids are `lang/kebab-name` (checked when rules load): safe in a code span.
                f.rule_id.replace('`', ""),
                escape(&f.message)
            )?;
        }
        writeln!(out)?;
    }
    if let Some(what) = capped.and_then(Capped::describe) {
        writeln!(
            out,
            "**Annotations were capped:** GitHub keeps at most {PER_LEVEL_PER_STEP} annotations \
             per level from a step and {PER_JOB} per job: not annotated here, {what}, listed in \
             the step's log.\n"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_text_cannot_inject_markdown_or_html() {
        assert_eq!(
            escape("![x](https://t.example/p.gif)<img src=x>|a\nb"),
            "\\!\\[x\\]\\(https\\:\\/\\/t\\.example\\/p\\.gif\\)&lt;img src\\=x&gt;\\|a b"
        );
        assert_eq!(url_path("a b/(c).js"), "a%20b/%28c%29.js");
        assert_eq!(escape("x\u{202e}sj.js\u{1b}"), "x\u{fffd}sj\\.js");
    }
}

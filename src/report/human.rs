//! The `full` format: miette diagnostics with the source excerpt, the construct labelled, the
//! rule's help line and, for findings inside decoded payloads, the chain of layers.

use std::io::Write;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource,
    Severity as MSeverity, SourceSpan,
};

use super::sanitize::terminal;
use crate::finding::Finding;
use crate::rules::{RuleSet, Severity};
use crate::scan::ScanResult;

#[derive(Debug)]
struct FindingDiagnostic {
    code: String,
    severity: Severity,
    message: String,
    help: String,
    label: String,
    span: SourceSpan,
    source: NamedSource<String>,
    related: Vec<LabeledSpan>,
}

impl std::fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<MSeverity> {
        Some(match self.severity {
            Severity::Error => MSeverity::Error,
            Severity::Warning => MSeverity::Warning,
            _ => MSeverity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span);
        Some(Box::new(
            std::iter::once(primary).chain(self.related.iter().cloned()),
        ))
    }
}

/// The first paragraph of a rule's markdown help, as one line.
fn help_line(help: &str) -> String {
    help.split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The file's text for excerpts, safe for a terminal and with the file's byte offsets (so spans
/// stay valid): C0 controls (ESC included, CR unless in CRLF) and DEL become `?`, C1 controls (U+0080–U+009F, which
/// some terminals obey as CSI/OSC) become `??`, bidirectional overrides one `?` per byte, and
/// each invalid UTF-8 byte becomes `?`.
fn excerpt_source(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' | '\t' => out.push(c),
                // A lone CR sends the cursor back over the line: only CRLF keeps it.
                '\r' if chars.peek() == Some(&'\n') => out.push(c),
                c if (c as u32) < 0x20 || c == '\u{7f}' => out.push('?'),
                c if ('\u{80}'..='\u{9f}').contains(&c) => out.push_str("??"),
                c if super::sanitize::is_bidi_control(c) => {
                    out.extend(std::iter::repeat_n('?', c.len_utf8()))
                }
                c => out.push(c),
            }
        }
        for _ in chunk.invalid() {
            out.push('?');
        }
    }
    out
}

pub fn write(
    out: &mut dyn Write,
    result: &ScanResult,
    rules: &RuleSet,
    colour: bool,
    read: &dyn Fn(&str) -> Option<Arc<Vec<u8>>>,
) -> std::io::Result<()> {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(110);
    let mut cache: Option<(String, String)> = None;
    for f in &result.findings {
        let text = match &cache {
            Some((p, t)) if *p == f.location.path => t.clone(),
            _ => {
                let t = read(&f.location.path)
                    .map(|b| excerpt_source(&b))
                    .unwrap_or_default();
                cache = Some((f.location.path.clone(), t.clone()));
                t
            }
        };
        let d = diagnostic(f, rules, text);
        // miette panics on some inputs (a label past column 65,535 of a minified line: Rust's
        // format width limit); such a finding is printed without its excerpt.
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut s = String::new();
            handler.render_report(&mut s, &d).map(|_| s)
        }));
        let s = match rendered {
            Ok(Ok(s)) => s,
            _ => format!(
                "{}[{}] {}:{}:{}: {} (excerpt not shown)\n",
                f.severity.as_str(),
                f.rule_id,
                terminal(&f.location.path),
                f.location.start.line,
                f.location.start.column,
                terminal(&f.message)
            ),
        };
        write!(out, "{s}")?;
        for step in super::chain::steps(&f.layers) {
            writeln!(
                out,
                "  {} layer {}: decoded by {} and scanned as {}; at line {} col {}:\n      {}",
                if step.number == 1 { "╰▶" } else { "  ▶" },
                step.number,
                step.decoders,
                step.scanned_as,
                step.line,
                step.column,
                terminal(step.excerpt)
            )?;
        }
        if !f.layers.is_empty() {
            writeln!(out)?;
        }
    }
    for p in &result.problems {
        writeln!(
            out,
            "warning: {}: {}",
            terminal(&p.path),
            terminal(&p.message)
        )?;
    }
    Ok(())
}

fn diagnostic(f: &Finding, rules: &RuleSet, text: String) -> FindingDiagnostic {
    let len = text.len();
    let span_of = |r: &std::ops::Range<usize>| {
        let start = r.start.min(len);
        let end = r.end.min(len).max(start);
        // Keep labels short on minified lines.
        SourceSpan::from(start..end.min(start + 200))
    };
    let help = rules
        .get(&f.rule_id)
        .map(|r| help_line(&r.meta.help))
        .or_else(|| {
            crate::post::suppress::meta_rules()
                .iter()
                .find(|m| m.id == f.rule_id)
                .map(|m| help_line(&m.help))
        })
        .unwrap_or_default();
    let related = f
        .related
        .iter()
        .filter(|r| r.location.bytes != f.location.bytes)
        .map(|r| LabeledSpan::new_with_span(Some(terminal(&r.message)), span_of(&r.location.bytes)))
        .collect();
    FindingDiagnostic {
        code: f.rule_id.clone(),
        severity: f.severity,
        message: terminal(&f.message),
        help: format!("{help}\n  see: skimlint rules explain {}", f.rule_id),
        label: if f.layers.is_empty() {
            "here".into()
        } else {
            "decoded payload".into()
        },
        span: span_of(&f.location.bytes),
        source: NamedSource::new(terminal(&f.location.path), text),
        related,
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt_source;

    #[test]
    fn excerpts_keep_offsets_and_drop_terminal_controls() {
        let raw = b"a\x1b[31mb\xc2\x9b2Jc\xffd\r\n\x07e\xe2\x80\xae\rf";
        let clean = excerpt_source(raw);
        assert_eq!(clean.len(), raw.len());
        assert!(!clean
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r'));
        assert_eq!(clean, "a?[31mb??2Jc?d\r\n?e????f");
    }
}

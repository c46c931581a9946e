//! GitHub Actions workflow commands: `::error file=..,line=..,col=..,title=..::message`.
//! Properties and messages are escaped as the runner expects, so neither file names nor
//! content can inject a command.

use std::io::Write;

use super::chain;
use super::sanitize::terminal;
use crate::rules::Severity;
use crate::scan::ScanResult;

/// The runner's escapes, then other control and bidi characters made visible: the log viewer
/// interprets ANSI sequences, and a name or excerpt must not recolour or reorder the log.
fn escape_data(s: &str) -> String {
    terminal(
        &s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub keeps at most this many annotations of each level (error, warning, notice) from one
/// step, and 50 from a whole job; the rest are dropped without a word.
pub const PER_LEVEL_PER_STEP: usize = 10;
pub const PER_JOB: usize = 50;

/// How many annotations of each level were written and how many were left as plain log lines.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Capped {
    /// (level, annotated, total) for `error`, `warning`, `notice`.
    pub levels: Vec<(&'static str, usize, usize)>,
}

impl Capped {
    /// Findings and problems that got no annotation.
    pub fn dropped(&self) -> usize {
        self.levels.iter().map(|(_, shown, all)| all - shown).sum()
    }

    /// `7 errors, 2 warnings` not annotated, or None.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = self
            .levels
            .iter()
            .filter(|(_, shown, all)| all > shown)
            .map(|(level, shown, all)| {
                let n = all - shown;
                format!("{n} {level}{}", if n == 1 { "" } else { "s" })
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

pub fn write(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    write_capped(out, result).map(|_| ())
}

/// Workflow annotations, at most [`PER_LEVEL_PER_STEP`] per level; the findings beyond are
/// written as plain `skimlint: path:line:col: severity[rule] message` lines after a line saying
/// so, so nothing is lost silently.
pub fn write_capped(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<Capped> {
    let mut lines: Vec<(&'static str, String, String)> = Vec::new();
    for f in &result.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "notice",
        };
        let mut message = f.message.clone();
        if !f.layers.is_empty() {
            message.push_str(&format!(
                "\nFound inside a decoded payload: {}\nDecoded line: {}",
                chain::summary(&f.layers),
                chain::decoded_line(&f.layers)
            ));
        }
        let command = format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.location.path),
            f.location.start.line,
            f.location.start.column,
            f.location.end.line,
            f.location.end.column,
            escape_property(&format!("skimlint {}", f.rule_id)),
            escape_data(&message)
        );
        let plain = format!("skimlint: {}", super::concise::headline(f));
        lines.push((level, command, plain));
    }
    for p in &result.problems {
        let command = format!(
            "::warning file={},title=skimlint::{}",
            escape_property(&p.path),
            escape_data(&p.message)
        );
        let plain = format!(
            "skimlint: {}: not fully scanned: {}",
            terminal(&p.path),
            terminal(&p.message)
        );
        lines.push(("warning", command, plain));
    }
    let order = ["error", "warning", "notice"];
    let mut shown = [0usize; 3];
    let mut total = [0usize; 3];
    let mut rest = Vec::new();
    for (level, command, plain) in lines {
        let i = order.iter().position(|l| *l == level).unwrap_or(2);
        total[i] += 1;
        if shown[i] < PER_LEVEL_PER_STEP {
            shown[i] += 1;
            writeln!(out, "{command}")?;
        } else {
            rest.push(plain);
        }
    }
    let capped = Capped {
        levels: (0..3).map(|i| (order[i], shown[i], total[i])).collect(),
    };
    if let Some(what) = capped.describe() {
        writeln!(
            out,
            "skimlint: GitHub keeps at most {PER_LEVEL_PER_STEP} annotations per level from a \
             step ({PER_JOB} per job); not annotated: {what}, listed here:"
        )?;
        for line in rest {
            writeln!(out, "{line}")?;
        }
    }
    Ok(capped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_cannot_break_out() {
        assert_eq!(
            escape_property("a,b:c\n::error::x"),
            "a%2Cb%3Ac%0A%3A%3Aerror%3A%3Ax"
        );
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(
            escape_data("a\x1b[2J\u{9b}\u{202e}"),
            "a\\u{1b}[2J\\u{9b}\\u{202e}"
        );
    }

    #[test]
    fn capped_levels_are_described() {
        let c = Capped {
            levels: vec![("error", 10, 13), ("warning", 2, 2), ("notice", 10, 11)],
        };
        assert_eq!(c.dropped(), 4);
        assert_eq!(c.describe().as_deref(), Some("3 errors, 1 notice"));
        assert_eq!(Capped::default().describe(), None);
    }
}

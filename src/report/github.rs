//! GitHub Actions workflow commands: `::error file=..,line=..,col=..,title=..::message`.
//! Properties and messages are escaped as the runner expects, so neither file names nor
//! content can inject a command.

use std::io::Write;

use crate::rules::Severity;
use crate::scan::ScanResult;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, result: &ScanResult) -> std::io::Result<()> {
    for f in &result.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "notice",
        };
        let mut message = f.message.clone();
        if !f.layers.is_empty() {
            let chain: Vec<String> = f
                .layers
                .iter()
                .map(|l| format!("{} → {}", l.decoders.join("+"), l.scanned_as))
                .collect();
            message.push_str(&format!(
                "\nFound inside a decoded payload: {}\nDecoded line: {}",
                chain.join(" ⇒ "),
                f.layers.last().map_or("", |l| l.excerpt.as_str())
            ));
        }
        writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.location.path),
            f.location.start.line,
            f.location.start.column,
            f.location.end.line,
            f.location.end.column,
            escape_property(&format!("skimlint {}", f.rule_id)),
            escape_data(&message)
        )?;
    }
    for p in &result.problems {
        writeln!(
            out,
            "::warning file={},title=skimlint::{}",
            escape_property(&p.path),
            escape_data(&p.message)
        )?;
    }
    Ok(())
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
    }
}

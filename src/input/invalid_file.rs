//! One error type for user-written files that cannot be used (`skimlint.toml`, rule files): the
//! file's path and text, a message and the span it points at, printed by miette with the source
//! line or as plain `path:line:col: message`.

use std::marker::PhantomData;
use std::ops::Range;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// What kind of file was invalid; names it in the error message.
pub trait FileRole: std::fmt::Debug {
    const NAME: &'static str;
}

/// `skimlint.toml`.
#[derive(Debug)]
pub struct Configuration;
impl FileRole for Configuration {
    const NAME: &'static str = "configuration";
}

/// A rule file (built in or from `--rules DIR`).
#[derive(Debug)]
pub struct RuleFile;
impl FileRole for RuleFile {
    const NAME: &'static str = "rule file";
}

/// A file that cannot be used, with the position of the problem.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("invalid {} {}: {}", R::NAME, .path, .message)]
#[diagnostic(code(skimlint::input::invalid_file))]
pub struct InvalidFile<R: FileRole> {
    pub path: String,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{message}")]
    pub span: Option<SourceSpan>,
    role: PhantomData<R>,
}

impl<R: FileRole> InvalidFile<R> {
    pub fn new(
        path: &str,
        text: &str,
        message: impl Into<String>,
        span: Option<Range<usize>>,
    ) -> Self {
        InvalidFile {
            path: path.to_string(),
            message: message.into(),
            src: NamedSource::new(path, text.to_string()),
            span: span.map(|r| SourceSpan::from(r.start..r.end.max(r.start))),
            role: PhantomData,
        }
    }

    /// 1-based line and column of the problem.
    pub fn position(&self) -> Option<(usize, usize)> {
        let offset = self.span?.offset();
        let text = self.src.inner();
        let before = text.get(..offset.min(text.len()))?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    /// `path:line:col: message`, the plain-text form printed on stderr.
    pub fn plain(&self) -> String {
        let pos = self
            .position()
            .map(|(l, c)| format!(":{l}:{c}"))
            .unwrap_or_default();
        format!("{}{pos}: {}", self.path, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_and_plain_text() {
        let e: InvalidFile<RuleFile> =
            InvalidFile::new("r.toml", "id = 1\nseverity = \"x\"\n", "bad", Some(18..21));
        assert_eq!(e.position(), Some((2, 12)));
        assert_eq!(e.plain(), "r.toml:2:12: bad");
        assert_eq!(e.to_string(), "invalid rule file r.toml: bad");
        let c: InvalidFile<Configuration> =
            InvalidFile::new("skimlint.toml", "", "cannot read", None);
        assert_eq!(c.plain(), "skimlint.toml: cannot read");
        assert_eq!(
            c.to_string(),
            "invalid configuration skimlint.toml: cannot read"
        );
    }
}

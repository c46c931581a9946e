//! A rule's regex: checked when the rule is loaded, compiled the first time it is asked.
//!
//! Building every regex of every built-in rule up front cost about 15 % of the instructions of
//! a 20-file pre-commit run (BENCHMARKS.md, issue 18), though most constraints are never
//! evaluated in a short run: a constraint is asked only when its rule's query matched. Parsing
//! (which finds every syntax error, with the same message `regex` would give) stays at load
//! time; the automaton is built once, on first use, shared by all threads.

use std::fmt;
use std::sync::OnceLock;

/// A regex engine the rules use: `regex::bytes::Regex` on source text, `regex::Regex` on
/// callee names.
pub trait Engine: Sized {
    type Haystack: ?Sized;
    /// Does the pattern parse? (Cheap: no automaton is built.)
    fn check(pattern: &str) -> Result<(), String>;
    fn build(pattern: &str) -> Result<Self, String>;
    fn matches(&self, haystack: &Self::Haystack) -> bool;
}

/// The size limit for one rule regex's automaton.
const SIZE_LIMIT: usize = 1 << 22;

impl Engine for regex::bytes::Regex {
    type Haystack = [u8];
    fn check(pattern: &str) -> Result<(), String> {
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    fn build(pattern: &str) -> Result<Self, String> {
        regex::bytes::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string())
    }
    fn matches(&self, haystack: &[u8]) -> bool {
        self.is_match(haystack)
    }
}

impl Engine for regex::Regex {
    type Haystack = str;
    fn check(pattern: &str) -> Result<(), String> {
        regex_syntax::Parser::new()
            .parse(pattern)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    fn build(pattern: &str) -> Result<Self, String> {
        regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string())
    }
    fn matches(&self, haystack: &str) -> bool {
        self.is_match(haystack)
    }
}

/// A checked pattern whose automaton is built on first use.
#[derive(Clone)]
pub struct LazyRegex<R> {
    pattern: String,
    compiled: OnceLock<Option<R>>,
}

impl<R: Engine> LazyRegex<R> {
    /// Parses `pattern`; the error is the parser's message.
    pub fn new(pattern: &str) -> Result<Self, String> {
        R::check(pattern)?;
        Ok(Self {
            pattern: pattern.to_string(),
            compiled: OnceLock::new(),
        })
    }

    /// The compiled regex; `None` only when a pattern that parses is too large to build
    /// (the rule tests build every built-in pattern, see `force`).
    pub fn get(&self) -> Option<&R> {
        self.compiled
            .get_or_init(|| R::build(&self.pattern).ok())
            .as_ref()
    }

    /// Builds the automaton now: for rules given by users, checked completely at load time.
    pub fn force(&self) -> Result<(), String> {
        R::build(&self.pattern).map(|r| {
            let _ = self.compiled.set(Some(r));
        })
    }

    /// Does the regex match? A pattern too large to build matches nothing.
    pub fn is_match(&self, haystack: &R::Haystack) -> bool {
        self.get().is_some_and(|r| r.matches(haystack))
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

impl<R> fmt::Debug for LazyRegex<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LazyRegex").field(&self.pattern).finish()
    }
}

/// On source text and folded values.
pub type BytesRegex = LazyRegex<regex::bytes::Regex>;
/// On callee names.
pub type NameRegex = LazyRegex<regex::Regex>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_is_found_without_building() {
        let err = BytesRegex::new("a(b").unwrap_err();
        assert!(err.contains("unclosed group"), "{err}");
        assert!(NameRegex::new("^(?:eval|Function)$").is_ok());
    }

    #[test]
    fn builds_on_first_use_and_matches_bytes() {
        let re = BytesRegex::new(r"(?i)\beval\s*\(").unwrap();
        assert!(re.compiled.get().is_none());
        assert!(re.is_match(b"x = EVAL (y)"));
        assert!(re.compiled.get().is_some());
        assert!(!re.is_match(b"evaluate()"));
        // Invalid UTF-8 is searchable, as with `regex::bytes`.
        assert!(BytesRegex::new(r"(?-u)\xff").unwrap().is_match(b"a\xffb"));
    }

    #[test]
    fn a_pattern_too_large_to_build_matches_nothing_and_force_says_why() {
        let re = BytesRegex::new(r"\w{1000}\w{1000}\w{1000}").unwrap();
        assert!(re.force().is_err());
        assert!(!re.is_match(b"abc"));
    }
}

#[cfg(test)]
mod builtin {
    /// Built-in rules' regexes are built on first use, so a pattern that parses but is too
    /// large to build would silently match nothing: build them all here.
    #[test]
    fn every_builtin_regex_builds() {
        let set = crate::rules::load_builtin_and(&[]).unwrap();
        for rule in &set.rules {
            for (capture, c) in rule.constraints() {
                if let Err((pattern, e)) = c.build_regexes() {
                    panic!("{} [where.{capture}] `{pattern}`: {e}", rule.meta.id);
                }
            }
        }
    }
}

//! Linking rules' queries: all query rules of a language are compiled into ONE tree-sitter
//! query, so the engine walks each unit's tree once and hands every match to the rule that owns
//! its pattern (instead of one tree walk per rule). Compiling one big query is also much cheaper
//! than compiling each rule's query on its own: tree-sitter's analysis of the grammar is shared.
//!
//! The merged source is the rules' query texts, one after another (each on its own lines), in
//! rule order. Patterns are numbered in source order, so `start_byte_for_pattern` and
//! `end_byte_for_pattern` tell which rule a pattern came from; a pattern that is not inside
//! one rule's text (a rule's unbalanced text swallowing the next rule's) or a merged query that
//! does not compile makes the language fall back to one query per rule, compiled on its own
//! with positioned errors, exactly as written. Capture names are query-global: rules may share
//! names like `@call`; a rule's constraints use the global index and apply only to its own
//! patterns' matches.
//!
//! `SKIMLINT_PER_RULE_QUERIES=1` (developers, tests) forces one query per rule.

use std::ops::Range;
use std::sync::Arc;

use tree_sitter::{CaptureQuantifier, Query};

use super::compile::{compile_query, find, CompiledQuery, QuerySpec, Rule};
use super::load::RuleError;
use super::schema::Severity;
use crate::syntax::lang::Lang;

/// One query the engine runs over a unit's tree, and which rule owns each of its patterns.
#[derive(Debug)]
pub struct Matcher {
    pub query: Arc<Query>,
    /// Per pattern index of `query`: its owners, (index into `RuleSet::rules`, index into
    /// `Linked::queries`). Rules with the same pattern share it (see [`Deduped`]); empty for
    /// the patterns of a rule that could not be linked.
    pub owners: Vec<Vec<(usize, usize)>>,
    /// How many rules own patterns here.
    pub rule_count: usize,
}

/// Everything the engine needs to match one language's rules: built on first use per
/// language (`RuleSet::linked`), so a run that meets no PHP never compiles the PHP query.
#[derive(Debug, Default)]
pub struct Linked {
    pub matchers: Vec<Matcher>,
    /// The rules' compiled queries of this language.
    pub queries: Vec<CompiledQuery>,
    /// The first rule that could not be linked (its patterns are left out). Rules given with
    /// `--rules` are checked on their own at load time and the built-in ones by the tests, so
    /// this is `None` in practice; `RuleSet::link_all` reports it.
    pub error: Option<RuleError>,
}

static PER_RULE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Forces one query per rule for the whole process (the command line does for
/// `SKIMLINT_PER_RULE_QUERIES`; the library reads no environment). Set before any linking.
pub fn set_per_rule_queries(on: bool) {
    PER_RULE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Is the merging of queries switched off (`set_per_rule_queries(true)`)?
pub fn per_rule_forced() -> bool {
    PER_RULE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Compiles the query specs of `lang` of all rules: one merged query (in two parts compiled
/// side by side when `split`, see `link_in_parts`), or (when that fails, or when forced) one
/// query per rule.
pub(crate) fn link(rules: &[Rule], lang: Lang, split: bool) -> Linked {
    // The rule's specs for this language and where each sits in the merged source.
    let mut segments: Vec<(usize, usize, Range<usize>)> = Vec::new();
    let mut src = String::new();
    for (i, rule) in rules.iter().enumerate() {
        for (j, spec) in rule.specs.iter().enumerate() {
            if spec.lang == lang {
                let start = src.len();
                src.push_str(&spec.text);
                segments.push((i, j, start..src.len()));
                src.push('\n');
            }
        }
    }
    if segments.is_empty() {
        return Linked::default();
    }
    if !per_rule_forced() {
        if let Some(linked) = split
            .then(|| link_in_parts(rules, lang, &segments, &src))
            .flatten()
        {
            return linked;
        }
        if let Some(linked) = link_deduped(rules, lang, &segments, &src) {
            return linked;
        }
        if let Some(merged) = Query::new(&lang.grammar(), &src).ok().map(Arc::new) {
            if let Some(ranges) = pattern_ranges(&merged, &src, &segments) {
                let patterns: Vec<Vec<usize>> = ranges.into_iter().map(Iterator::collect).collect();
                return link_merged(rules, merged, &segments, &patterns);
            }
        }
    }
    // One query per rule, each compiled on its own.
    let mut linked = Linked::default();
    for (i, j, _) in &segments {
        let rule = &rules[*i];
        let spec = &rule.specs[*j];
        let q = compile_query(spec, &rule.source_path, &rule.source_text).and_then(|query| {
            let query = Arc::new(query);
            compiled(rule, spec, &query, (0..query.pattern_count()).collect())
        });
        match q {
            Ok(q) => {
                linked.matchers.push(Matcher {
                    query: Arc::clone(&q.query),
                    owners: vec![vec![(*i, linked.queries.len())]; q.patterns.len()],
                    rule_count: 1,
                });
                linked.queries.push(q);
            }
            Err(e) => {
                linked.error.get_or_insert(e);
            }
        }
    }
    linked
}

/// Below this many rule queries a language is compiled as one query (see `link_in_parts`).
const SPLIT_FROM: usize = 24;

/// Compiling a query is a start-up cost paid on one core (tree-sitter's analysis of a large
/// grammar such as PHP's: ~180 ms for the built-in PHP rules), which dominates short runs like a
/// pre-commit hook. With two or more cores, the rules are merged into two queries compiled at the
/// same time (the second on a scoped thread, so it runs even while the scan's workers wait for
/// this language); each unit is then walked twice, which costs far less. `None` when there is
/// one core, few rules, or a part does not merge (the caller then tries one query).
fn link_in_parts(
    rules: &[Rule],
    lang: Lang,
    segments: &[(usize, usize, Range<usize>)],
    src: &str,
) -> Option<Linked> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || segments.len() < SPLIT_FROM {
        return None;
    }
    // Halves of about the same amount of query text (compile time follows the patterns, and
    // rules differ tenfold in size), each with at least one rule.
    let total: usize = segments.iter().map(|s| s.2.len()).sum();
    let mut text = 0;
    let half = segments
        .iter()
        .position(|s| {
            text += s.2.len();
            text * 2 >= total
        })
        .map_or(segments.len() / 2, |i| i + 1)
        .clamp(1, segments.len() - 1);
    let (first, second) = segments.split_at(half);
    let part = |segs: &[(usize, usize, Range<usize>)]| -> Option<Linked> {
        let base = segs.first()?.2.start;
        let end = segs.last()?.2.end;
        let text = src.get(base..end)?;
        let local: Vec<(usize, usize, Range<usize>)> = segs
            .iter()
            .map(|(i, j, r)| (*i, *j, r.start - base..r.end - base))
            .collect();
        if let Some(linked) = link_deduped(rules, lang, &local, text) {
            return Some(linked);
        }
        let query = Arc::new(Query::new(&lang.grammar(), text).ok()?);
        let ranges = pattern_ranges(&query, text, &local)?;
        let patterns: Vec<Vec<usize>> = ranges.into_iter().map(Iterator::collect).collect();
        Some(link_merged(rules, query, &local, &patterns))
    };
    let (a, b) = std::thread::scope(|scope| {
        let b = scope.spawn(|| part(second));
        (part(first), b.join().ok().flatten())
    });
    let (mut linked, b) = (a?, b?);
    // The second part's owners point into its own `queries`: shift them past the first's.
    let offset = linked.queries.len();
    for mut matcher in b.matchers {
        for (_, q) in matcher.owners.iter_mut().flatten() {
            *q += offset;
        }
        linked.matchers.push(matcher);
    }
    linked.queries.extend(b.queries);
    if linked.error.is_none() {
        linked.error = b.error;
    }
    Some(linked)
}

/// Compiles one rule's query on its own and resolves its captures: the load-time check of
/// rules that are not built in, with errors pointing into the rule file.
pub(crate) fn check_alone(rule: &Rule, spec: &QuerySpec) -> Result<(), RuleError> {
    let query = Arc::new(compile_query(spec, &rule.source_path, &rule.source_text)?);
    compiled(rule, spec, &query, (0..query.pattern_count()).collect()).map(drop)
}

/// The patterns of each segment in the merged query, or `None` when a pattern is not inside
/// exactly one segment. (A pattern's end, for tree-sitter, is where the next one starts: it
/// may run on over whitespace and comments.)
fn pattern_ranges(
    query: &Query,
    src: &str,
    segments: &[(usize, usize, Range<usize>)],
) -> Option<Vec<Range<usize>>> {
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(segments.len());
    let mut seg = 0;
    let mut first = 0;
    for p in 0..query.pattern_count() {
        let (start, end) = (
            query.start_byte_for_pattern(p),
            query.end_byte_for_pattern(p),
        );
        while seg < segments.len() && start >= segments[seg].2.end {
            ranges.push(first..p);
            first = p;
            seg += 1;
        }
        let range = &segments.get(seg)?.2;
        let trivia = |tail: &str| {
            tail.lines()
                .all(|l| l.trim_start().is_empty() || l.trim_start().starts_with(';'))
        };
        if start < range.start || (end > range.end && !src.get(range.end..end).is_some_and(trivia))
        {
            return None;
        }
    }
    while ranges.len() < segments.len() {
        ranges.push(first..query.pattern_count());
        first = query.pattern_count();
    }
    Some(ranges)
}

/// A language's query source with each distinct pattern once. Rules often share a pattern
/// (`(call_expression function: (_) @sink arguments: (arguments) @data)` in five JavaScript
/// rules, a quarter of the PHP patterns): each copy costs tree-sitter's analysis when the query
/// is compiled, and a walk matches and buffers every copy. The patterns are the top-level forms
/// of each rule's text (a node, an alternation or a group, with the captures and quantifier
/// after it: one tree-sitter pattern each), compared with whitespace and comments outside
/// strings collapsed. Capture names are query-global, so a shared pattern has the same
/// captures for every rule that owns it.
struct Deduped {
    src: String,
    /// Where each distinct pattern starts in `src` (tree-sitter must number them so).
    starts: Vec<usize>,
    /// Per segment: the indexes of its patterns.
    patterns: Vec<Vec<usize>>,
}

impl Deduped {
    /// `None` when a segment is not a sequence of whole forms (the caller falls back to the
    /// merged text as written).
    fn new(src: &str, segments: &[(usize, usize, Range<usize>)]) -> Option<Deduped> {
        let mut out = Deduped {
            src: String::new(),
            starts: Vec::new(),
            patterns: Vec::with_capacity(segments.len()),
        };
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (_, _, range) in segments {
            let text = src.get(range.clone())?;
            let mut mine = Vec::new();
            for form in top_level_forms(text)? {
                let form = &text[form];
                let n = *index.entry(normalised(form)).or_insert_with(|| {
                    out.starts.push(out.src.len());
                    out.src.push_str(form);
                    out.src.push('\n');
                    out.starts.len() - 1
                });
                if !mine.contains(&n) {
                    mine.push(n);
                }
            }
            out.patterns.push(mine);
        }
        Some(out)
    }
}

/// Compiles the segments' patterns once each ([`Deduped`]); `None` when they cannot be
/// split into forms, do not compile, or tree-sitter numbers them differently.
fn link_deduped(
    rules: &[Rule],
    lang: Lang,
    segments: &[(usize, usize, Range<usize>)],
    src: &str,
) -> Option<Linked> {
    let d = Deduped::new(src, segments)?;
    let query = Query::new(&lang.grammar(), &d.src).ok()?;
    let numbered = query.pattern_count() == d.starts.len()
        && d.starts
            .iter()
            .enumerate()
            .all(|(p, &at)| query.start_byte_for_pattern(p) == at);
    numbered.then(|| link_merged(rules, Arc::new(query), segments, &d.patterns))
}

/// The byte ranges of the top-level forms of a query text, or `None` when it is not made of
/// whole forms (an unbalanced bracket, a stray token).
fn top_level_forms(text: &str) -> Option<Vec<Range<usize>>> {
    let b = text.as_bytes();
    let mut forms = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b';' => i = line_end(b, i),
            b'(' | b'[' | b'"' => {
                let start = i;
                i = form_end(b, i)?;
                // Captures and a quantifier that follow the form belong to it.
                loop {
                    let mut j = i;
                    while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b';') {
                        j = if b[j] == b';' { line_end(b, j) } else { j + 1 };
                    }
                    match b.get(j) {
                        Some(b'*' | b'+' | b'?') => i = j + 1,
                        Some(b'@') => {
                            j += 1;
                            while j < b.len()
                                && (b[j].is_ascii_alphanumeric() || b"_.-".contains(&b[j]))
                            {
                                j += 1;
                            }
                            i = j;
                        }
                        _ => break,
                    }
                }
                forms.push(start..i);
            }
            _ => return None,
        }
    }
    Some(forms)
}

/// Where the line that `i` is on ends (a comment's end).
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |n| i + n)
}

/// The end of the string literal or bracketed form that starts at `i`.
fn form_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j += 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                j += 1;
                if depth == 0 {
                    return (j <= b.len()).then_some(j);
                }
                continue;
            }
            b';' => {
                j = line_end(b, j);
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// A form with runs of whitespace and comments outside string literals made one space.
fn normalised(form: &str) -> String {
    let b = form.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut space = false;
    while i < b.len() {
        match b[i] {
            b'"' => {
                if space {
                    out.push(b' ');
                    space = false;
                }
                let end = form_end(b, i).unwrap_or(b.len());
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            b';' => {
                i = line_end(b, i);
                space = true;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                space = true;
            }
            c => {
                if space && !out.is_empty() {
                    out.push(b' ');
                }
                space = false;
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn link_merged(
    rules: &[Rule],
    query: Arc<Query>,
    segments: &[(usize, usize, Range<usize>)],
    patterns: &[Vec<usize>],
) -> Linked {
    let mut owners = vec![Vec::new(); query.pattern_count()];
    let mut linked = Linked::default();
    let mut owning: Vec<usize> = Vec::new();
    for ((i, j, _), patterns) in segments.iter().zip(patterns) {
        let rule = &rules[*i];
        match compiled(rule, &rule.specs[*j], &query, patterns.clone()) {
            Ok(q) => {
                for &p in patterns {
                    if let Some(o) = owners.get_mut(p) {
                        o.push((*i, linked.queries.len()));
                    }
                }
                linked.queries.push(q);
                if owning.last() != Some(i) {
                    owning.push(*i);
                }
            }
            Err(e) => {
                linked.error.get_or_insert(e);
            }
        }
    }
    linked.matchers.push(Matcher {
        query,
        owners,
        rule_count: owning.len(),
    });
    linked
}

/// A rule's compiled query: capture names resolved in `query`, for the rule's `patterns`.
fn compiled(
    rule: &Rule,
    spec: &QuerySpec,
    query: &Arc<Query>,
    patterns: Vec<usize>,
) -> Result<CompiledQuery, RuleError> {
    // A capture belongs to the rule when one of its own patterns has it.
    let index = |name: &str| {
        query.capture_index_for_name(name).filter(|&idx| {
            patterns.iter().any(|&p| {
                query.capture_quantifiers(p).get(idx as usize) != Some(&CaptureQuantifier::Zero)
            })
        })
    };
    let err = |msg: String, needle: &str| {
        RuleError::new(
            &rule.source_path,
            &rule.source_text,
            msg,
            find(&rule.source_text, needle),
        )
    };
    let report = match &spec.report {
        Some(name) => Some(
            index(name)
                .ok_or_else(|| err(format!("`report` names unknown capture @{name}"), name))?,
        ),
        None => None,
    };
    let mut constraints = Vec::with_capacity(spec.constraints.len());
    for (name, c) in &spec.constraints {
        let idx = index(name).ok_or_else(|| {
            err(
                format!("[where.{name}] constrains a capture the query does not have"),
                &format!("where.{name}"),
            )
        })?;
        constraints.push((idx, name.clone(), c.clone()));
    }
    // A message placeholder that one of the rule's patterns lacks would be printed as written.
    // (Signals are never reported: their messages are documentation.)
    let message = match rule.meta.severity {
        Severity::Signal => "",
        _ => rule.meta.message.as_str(),
    };
    for name in placeholders(message) {
        let idx = query.capture_index_for_name(name);
        let missing = patterns.iter().copied().find(|&p| {
            idx.is_none_or(|i| {
                query.capture_quantifiers(p).get(i as usize) == Some(&CaptureQuantifier::Zero)
            })
        });
        if let Some(p) = missing {
            let at = query.start_byte_for_pattern(p);
            return Err(err(
                format!(
                    "the message's `{{{name}}}` names a capture that the pattern at byte {at} of the query does not have"
                ),
                &format!("{{{name}"),
            ));
        }
    }
    Ok(CompiledQuery {
        lang: spec.lang,
        query: Arc::clone(query),
        patterns,
        report,
        constraints,
    })
}

/// The capture names of a message's `{capture}` / `{capture.field}` placeholders.
fn placeholders(message: &str) -> impl Iterator<Item = &str> {
    message.split('{').skip(1).filter_map(|rest| {
        let key = &rest[..rest.find('}')?];
        let name = key.split_once('.').map_or(key, |(n, _)| n);
        Some(name).filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::load::{load_sources, RuleSource};
    use super::*;

    fn source(id: &str, query: &str, extra: &str) -> RuleSource {
        RuleSource {
            path: format!("{id}.toml"),
            text: format!(
                "id = \"{id}\"\nseverity = \"warning\"\nlanguages = [\"javascript\"]\nsummary = \"s\"\n\
                 message = \"m\"\nhelp = \"h\"\nquery = '''\n{query}\n'''\n{extra}"
            ),
        }
    }

    #[test]
    fn rules_of_a_language_share_one_query_and_own_their_patterns() {
        let set = load_sources(vec![
            source("js/a", "(call_expression function: (identifier) @f) @call", ""),
            source(
                "js/b",
                "; two patterns, the same capture names as js/a\n(new_expression) @call\n(call_expression) @call",
                "[where.call]\nmin-length = 3\n",
            ),
        ])
        .unwrap();
        set.link_all().unwrap();
        let linked = set.linked(Lang::Javascript);
        let m = &linked.matchers;
        assert_eq!(m.len(), 1, "one merged query");
        assert_eq!(m[0].query.pattern_count(), 3);
        let a = set.index_of("js/a").unwrap();
        let b = set.index_of("js/b").unwrap();
        assert_eq!(m[0].owners, vec![vec![(a, 0)], vec![(b, 1)], vec![(b, 1)]]);
        assert_eq!(m[0].rule_count, 2);
        assert_eq!(linked.queries[0].patterns, vec![0]);
        assert_eq!(linked.queries[1].patterns, vec![1, 2]);
        assert!(set.linked(Lang::Php).matchers.is_empty());
        // A capture another rule defines does not count as this rule's.
        let set = load_sources(vec![
            source(
                "js/a",
                "(call_expression function: (identifier) @f) @call",
                "",
            ),
            source(
                "js/c",
                "(new_expression) @new",
                "[where.f]\nmin-length = 3\n",
            ),
        ])
        .unwrap();
        let err = set.link_all().unwrap_err();
        assert!(err.message.contains("[where.f]"), "{}", err.message);
        assert_eq!(err.path, "js/c.toml");
    }

    #[test]
    fn rules_with_the_same_pattern_share_it() {
        let set = load_sources(vec![
            source("js/a", "(call_expression function: (identifier) @f) @call", ""),
            source(
                "js/b",
                "; the same pattern, spaced and commented differently\n(call_expression\n  function: (identifier) @f) ; the callee\n  @call\n(new_expression) @call",
                "[where.f]\nmin-length = 3\n",
            ),
        ])
        .unwrap();
        set.link_all().unwrap();
        let linked = set.linked(Lang::Javascript);
        let m = &linked.matchers;
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].query.pattern_count(),
            2,
            "the shared pattern is compiled once"
        );
        let a = set.index_of("js/a").unwrap();
        let b = set.index_of("js/b").unwrap();
        assert_eq!(m[0].owners, vec![vec![(a, 0), (b, 1)], vec![(b, 1)]]);
        assert_eq!(linked.queries[1].patterns, vec![0, 1]);
        // Each rule judges the shared pattern's matches by its own constraints:
        // tests/merged_queries.rs scans with such rules.
    }

    #[test]
    fn query_texts_split_into_their_top_level_patterns() {
        let text = "; comment (not a form\n(a (b) @x)* @y\n[(c) (d)] @e\n((f) @g (#match? @g \"(x\\\")\"))\n\"+\" @op";
        let forms = top_level_forms(text).unwrap();
        let got: Vec<&str> = forms.into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            got,
            vec![
                "(a (b) @x)* @y",
                "[(c) (d)] @e",
                "((f) @g (#match? @g \"(x\\\")\"))",
                "\"+\" @op"
            ]
        );
        assert!(top_level_forms("(call_expression\n").is_none());
        assert!(top_level_forms("(a)) @x").is_none());
        assert_eq!(
            normalised("(a  ; c\n  (b \"x  y\"))"),
            normalised("(a (b \"x  y\"))")
        );
        assert_ne!(normalised("(b \"x  y\")"), normalised("(b \"x y\")"));
    }

    #[test]
    fn a_message_placeholder_must_be_in_every_pattern() {
        let with_message = |message: &str| RuleSource {
            path: "js/m.toml".into(),
            text: format!(
                "id = \"js/m\"\nseverity = \"warning\"\nlanguages = [\"javascript\"]\n\
                 summary = \"s\"\nmessage = \"{message}\"\nhelp = \"h\"\nquery = '''\n\
                 (call_expression function: (identifier) @fn) @call\n(new_expression) @call\n'''\n"
            ),
        };
        let set = load_sources(vec![with_message("calls `{call}`")]).unwrap();
        set.link_all().unwrap();
        let set = load_sources(vec![with_message("calls `{fn.callee}`")]).unwrap();
        let err = set.link_all().unwrap_err();
        assert!(err.message.contains("`{fn}`"), "{}", err.message);
        assert_eq!(err.path, "js/m.toml");
    }

    #[test]
    fn a_broken_query_is_reported_in_its_own_file() {
        let set = load_sources(vec![
            source("js/a", "(call_expression) @call", ""),
            source("js/b", "(call_expression (nonsense))", ""),
        ])
        .unwrap();
        let err = set.link_all().unwrap_err();
        // The other rule still runs.
        assert_eq!(set.linked(Lang::Javascript).queries.len(), 1);
        assert_eq!(err.path, "js/b.toml");
        assert!(err.message.contains("query does not compile"));
        assert_eq!(err.position().map(|p| p.0), Some(8));
    }

    #[test]
    fn the_built_in_rules_merge_into_one_or_two_queries_per_language() {
        let set = super::super::load_builtin_and(&[]).unwrap();
        set.link_all().unwrap();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for lang in Lang::ALL {
            let linked = set.linked(lang);
            let expected = if cores >= 2 { 2 } else { 1 };
            assert_eq!(linked.matchers.len(), expected, "{lang:?} merged");
            // Rules share patterns (see `Deduped`): some pattern has several owners.
            assert!(
                linked
                    .matchers
                    .iter()
                    .any(|m| m.owners.iter().any(|o| o.len() > 1)),
                "{lang:?} patterns shared"
            );
            for m in &linked.matchers {
                assert!(m.owners.iter().all(|o| !o.is_empty()));
                for &(_, q) in m.owners.iter().flatten() {
                    assert!(Arc::ptr_eq(&linked.queries[q].query, &m.query));
                }
            }
        }
    }

    #[test]
    fn a_pattern_that_runs_into_the_next_rule_is_not_merged() {
        // Each text alone is broken, but together they make one pattern.
        let lang = Lang::Javascript;
        let src = "(call_expression\n) @call\n";
        let query = Query::new(&lang.grammar(), src).unwrap();
        let segments = vec![(0, 0, 0..16), (1, 0, 17..24)];
        assert!(pattern_ranges(&query, src, &segments).is_none());
        let segments = vec![(0, 0, 0..24)];
        let ranges = pattern_ranges(&query, src, &segments).unwrap_or_default();
        assert_eq!(ranges.len(), 1);
        assert_eq!(ranges.first(), Some(&(0..1)));
        // Comments and blank lines between rules are fine; a rule may have no pattern at all.
        let src = "(call_expression) @a\n; only a comment\n\n(new_expression) @b\n";
        let query = Query::new(&lang.grammar(), src).unwrap();
        let segments = vec![(0, 0, 0..20), (1, 0, 21..37), (2, 0, 39..59)];
        assert_eq!(
            pattern_ranges(&query, src, &segments),
            Some(vec![0..1, 1..1, 1..2])
        );
    }
}

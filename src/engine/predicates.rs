//! Evaluating a rule's capture constraints on one query match.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::{Node, QueryMatch};

use crate::fold::{decoders, walk_preorder, Folded, Folder};
use crate::lang::Lang;
use crate::rules::compile::{CompiledConstraint, CompiledQuery, Rule};
use crate::rules::vocabulary;

/// What is known about one unit while its rules run: matches of earlier rules (marks) and
/// lazily computed data for flow predicates.
pub struct UnitFacts<'f, 'a> {
    folder: &'f Folder<'a>,
    root: Node<'a>,
    text: &'a [u8],
    lang: Lang,
    marks: Vec<Vec<Range<usize>>>,
    /// Identifier-like occurrences (name, span), sorted by start.
    names: OnceCell<Vec<(String, Range<usize>)>>,
    assignments: OnceCell<Vec<(String, Range<usize>)>>,
    tainted: HashMap<Vec<usize>, HashSet<String>>,
}

impl<'f, 'a> UnitFacts<'f, 'a> {
    pub fn new(
        rule_count: usize,
        folder: &'f Folder<'a>,
        root: Node<'a>,
        text: &'a [u8],
        lang: Lang,
    ) -> Self {
        UnitFacts {
            folder,
            root,
            text,
            lang,
            marks: vec![Vec::new(); rule_count],
            names: OnceCell::new(),
            assignments: OnceCell::new(),
            tainted: HashMap::new(),
        }
    }

    pub fn mark(&mut self, rule: usize, span: Range<usize>) {
        self.marks[rule].push(span);
    }

    /// Checks every constraint; on success returns the reported span and the message.
    pub fn check_match(
        &mut self,
        _rule_index: usize,
        rule: &Rule,
        q: &CompiledQuery,
        m: &QueryMatch<'_, 'a>,
    ) -> Option<(Range<usize>, String)> {
        for (capture, _, c) in &q.constraints {
            let nodes: Vec<Node<'a>> = m.nodes_for_capture_index(*capture).collect();
            if nodes.is_empty() || !nodes.iter().any(|n| self.holds(c, *n)) {
                return None;
            }
        }
        let report = match q.report {
            Some(i) => m.nodes_for_capture_index(i).next()?,
            None => m.captures().iter().map(|c| c.node).max_by_key(|n| {
                (
                    n.end_byte() - n.start_byte(),
                    std::cmp::Reverse(n.start_byte()),
                )
            })?,
        };
        let message = self.interpolate(&rule.meta.message, q, m);
        Some((report.byte_range(), message))
    }

    fn node_text(&self, n: Node<'a>) -> &'a [u8] {
        &self.text[n.byte_range()]
    }

    fn holds(&mut self, c: &CompiledConstraint, n: Node<'a>) -> bool {
        let text = self.node_text(n);
        if let Some(re) = &c.regex {
            if !re.is_match(text) {
                return false;
            }
        }
        if let Some(re) = &c.not_regex {
            if re.is_match(text) {
                return false;
            }
        }
        if let Some(list) = &c.any_of {
            if !list.iter().any(|s| s.as_bytes() == text) {
                return false;
            }
        }
        if let Some(min) = c.min_length {
            if text.len() < min {
                return false;
            }
        }
        let needs_value = c.value_regex.is_some()
            || c.value_not_regex.is_some()
            || c.decoded_by.is_some()
            || c.decoded.is_some()
            || c.card_field.is_some()
            || c.entropy_above.is_some();
        let value: Option<Folded> = if needs_value {
            self.folder.value(n)
        } else {
            None
        };
        let value_text = value.as_ref().and_then(Folded::to_text);
        if let Some(min) = c.entropy_above {
            let t = value_text.as_deref().unwrap_or(text);
            if decoders::entropy(t) <= min {
                return false;
            }
        }
        if let Some(re) = &c.value_regex {
            match &value_text {
                Some(v) if re.is_match(v) => {}
                _ => return false,
            }
        }
        if let Some(re) = &c.value_not_regex {
            if value_text.as_ref().is_some_and(|v| re.is_match(v)) {
                return false;
            }
        }
        if let Some(list) = &c.decoded_by {
            let ok = value
                .as_ref()
                .is_some_and(|v| v.decoders.iter().any(|d| list.iter().any(|l| l == d)));
            if !ok {
                return false;
            }
        }
        if let Some(want) = c.decoded {
            let has = value.as_ref().is_some_and(|v| !v.decoders.is_empty());
            if has != want {
                return false;
            }
        }
        if let Some(want) = c.card_field {
            let re = vocabulary::card_field();
            let has = value_text.as_deref().is_some_and(|v| re.is_match(v)) || re.is_match(text);
            if has != want {
                return false;
            }
        }
        if c.resolves_to.is_some() || c.not_resolves_to.is_some() {
            let name = self.folder.callee(n).unwrap_or_default();
            if let Some(re) = &c.resolves_to {
                if !re.is_match(&name) {
                    return false;
                }
            }
            if let Some(re) = &c.not_resolves_to {
                if re.is_match(&name) {
                    return false;
                }
            }
        }
        let range = n.byte_range();
        let within = |r: &Range<usize>| r.start >= range.start && r.end <= range.end;
        if !c.contains.is_empty() && !c.contains.iter().any(|&j| self.marks[j].iter().any(within)) {
            return false;
        }
        if c.not_contains
            .iter()
            .any(|&j| self.marks[j].iter().any(within))
        {
            return false;
        }
        let around = |r: &Range<usize>| r.start <= range.start && r.end >= range.end;
        if !c.inside.is_empty() && !c.inside.iter().any(|&j| self.marks[j].iter().any(around)) {
            return false;
        }
        if c.not_inside
            .iter()
            .any(|&j| self.marks[j].iter().any(around))
        {
            return false;
        }
        if !c.tainted_by.is_empty() && !self.tainted(&c.tainted_by, range) {
            return false;
        }
        true
    }

    /// Does data from a match of `sources` reach `range`: a match inside it, or a variable
    /// (transitively) assigned from one?
    fn tainted(&mut self, sources: &[usize], range: Range<usize>) -> bool {
        let source_spans: Vec<Range<usize>> = sources
            .iter()
            .flat_map(|&s| self.marks[s].iter().cloned())
            .collect();
        if source_spans.is_empty() {
            return false;
        }
        let inside = |outer: &Range<usize>, inner: &Range<usize>| {
            inner.start >= outer.start && inner.end <= outer.end
        };
        if source_spans.iter().any(|s| inside(&range, s)) {
            return true;
        }
        if !self.tainted.contains_key(sources) {
            let names = self.tainted_names(&source_spans);
            self.tainted.insert(sources.to_vec(), names);
        }
        let tainted = &self.tainted[sources];
        if tainted.is_empty() {
            return false;
        }
        self.names_in(&range).any(|n| tainted.contains(n))
    }

    fn tainted_names(&self, source_spans: &[Range<usize>]) -> HashSet<String> {
        let assignments = self.assignments.get_or_init(|| {
            self.folder
                .assignments()
                .into_iter()
                .map(|(name, value)| (name, value.byte_range()))
                .collect()
        });
        let mut tainted: HashSet<String> = HashSet::new();
        loop {
            let mut changed = false;
            for (name, value) in assignments {
                if tainted.contains(name) {
                    continue;
                }
                let from_source = source_spans
                    .iter()
                    .any(|s| s.start >= value.start && s.end <= value.end);
                if from_source || self.names_in(value).any(|n| tainted.contains(n)) {
                    tainted.insert(name.clone());
                    changed = true;
                }
            }
            if !changed {
                return tainted;
            }
        }
    }

    fn names_in<'s>(&'s self, range: &Range<usize>) -> impl Iterator<Item = &'s str> + 's {
        let names = self.names.get_or_init(|| self.collect_names());
        let start = names.partition_point(|(_, r)| r.start < range.start);
        let end = range.end;
        names[start..]
            .iter()
            .take_while(move |(_, r)| r.start < end)
            .filter(move |(_, r)| r.end <= end)
            .map(|(n, _)| n.as_str())
    }

    fn collect_names(&self) -> Vec<(String, Range<usize>)> {
        let mut out = Vec::new();
        let kinds: &[&str] = match self.lang {
            Lang::Javascript => &[
                "identifier",
                "member_expression",
                "subscript_expression",
                "shorthand_property_identifier",
            ],
            Lang::Php => &["variable_name"],
        };
        walk_preorder(self.root, |n| {
            if kinds.contains(&n.kind()) {
                let t = String::from_utf8_lossy(self.node_text(n)).into_owned();
                // `$a['k']`: the variable is `$a`; member texts are matched whole.
                out.push((t, n.byte_range()));
            }
            true
        });
        out.sort_by_key(|(_, r)| (r.start, std::cmp::Reverse(r.end)));
        out
    }

    /// Replaces `{capture}`, `{capture.value}`, `{capture.callee}`, `{capture.decoders}`.
    fn interpolate(&self, template: &str, q: &CompiledQuery, m: &QueryMatch<'_, 'a>) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let key = &rest[open + 1..open + close];
            let (name, field) = key.split_once('.').unwrap_or((key, ""));
            let node = q
                .query
                .capture_index_for_name(name)
                .and_then(|i| m.nodes_for_capture_index(i).next());
            match node {
                Some(n) => out.push_str(&self.render(n, field)),
                None => out.push_str(&rest[open..=open + close]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn render(&self, n: Node<'a>, field: &str) -> String {
        let raw = match field {
            "value" => self
                .folder
                .value(n)
                .and_then(|v| v.text_lossy())
                .unwrap_or_else(|| "(unknown)".into()),
            "callee" => self.folder.callee(n).unwrap_or_else(|| "(unknown)".into()),
            "decoders" => {
                let d = self
                    .folder
                    .value(n)
                    .map(|v| v.decoders.join(" → "))
                    .unwrap_or_default();
                if d.is_empty() {
                    "no decoder".into()
                } else {
                    d
                }
            }
            _ => String::from_utf8_lossy(self.node_text(n)).into_owned(),
        };
        short(&raw, 80)
    }
}

/// One line, at most `max` characters, control characters removed.
pub fn short(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean: String = one_line.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > max {
        let cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

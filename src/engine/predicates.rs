//! Evaluating a rule's capture constraints on one query match.

use crate::syntax::NodeExt;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use super::matching::MatchView;

use super::flow::FlowIndex;
use super::Role;
use crate::decode::bytes as decoders;
use crate::fold::{Folded, Folder, Value};
use crate::rules::compile::{CompiledConstraint, CompiledQuery, Rule};
use crate::rules::vocabulary;
use crate::syntax::lang::Lang;
use crate::units::ScriptSrc;

/// What the value constraints of a rule see of the item they judge: a syntax node (through the
/// folder) or a text item (a `script-src`/`injected-src` address, an `htaccess` line).
pub(crate) trait Item {
    /// The item's source text.
    fn text(&self) -> &[u8];
    /// Its folded value and provenance, when known.
    fn value(&self) -> Option<Folded>;
    /// Its value with unknown parts as NUL bytes (`$root . "/x.php"`).
    fn value_lossy(&self) -> Option<Vec<u8>>;
    /// The canonical name it resolves to as a callee.
    fn callee(&self) -> Option<String>;
}

/// A syntax node of a unit.
struct NodeItem<'f, 'a> {
    folder: &'f Folder<'a>,
    node: Node<'a>,
    text: &'a [u8],
    callees: &'f CalleeCache,
}

/// The names nodes resolve to as callees, by node id: many rules' patterns capture the same
/// callee (`(call_expression function: (_) @fn)`), and resolving a name follows aliases.
/// Spans of matches, shared between cache entries.
type Spans = Rc<Vec<Range<usize>>>;

type CalleeCache = std::cell::RefCell<HashMap<usize, Option<Rc<str>>>>;

impl Item for NodeItem<'_, '_> {
    fn text(&self) -> &[u8] {
        self.text
    }
    fn value(&self) -> Option<Folded> {
        self.folder.value(self.node)
    }
    fn value_lossy(&self) -> Option<Vec<u8>> {
        self.folder.value_lossy(self.node)
    }
    fn callee(&self) -> Option<String> {
        let id = self.node.id();
        if let Some(hit) = self.callees.borrow().get(&id) {
            return hit.as_deref().map(str::to_string);
        }
        let name = self.folder.callee(self.node);
        // A name that did not resolve may have run out of budget: only names are kept.
        if let Some(n) = &name {
            self.callees
                .borrow_mut()
                .insert(id, Some(Rc::from(n.as_str())));
        }
        name
    }
}

/// A text item: its text is its value (with the decoders an injected address went through).
pub(crate) struct TextItem<'s>(pub &'s ScriptSrc);

impl Item for TextItem<'_> {
    fn text(&self) -> &[u8] {
        self.0.url.as_bytes()
    }
    fn value(&self) -> Option<Folded> {
        Some(Folded {
            value: Value::Str(self.0.url.as_bytes().to_vec()),
            decoders: self.0.decoders.clone(),
        })
    }
    fn value_lossy(&self) -> Option<Vec<u8>> {
        Some(self.0.url.as_bytes().to_vec())
    }
    fn callee(&self) -> Option<String> {
        None
    }
}

/// The predicates of a constraint on the item's source text alone (`regex`, `not-regex`,
/// `any-of`, `min-length`): no folding, no names.
fn text_holds(c: &CompiledConstraint, text: &[u8]) -> bool {
    c.regex.as_ref().is_none_or(|re| re.is_match(text))
        && !c.not_regex.as_ref().is_some_and(|re| re.is_match(text))
        && c.any_of
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s.as_bytes() == text))
        && c.min_length.is_none_or(|min| text.len() >= min)
}

/// The ONE evaluator of a constraint's predicates on an item's text and value, for syntax
/// items and text items alike. The predicates about other rules' matches and data flow
/// (`contains`, `inside`, `tainted-by`…) need a tree: [`UnitFacts`] checks them after this,
/// and rule loading rejects them (and `resolves-to`) on text rules.
pub(crate) fn value_holds(
    c: &CompiledConstraint,
    item: &impl Item,
    allowed_hosts: &[String],
) -> bool {
    let text = item.text();
    if !text_holds(c, text) {
        return false;
    }
    let needs_value = c.host.is_some()
        || c.value_regex.is_some()
        || c.value_not_regex.is_some()
        || c.decoded_by.is_some()
        || c.decoded.is_some()
        || c.card_field.is_some()
        || c.entropy_above.is_some();
    let value: Option<Folded> = if needs_value { item.value() } else { None };
    let value_text = value.as_ref().and_then(Folded::to_text);
    if let Some(min) = c.entropy_above {
        let t = value_text.as_deref().unwrap_or(text);
        if decoders::entropy(t) <= min {
            return false;
        }
    }
    if let Some(re) = &c.value_regex {
        let lossy;
        let v = match &value_text {
            Some(v) => Some(v.as_slice()),
            None => {
                lossy = item.value_lossy();
                lossy.as_deref()
            }
        };
        if !v.is_some_and(|v| re.is_match(v)) {
            return false;
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
    if let Some(classes) = &c.host {
        let url = value_text.clone().or_else(|| item.value_lossy());
        let class = crate::hosts::classify(
            &String::from_utf8_lossy(url.as_deref().unwrap_or(text)),
            allowed_hosts,
        );
        if !classes.iter().any(|c| c == class.name()) {
            return false;
        }
    }
    if c.resolves_to.is_some() || c.not_resolves_to.is_some() {
        let name = item.callee().unwrap_or_default();
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
    true
}
/// The matches of `sources` that lie inside none of `blocked`, in mark order. Sorted spans
/// and a running maximum of their ends: O((sources + blocked) · log blocked), where a unit
/// with thousands of escaping calls made the pairwise test quadratic.
fn unblocked(
    marks: &[Vec<Range<usize>>],
    sources: &[usize],
    blocked: &[Range<usize>],
) -> Vec<Range<usize>> {
    let mut sorted: Vec<&Range<usize>> = blocked.iter().collect();
    sorted.sort_by_key(|b| b.start);
    let mut max_end = Vec::with_capacity(sorted.len());
    let mut running = 0;
    for b in &sorted {
        running = running.max(b.end);
        max_end.push(running);
    }
    let inside_any = |r: &Range<usize>| {
        // Blocked spans starting at or before `r`: the widest reach among them.
        let n = sorted.partition_point(|b| b.start <= r.start);
        n > 0 && max_end[n - 1] >= r.end
    };
    sources
        .iter()
        .flat_map(|&s| marks[s].iter())
        .filter(|r| !inside_any(r))
        .cloned()
        .collect()
}

/// Places (span, description) that explain a finding: a data-flow trace, source first.
pub type Trace = Vec<(Range<usize>, String)>;

/// A match whose constraints hold: the reported span, the message and its trace.
pub type MatchHit = (Range<usize>, String, Trace);

/// What is known about one unit while its rules run: matches of earlier rules (marks) and
/// lazily computed data for flow predicates.
pub struct UnitFacts<'f, 'a> {
    folder: &'f Folder<'a>,
    allowed_hosts: &'f [String],
    root: Node<'a>,
    text: &'a [u8],
    lang: Lang,
    marks: Vec<Vec<Range<usize>>>,
    flow: OnceCell<FlowIndex>,
    /// Trace of the last `tainted-by` that held: (span, description), source first.
    trace: Trace,
    /// Tainted variables, per set of source rules.
    tainted: HashMap<Vec<usize>, HashSet<(usize, String)>>,
    /// The spans of a set of sanitizer rules' matches that stop request data (see
    /// [`UnitFacts::blocking_spans`]), per set and its number of marks: looking each match's
    /// node up is a walk from the root, and a unit may have thousands of them.
    blocking: HashMap<(Vec<usize>, usize), Spans>,
    /// Source spans not inside a blocking span, per (sources, sanitizers, mark counts).
    unblocked_sources: HashMap<(Vec<usize>, Vec<usize>, usize, usize), Spans>,
    callees: CalleeCache,
    /// Does the unit's code run (see [`Role`]); in a data layer no data flows.
    role: Role,
    /// Argument spans of the unit's code sinks and file writes (PHP), for
    /// [`UnitFacts::reaches_code_or_write`].
    code_or_write_args: OnceCell<Vec<Range<usize>>>,
}

/// PHP functions and methods whose arguments are run as code or written to a file: a string
/// that reaches one of them is code that will run, not data.
const CODE_OR_WRITE: &[&str] = &[
    "eval",
    "assert",
    "create_function",
    "file_put_contents",
    "fwrite",
    "fputs",
    "gzwrite",
    "gzputs",
];

impl<'f, 'a> UnitFacts<'f, 'a> {
    pub fn new(
        rule_count: usize,
        folder: &'f Folder<'a>,
        allowed_hosts: &'f [String],
        root: Node<'a>,
        text: &'a [u8],
        lang: Lang,
        role: Role,
    ) -> Self {
        UnitFacts {
            role,
            code_or_write_args: OnceCell::new(),
            allowed_hosts,
            folder,
            root,
            text,
            lang,
            marks: vec![Vec::new(); rule_count],
            flow: OnceCell::new(),
            trace: Vec::new(),
            tainted: HashMap::new(),
            blocking: HashMap::new(),
            unblocked_sources: HashMap::new(),
            callees: Default::default(),
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
        m: &MatchView<'_, 'a>,
    ) -> Option<MatchHit> {
        self.trace.clear();
        let quantifiers = q.query.capture_quantifiers(m.pattern_index);
        for (capture, _, c) in &q.constraints {
            // A query may hold several patterns; a constraint on a capture that this pattern
            // does not have does not apply to its matches.
            if quantifiers.get(*capture as usize) == Some(&tree_sitter::CaptureQuantifier::Zero) {
                continue;
            }
            let nodes: Vec<Node<'a>> = m.nodes_for_capture_index(*capture).collect();
            if nodes.is_empty() || !nodes.iter().any(|n| self.holds(c, *n)) {
                return None;
            }
        }
        // The `report` capture, or (when this pattern lacks it) the widest capture of the match.
        let widest = || {
            m.captures().iter().map(|c| c.node).max_by_key(|n| {
                (
                    n.end_byte() - n.start_byte(),
                    std::cmp::Reverse(n.start_byte()),
                )
            })
        };
        let report = q
            .report
            .and_then(|i| m.nodes_for_capture_index(i).next())
            .or_else(widest)?;
        let message = self.interpolate(&rule.meta.message, q, m);
        Some((
            report.byte_range(),
            message,
            std::mem::take(&mut self.trace),
        ))
    }

    /// Can the match still hold: does every constraint's text and value part (see
    /// [`value_holds`]) hold on some node of its capture? Those parts depend on nothing but
    /// the node, so matches that fail them are dropped before they are buffered (a large
    /// bundle gives millions of matches, nearly all of which fail here);
    /// [`UnitFacts::check_match`] checks the survivors whole. The engine calls it inside a
    /// budget look-ahead (`Budget::lookahead`).
    pub fn values_may_hold(&self, q: &CompiledQuery, m: &MatchView<'_, 'a>) -> bool {
        let quantifiers = q.query.capture_quantifiers(m.pattern_index);
        q.constraints.iter().all(|(capture, _, c)| {
            quantifiers.get(*capture as usize) == Some(&tree_sitter::CaptureQuantifier::Zero)
                || m.nodes_for_capture_index(*capture).any(|n| {
                    let item = NodeItem {
                        folder: self.folder,
                        node: n,
                        text: self.node_text(n),
                        callees: &self.callees,
                    };
                    value_holds(c, &item, self.allowed_hosts)
                })
        })
    }

    fn node_text(&self, n: Node<'a>) -> &'a [u8] {
        &self.text[n.byte_range()]
    }

    /// Does constraint `c` hold on node `n`: its value constraints (see [`value_holds`]),
    /// then those about other rules' matches and data flow, which need the tree.
    fn holds(&mut self, c: &CompiledConstraint, n: Node<'a>) -> bool {
        let item = NodeItem {
            folder: self.folder,
            node: n,
            text: self.node_text(n),
            callees: &self.callees,
        };
        if !value_holds(c, &item, self.allowed_hosts) {
            return false;
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
        if !c.is.is_empty() && !c.is.iter().any(|&j| self.marks[j].contains(&range)) {
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
        if !c.tainted_by.is_empty() && !self.tainted(&c.tainted_by, &c.sanitized_by, range) {
            return false;
        }
        true
    }

    fn flow(&self) -> &FlowIndex {
        self.flow
            .get_or_init(|| FlowIndex::build(self.folder, self.root, self.text, self.lang))
    }

    /// Does the value of `node` (a string literal) reach an argument of a code sink or a file
    /// write (`CODE_OR_WRITE`, under any spelling of the name the folder resolves): directly,
    /// through variables, or through the parameters of the unit's own functions.
    pub fn reaches_code_or_write(&self, node: Node<'a>) -> bool {
        let sinks = self.code_or_write_args.get_or_init(|| {
            let mut out = Vec::new();
            self.folder.nodes().preorder(|n| {
                let name = match n.kind_name() {
                    "function_call_expression" => {
                        n.field("function").and_then(|f| self.folder.callee(f))
                    }
                    "member_call_expression" | "nullsafe_member_call_expression" => n
                        .field("name")
                        .map(|f| String::from_utf8_lossy(self.node_text(f)).into_owned()),
                    _ => None,
                };
                if name.is_some_and(|name| {
                    CODE_OR_WRITE
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(name.trim_start_matches('\\')))
                }) {
                    if let Some(args) = n.field("arguments") {
                        out.push(args.byte_range());
                    }
                }
                true
            });
            out
        });
        if sinks.is_empty() {
            return false;
        }
        let range = node.byte_range();
        if sinks
            .iter()
            .any(|s| s.start <= range.start && range.end <= s.end)
        {
            return true;
        }
        let flow = self.flow();
        let tainted = flow.tainted(std::slice::from_ref(&range), &[], self.folder.budget());
        sinks.iter().any(|s| flow.reaches(s, &tainted, &[]))
    }

    /// The matches of `sanitizers` that stop request data: all but those that read a field of
    /// a copy of the request (`$a = $_POST; $a['to']`). Computed once per set of rules.
    fn blocking_spans(&mut self, sanitizers: &[usize]) -> Spans {
        let marks: usize = sanitizers.iter().map(|&s| self.marks[s].len()).sum();
        let (root, folder, all_marks) = (self.root, self.folder, &self.marks);
        self.blocking
            .entry((sanitizers.to_vec(), marks))
            .or_insert_with(|| {
                Rc::new(
                    sanitizers
                        .iter()
                        .flat_map(|&s| all_marks[s].iter().cloned())
                        .filter(|b| {
                            let node = root.descendant_for_byte_range(b.start, b.end);
                            !node.is_some_and(|n| {
                                n.byte_range() == *b && folder.reads_request_copy(n)
                            })
                        })
                        .collect(),
                )
            })
            .clone()
    }

    /// Does data from a match of `sources` reach `range`: a match inside it, or a variable
    /// (transitively) assigned from one? Never in a data layer: nothing there runs.
    fn tainted(&mut self, sources: &[usize], sanitizers: &[usize], range: Range<usize>) -> bool {
        if self.role == Role::Data {
            return false;
        }
        // A sanitizer around the sink cleans what the sink returns, not what it is given:
        // `htmlspecialchars(file_get_contents($_GET['f']))` still reads the named file.
        let base = self.blocking_spans(sanitizers);
        let (blocked, source_spans) = if base.iter().any(|b| encloses(b, &range)) {
            let blocked: Vec<Range<usize>> = base
                .iter()
                .filter(|b| !encloses(b, &range))
                .cloned()
                .collect();
            let sources = Rc::new(unblocked(&self.marks, sources, &blocked));
            (Rc::new(blocked), sources)
        } else {
            // The common case: the same for every sink of the rule, computed once.
            let marks: usize = sources.iter().map(|&s| self.marks[s].len()).sum();
            let key = (sources.to_vec(), sanitizers.to_vec(), marks, base.len());
            let all_marks = &self.marks;
            let spans = self
                .unblocked_sources
                .entry(key)
                .or_insert_with(|| Rc::new(unblocked(all_marks, sources, &base)))
                .clone();
            (base, spans)
        };
        let around_sink = sanitizers
            .iter()
            .flat_map(|&s| self.marks[s].iter())
            .any(|b| encloses(b, &range));
        if source_spans.is_empty() {
            return false;
        }
        if let Some(s) = source_spans
            .iter()
            .find(|s| s.start >= range.start && s.end <= range.end)
        {
            self.trace = vec![(s.clone(), "source".to_string())];
            return true;
        }
        let flow = self
            .flow
            .get_or_init(|| FlowIndex::build(self.folder, self.root, self.text, self.lang));
        // The set of blocked spans differs for a sink inside a sanitizer: its own cache entry.
        let key: Vec<usize> = sources
            .iter()
            .chain([&usize::MAX])
            .chain(sanitizers)
            .copied()
            .chain(
                around_sink
                    .then_some([usize::MAX - 1, range.start])
                    .into_iter()
                    .flatten(),
            )
            .collect();
        let tainted = self
            .tainted
            .entry(key)
            .or_insert_with(|| flow.tainted(&source_spans, &blocked, self.folder.budget()));
        if !flow.reaches(&range, tainted, &blocked) {
            return false;
        }
        // The trace: the source, then each assignment the data passes through to the sink.
        let trace = flow.trace(&range, tainted, &blocked, &source_spans, 8);
        if !trace.is_empty() {
            self.trace = trace;
        }
        true
    }

    /// Replaces `{capture}`, `{capture.value}`, `{capture.callee}`, `{capture.decoders}`.
    fn interpolate(&self, template: &str, q: &CompiledQuery, m: &MatchView<'_, 'a>) -> String {
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
                .or_else(|| {
                    // Partly known (`"delete from " . $p . "t"`): unknown pieces shown as `…`.
                    self.folder
                        .value_lossy(n)
                        .filter(|v| v.iter().any(|&b| b != 0))
                        .map(|v| String::from_utf8_lossy(&v).replace('\0', "…"))
                })
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

/// `outer` strictly encloses `inner` (a sanitizer around a sink, not the sink's argument itself).
fn encloses(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer != inner
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

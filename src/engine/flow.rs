//! Data flow inside a unit, for the `tainted-by` predicate.
//!
//! Flow-insensitive and name-based, but scope-aware: a variable is identified by its name and
//! the function that owns it. In PHP a function sees only its own variables; in JavaScript an
//! assignment without a declaration writes the nearest enclosing declaration (or the global),
//! and a use sees every enclosing function's variables.

use crate::syntax::NodeExt;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::Node;

use crate::fold::{walk_preorder, Budget, Folder, LimitHit};
use crate::syntax::lang::Lang;

type Key = (usize, String);

/// See [`FlowIndex::uses`].
struct Uses {
    /// Name → its occurrences (indexes into `names`) that lie inside an assignment's value, in
    /// document order.
    by_name: HashMap<String, Vec<u32>>,
    /// Per occurrence: the innermost assignment whose value holds it (`NONE`: none).
    innermost: Vec<u32>,
    /// Per assignment: the innermost other assignment whose value holds its value.
    parent: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// Name occurrences longer than this are not tracked. A member chain `a.b.b.b…` has one
/// `member_expression` per prefix, so keeping every prefix's text would take memory quadratic
/// in the chain's length (a 100 KB line took 2.5 GB); no real variable name is this long.
const MAX_NAME_BYTES: usize = 512;

/// Argument-to-parameter edges followed per unit.
const MAX_CALL_EDGES: usize = 100_000;

pub struct FlowIndex {
    /// See [`FlowIndex::uses`].
    uses: std::cell::OnceCell<Uses>,
    lang: Lang,
    /// Function scopes: byte range and parent scope (scope 0 is the whole unit).
    scopes: Vec<(Range<usize>, usize)>,
    /// Name occurrences (text, span, innermost scope), sorted by start.
    names: Vec<(String, Range<usize>, usize)>,
    /// Assignments: the variable written and the span of the value.
    assignments: Vec<(Key, Range<usize>)>,
    /// Assignment indexes by the variable written (for traces).
    by_key: HashMap<Key, Vec<usize>>,
    /// Per assignment: its value is a function written in place (`g = function () {…}`). A
    /// function is code, not the data its body reads, so such a variable is never tainted
    /// (its body's own assignments are).
    function_valued: Vec<bool>,
    /// Variables declared per scope (`var`/`let`/`const`, parameters, function declarations).
    declared: HashSet<Key>,
}

/// Walks `root` with the folder's node list when it is the folder's tree.
fn preorder_in<'a>(folder: &Folder<'a>, root: Node<'a>, visit: impl FnMut(Node<'a>) -> bool) {
    if folder.nodes().root() == root {
        folder.nodes().preorder(visit)
    } else {
        walk_preorder(root, visit)
    }
}

/// PHP built-ins that store (parts of) one argument into a by-reference argument: the
/// argument read and the argument written, by position (PHP manual: parse_str, mb_parse_str,
/// preg_match, preg_match_all).
fn php_out_parameter(name: &str) -> Option<(usize, usize)> {
    match name {
        "parse_str" | "mb_parse_str" => Some((0, 1)),
        "preg_match" | "preg_match_all" => Some((1, 2)),
        _ => None,
    }
}

fn is_scope(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "generator_function"
            | "generator_function_declaration"
            | "function_definition"
            | "method_declaration"
            | "anonymous_function"
    )
}

/// A call that hands data to an inline function: `arr.forEach(function (v) {…})`,
/// `fetch(u).then(r => …)`, `array_map(function ($c) {…}, $_POST)`,
/// `preg_replace_callback($p, function ($m) {…}, $s)`, `array_walk($a, fn ($v, $k) => …)`.
/// Returns the function's start byte and the spans of what the call passes along: its other
/// arguments and, for a method call, the receiver. Every parameter is bound to all of them
/// (which argument lands in which parameter differs per API; binding all of them is the
/// flow-insensitive over-approximation the rest of the index makes too).
fn callback_data(call: Node) -> Option<(usize, Vec<Range<usize>>)> {
    if !matches!(
        call.kind_name(),
        "call_expression"
            | "function_call_expression"
            | "member_call_expression"
            | "scoped_call_expression"
    ) {
        return None;
    }
    let args = call.field("arguments")?;
    let mut function = None;
    let mut data = Vec::new();
    for arg in args.named_children(&mut args.walk()) {
        // PHP wraps each argument in an `argument` node.
        let value = if arg.kind_name() == "argument" {
            arg.named_child(arg.named_child_count().saturating_sub(1) as u32)
                .unwrap_or(arg)
        } else {
            arg
        };
        if is_scope(value.kind_name()) {
            if function.is_none() {
                function = Some(value.start_byte());
            }
        } else {
            data.push(value.byte_range());
        }
    }
    let receiver = match call.kind_name() {
        "call_expression" => call
            .field("function")
            .filter(|f| matches!(f.kind_name(), "member_expression" | "subscript_expression"))
            .and_then(|f| f.field("object")),
        "member_call_expression" => call.field("object"),
        _ => None,
    };
    data.extend(receiver.map(|r| r.byte_range()));
    Some((function?, data)).filter(|(_, d)| !d.is_empty())
}

/// A function written in place as an object's handler property: `ws.onmessage = function (m)
/// {…}`, `x.onload = () => …`. The object calls it with its own data (the message, the
/// event), so the function's parameters are bound to the property written (which holds the
/// object: a source that matches `ws.onmessage` or `ws` reaches `m`).
fn handler_data(assignment: Node) -> Option<(usize, Vec<Range<usize>>)> {
    if assignment.kind_name() != "assignment_expression" {
        return None;
    }
    let left = assignment.field("left")?;
    let right = assignment.field("right")?;
    if !matches!(
        left.kind_name(),
        "member_expression" | "subscript_expression"
    ) || !is_scope(right.kind_name())
    {
        return None;
    }
    Some((right.start_byte(), vec![left.byte_range()]))
}

impl FlowIndex {
    pub fn build<'a>(folder: &Folder<'a>, root: Node<'a>, text: &[u8], lang: Lang) -> FlowIndex {
        let mut scopes = vec![(root.byte_range(), 0usize)];
        let mut names = Vec::new();
        let mut declared: HashSet<Key> = HashSet::new();
        let mut stack: Vec<usize> = vec![0];
        // Functions by name (scope, parameter names) and calls by callee name (argument spans),
        // so arguments flow into parameters (interprocedural, inside the unit).
        let mut functions: Vec<(String, usize, Vec<String>)> = Vec::new();
        let mut calls: Vec<(String, Vec<Range<usize>>)> = Vec::new();
        // Inline functions passed to a call (by their start byte): the spans of the data the
        // call hands them, bound to their parameters when the walk reaches them.
        let mut handed: HashMap<usize, Vec<Range<usize>>> = HashMap::new();
        let mut callbacks: Vec<(usize, Vec<String>, Vec<Range<usize>>)> = Vec::new();
        // PHP functions that write what they read into a variable passed by reference
        // (`parse_str($qs, $q)`): that variable is assigned from the read argument.
        let mut out_params: Vec<(Key, Range<usize>)> = Vec::new();
        let txt = |n: Node| String::from_utf8_lossy(&text[n.byte_range()]).into_owned();
        // A call of a PHP built-in that writes into a by-reference argument, whatever spells
        // its name: that variable is assigned from the argument it reads.
        let record_out_parameter =
            |n: Node<'a>, scope: usize, out: &mut Vec<(Key, Range<usize>)>| {
                let (Some(function), Some(args)) = (n.field("function"), n.field("arguments"))
                else {
                    return;
                };
                let name = if function.kind_name() == "name" {
                    Some(txt(function).to_ascii_lowercase())
                } else {
                    folder.callee(function).map(|c| c.to_ascii_lowercase())
                };
                let Some((from, to)) = name.as_deref().and_then(php_out_parameter) else {
                    return;
                };
                let list: Vec<Node> = args.named_children(&mut args.walk()).collect();
                let target = list
                    .get(to)
                    .and_then(|a| a.named_child(0))
                    .filter(|v| v.kind_name() == "variable_name");
                if let (Some(target), Some(from)) = (target, list.get(from)) {
                    out.push(((scope, txt(target)), from.byte_range()));
                }
            };
        let name_kinds: &[&str] = match lang {
            Lang::Javascript => &[
                "identifier",
                "member_expression",
                "subscript_expression",
                "shorthand_property_identifier",
                "this",
            ],
            Lang::Php => &[
                "variable_name",
                "dynamic_variable_name",
                "subscript_expression",
            ],
        };
        preorder_in(folder, root, |n| {
            while stack.len() > 1 && scopes[*stack.last().unwrap_or(&0)].0.end <= n.start_byte() {
                stack.pop();
            }
            let current = *stack.last().unwrap_or(&0);
            if is_scope(n.kind_name()) {
                scopes.push((n.byte_range(), current));
                let id = scopes.len() - 1;
                stack.push(id);
                // Parameters belong to the new scope.
                let mut params = Vec::new();
                if let Some(list) = n.field("parameters").or_else(|| n.field("parameter")) {
                    walk_preorder(list, |p| {
                        if matches!(p.kind_name(), "identifier" | "variable_name") {
                            declared.insert((id, txt(p)));
                            params.push(txt(p));
                            return false;
                        }
                        true
                    });
                }
                if let Some(data) = handed.remove(&n.start_byte()) {
                    // A callback's `this` is what the call hands it too (jQuery's `each` and
                    // `on` give the element, DOM handlers the target); an arrow function's
                    // `this` is its enclosing function's, found through the scope chain.
                    let mut bound = params.clone();
                    if lang == Lang::Javascript && n.kind_name() != "arrow_function" {
                        bound.push("this".to_string());
                    }
                    callbacks.push((id, bound, data));
                }
                // A JavaScript method (`{ async fetch(e) {…} }`) is called through its object,
                // never by its bare name: `fetch(u)` elsewhere is the global.
                let method = lang == Lang::Javascript && n.kind_name() == "method_definition";
                if let Some(name) = n.field("name").filter(|_| !method) {
                    // `function a() {…}` declares `a` in the enclosing scope (hoisted): a use
                    // of `a` there is the function, not an outer variable of that name.
                    if n.kind_name() == "function_declaration"
                        || n.kind_name() == "generator_function_declaration"
                    {
                        declared.insert((current, txt(name)));
                    }
                    functions.push((txt(name).to_ascii_lowercase(), id, params));
                }
                return true;
            }
            let callee = match n.kind_name() {
                "call_expression" => n
                    .field("function")
                    .filter(|f| f.kind_name() == "identifier"),
                "function_call_expression" => {
                    n.field("function").filter(|f| f.kind_name() == "name")
                }
                "member_call_expression" | "scoped_call_expression" => n.field("name"),
                _ => None,
            };
            if let Some((function, data)) = callback_data(n) {
                handed.insert(function, data);
            }
            if let Some((function, data)) = handler_data(n) {
                handed.insert(function, data);
            }
            if let (Some(callee), Some(args)) = (callee, n.field("arguments")) {
                let spans: Vec<Range<usize>> = args
                    .named_children(&mut args.walk())
                    .map(|a| a.byte_range())
                    .collect();
                let name = txt(callee).to_ascii_lowercase();
                if n.kind_name() == "function_call_expression" {
                    record_out_parameter(n, current, &mut out_params);
                }
                calls.push((name, spans));
            } else if n.kind_name() == "function_call_expression" {
                // `$f = 'parse_str'; $f($qs, $q)`, `$GLOBALS['g']($qs, $q)`, a computed name:
                // the by-reference output is followed as when the name is written plainly.
                record_out_parameter(n, current, &mut out_params);
            }
            if n.kind_name() == "variable_declarator" {
                if let Some(name) = n.field("name") {
                    declared.insert((
                        current,
                        String::from_utf8_lossy(&text[name.byte_range()]).into_owned(),
                    ));
                }
            }
            if name_kinds.contains(&n.kind_name()) && n.byte_range().len() <= MAX_NAME_BYTES {
                // `document["\x63ookie"]` is `document.cookie`: a computed member whose key
                // folds is known by its canonical name, as assignments record it.
                // Only keys built from literals (escaped, joined, decoded, reversed, looked up in
                // a string array): loop indexes and variables are data, and folding them all
                // in an obfuscated file would spend the fold budget other rules need.
                let literal_key = n.kind_name() == "subscript_expression"
                    && n.field("index").is_some_and(|i| {
                        matches!(
                            i.kind_name(),
                            "string"
                                | "template_string"
                                | "binary_expression"
                                | "parenthesized_expression"
                                | "call_expression"
                                | "subscript_expression"
                        )
                    });
                // `${$GLOBALS['k']}` and `$GLOBALS['data']` are `$data` when the name folds;
                // other PHP subscripts are not names.
                let name = match (lang, n.kind_name()) {
                    (Lang::Php, "variable_name") => None,
                    (Lang::Php, _) => match folder.computed_variable(n) {
                        Some(name) => Some(name),
                        None if n.kind_name() == "subscript_expression" => return true,
                        None => None,
                    },
                    _ => literal_key.then(|| folder.callee(n)).flatten(),
                };
                let name = name
                    .unwrap_or_else(|| String::from_utf8_lossy(&text[n.byte_range()]).into_owned());
                names.push((name, n.byte_range(), current));
            }
            true
        });
        names.sort_by_key(|(_, r, _)| (r.start, std::cmp::Reverse(r.end)));
        let mut index = FlowIndex {
            uses: Default::default(),
            lang,
            scopes,
            names,
            assignments: Vec::new(),
            by_key: HashMap::new(),
            function_valued: Vec::new(),
            declared: HashSet::new(),
        };
        let mut function_valued = Vec::new();
        let assignments = folder
            .assignments()
            .into_iter()
            .map(|(name, value)| {
                function_valued.push(is_scope(value.kind_name()));
                let scope = index.scope_at(value.start_byte());
                let owner = match lang {
                    Lang::Php => scope,
                    Lang::Javascript => index
                        .chain(scope)
                        .find(|s| declared.contains(&(*s, name.clone())))
                        .unwrap_or(0),
                };
                ((owner, name), value.byte_range())
            })
            .collect();
        let mut assignments: Vec<(Key, Range<usize>)> = assignments;
        assignments.extend(out_params);
        // Calls × same-named functions × parameters can be huge (3,000 `function f(a,b,c)` and
        // 3,000 `f(x,y,z)` took 2 GB): functions are indexed by name and the edges capped.
        let mut by_name: HashMap<&str, Vec<(usize, &[String])>> = HashMap::new();
        for (name, scope, params) in &functions {
            by_name
                .entry(name.as_str())
                .or_default()
                .push((*scope, params.as_slice()));
        }
        let mut edges = 0usize;
        'calls: for (callee, args) in &calls {
            for (scope, params) in by_name.get(callee.as_str()).into_iter().flatten() {
                for (param, arg) in params.iter().zip(args) {
                    edges += 1;
                    if edges > MAX_CALL_EDGES {
                        folder.budget().hit(LimitHit::FlowSize);
                        break 'calls;
                    }
                    assignments.push(((*scope, param.clone()), arg.clone()));
                }
            }
        }
        'callbacks: for (scope, params, data) in &callbacks {
            for param in params {
                for value in data {
                    edges += 1;
                    if edges > MAX_CALL_EDGES {
                        folder.budget().hit(LimitHit::FlowSize);
                        break 'callbacks;
                    }
                    assignments.push(((*scope, param.clone()), value.clone()));
                }
            }
        }
        let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, (k, _)) in assignments.iter().enumerate() {
            by_key.entry(k.clone()).or_default().push(i);
        }
        function_valued.resize(assignments.len(), false);
        index.assignments = assignments;
        index.by_key = by_key;
        index.function_valued = function_valued;
        index.declared = declared;
        index
    }

    fn scope_at(&self, pos: usize) -> usize {
        // Scopes are in document order and nest: the innermost one containing `pos` is the last
        // one starting at or before it, or one of that one's ancestors (no linear scan: a file
        // with many functions and many assignments would make that quadratic).
        let mut i = self
            .scopes
            .partition_point(|(r, _)| r.start <= pos)
            .saturating_sub(1);
        loop {
            let (r, parent) = &self.scopes[i];
            if i == 0 || (r.start <= pos && pos < r.end) {
                return i;
            }
            i = *parent;
        }
    }

    fn chain(&self, scope: usize) -> impl Iterator<Item = usize> + '_ {
        let mut next = Some(scope);
        std::iter::from_fn(move || {
            let s = next?;
            next = if s == 0 { None } else { Some(self.scopes[s].1) };
            Some(s)
        })
    }

    /// Does any name occurrence inside `range` refer to a tainted variable?
    /// Occurrences inside a `blocked` span (a sanitizer call) do not count.
    pub fn reaches(
        &self,
        range: &Range<usize>,
        tainted: &HashSet<Key>,
        blocked: &[Range<usize>],
    ) -> bool {
        if tainted.is_empty() {
            return false;
        }
        let start = self
            .names
            .partition_point(|(_, r, _)| r.start < range.start);
        self.names[start..]
            .iter()
            .take_while(|(_, r, _)| r.start < range.end)
            .filter(|(_, r, _)| r.end <= range.end)
            .filter(|(_, r, _)| !blocked.iter().any(|b| r.start >= b.start && r.end <= b.end))
            .any(|(name, _, scope)| match self.lang {
                Lang::Php => tainted.contains(&(*scope, name.clone())),
                // The nearest declaration of the name is the variable meant: an inner `var a`,
                // parameter or `function a` shadows a tainted outer `a` (minified bundles reuse
                // one-letter names in every function).
                Lang::Javascript => {
                    for s in self.chain(*scope) {
                        let key = (s, name.clone());
                        if tainted.contains(&key) {
                            return true;
                        }
                        if self.declared.contains(&key) {
                            return false;
                        }
                    }
                    false
                }
            })
    }

    /// The path from a source to `range`, source first: each step is the value assigned to a
    /// tainted variable that the next step (or the sink) mentions. At most `max_steps` steps,
    /// never the same assignment twice; stops at a value that holds a source.
    pub fn trace(
        &self,
        range: &Range<usize>,
        tainted: &HashSet<Key>,
        blocked: &[Range<usize>],
        sources: &[Range<usize>],
        max_steps: usize,
    ) -> Vec<(Range<usize>, String)> {
        let mut steps: Vec<(Range<usize>, String)> = Vec::new();
        let mut at = range.clone();
        let holds_source = |v: &Range<usize>| {
            sources
                .iter()
                .find(|s| s.start >= v.start && s.end <= v.end)
        };
        for _ in 0..max_steps {
            let Some((name, value)) = self.step_into_from(&at, tainted, blocked, sources, &steps)
            else {
                break;
            };
            steps.push((value.clone(), format!("flows through `{name}`")));
            if let Some(s) = holds_source(&value) {
                steps.push((s.clone(), "source".to_string()));
                break;
            }
            at = value;
        }
        steps.reverse();
        steps
    }

    /// The first tainted variable mentioned inside `range` and where it was assigned,
    /// preferring an assignment whose value holds a source or mentions a tainted name, and
    /// skipping values already on the trace.
    fn step_into_from(
        &self,
        range: &Range<usize>,
        tainted: &HashSet<Key>,
        blocked: &[Range<usize>],
        sources: &[Range<usize>],
        seen: &[(Range<usize>, String)],
    ) -> Option<(String, Range<usize>)> {
        let start = self
            .names
            .partition_point(|(_, r, _)| r.start < range.start);
        let candidates = self.names[start..]
            .iter()
            .take_while(|(_, r, _)| r.start < range.end)
            .filter(|(_, r, _)| r.end <= range.end)
            .filter(|(_, r, _)| !blocked.iter().any(|b| r.start >= b.start && r.end <= b.end))
            .filter_map(|(name, _, scope)| {
                let key = match self.lang {
                    Lang::Php => Some((*scope, name.clone())).filter(|k| tainted.contains(k)),
                    Lang::Javascript => self
                        .chain(*scope)
                        .map(|s| (s, name.clone()))
                        .find(|k| tainted.contains(k)),
                };
                key.map(|k| (name.clone(), k))
            });
        let mut fallback = None;
        for (name, key) in candidates.take(64) {
            let indexes = self.by_key.get(&key).map_or(&[][..], Vec::as_slice);
            for v in indexes.iter().take(64).map(|&i| &self.assignments[i].1) {
                if seen.iter().any(|(r, _)| r == v) || v == range {
                    continue;
                }
                let useful = sources.iter().any(|s| s.start >= v.start && s.end <= v.end)
                    || self.reaches(v, tainted, blocked);
                if useful {
                    return Some((name, v.clone()));
                }
                if fallback.is_none() {
                    fallback = Some((name.clone(), v.clone()));
                }
            }
        }
        fallback
    }

    /// Where names occur inside assignment values, without listing every (name, enclosing
    /// assignment) pair: nested values (a bundle's modules inside one another) would repeat each
    /// name once per enclosing assignment, hundreds of MB on a large bundle. Instead each
    /// occurrence knows its innermost enclosing assignment, and each assignment the one whose
    /// value encloses it. Built once per unit (every `tainted-by` constraint asks for a
    /// different source set).
    fn uses(&self, budget: &Budget) -> &Uses {
        self.uses.get_or_init(|| {
            let n = self.assignments.len();
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| {
                let v = &self.assignments[i].1;
                (v.start, std::cmp::Reverse(v.end))
            });
            let mut uses = Uses {
                by_name: HashMap::new(),
                innermost: vec![NONE; self.names.len()],
                parent: vec![NONE; n],
            };
            let contains = |a: usize, r: &Range<usize>| {
                let v = &self.assignments[a].1;
                v.start <= r.start && r.end <= v.end
            };
            let mut open: Vec<usize> = Vec::new();
            let mut next = 0;
            for (ni, (name, r, _)) in self.names.iter().enumerate() {
                if ni.is_multiple_of(4096) && budget.out_of_time() {
                    break;
                }
                while next < n && self.assignments[order[next]].1.start <= r.start {
                    let a = order[next];
                    let v = self.assignments[a].1.clone();
                    while open.last().is_some_and(|&t| !contains(t, &v)) {
                        open.pop();
                    }
                    uses.parent[a] = open.last().map_or(NONE, |&t| t as u32);
                    open.push(a);
                    next += 1;
                }
                while open
                    .last()
                    .is_some_and(|&t| self.assignments[t].1.end <= r.start)
                {
                    open.pop();
                }
                if let Some(&a) = open.iter().rev().find(|&&t| contains(t, r)) {
                    uses.innermost[ni] = a as u32;
                    uses.by_name
                        .entry(name.clone())
                        .or_default()
                        .push(ni as u32);
                }
            }
            uses
        })
    }

    /// Variables (transitively) assigned from one of `source_spans`.
    ///
    /// A worklist over an index from names to the assignments whose value mentions them, so a
    /// long chain of assignments costs linear, not quadratic, time; stops with what it found so
    /// far when the file's time budget runs out (recorded as a limit hit).
    pub fn tainted(
        &self,
        source_spans: &[Range<usize>],
        blocked: &[Range<usize>],
        budget: &Budget,
    ) -> HashSet<Key> {
        let mut tainted: HashSet<Key> = HashSet::new();
        let mut work: Vec<Key> = Vec::new();
        let mut visits = 0u64;
        let mut out_of_time = || {
            visits += 1;
            visits.is_multiple_of(4096) && budget.out_of_time()
        };
        let mut sources: Vec<Range<usize>> = source_spans.to_vec();
        sources.sort_by_key(|r| (r.start, r.end));
        for (i, (key, value)) in self.assignments.iter().enumerate() {
            let first = sources.partition_point(|s| s.start < value.start);
            let mut from_source = false;
            for s in sources[first..].iter().take_while(|s| s.start < value.end) {
                if out_of_time() {
                    return tainted;
                }
                if s.end <= value.end {
                    from_source = true;
                    break;
                }
            }
            if from_source && !self.function_valued[i] && tainted.insert(key.clone()) {
                work.push(key.clone());
            }
        }
        let uses = self.uses(budget);
        // Assignments already credited (their enclosing ones were credited with them).
        let mut credited = vec![false; self.assignments.len()];
        while let Some((scope, name)) = work.pop() {
            let Some(list) = uses.by_name.get(name.as_str()) else {
                continue;
            };
            // An occurrence can refer to the variable only inside the variable's scope (in
            // JavaScript, anywhere inside it; in PHP, not in nested functions): occurrences are
            // in document order, so only that range is visited.
            let within = &self.scopes[scope].0;
            let first = list.partition_point(|&ni| self.names[ni as usize].1.start < within.start);
            for &ni in list[first..]
                .iter()
                .take_while(|&&ni| self.names[ni as usize].1.start < within.end)
            {
                if out_of_time() {
                    return tainted;
                }
                let (_, r, occurrence_scope) = &self.names[ni as usize];
                if self.lang == Lang::Php && *occurrence_scope != scope {
                    continue;
                }
                if blocked.iter().any(|b| r.start >= b.start && r.end <= b.end) {
                    continue;
                }
                // The occurrence taints every assignment whose value encloses it.
                let mut a = uses.innermost[ni as usize];
                while a != NONE && !credited[a as usize] {
                    credited[a as usize] = true;
                    let key = &self.assignments[a as usize].0;
                    if !self.function_valued[a as usize] && tainted.insert(key.clone()) {
                        work.push(key.clone());
                    }
                    a = uses.parent[a as usize];
                }
            }
        }
        tainted
    }
}

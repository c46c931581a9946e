//! Static evaluation of PHP expressions.
//!
//! Understands single- and double-quoted strings with every escape form (and interpolated
//! constant variables), heredoc/nowdoc, `.` and arithmetic, chr()/ord() chains, the decoder
//! functions (base64_decode, gz*, str_rot13, strrev, hex2bin, url/rawurl-decode,
//! convert_uudecode, pack('H*')), common string functions, constant variables (assigned once),
//! `$GLOBALS['x']` and `${'x'}` indirection, string offsets and constant arrays, and variable
//! functions (`$f = 'base'.'64_decode'; $f(...)` resolves to `base64_decode`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use super::budget::{Budget, LimitHit};
use super::decoders::{self, Inflate};
use super::value::{Folded, Value};
use super::walk::{is_binary_op, left_spine, preorder, Nodes};
use super::{PayloadCandidate, Sink};

/// Functions whose folded result can hide a payload.
pub const DECODER_FUNCTIONS: &[&str] = &[
    "base64_decode",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "str_rot13",
    "strrev",
    "hex2bin",
    "urldecode",
    "rawurldecode",
    "convert_uudecode",
    "pack",
    "strtr",
    "str_replace",
    "implode",
];

/// How a statement of an inlined helper ended.
enum Flow {
    Normal,
    Return(Option<Folded>),
    /// `break;` / `continue;` (one level).
    Break,
    Continue,
    /// Outside the understood subset.
    Abort,
}

fn truthy(v: &Folded) -> bool {
    match &v.value {
        Value::Bool(b) => *b,
        Value::Num(n) => *n != 0.0,
        Value::Str(s) => !(s.is_empty() || s == b"0"),
        Value::Arr(a) => !a.is_empty(),
        Value::Map(m) => !m.is_empty(),
    }
}

pub struct PhpFolder<'a> {
    src: &'a [u8],
    root: Node<'a>,
    /// Every node in document order, for whole-tree passes.
    nodes: Nodes<'a>,
    budget: &'a Budget,
    /// Variable name (without `$`) → its single assigned value; `None` when written more than once.
    vars: HashMap<String, Option<Node<'a>>>,
    cache: RefCell<HashMap<usize, Option<Folded>>>,
    /// User-defined functions and methods by lower-case name (ambiguous names dropped), for
    /// inlining small decoder helpers.
    functions: HashMap<String, Option<Node<'a>>>,
    /// While folding in context (see `value_in_context`): variable values at that point.
    context: RefCell<Option<HashMap<String, Folded>>>,
    /// Bytes held by remembered prefixes of concatenation chains (see `fold_concat_chain`).
    prefix_bytes: Cell<usize>,
    /// `value_in_context`'s progress: the variables after the first `k` top-level statements.
    ctx_cursor: RefCell<Option<(usize, HashMap<String, Folded>)>>,
    /// The root's top-level statements, in order (found lazily).
    top_level: RefCell<Option<Vec<Node<'a>>>>,
    /// Byte ranges of every function, method and closure, by start (built on first use).
    function_spans: RefCell<Option<Vec<(usize, usize)>>>,
    /// Variables of the code that `eval`s this unit, where it does (see [`with_caller_scope`]).
    inherited: HashMap<String, Folded>,
}

thread_local! {
    /// The caller's variables for the next folder created on this thread (a decoded payload
    /// about to be scanned as a nested unit).
    static CALLER_SCOPE: RefCell<Option<HashMap<String, Folded>>> = const { RefCell::new(None) };
}

/// Runs `scan` with `scope` as the variables visible to the first PHP folder it creates:
/// `eval`'d code runs in the caller's scope, so a decoded layer can use names and keys the
/// outer layer set up (`$f = 'sys'.'tem'; eval(base64_decode('…$f($x)…'))`).
pub fn with_caller_scope<R>(scope: HashMap<String, Folded>, scan: impl FnOnce() -> R) -> R {
    CALLER_SCOPE.with(|c| *c.borrow_mut() = Some(scope));
    let out = scan();
    CALLER_SCOPE.with(|c| *c.borrow_mut() = None);
    out
}

/// Largest caller scope handed to a nested layer (sum of string bytes).
const CALLER_SCOPE_BYTES: usize = 1 << 20;

/// Remembered concatenation prefixes per folder: enough for every chain of ordinary code,
/// bounded for 100 KB payloads built from thousands of pieces.
const PREFIX_CACHE_BYTES: usize = 8 << 20;

impl<'a> PhpFolder<'a> {
    pub fn new(root: Node<'a>, src: &'a [u8], budget: &'a Budget) -> Self {
        let mut f = PhpFolder {
            src,
            root,
            nodes: Nodes::collect(root),
            budget,
            vars: HashMap::new(),
            cache: RefCell::default(),
            context: RefCell::new(None),
            functions: HashMap::new(),
            prefix_bytes: Cell::new(0),
            ctx_cursor: RefCell::new(None),
            top_level: RefCell::new(None),
            function_spans: RefCell::new(None),
            inherited: CALLER_SCOPE
                .with(|c| c.borrow_mut().take())
                .unwrap_or_default(),
        };
        f.collect_vars();
        f.collect_functions();
        f
    }

    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    pub fn budget(&self) -> &'a Budget {
        self.budget
    }

    pub fn nodes(&self) -> &Nodes<'a> {
        &self.nodes
    }

    fn text(&self, n: Node<'a>) -> &'a str {
        std::str::from_utf8(&self.src[n.byte_range()]).unwrap_or("")
    }

    fn collect_functions(&mut self) {
        let mut functions: HashMap<String, Option<Node<'a>>> = HashMap::new();
        self.nodes.preorder(|n| {
            if matches!(n.kind(), "function_definition" | "method_declaration") {
                if let Some(name) = n.child_by_field_name("name") {
                    functions
                        .entry(self.text(name).to_ascii_lowercase())
                        .and_modify(|f| *f = None)
                        .or_insert(Some(n));
                }
            }
            true
        });
        self.functions = functions;
    }

    /// Folds a call of a small user-defined helper (`function d($s) { return base64_decode(
    /// strrev($s)); }`): straight-line assignments then `return`, with the parameters bound to
    /// the folded arguments. Anything else in the body gives up.
    fn inline_user_function(&self, name: &str, args: &[Node<'a>], d: usize) -> Option<Folded> {
        let func = (*self.functions.get(name)?)?;
        let params = func.child_by_field_name("parameters")?;
        let body = func.child_by_field_name("body")?;
        let mut env: HashMap<String, Folded> = HashMap::new();
        let mut walker = params.walk();
        for (i, p) in params.named_children(&mut walker).enumerate() {
            let var = p.child_by_field_name("name").or_else(|| p.named_child(0))?;
            let value = match args.get(i) {
                Some(a) => self.fold(*a, d)?,
                None => self.fold(p.child_by_field_name("default_value")?, d)?,
            };
            env.insert(self.text(var).trim_start_matches('$').to_string(), value);
        }
        let saved = self.context.replace(Some(env));
        let result = self.run_straight_line(body, d);
        *self.context.borrow_mut() = saved;
        result
    }

    fn run_straight_line(&self, body: Node<'a>, d: usize) -> Option<Folded> {
        match self.run_block(body, d) {
            Flow::Return(v) => v,
            _ => None,
        }
    }

    /// Runs a statement list of a helper function in the pure subset: assignments (`=`, `.=`,
    /// `+=`, `-=`, `^=`), `++`/`--`, `if`/`else`, `for`, `while` and `return`, under the step
    /// budget. Enough for custom XOR / shift / table decoders; anything else gives up.
    fn run_block(&self, block: Node<'a>, d: usize) -> Flow {
        let mut walker = block.walk();
        let stmts: Vec<Node<'a>> = if block.kind() == "compound_statement" {
            block.named_children(&mut walker).collect()
        } else {
            vec![block]
        };
        for stmt in stmts {
            if !self.budget.step() {
                return Flow::Abort;
            }
            let flow = match stmt.kind() {
                "comment" => Flow::Normal,
                "compound_statement" => self.run_block(stmt, d),
                "return_statement" => {
                    Flow::Return(stmt.named_child(0).and_then(|e| self.fold(e, d)))
                }
                "expression_statement" => match stmt.named_child(0) {
                    Some(e) if self.effect(e, d) => Flow::Normal,
                    _ => Flow::Abort,
                },
                "if_statement" => self
                    .run_if_true(stmt, d)
                    .unwrap_or_else(|| self.run_alternatives(stmt, d)),
                "break_statement" | "continue_statement" => {
                    // Only one level: `break 2;` is outside the subset.
                    if stmt.named_child_count() > 0 {
                        Flow::Abort
                    } else if stmt.kind() == "break_statement" {
                        Flow::Break
                    } else {
                        Flow::Continue
                    }
                }
                "for_statement" | "while_statement" => {
                    if let Some(init) = stmt.child_by_field_name("initialize") {
                        if !self.effect(init, d) {
                            return Flow::Abort;
                        }
                    }
                    loop {
                        if !self.budget.step() {
                            return Flow::Abort;
                        }
                        if let Some(c) = stmt.child_by_field_name("condition") {
                            match self.fold(c, d) {
                                Some(v) if !truthy(&v) => break,
                                Some(_) => {}
                                None => return Flow::Abort,
                            }
                        }
                        match stmt
                            .child_by_field_name("body")
                            .map(|b| self.run_block(b, d))
                        {
                            Some(Flow::Normal | Flow::Continue) => {}
                            Some(Flow::Break) => break,
                            Some(other) => return other,
                            None => return Flow::Abort,
                        }
                        if let Some(u) = stmt.child_by_field_name("update") {
                            if !self.effect(u, d) {
                                return Flow::Abort;
                            }
                        }
                    }
                    Flow::Normal
                }
                "foreach_statement" => self.run_foreach(stmt, d),
                _ => Flow::Abort,
            };
            match flow {
                Flow::Normal => {}
                other => return other,
            }
        }
        Flow::Normal
    }

    /// Runs the body of an `if` or `elseif` whose condition folds to true; `None` when it folds
    /// to false (an unknown condition aborts).
    fn run_if_true(&self, arm: Node<'a>, d: usize) -> Option<Flow> {
        let Some(cond) = arm
            .child_by_field_name("condition")
            .and_then(|c| self.fold(c, d))
        else {
            return Some(Flow::Abort);
        };
        if !truthy(&cond) {
            return None;
        }
        Some(match arm.child_by_field_name("body") {
            Some(b) => self.run_block(b, d),
            None => Flow::Abort,
        })
    }

    /// The `elseif` / `else` arms of an `if` whose condition was false.
    fn run_alternatives(&self, stmt: Node<'a>, d: usize) -> Flow {
        let mut w = stmt.walk();
        let alternatives: Vec<Node<'a>> =
            stmt.children_by_field_name("alternative", &mut w).collect();
        for alt in alternatives {
            if !self.budget.step() {
                return Flow::Abort;
            }
            match alt.kind() {
                "else_clause" => {
                    return match alt.child_by_field_name("body") {
                        Some(b) => self.run_block(b, d),
                        None => Flow::Abort,
                    }
                }
                "else_if_clause" => {
                    if let Some(flow) = self.run_if_true(alt, d) {
                        return flow;
                    }
                }
                _ => return Flow::Abort,
            }
        }
        Flow::Normal
    }

    /// `foreach ($table as $k => $v) { … }` over a folded list or map.
    fn run_foreach(&self, stmt: Node<'a>, d: usize) -> Flow {
        let mut w = stmt.walk();
        let kids: Vec<Node<'a>> = stmt
            .named_children(&mut w)
            .filter(|c| c.kind() != "comment")
            .collect();
        let (Some(subject), Some(binding), Some(body)) =
            (kids.first(), kids.get(1), stmt.child_by_field_name("body"))
        else {
            return Flow::Abort;
        };
        let Some(subject) = self.fold(*subject, d) else {
            return Flow::Abort;
        };
        let entries: Vec<(Folded, Option<Folded>)> = match subject.value {
            Value::Arr(items) => Rc::unwrap_or_clone(items)
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Folded::num(i as f64), v))
                .collect(),
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| {
                    let key = match std::str::from_utf8(&k)
                        .ok()
                        .and_then(|t| t.parse::<i64>().ok())
                    {
                        Some(n) if n.to_string().as_bytes() == k.as_slice() => {
                            Folded::num(n as f64)
                        }
                        _ => Folded::str(k),
                    };
                    (key, v)
                })
                .collect(),
            _ => return Flow::Abort,
        };
        let (key_var, value_var) = if binding.kind() == "pair" {
            (binding.named_child(0), binding.named_child(1))
        } else {
            (None, Some(*binding))
        };
        let key_name = key_var.and_then(|k| self.var_name(k));
        let Some(value_name) = value_var.and_then(|v| self.var_name(v)) else {
            return Flow::Abort;
        };
        for (k, v) in entries {
            if !self.budget.step() {
                return Flow::Abort;
            }
            let Some(v) = v else {
                return Flow::Abort;
            };
            if let Some(kn) = &key_name {
                self.set_local(kn.clone(), k);
            }
            self.set_local(value_name.clone(), v);
            match self.run_block(body, d) {
                Flow::Normal | Flow::Continue => {}
                Flow::Break => break,
                other => return other,
            }
        }
        Flow::Normal
    }

    /// An expression run for its effect on the helper's local variables.
    fn effect(&self, e: Node<'a>, d: usize) -> bool {
        match e.kind() {
            "sequence_expression" => {
                let mut w = e.walk();
                let parts: Vec<Node<'a>> = e.named_children(&mut w).collect();
                parts.into_iter().all(|p| self.effect(p, d))
            }
            "update_expression" => {
                let Some(name) = e
                    .child_by_field_name("argument")
                    .and_then(|a| self.var_name(a))
                else {
                    return false;
                };
                let delta = if self.text(e).contains("++") {
                    1.0
                } else {
                    -1.0
                };
                let cur = self
                    .context
                    .borrow()
                    .as_ref()
                    .and_then(|c| c.get(&name).cloned());
                let Some(n) = cur.and_then(|v| v.as_num()) else {
                    return false;
                };
                self.set_local(name, Folded::num(n + delta))
            }
            "assignment_expression" | "augmented_assignment_expression" => {
                let (Some(left), Some(right)) = (
                    e.child_by_field_name("left"),
                    e.child_by_field_name("right"),
                ) else {
                    return false;
                };
                let Some(name) = self.var_name(left) else {
                    return false;
                };
                let Some(value) = self.fold(right, d) else {
                    return false;
                };
                let op = e
                    .child_by_field_name("operator")
                    .map(|o| self.text(o))
                    .unwrap_or("=");
                if e.kind() == "assignment_expression" {
                    return self.set_local(name, value);
                }
                if op == ".=" {
                    // Appended in place: decoder loops add one character at a time.
                    let Some(add) = value.to_text() else {
                        return false;
                    };
                    if !self.budget.take_decoded(add.len()) {
                        return false;
                    }
                    let mut ctx = self.context.borrow_mut();
                    let Some(old) = ctx.as_mut().and_then(|c| c.get_mut(&name)) else {
                        return false;
                    };
                    if !matches!(old.value, Value::Str(_)) {
                        let Some(t) = old.to_text() else {
                            return false;
                        };
                        old.value = Value::Str(t);
                    }
                    if let Value::Str(s) = &mut old.value {
                        s.extend(add);
                    }
                    for dec in &value.decoders {
                        if !old.decoders.contains(dec) {
                            old.decoders.push(dec);
                        }
                    }
                    return true;
                }
                let Some(old) = self
                    .context
                    .borrow()
                    .as_ref()
                    .and_then(|c| c.get(&name).cloned())
                else {
                    return false;
                };
                let new = match op {
                    ".=" => {
                        let (Some(mut a), Some(b)) = (old.to_text(), value.to_text()) else {
                            return false;
                        };
                        if !self.budget.take_decoded(b.len()) {
                            return false;
                        }
                        a.extend(b);
                        Folded::str(a)
                            .with_provenance_of(&old)
                            .with_provenance_of(&value)
                    }
                    "+=" | "-=" | "^=" => {
                        let (Some(a), Some(b)) = (old.as_num(), value.as_num()) else {
                            return false;
                        };
                        Folded::num(match op {
                            "+=" => a + b,
                            "-=" => a - b,
                            _ => ((a as i64) ^ (b as i64)) as f64,
                        })
                    }
                    _ => return false,
                };
                self.set_local(name, new)
            }
            _ => false,
        }
    }

    /// Runs `f` on the value of a helper's local variable without copying it (payload strings
    /// and tables are read once per character by decoder loops). `None` outside a helper or
    /// when `n` is not a local.
    fn with_local<R>(&self, n: Node<'a>, f: impl FnOnce(&Folded) -> R) -> Option<R> {
        let mut n = n;
        while matches!(n.kind(), "argument" | "parenthesized_expression") {
            n = last_named(n)?;
        }
        if n.kind() != "variable_name" {
            return None;
        }
        let ctx = self.context.borrow();
        let v = ctx.as_ref()?.get(self.text(n).trim_start_matches('$'))?;
        Some(f(v))
    }

    fn set_local(&self, name: String, value: Folded) -> bool {
        match self.context.borrow_mut().as_mut() {
            Some(env) => {
                env.insert(name, value);
                true
            }
            None => false,
        }
    }

    fn collect_vars(&mut self) {
        let mut vars: HashMap<String, Option<Node<'a>>> = HashMap::new();
        let mut pending = Vec::new();
        self.nodes.preorder(|n| {
            match n.kind() {
                "assignment_expression" => {
                    if let (Some(l), Some(r)) = (
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    ) {
                        pending.push((l, Some(r)));
                    }
                }
                "augmented_assignment_expression" | "update_expression" => {
                    if let Some(l) = n
                        .child_by_field_name("left")
                        .or_else(|| n.child_by_field_name("argument"))
                    {
                        pending.push((l, None));
                        pending.push((l, None));
                    }
                }
                "foreach_statement"
                | "global_declaration"
                | "static_variable_declaration"
                | "list_literal" => {
                    // Variables written by these are not constants.
                    for c in n.named_children(&mut n.walk()) {
                        if c.kind() == "variable_name" {
                            pending.push((c, None));
                            pending.push((c, None));
                        }
                    }
                }
                _ => {}
            }
            true
        });
        for (left, value) in pending {
            let Some(name) = self.var_name(left) else {
                continue;
            };
            vars.entry(name).and_modify(|v| *v = None).or_insert(value);
        }
        self.vars = vars;
    }

    /// The name a variable expression refers to: `$x`, `${'x'}`, `$GLOBALS['x']`, `$$y` (y const).
    fn var_name(&self, n: Node<'a>) -> Option<String> {
        let _frame = self.budget.enter()?;
        match n.kind() {
            "variable_name" => Some(self.text(n).trim_start_matches('$').to_string()),
            "dynamic_variable_name" => {
                let inner = n.named_child(0)?;
                let v = if inner.kind() == "variable_name" {
                    // `$$y`: the value of $y names the variable.
                    self.value(inner)?
                } else {
                    self.value(inner)?
                };
                Some(v.text_lossy()?)
            }
            "subscript_expression" => {
                let obj = n.named_child(0)?;
                if self.text(obj) != "$GLOBALS" && self.var_name(obj).as_deref() != Some("GLOBALS")
                {
                    return None;
                }
                let key = self.value(n.named_child(1)?)?;
                Some(key.text_lossy()?)
            }
            _ => None,
        }
    }

    /// Every (variable name, value) assignment, for flow predicates. `foreach ($src as $k => $v)`
    /// binds `$k` and `$v` from `$src`.
    pub fn assignments(&self) -> Vec<(String, Node<'a>)> {
        let mut out = Vec::new();
        self.nodes.preorder(|n| {
            if n.kind() == "foreach_statement" {
                let mut w = n.walk();
                let kids: Vec<Node<'a>> = n
                    .named_children(&mut w)
                    .filter(|c| c.kind() != "comment")
                    .collect();
                if let (Some(subject), Some(binding)) = (kids.first(), kids.get(1)) {
                    let targets: Vec<Node<'a>> = if binding.kind() == "pair" {
                        let mut w = binding.walk();
                        binding.named_children(&mut w).collect()
                    } else {
                        vec![*binding]
                    };
                    for t in targets {
                        let t = if t.kind() == "by_ref" {
                            t.named_child(0).unwrap_or(t)
                        } else {
                            t
                        };
                        if let Some(name) = self.var_name(t) {
                            out.push((format!("${name}"), *subject));
                        }
                    }
                }
            }
            if matches!(
                n.kind(),
                "assignment_expression" | "augmented_assignment_expression"
            ) {
                if let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) {
                    let target = if l.kind() == "subscript_expression" && self.var_name(l).is_none()
                    {
                        // `$a['k'] = v` taints `$a`.
                        l.named_child(0).unwrap_or(l)
                    } else {
                        l
                    };
                    if let Some(name) = self.var_name(target) {
                        out.push((format!("${name}"), r));
                    }
                }
            }
            true
        });
        out
    }

    /// Candidates for nested scanning, with the sink that runs each where it is known: what
    /// `eval`/`assert`/`create_function`/`preg_replace /e` run is PHP code, whatever it prints.
    pub fn payload_candidates(&self) -> Vec<PayloadCandidate<'a>> {
        let mut out = Vec::new();
        // Byte ranges of code-sink arguments that do not fold as a whole: decoder calls inside
        // them are candidates of their own, and still run as PHP code.
        let mut code_args: Vec<std::ops::Range<usize>> = Vec::new();
        let sink_of = |n: Node, code_args: &[std::ops::Range<usize>]| {
            code_args
                .iter()
                .any(|r| r.start <= n.start_byte() && n.end_byte() <= r.end)
                .then_some(Sink::PhpCode)
        };
        self.nodes.preorder(|n| {
            if matches!(
                n.kind(),
                "string" | "encapsed_string" | "heredoc" | "nowdoc"
            ) {
                let lower = self.src[n.byte_range()].to_ascii_lowercase();
                let holds = |needle: &[u8]| memchr::memmem::find(&lower, needle).is_some();
                // Markup with scripts echoed from PHP, or PHP code kept in a string (injectors
                // that splice a skimmer into core files), is scanned as what it holds.
                let code_like = holds(b"<script")
                    || holds(b"<?php")
                    || holds(b"$_post[")
                    || holds(b"$_get[")
                    || holds(b"$_request[")
                    || holds(b"$_cookie[");
                if lower.len() > 24 && code_like {
                    out.push(PayloadCandidate::new(n, sink_of(n, &code_args)));
                }
                return false;
            }
            // `echo '<script src="' . base64_decode('…') . '"></script>'`: the markup exists only
            // once the pieces are joined, so the printed concatenation is a candidate too.
            if matches!(n.kind(), "echo_statement" | "print_intrinsic") {
                let mut cursor = n.walk();
                for arg in n.named_children(&mut cursor) {
                    if arg.kind() == "binary_expression"
                        && memchr::memmem::find(
                            &self.src[arg.byte_range()].to_ascii_lowercase(),
                            b"<script",
                        )
                        .is_some()
                    {
                        out.push(PayloadCandidate::new(arg, Some(Sink::Markup)));
                    }
                }
                return true;
            }
            if n.kind() != "function_call_expression" {
                return true;
            }
            let name = n
                .child_by_field_name("function")
                .and_then(|f| self.callee_name(f));
            if name
                .as_deref()
                .is_some_and(|name| DECODER_FUNCTIONS.contains(&name))
            {
                out.push(PayloadCandidate::new(n, sink_of(n, &code_args)));
                return false;
            }
            // `preg_replace('/…/e', $code, …)` runs its replacement as code.
            if name.as_deref() == Some("preg_replace") {
                let args = self.args(n);
                if let (Some(pattern), Some(code)) = (args.first(), args.get(1)) {
                    let modifiers = self
                        .value(*pattern)
                        .or_else(|| self.value_in_context(*pattern))
                        .and_then(|p| p.to_text())
                        .map(|p| eval_modifier(&p))
                        .unwrap_or(false);
                    if modifiers {
                        out.push(PayloadCandidate::new(*code, Some(Sink::PhpCode)));
                        return false;
                    }
                }
            }
            // Whatever eval/assert run is code by definition: scan it if it can be folded.
            // `create_function($args, $body)` compiles its last argument the same way.
            let code_arg = match name.as_deref() {
                Some("eval" | "assert") => n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0)),
                Some("create_function") => n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(a.named_child_count().checked_sub(1)? as u32)),
                _ => None,
            };
            if let Some(arg) = code_arg {
                // Arguments are wrapped in an `argument` node: the expression is inside.
                let expr = if arg.kind() == "argument" {
                    arg.named_child(0).unwrap_or(arg)
                } else {
                    arg
                };
                out.push(PayloadCandidate::new(arg, Some(Sink::PhpCode)));
                // `eval(check() ? decode('…') : decode('…'))` (FOPO): when the whole argument
                // has no value, the decoder calls inside it are candidates of their own.
                let opaque = self.value(arg).is_none() && self.value_in_context(arg).is_none();
                if opaque {
                    code_args.push(expr.byte_range());
                }
                return opaque;
            }
            true
        });
        out
    }

    pub fn value(&self, node: Node<'a>) -> Option<Folded> {
        self.fold(node, 0)
    }

    fn fold(&self, node: Node<'a>, depth: usize) -> Option<Folded> {
        if depth > self.budget.limits.max_fold_depth {
            self.budget.hit(LimitHit::FoldDepth);
            return None;
        }
        if !self.budget.step() {
            return None;
        }
        let in_context = self.context.borrow().is_some();
        if !in_context {
            if let Some(hit) = self.cache.borrow().get(&node.id()) {
                return hit.clone();
            }
        }
        let _frame = self.budget.enter()?;
        let out = self.fold_uncached(node, depth + 1);
        if !in_context {
            self.cache.borrow_mut().insert(node.id(), out.clone());
        }
        out
    }

    /// The root's child (a top-level statement) that holds `node`, unless a function, method or
    /// closure lies between them. By byte ranges (binary searches over the root's children and
    /// over all function spans), because walking up with `parent()` costs the node's depth per
    /// step: quadratic on hostile, thousands-deep trees.
    fn top_level_statement(&self, node: Node<'a>) -> Option<Node<'a>> {
        if self.root.kind() != "program" || node == self.root {
            return None;
        }
        let (start, end) = (node.start_byte(), node.end_byte());
        let stmt = {
            let mut top = self.top_level.borrow_mut();
            let top = top.get_or_insert_with(|| {
                let mut c = self.root.walk();
                self.root.named_children(&mut c).collect()
            });
            let i = top
                .partition_point(|n| n.start_byte() <= start)
                .checked_sub(1)?;
            let stmt = top[i];
            (stmt.end_byte() >= end).then_some(stmt)?
        };
        let mut spans = self.function_spans.borrow_mut();
        let spans = spans.get_or_insert_with(|| {
            let mut out = Vec::new();
            self.nodes.preorder(|n| {
                if matches!(
                    n.kind(),
                    "function_definition"
                        | "method_declaration"
                        | "anonymous_function"
                        | "arrow_function"
                ) {
                    out.push((n.start_byte(), n.end_byte()));
                }
                true
            });
            out.sort_unstable();
            out
        });
        // Functions that start inside `stmt`, at or before `node`: does one enclose it?
        let upto = spans.partition_point(|&(s, _)| s <= start);
        let enclosed = spans[..upto]
            .iter()
            .rev()
            .take_while(|&&(s, _)| s >= stmt.start_byte())
            .any(|&(s, e)| e >= end && (s, e) != (start, end));
        (!enclosed).then_some(stmt)
    }

    /// Folds `node` with the variables as they are when its top-level statement runs: straight-line
    /// code that builds names and payloads piece by piece (`$f = "g"; $f .= "zinflate";`, FOPO)
    /// has no constant bindings, but a walk over the statements before it knows every value.
    /// The index of `node`'s top-level statement among the root's, unless `node` is inside a
    /// function body.
    fn top_level_index(&self, node: Node<'a>) -> Option<usize> {
        let stmt = self.top_level_statement(node)?;
        let program = self.root;
        let mut top = self.top_level.borrow_mut();
        let top = top.get_or_insert_with(|| {
            let mut c = program.walk();
            program.named_children(&mut c).collect()
        });
        top.binary_search_by_key(&stmt.start_byte(), |n| n.start_byte())
            .ok()
            .filter(|&i| top[i] == stmt)
    }

    pub fn value_in_context(&self, node: Node<'a>) -> Option<Folded> {
        self.in_context(node, true)
    }

    /// Brings the environment up to `node`'s top-level statement, then folds `node` in it
    /// (when `fold` is set).
    fn in_context(&self, node: Node<'a>, fold: bool) -> Option<Folded> {
        if self.context.borrow().is_some() {
            return None;
        }
        // A function body does not see the top-level variables.
        let stmt = self.top_level_statement(node)?;
        let program = self.root;
        let index = {
            let mut top = self.top_level.borrow_mut();
            let top = top.get_or_insert_with(|| {
                let mut c = program.walk();
                program.named_children(&mut c).collect()
            });
            top.binary_search_by_key(&stmt.start_byte(), |n| n.start_byte())
                .ok()
                .filter(|&i| top[i] == stmt)?
        };
        // Queries come in document order: continue from the environment of the last one
        // instead of replaying every statement before (linear, not quadratic, in the file).
        let (mut done, mut env) = match self.ctx_cursor.take() {
            Some((k, env)) if k <= index && program == self.root => (k, env),
            _ => (0, self.inherited.clone()),
        };
        // The statements to replay, from the cached list: walking the program's children
        // from the first each time (`skip(done)`) made every query cost the file's length.
        let pending: Vec<Node<'a>> = self
            .top_level
            .borrow()
            .as_ref()
            .map(|top| top[done..index].to_vec())
            .unwrap_or_default();
        for s in pending {
            if !self.budget.step() {
                break;
            }
            done += 1;
            self.apply_top_level(s, &mut env);
        }
        let (out, env) = if fold {
            *self.context.borrow_mut() = Some(env);
            let out = self.fold(node, 0);
            (out, self.context.borrow_mut().take().unwrap_or_default())
        } else {
            (None, env)
        };
        if program == self.root && done == index {
            *self.ctx_cursor.borrow_mut() = Some((done, env));
        }
        out
    }

    /// The top-level variables known where `node` runs (for the scope of code it `eval`s):
    /// empty inside function bodies, or when the values are too large to hand on.
    pub fn scope_at(&self, node: Node<'a>) -> HashMap<String, Folded> {
        let mut scope = HashMap::new();
        let Some(index) = self.top_level_index(node) else {
            return scope;
        };
        // Brings the cursor to `index` without folding `node` (a payload decoded twice would
        // count twice against the decoded-bytes cap).
        let _ = self.in_context(node, false);
        if let Some((_, env)) = self
            .ctx_cursor
            .borrow()
            .as_ref()
            .filter(|(k, _)| *k == index)
        {
            let mut size = 0usize;
            for (k, v) in env {
                size += v.as_bytes().map_or(16, <[u8]>::len);
                if size > CALLER_SCOPE_BYTES {
                    return HashMap::new();
                }
                scope.insert(k.clone(), v.clone());
            }
        }
        scope
    }

    /// One top-level statement's effect on the variables known in context: `$v = …` and
    /// `$v .= …` with foldable right-hand sides; any other write forgets the variable.
    fn apply_top_level(&self, s: Node<'a>, env: &mut HashMap<String, Folded>) {
        if s.kind() != "expression_statement" {
            // `if`, loops, blocks: whatever they assign is no longer known.
            if !env.is_empty()
                && !matches!(
                    s.kind(),
                    "function_definition"
                        | "class_declaration"
                        | "comment"
                        | "text"
                        | "text_interpolation"
                )
            {
                preorder(s, |n| {
                    if matches!(
                        n.kind(),
                        "assignment_expression"
                            | "augmented_assignment_expression"
                            | "update_expression"
                    ) {
                        if let Some(name) = n
                            .child_by_field_name("left")
                            .or_else(|| n.child_by_field_name("argument"))
                            .and_then(|l| self.var_name(l))
                        {
                            env.remove(&name);
                        }
                    }
                    !matches!(
                        n.kind(),
                        "function_definition" | "anonymous_function" | "arrow_function"
                    )
                });
            }
            return;
        }
        let Some(e) = s.named_child(0) else { return };
        let (Some(left), Some(right)) = (
            e.child_by_field_name("left"),
            e.child_by_field_name("right"),
        ) else {
            return;
        };
        let Some(name) = self.var_name(left) else {
            return;
        };
        *self.context.borrow_mut() = Some(std::mem::take(env));
        let value = self.fold(right, 0);
        *env = self.context.borrow_mut().take().unwrap_or_default();
        let op = e
            .child_by_field_name("operator")
            .map(|o| self.text(o))
            .unwrap_or("=");
        match (e.kind(), op, value) {
            ("assignment_expression", _, Some(v)) => {
                env.insert(name, v);
            }
            ("augmented_assignment_expression", ".=", Some(v)) => {
                let joined = env
                    .get(&name)
                    .and_then(|o| o.to_text())
                    .and_then(|mut old| {
                        let add = v.to_text()?;
                        self.budget.take_decoded(add.len()).then(|| {
                            old.extend(add);
                            old
                        })
                    });
                match joined {
                    Some(j) => {
                        let prov = env.remove(&name);
                        let mut out = Folded::str(j).with_provenance_of(&v);
                        if let Some(p) = prov {
                            out = out.with_provenance_of(&p);
                        }
                        env.insert(name, out);
                    }
                    None => {
                        env.remove(&name);
                    }
                }
            }
            _ => {
                env.remove(&name);
            }
        }
    }

    fn fold_uncached(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        match node.kind() {
            "string" | "encapsed_string" => self.fold_string(node, d),
            "heredoc" => {
                let body = node.child_by_field_name("value")?;
                self.fold_interpolated(body, d, true)
            }
            "nowdoc" => {
                let body = node.child_by_field_name("value")?;
                Some(Folded::str(trim_heredoc(self.text(body).as_bytes())))
            }
            "integer" => parse_php_int(self.text(node)).map(Folded::num),
            // PHP < 8 reads an undefined constant as its own name: `base64_decode(SGVsbG8...)`.
            "name"
                if node
                    .parent()
                    .is_some_and(|p| p.kind() == "argument" || is_binary_op(p, self.src, "."))
                    && self.text(node).len() >= 16 =>
            {
                Some(Folded::str(self.text(node).as_bytes().to_vec()))
            }
            "float" => self
                .text(node)
                .replace('_', "")
                .parse()
                .ok()
                .map(Folded::num),
            "boolean" => Some(Folded::plain(Value::Bool(
                self.text(node).eq_ignore_ascii_case("true"),
            ))),
            "parenthesized_expression" | "argument" | "error_suppression_expression" => {
                self.fold(last_named(node)?, d)
            }
            "cast_expression" => {
                let v = self.fold(node.child_by_field_name("value")?, d)?;
                let ty = self
                    .text(node.child_by_field_name("type")?)
                    .to_ascii_lowercase();
                match ty.as_str() {
                    "string" | "binary" => Some(Folded::str(v.to_text()?).with_provenance_of(&v)),
                    "int" | "integer" => Some(Folded::num(v.as_num()?.trunc())),
                    _ => Some(v),
                }
            }
            "variable_name" | "dynamic_variable_name" => {
                let name = self.var_name(node)?;
                if let Some(env) = self.context.borrow().as_ref() {
                    if let Some(v) = env.get(&name) {
                        return Some(v.clone());
                    }
                }
                if self.context.borrow().is_none() && !self.vars.contains_key(&name) {
                    // Never assigned here: code run by `eval` sees the caller's variables.
                    if let Some(v) = self.inherited.get(&name) {
                        return Some(v.clone());
                    }
                }
                let value = (*self.vars.get(&name)?)?;
                if value.byte_range().contains(&node.start_byte()) {
                    return None;
                }
                self.fold(value, d)
            }
            "subscript_expression" => {
                if let Some(name) = self.var_name(node) {
                    let value = (*self.vars.get(&name)?)?;
                    return self.fold(value, d);
                }
                let key = self.fold(node.named_child(1)?, d)?;
                let obj = node.named_child(0)?;
                // A helper's local (a long payload or a table): look it up without copying it.
                if let Some(hit) = self.with_local(obj, |v| index(v, &key)) {
                    return hit;
                }
                index(&self.fold(obj, d)?, &key)
            }
            "array_creation_expression" => self.fold_array(node, d),
            "binary_expression" => self.fold_binary(node, d),
            "unary_op_expression" => {
                let op = node
                    .child_by_field_name("operator")
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let v = self.fold(
                    node.child_by_field_name("argument")
                        .or_else(|| last_named(node))?,
                    d,
                )?;
                match op {
                    "-" => Some(Folded::num(-v.as_num()?)),
                    "+" => Some(Folded::num(v.as_num()?)),
                    _ => None,
                }
            }
            "conditional_expression" => {
                let cond = self.fold(node.child_by_field_name("condition")?, d)?;
                if truthy(&cond) {
                    match node.child_by_field_name("body") {
                        Some(b) => self.fold(b, d),
                        None => Some(cond),
                    }
                } else {
                    self.fold(node.child_by_field_name("alternative")?, d)
                }
            }
            "member_call_expression" | "scoped_call_expression" => {
                // `$this->decode('…')` / `self::decode('…')`: a helper method of the same file.
                let name = self
                    .text(node.child_by_field_name("name")?)
                    .to_ascii_lowercase();
                let args = self.args(node);
                self.inline_user_function(&name, &args, d)
            }
            "function_call_expression" => self.fold_call(node, d),
            _ => None,
        }
    }

    /// `[a, b]` is a list; with any `key => value` element it is a keyed map (substitution
    /// tables of custom decoders). Keys must fold; unknown values stay unknown.
    fn fold_array(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let mut items = Vec::new();
        let mut keyed: Vec<(Vec<u8>, Option<Folded>)> = Vec::new();
        let mut next_index = 0i64;
        let mut any_key = false;
        for el in node.named_children(&mut node.walk()) {
            if el.kind() != "array_element_initializer" {
                continue;
            }
            if !self.budget.step() {
                return None;
            }
            let (key, value) = match el.named_child_count() {
                1 => (None, el.named_child(0)?),
                2 => (Some(el.named_child(0)?), el.named_child(1)?),
                _ => return None,
            };
            if value.kind() == "variadic_unpacking" || value.kind() == "by_ref" {
                return None;
            }
            let key = match key {
                Some(k) => {
                    any_key = true;
                    let k = self.fold(k, d)?;
                    let text = php_array_key(&k)?;
                    if let Ok(n) = std::str::from_utf8(&text).unwrap_or("x").parse::<i64>() {
                        next_index = next_index.max(n.saturating_add(1));
                    }
                    text
                }
                None => {
                    let k = next_index.to_string().into_bytes();
                    next_index = next_index.saturating_add(1);
                    k
                }
            };
            let v = self.fold(value, d);
            if !any_key {
                items.push(v.clone());
            }
            match keyed.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => keyed.push((key, v)),
            }
        }
        if any_key {
            Some(Folded::plain(Value::Map(keyed)))
        } else {
            Some(Folded::plain(Value::Arr(Rc::new(items))))
        }
    }

    fn fold_string(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let raw = self.text(node).as_bytes();
        let raw = raw
            .strip_prefix(b"b")
            .or_else(|| raw.strip_prefix(b"B"))
            .unwrap_or(raw);
        if raw.first() == Some(&b'\'') {
            return Some(Folded::str(unescape_single(strip_quotes(raw))));
        }
        self.fold_interpolated(node, d, false)
    }

    /// Double-quoted strings and heredocs: escapes plus interpolated constant variables.
    fn fold_interpolated(&self, node: Node<'a>, d: usize, heredoc: bool) -> Option<Folded> {
        let mut out = Folded::str(Vec::new());
        let mut bytes = Vec::new();
        let mut walker = node.walk();
        let children: Vec<Node<'a>> = node.named_children(&mut walker).collect();
        if children.is_empty() {
            let raw = self.text(node).as_bytes();
            let inner = if heredoc {
                trim_heredoc(raw)
            } else {
                strip_quotes(raw).to_vec()
            };
            return Some(Folded::str(unescape_double(&inner)));
        }
        for c in children {
            match c.kind() {
                "string_content" | "string_value" => bytes.extend(self.text(c).as_bytes()),
                "escape_sequence" => bytes.extend(unescape_double(self.text(c).as_bytes())),
                "heredoc_start" | "heredoc_end" => {}
                _ => {
                    let v = self.fold(c, d)?;
                    bytes.extend(v.to_text()?);
                    out = out.with_provenance_of(&v);
                }
            }
        }
        if heredoc && bytes.ends_with(b"\n") {
            bytes.pop();
        }
        out.value = Value::Str(bytes);
        Some(out)
    }

    /// `a . b . c . …` folded without recursing down the left spine: obfuscators build names
    /// from hundreds of pieces, which would otherwise exceed the depth cap.
    fn fold_concat_chain(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        // Stop early at a prefix already folded, and remember every prefix, so that visiting
        // all prefixes of a long chain stays linear.
        let cacheable = self.context.borrow().is_none();
        let (spine, left) = left_spine(node, self.src, ".", 100_000, |n| {
            cacheable && self.cache.borrow().contains_key(&n.id())
        })?;
        let mut acc = if cacheable && is_binary_op(left, self.src, ".") {
            self.cache.borrow().get(&left.id()).cloned().flatten()
        } else {
            self.fold(left, d)
        };
        for bin in spine.into_iter().rev() {
            let before = acc
                .as_ref()
                .and_then(Folded::as_bytes)
                .map_or(0, <[u8]>::len);
            acc = match (acc, bin.child_by_field_name("right")) {
                (Some(l), Some(r)) => self.fold(r, d).and_then(|v| {
                    let add = v.to_text()?;
                    if !self.budget.take_decoded(add.len()) {
                        return None;
                    }
                    // Append in place: copying the growing left side at every piece is
                    // quadratic when the chain is folded in context (nothing cached).
                    let mut out = Folded::str(Vec::new()).with_provenance_of(&l);
                    let mut bytes = match l.value {
                        Value::Str(s) => s,
                        other => Folded::plain(other).to_text()?,
                    };
                    bytes.extend(add);
                    out.value = Value::Str(bytes);
                    Some(out.with_provenance_of(&v))
                }),
                _ => None,
            };
            if cacheable && bin != node {
                // Every remembered prefix is a copy. Remembering all of them made a 100 KB
                // literal built from 1,500 pieces cost 90 MB (and the decoded-bytes cap): keep
                // short prefixes and one every 4 KB, within a per-folder allowance. Folding an
                // inner prefix later walks down at most to the previous checkpoint.
                let size = acc
                    .as_ref()
                    .and_then(Folded::as_bytes)
                    .map_or(0, <[u8]>::len);
                let checkpoint = size <= 4096 || before / 4096 != size / 4096;
                let used = self.prefix_bytes.get();
                if checkpoint && used + size <= PREFIX_CACHE_BYTES {
                    self.prefix_bytes.set(used + size);
                    self.cache.borrow_mut().insert(bin.id(), acc.clone());
                }
            }
        }
        acc
    }

    fn fold_binary(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let op = self.text(node.child_by_field_name("operator")?);
        if op == "." {
            return self.fold_concat_chain(node, d);
        }
        let l = self.fold(node.child_by_field_name("left")?, d)?;
        let r = self.fold(node.child_by_field_name("right")?, d)?;
        let prov = |v: Folded| v.with_provenance_of(&l).with_provenance_of(&r);
        let num = |f: fn(f64, f64) -> f64| Some(prov(Folded::num(f(l.as_num()?, r.as_num()?))));
        match op {
            "." => {
                let mut s = l.to_text()?;
                let rt = r.to_text()?;
                if !self.budget.take_decoded(s.len() + rt.len()) {
                    return None;
                }
                s.extend(rt);
                Some(prov(Folded::str(s)))
            }
            "+" => num(|a, b| a + b),
            "-" => num(|a, b| a - b),
            "*" => num(|a, b| a * b),
            "/" => num(|a, b| a / b),
            "%" => num(|a, b| (a as i64).checked_rem(b as i64).unwrap_or(0) as f64),
            "^" => num(|a, b| ((a as i64) ^ (b as i64)) as f64),
            "&" => num(|a, b| ((a as i64) & (b as i64)) as f64),
            "|" => num(|a, b| ((a as i64) | (b as i64)) as f64),
            "<<" => num(|a, b| ((a as i64).wrapping_shl(b as u32)) as f64),
            ">>" => num(|a, b| ((a as i64).wrapping_shr(b as u32)) as f64),
            "<" | "<=" | ">" | ">=" => {
                let (a, b) = (l.as_num()?, r.as_num()?);
                let v = match op {
                    "<" => a < b,
                    "<=" => a <= b,
                    ">" => a > b,
                    _ => a >= b,
                };
                Some(Folded::plain(Value::Bool(v)))
            }
            "==" | "===" | "!=" | "!==" => {
                let eq = match (&l.value, &r.value) {
                    (Value::Str(a), Value::Str(b)) => a == b,
                    _ => l.as_num()? == r.as_num()?,
                };
                Some(Folded::plain(Value::Bool(if op.starts_with('!') {
                    !eq
                } else {
                    eq
                })))
            }
            _ => None,
        }
    }

    fn args(&self, call: Node<'a>) -> Vec<Node<'a>> {
        call.child_by_field_name("arguments")
            .map(|a| {
                a.named_children(&mut a.walk())
                    .filter(|c| c.kind() == "argument")
                    .collect()
            })
            .unwrap_or_default()
    }

    fn fold_call(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let name = self.callee_name(node.child_by_field_name("function")?)?;
        let args = self.args(node);
        let arg = |i: usize| args.get(i).and_then(|a| self.fold(*a, d));
        let text = |i: usize| arg(i).and_then(|a| a.to_text().map(|t| (t, a)));
        let decode = |label: &'static str, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>| {
            let (input, prov) = text(0)?;
            let out = f(&input)?;
            self.budget
                .take_decoded(out.len())
                .then(|| Folded::str(out).with_provenance_of(&prov).via(label))
        };
        let cap = self.budget.limits.max_inflate_bytes;
        let inflate = |label: &'static str, flavour: Inflate| {
            decode(label, &|s| {
                let (out, truncated) = decoders::inflate_any(s, flavour, cap)?;
                if truncated {
                    self.budget.hit(LimitHit::InflateCap);
                }
                Some(out)
            })
        };
        match name.as_str() {
            "base64_decode" => decode("base64", &|s| decoders::base64(s)),
            "gzinflate" => inflate("gzinflate", Inflate::Raw),
            "gzuncompress" => inflate("gzuncompress", Inflate::Zlib),
            "gzdecode" => inflate("gzdecode", Inflate::Gzip),
            "str_rot13" => decode("rot13", &|s| Some(decoders::rot13(s))),
            "strrev" => decode("strrev", &|s| Some(decoders::reverse(s))),
            "hex2bin" => decode("hex", &|s| decoders::hex(s)),
            "urldecode" => decode("urldecode", &|s| Some(decoders::percent(s, true))),
            "rawurldecode" => decode("urldecode", &|s| Some(decoders::percent(s, false))),
            "convert_uudecode" => decode("uudecode", &|s| decoders::uudecode(s)),
            "chr" => {
                let n = arg(0)?.as_num()? as i64;
                Some(Folded::str(vec![n.rem_euclid(256) as u8]).via("chr"))
            }
            "ord" => Some(Folded::num(*text(0)?.0.first()? as f64)),
            "strlen" => {
                let local = args
                    .first()
                    .and_then(|a| self.with_local(*a, |v| v.as_bytes().map(<[u8]>::len)));
                match local {
                    Some(Some(n)) => Some(Folded::num(n as f64)),
                    _ => Some(Folded::num(text(0)?.0.len() as f64)),
                }
            }
            "count" | "sizeof" => {
                let len = |v: &Folded| match &v.value {
                    Value::Arr(items) => Some(items.len()),
                    Value::Map(entries) => Some(entries.len()),
                    _ => None,
                };
                let local = args.first().and_then(|a| self.with_local(*a, len));
                match local {
                    Some(n) => Some(Folded::num(n? as f64)),
                    None => Some(Folded::num(len(&arg(0)?)? as f64)),
                }
            }
            "isset" => {
                let mut all = true;
                for a in &args {
                    let mut e = *a;
                    while matches!(e.kind(), "argument" | "parenthesized_expression") {
                        e = last_named(e)?;
                    }
                    let set = match e.kind() {
                        "subscript_expression" => {
                            let key = self.fold(e.named_child(1)?, d)?;
                            let obj = e.named_child(0)?;
                            match self.with_local(obj, |v| has_index(v, &key)) {
                                Some(r) => r?,
                                None => has_index(&self.fold(obj, d)?, &key)?,
                            }
                        }
                        _ => return None,
                    };
                    all &= set;
                }
                Some(Folded::plain(Value::Bool(all)))
            }
            "pack" => {
                let (fmt, _) = text(0)?;
                if !fmt.eq_ignore_ascii_case(b"H*") {
                    return None;
                }
                let (hex, prov) = text(1)?;
                Some(
                    Folded::str(decoders::hex(&hex)?)
                        .with_provenance_of(&prov)
                        .via("hex"),
                )
            }
            "strtolower" => Some(Folded::str(text(0)?.0.to_ascii_lowercase())),
            "strtoupper" => Some(Folded::str(text(0)?.0.to_ascii_uppercase())),
            "trim" => Some(Folded::str(text(0)?.0.trim_ascii().to_vec())),
            "strval" => Some(Folded::str(text(0)?.0)),
            "intval" => Some(Folded::num(arg(0)?.as_num()?.trunc())),
            "substr" => {
                let (s, prov) = text(0)?;
                let len = s.len() as i64;
                let start = arg(1)?.as_num()? as i64;
                let start = if start < 0 {
                    (len + start).max(0)
                } else {
                    start.min(len)
                };
                let end = match arg(2) {
                    Some(n) => {
                        let n = n.as_num()? as i64;
                        if n < 0 {
                            (len + n).max(start)
                        } else {
                            (start + n).min(len)
                        }
                    }
                    None => len,
                };
                Some(
                    Folded::str(s[start as usize..end.max(start) as usize].to_vec())
                        .with_provenance_of(&prov),
                )
            }
            "str_replace" => {
                let (subject, prov) = text(2)?;
                let search = arg(0)?;
                let replace = arg(1)?;
                let pairs: Vec<(Vec<u8>, Vec<u8>)> = match (&search.value, &replace.value) {
                    (Value::Arr(s), Value::Arr(r)) => s
                        .iter()
                        .enumerate()
                        .map(|(i, x)| {
                            let with = r
                                .get(i)
                                .cloned()
                                .flatten()
                                .and_then(|v| v.to_text())
                                .unwrap_or_default();
                            Some((x.as_ref()?.to_text()?, with))
                        })
                        .collect::<Option<_>>()?,
                    (Value::Arr(s), _) => {
                        let with = replace.to_text()?;
                        s.iter()
                            .map(|x| Some((x.as_ref()?.to_text()?, with.clone())))
                            .collect::<Option<_>>()?
                    }
                    _ => vec![(search.to_text()?, replace.to_text()?)],
                };
                let mut out = subject;
                for (from, to) in pairs {
                    if from.is_empty() {
                        continue;
                    }
                    out = replace_all(&out, &from, &to);
                }
                Some(
                    Folded::str(out)
                        .with_provenance_of(&prov)
                        .via("str_replace"),
                )
            }
            "strtr" => {
                let (s, prov) = text(0)?;
                let (from, _) = text(1)?;
                let (to, _) = text(2)?;
                let out = s
                    .iter()
                    .map(|c| {
                        from.iter()
                            .position(|f| f == c)
                            .and_then(|i| to.get(i))
                            .copied()
                            .unwrap_or(*c)
                    })
                    .collect::<Vec<u8>>();
                Some(Folded::str(out).with_provenance_of(&prov).via("strtr"))
            }
            "implode" | "join" => {
                let (glue, arr) = match (arg(0), arg(1)) {
                    (Some(a), None) => (Vec::new(), a),
                    (Some(g), Some(a)) if matches!(a.value, Value::Arr(_)) => (g.to_text()?, a),
                    (Some(a), Some(g)) => (g.to_text()?, a),
                    _ => return None,
                };
                let Value::Arr(items) = &arr.value else {
                    return None;
                };
                let mut out = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(&glue);
                    }
                    out.extend(it.as_ref()?.to_text()?);
                }
                Some(Folded::str(out).with_provenance_of(&arr))
            }
            "str_split" => {
                let (s, _) = text(0)?;
                let n = arg(1).and_then(|a| a.as_num()).unwrap_or(1.0).max(1.0) as usize;
                Some(Folded::plain(Value::Arr(
                    s.chunks(n)
                        .map(|c| Some(Folded::str(c.to_vec())))
                        .collect::<Vec<_>>()
                        .into(),
                )))
            }
            "explode" => {
                let (sep, _) = text(0)?;
                let (s, _) = text(1)?;
                if sep.is_empty() {
                    return None;
                }
                let parts = split(&s, &sep)
                    .into_iter()
                    .map(|p| Some(Folded::str(p)))
                    .collect();
                Some(Folded::plain(Value::Arr(Rc::new(parts))))
            }
            "array_map" => {
                // array_map('chr', [...]) and friends: a known pure callback over a folded array.
                let callback = arg(0)?.text_lossy()?.to_ascii_lowercase();
                let list = arg(1)?;
                let Value::Arr(items) = &list.value else {
                    return None;
                };
                let mut out = Vec::with_capacity(items.len());
                for it in items.iter() {
                    let it = it.as_ref()?;
                    let mapped = match callback.as_str() {
                        "chr" => vec![(it.as_num()? as i64).rem_euclid(256) as u8],
                        "strrev" => decoders::reverse(&it.to_text()?),
                        "str_rot13" => decoders::rot13(&it.to_text()?),
                        "base64_decode" => decoders::base64(&it.to_text()?)?,
                        "trim" => it.to_text()?.trim_ascii().to_vec(),
                        "urldecode" | "rawurldecode" => {
                            decoders::percent(&it.to_text()?, callback == "urldecode")
                        }
                        _ => return None,
                    };
                    out.push(Some(Folded::str(mapped)));
                }
                Some(Folded::plain(Value::Arr(Rc::new(out))).via("array_map"))
            }
            _ => self.inline_user_function(&name, &args, d),
        }
    }

    /// The lower-case name a called function resolves to: `\BASE64_DECODE` → `base64_decode`,
    /// `$f` (with `$f = 'base'.'64_decode'`) → `base64_decode`, `'eval'` → `eval`.
    pub fn callee_name(&self, node: Node<'a>) -> Option<String> {
        let node = if node.kind() == "function_call_expression" {
            node.child_by_field_name("function")?
        } else {
            node
        };
        let raw = match node.kind() {
            "name" | "qualified_name" => self.text(node).to_string(),
            // `${'_PO'.'ST'}` names a variable: its canonical name is `$_POST`.
            // `$$n(…)` calls the function named by the value; elsewhere `${'_PO'.'ST'}` names a
            // variable.
            "dynamic_variable_name"
                if node.parent().is_some_and(|p| {
                    p.kind() == "function_call_expression"
                        && p.child_by_field_name("function") == Some(node)
                }) =>
            {
                match self.fold(node, 0) {
                    Some(v) => v.text_lossy()?,
                    None => self.value_in_context(node)?.text_lossy()?,
                }
            }
            "dynamic_variable_name" => return self.var_name(node).map(|n| format!("${n}")),
            // `$f = "base"; $f .= "64_decode"; $f(…)`: not a constant, but known at the call.
            "variable_name" | "subscript_expression" => match self.fold(node, 0) {
                Some(v) => v.text_lossy()?,
                None => self.value_in_context(node)?.text_lossy()?,
            },
            _ => self.fold(node, 0)?.text_lossy()?,
        };
        let name = raw.trim().trim_start_matches('\\').to_ascii_lowercase();
        let name = name.rsplit('\\').next().unwrap_or(&name).to_string();
        (!name.is_empty()).then_some(name)
    }
}

/// Does a PCRE pattern (`/…/imsxe`, `#…#e`) carry the `e` modifier?
fn eval_modifier(pattern: &[u8]) -> bool {
    let p = pattern.trim_ascii();
    let Some(&delim) = p.first() else {
        return false;
    };
    if delim.is_ascii_alphanumeric() || delim == b'\\' {
        return false;
    }
    let close = match delim {
        b'(' => b')',
        b'{' => b'}',
        b'[' => b']',
        b'<' => b'>',
        d => d,
    };
    match p[1..].iter().rposition(|&c| c == close) {
        Some(end) => p[end + 2..].contains(&b'e'),
        None => false,
    }
}

/// `$a[$k]` on a folded string, list or map.
fn index(obj: &Folded, key: &Folded) -> Option<Folded> {
    match &obj.value {
        Value::Str(s) => {
            let i = key.as_num()?;
            let i = if i < 0.0 { s.len() as f64 + i } else { i };
            if i < 0.0 {
                return None;
            }
            Some(Folded::str(vec![*s.get(i as usize)?]).with_provenance_of(obj))
        }
        Value::Arr(items) => {
            let i = key.as_num()?;
            if i < 0.0 {
                return None;
            }
            items.get(i as usize)?.clone()
        }
        Value::Map(entries) => {
            let k = php_array_key(key)?;
            entries.iter().find(|(ek, _)| *ek == k)?.1.clone()
        }
        _ => None,
    }
}

/// Whether `$a[$k]` exists (for `isset`).
fn has_index(obj: &Folded, key: &Folded) -> Option<bool> {
    match &obj.value {
        Value::Str(s) => Some(
            key.as_num()
                .is_some_and(|i| i >= 0.0 && (i as usize) < s.len()),
        ),
        // An element whose value is unknown might be null: unknown.
        Value::Arr(items) => match key.as_num() {
            Some(i) if i >= 0.0 => match items.get(i as usize) {
                Some(Some(_)) => Some(true),
                Some(None) => None,
                None => Some(false),
            },
            _ => Some(false),
        },
        Value::Map(entries) => {
            let k = php_array_key(key)?;
            match entries.iter().find(|(ek, _)| *ek == k) {
                Some((_, Some(_))) => Some(true),
                Some((_, None)) => None,
                None => Some(false),
            }
        }
        _ => None,
    }
}

/// An array key the way PHP normalises it: integers (and integer strings) as decimal text.
fn php_array_key(k: &Folded) -> Option<Vec<u8>> {
    match &k.value {
        Value::Num(n) => Some(super::value::number_to_string(n.trunc()).into_bytes()),
        Value::Bool(b) => Some(if *b { b"1".to_vec() } else { b"0".to_vec() }),
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

fn last_named(n: Node) -> Option<Node> {
    n.named_child(n.named_child_count().checked_sub(1)? as u32)
}

fn parse_php_int(t: &str) -> Option<f64> {
    let t = t.replace('_', "").to_ascii_lowercase();
    let r = |s: &str, radix| i64::from_str_radix(s, radix).ok().map(|v| v as f64);
    if let Some(h) = t.strip_prefix("0x") {
        r(h, 16)
    } else if let Some(b) = t.strip_prefix("0b") {
        r(b, 2)
    } else if let Some(o) = t.strip_prefix("0o") {
        r(o, 8)
    } else if t.len() > 1 && t.starts_with('0') {
        r(&t[1..], 8)
    } else {
        t.parse().ok()
    }
}

fn strip_quotes(raw: &[u8]) -> &[u8] {
    if raw.len() >= 2 {
        &raw[1..raw.len() - 1]
    } else {
        &[]
    }
}

fn trim_heredoc(raw: &[u8]) -> Vec<u8> {
    raw.strip_suffix(b"\n").unwrap_or(raw).to_vec()
}

fn unescape_single(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && matches!(raw.get(i + 1), Some(b'\\' | b'\'')) {
            out.push(raw[i + 1]);
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// Double-quoted escapes: `\n \t \r \v \e \f \\ \$ \"`, `\x` hex (1-2 digits), octal (1-3
/// digits), `\u{...}`. Unknown escapes stay as written, as in PHP.
pub fn unescape_double(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' || i + 1 >= raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = raw[i + 1];
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(11),
            b'e' => out.push(27),
            b'f' => out.push(12),
            b'\\' | b'$' | b'"' => out.push(e),
            b'x' | b'X' => {
                let digits: Vec<u8> = raw[i + 2..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .copied()
                    .collect();
                if digits.is_empty() {
                    out.extend_from_slice(&raw[i..i + 2]);
                } else {
                    out.push(
                        u8::from_str_radix(std::str::from_utf8(&digits).unwrap_or("0"), 16)
                            .unwrap_or(0),
                    );
                    i += digits.len();
                }
            }
            b'0'..=b'7' => {
                let digits: Vec<u8> = raw[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .copied()
                    .collect();
                let v = u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("0"), 8)
                    .unwrap_or(0);
                out.push((v & 0xff) as u8);
                i += digits.len() - 1;
            }
            b'u' if raw.get(i + 2) == Some(&b'{') => {
                let end = raw[i + 2..]
                    .iter()
                    .position(|&c| c == b'}')
                    .map(|p| i + 2 + p);
                match end.and_then(|e| {
                    u32::from_str_radix(std::str::from_utf8(&raw[i + 3..e]).ok()?, 16)
                        .ok()
                        .map(|v| (e, v))
                }) {
                    Some((end, v)) => {
                        decoders::push_char(&mut out, v);
                        i = end - 1;
                    }
                    None => out.extend_from_slice(&raw[i..i + 2]),
                }
            }
            _ => out.extend_from_slice(&raw[i..i + 2]),
        }
        i += 2;
    }
    out
}

fn split(s: &[u8], sep: &[u8]) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for pos in memchr::memmem::find_iter(s, sep) {
        if pos < start {
            continue;
        }
        parts.push(s[start..pos].to_vec());
        start = pos + sep.len();
    }
    parts.push(s[start..].to_vec());
    parts
}

fn replace_all(s: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    split(s, from).join(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fold::Limits;
    use crate::syntax::lang::Lang;
    use std::time::Duration;

    /// Folds the argument of the last `eval(…)` in `src` (with the context fallback, as rules
    /// and layers see it), and returns the budget's limit hits.
    fn fold_eval_arg(src: &str) -> (Option<Vec<u8>>, Vec<LimitHit>) {
        let tree =
            crate::syntax::parse::parse(Lang::Php, src.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let budget = Budget::new(Limits::default());
        let folder = PhpFolder::new(tree.root_node(), src.as_bytes(), &budget);
        let mut arg = None;
        preorder(tree.root_node(), |n| {
            if n.kind() == "function_call_expression"
                && folder.callee_name(n).as_deref() == Some("eval")
            {
                arg = n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0));
            }
            true
        });
        let arg = arg.expect("an eval call");
        let v = folder
            .value(arg)
            .or_else(|| folder.value_in_context(arg))
            .and_then(|v| v.to_text());
        (v, budget.hits())
    }

    #[test]
    fn table_driven_decoder_is_inlined() {
        // Each character goes through a keyed table, then base64: "echo 1;" = "ZWNobyAxOw==".
        let src = r#"<?php
function t($s, $m) { $o = ''; for ($i = 0; $i < strlen($s); $i++) {
  $o .= isset($m[$s[$i]]) ? $m[$s[$i]] : $s[$i]; } $f = "base64_decode"; return $f($o); }
$k = array('Q' => 'Z', 'z' => 'W', 'M' => 'N', 'p' => 'o');
eval(t('QzMpbyAxOw==', $k));"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 1;"[..]));
    }

    #[test]
    fn foreach_elseif_and_break_in_helpers() {
        let src = r#"<?php
function g($m) { $o = ''; foreach ($m as $k => $v) {
  if ($k == 'stop') { break; } elseif ($k == 'skip') { continue; } else { $o .= $v; } }
  return $o; }
eval(g(array('a' => 'ec', 'skip' => 'XX', 'b' => 'ho 2;', 'stop' => 'YY', 'c' => 'ZZ')));"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 2;"[..]));
    }

    #[test]
    fn names_built_with_dot_assign_are_known_where_used() {
        let src =
            r#"<?php $f = "ba"; $f .= "se64"; $f .= "_decode"; eval($f("ZWNobyAzOw==")); $f = 0;"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 3;"[..]));
        // Top-level values are not visible inside a function body.
        let src =
            r#"<?php $f = "base64"; $f .= "_decode"; function h() { eval($f("ZWNobyAzOw==")); }"#;
        assert_eq!(fold_eval_arg(src).0, None);
        // A write inside a top-level block makes the value unknown.
        let src = r#"<?php $f = "base64_decode"; if ($x) { $f = "strrev"; } $f .= ""; eval($f("ZWNobyAzOw=="));"#;
        assert_eq!(fold_eval_arg(src).0, None);
    }

    #[test]
    fn long_concatenation_stays_under_the_decoded_bytes_cap() {
        let piece = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2";
        let chain = vec![format!("'{piece}'"); 2000].join(".\n");
        let src = format!("<?php $p = {chain}; eval(base64_decode($p));");
        let (v, hits) = fold_eval_arg(&src);
        assert_eq!(v.map(|v| v.len()), Some(2000 * 48));
        assert!(hits.is_empty(), "{hits:?}");
    }

    #[test]
    fn variable_variable_callee_is_the_function_it_names() {
        let src =
            r#"<?php $a = "base64"; $a .= "_decode"; $n = 'a'; eval($$n("ZWNobyA0Ow==")); $a = 1;"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 4;"[..]));
    }

    #[test]
    fn caller_scope_is_visible_to_the_next_folder_only() {
        let outer =
            r#"<?php $f = "sys"; $f .= "tem"; eval(base64_decode("JGYoJGMpOw==")); $f = 1;"#;
        let tree =
            crate::syntax::parse::parse(Lang::Php, outer.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let budget = Budget::new(Limits::default());
        let folder = PhpFolder::new(tree.root_node(), outer.as_bytes(), &budget);
        let mut eval_arg = None;
        preorder(tree.root_node(), |n| {
            if n.kind() == "function_call_expression"
                && folder.callee_name(n).as_deref() == Some("eval")
            {
                eval_arg = n.child_by_field_name("arguments");
            }
            true
        });
        let scope = folder.scope_at(eval_arg.unwrap());
        assert_eq!(
            scope.get("f").and_then(|v| v.to_text()).as_deref(),
            Some(&b"system"[..])
        );
        // The decoded layer `$f($c);` resolves `$f` through the caller's scope.
        let inner = "<?php $f($c);";
        let tree =
            crate::syntax::parse::parse(Lang::Php, inner.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let call = tree
            .root_node()
            .named_child(1)
            .unwrap()
            .named_child(0)
            .unwrap();
        with_caller_scope(scope, || {
            let nested = PhpFolder::new(tree.root_node(), inner.as_bytes(), &budget);
            assert_eq!(nested.callee_name(call).as_deref(), Some("system"));
            let again = PhpFolder::new(tree.root_node(), inner.as_bytes(), &budget);
            assert_eq!(again.callee_name(call), None);
        });
    }

    #[test]
    fn eval_modifier_detection() {
        assert!(eval_modifier(b"/(.*)/e"));
        assert!(eval_modifier(b"#x#ie"));
        assert!(eval_modifier(b"{a}se"));
        assert!(!eval_modifier(b"/\\r|\\n/"));
        assert!(!eval_modifier(b"/e/"));
        assert!(!eval_modifier(b""));
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(unescape_double(br"\142\x61\x73\x65\66\x34"), b"base64");
        assert_eq!(unescape_double(br"\u{65}\q\$"), b"e\\q$");
    }
}

//! The helper-function interpreter: collects user functions and inlines small pure ones
//! (straight-line code, `if`, `switch`, `foreach`, assignments) on folded arguments.

use crate::syntax::NodeExt;
use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use super::interp::last_named;
use super::{Flow, PhpFolder};
use crate::fold::value::{Folded, Value};

impl<'a> PhpFolder<'a> {
    pub(super) fn collect_functions(&mut self) {
        let mut functions: HashMap<String, Option<Node<'a>>> = HashMap::new();
        self.nodes.preorder(|n| {
            if matches!(n.kind_name(), "function_definition" | "method_declaration") {
                if let Some(name) = n.field("name") {
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
    pub(super) fn inline_user_function(
        &self,
        name: &str,
        args: &[Node<'a>],
        d: usize,
    ) -> Option<Folded> {
        let func = (*self.functions.get(name)?)?;
        let params = func.field("parameters")?;
        let body = func.field("body")?;
        let mut env: HashMap<String, Folded> = HashMap::new();
        let mut walker = params.walk();
        for (i, p) in params.named_children(&mut walker).enumerate() {
            let var = p.field("name").or_else(|| p.named_child(0))?;
            let value = match args.get(i) {
                Some(a) => self.fold(*a, d)?,
                None => self.fold(p.field("default_value")?, d)?,
            };
            env.insert(self.text(var).trim_start_matches('$').to_string(), value);
        }
        let saved = self.context.replace(Some(env));
        let result = self.run_straight_line(body, d);
        *self.context.borrow_mut() = saved;
        result
    }

    pub(super) fn run_straight_line(&self, body: Node<'a>, d: usize) -> Option<Folded> {
        match self.run_block(body, d) {
            Flow::Return(v) => v,
            _ => None,
        }
    }

    /// Runs a statement list of a helper function in the pure subset: assignments (`=`, `.=`,
    /// `+=`, `-=`, `^=`), `++`/`--`, `if`/`else`, `for`, `while` and `return`, under the step
    /// budget. Enough for custom XOR / shift / table decoders; anything else gives up.
    pub(super) fn run_block(&self, block: Node<'a>, d: usize) -> Flow {
        let mut walker = block.walk();
        let stmts: Vec<Node<'a>> = if block.kind_name() == "compound_statement" {
            block.named_children(&mut walker).collect()
        } else {
            vec![block]
        };
        for stmt in stmts {
            if !self.budget.step() {
                return Flow::Abort;
            }
            let flow = match stmt.kind_name() {
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
                    } else if stmt.kind_name() == "break_statement" {
                        Flow::Break
                    } else {
                        Flow::Continue
                    }
                }
                "for_statement" | "while_statement" => {
                    if let Some(init) = stmt.field("initialize") {
                        if !self.effect(init, d) {
                            return Flow::Abort;
                        }
                    }
                    loop {
                        if !self.budget.step() {
                            return Flow::Abort;
                        }
                        if let Some(c) = stmt.field("condition") {
                            match self.fold(c, d) {
                                Some(v) if !truthy(&v) => break,
                                Some(_) => {}
                                None => return Flow::Abort,
                            }
                        }
                        match stmt.field("body").map(|b| self.run_block(b, d)) {
                            Some(Flow::Normal | Flow::Continue) => {}
                            Some(Flow::Break) => break,
                            Some(other) => return other,
                            None => return Flow::Abort,
                        }
                        if let Some(u) = stmt.field("update") {
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
    pub(super) fn run_if_true(&self, arm: Node<'a>, d: usize) -> Option<Flow> {
        let Some(cond) = arm.field("condition").and_then(|c| self.fold(c, d)) else {
            return Some(Flow::Abort);
        };
        if !truthy(&cond) {
            return None;
        }
        Some(match arm.field("body") {
            Some(b) => self.run_block(b, d),
            None => Flow::Abort,
        })
    }

    /// The `elseif` / `else` arms of an `if` whose condition was false.
    pub(super) fn run_alternatives(&self, stmt: Node<'a>, d: usize) -> Flow {
        let mut w = stmt.walk();
        let alternatives: Vec<Node<'a>> =
            stmt.children_by_field_name("alternative", &mut w).collect();
        for alt in alternatives {
            if !self.budget.step() {
                return Flow::Abort;
            }
            match alt.kind_name() {
                "else_clause" => {
                    return match alt.field("body") {
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
    pub(super) fn run_foreach(&self, stmt: Node<'a>, d: usize) -> Flow {
        let mut w = stmt.walk();
        let kids: Vec<Node<'a>> = stmt
            .named_children(&mut w)
            .filter(|c| c.kind_name() != "comment")
            .collect();
        let (Some(subject), Some(binding), Some(body)) =
            (kids.first(), kids.get(1), stmt.field("body"))
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
        let (key_var, value_var) = if binding.kind_name() == "pair" {
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
    pub(super) fn effect(&self, e: Node<'a>, d: usize) -> bool {
        match e.kind_name() {
            "sequence_expression" => {
                let mut w = e.walk();
                let parts: Vec<Node<'a>> = e.named_children(&mut w).collect();
                parts.into_iter().all(|p| self.effect(p, d))
            }
            "update_expression" => {
                let Some(name) = e.field("argument").and_then(|a| self.var_name(a)) else {
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
                let (Some(left), Some(right)) = (e.field("left"), e.field("right")) else {
                    return false;
                };
                let Some(name) = self.var_name(left) else {
                    return false;
                };
                let Some(value) = self.fold(right, d) else {
                    return false;
                };
                let op = e.field("operator").map(|o| self.text(o)).unwrap_or("=");
                if e.kind_name() == "assignment_expression" {
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
    pub(super) fn with_local<R>(&self, n: Node<'a>, f: impl FnOnce(&Folded) -> R) -> Option<R> {
        let mut n = n;
        while matches!(n.kind_name(), "argument" | "parenthesized_expression") {
            n = last_named(n)?;
        }
        if n.kind_name() != "variable_name" {
            return None;
        }
        let ctx = self.context.borrow();
        let v = ctx.as_ref()?.get(self.text(n).trim_start_matches('$'))?;
        Some(f(v))
    }

    pub(super) fn set_local(&self, name: String, value: Folded) -> bool {
        match self.context.borrow_mut().as_mut() {
            Some(env) => {
                env.insert(name, value);
                true
            }
            None => false,
        }
    }
}

pub(super) fn truthy(v: &Folded) -> bool {
    match &v.value {
        Value::Bool(b) => *b,
        Value::Num(n) => *n != 0.0,
        Value::Str(s) => !(s.is_empty() || s == b"0"),
        Value::Arr(a) => !a.is_empty(),
        Value::Map(m) => !m.is_empty(),
    }
}

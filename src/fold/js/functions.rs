//! The helper-function interpreter: runs small pure user functions (statements, loops,
//! assignments, in-place appends) on folded arguments.

use crate::syntax::NodeExt;
use std::rc::Rc;

use tree_sitter::Node;

use super::interp::{spread_into, truthy};
use super::{Env, Flow, JsFolder};
use crate::fold::value::{Folded, Value};
use crate::fold::walk::{is_binary_op, left_spine, preorder};

impl<'a> JsFolder<'a> {
    /// Evaluates a function body with bound arguments. A string result that none of the
    /// arguments spelled out is marked as decoded by a `custom` routine.
    pub(super) fn apply(
        &self,
        func: Node<'a>,
        args: Vec<Option<Folded>>,
        d: usize,
    ) -> Option<Folded> {
        let inputs: Vec<Vec<u8>> = args
            .iter()
            .flatten()
            .filter_map(|a| a.as_bytes().map(<[u8]>::to_vec))
            .collect();
        let out = self.apply_inner(func, args, d)?;
        match out.as_bytes() {
            Some(b) if b.len() >= 16 && !inputs.is_empty() && !inputs.iter().any(|i| i == b) => {
                Some(out.via("custom"))
            }
            _ => Some(out),
        }
    }

    /// Evaluates a function body with bound arguments (a pure subset; anything else aborts).
    pub(super) fn apply_inner(
        &self,
        func: Node<'a>,
        args: Vec<Option<Folded>>,
        d: usize,
    ) -> Option<Folded> {
        let params = func
            .field("parameters")
            .or_else(|| func.field("parameter"))?;
        let mut env = Env::new();
        let names: Vec<Node<'a>> = if params.kind_name() == "identifier" {
            vec![params]
        } else {
            params.named_children(&mut params.walk()).collect()
        };
        for (i, p) in names.iter().enumerate() {
            if p.kind_name() != "identifier" {
                return None;
            }
            env.insert(self.text(*p).to_string(), args.get(i).cloned().flatten());
        }
        let body = func.field("body")?;
        if body.kind_name() != "statement_block" {
            // An arrow function with an expression body.
            return self.fold(body, &mut env, d);
        }
        match self.exec_block(body, &mut env, d) {
            Flow::Return(v) => v,
            _ => None,
        }
    }

    pub(super) fn exec_block(&self, block: Node<'a>, env: &mut Env, d: usize) -> Flow {
        for stmt in block.named_children(&mut block.walk()) {
            match self.exec(stmt, env, d) {
                Flow::Normal => {}
                other => return other,
            }
        }
        Flow::Normal
    }

    pub(super) fn exec(&self, stmt: Node<'a>, env: &mut Env, d: usize) -> Flow {
        if !self.budget.step() || d > self.budget.limits.max_fold_depth {
            return Flow::Abort;
        }
        let Some(_frame) = self.budget.enter() else {
            return Flow::Abort;
        };
        match stmt.kind_name() {
            "comment" | "empty_statement" => Flow::Normal,
            "statement_block" => self.exec_block(stmt, env, d + 1),
            "variable_declaration" | "lexical_declaration" => {
                for decl in stmt.named_children(&mut stmt.walk()) {
                    if decl.kind_name() != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = decl.field("name").filter(|n| n.kind_name() == "identifier")
                    else {
                        return Flow::Abort;
                    };
                    let v = decl.field("value").and_then(|v| self.fold(v, env, d + 1));
                    env.insert(self.text(name).to_string(), v);
                }
                Flow::Normal
            }
            "expression_statement" => match stmt.named_child(0) {
                Some(e) => {
                    if self.effect(e, env, d + 1) {
                        Flow::Normal
                    } else {
                        Flow::Abort
                    }
                }
                None => Flow::Normal,
            },
            "return_statement" => {
                Flow::Return(stmt.named_child(0).and_then(|e| self.fold(e, env, d + 1)))
            }
            "if_statement" => {
                let Some(cond) = stmt
                    .field("condition")
                    .and_then(|c| self.fold(c, env, d + 1))
                else {
                    return Flow::Abort;
                };
                if truthy(&cond) {
                    stmt.field("consequence")
                        .map_or(Flow::Normal, |s| self.exec(s, env, d + 1))
                } else {
                    match stmt.field("alternative") {
                        // else_clause wraps the statement
                        Some(alt) => match alt.named_child(0) {
                            Some(s) => self.exec(s, env, d + 1),
                            None => Flow::Normal,
                        },
                        None => Flow::Normal,
                    }
                }
            }
            "for_statement" => {
                if let Some(init) = stmt.field("initializer") {
                    let ok = match init.kind_name() {
                        "variable_declaration" | "lexical_declaration" => {
                            matches!(self.exec(init, env, d + 1), Flow::Normal)
                        }
                        "empty_statement" => true,
                        "expression_statement" => init
                            .named_child(0)
                            .is_some_and(|e| self.effect(e, env, d + 1)),
                        _ => self.effect(init, env, d + 1),
                    };
                    if !ok {
                        return Flow::Abort;
                    }
                }
                self.run_loop(stmt, env, d)
            }
            "while_statement" => self.run_loop(stmt, env, d),
            _ => Flow::Abort,
        }
    }

    pub(super) fn run_loop(&self, stmt: Node<'a>, env: &mut Env, d: usize) -> Flow {
        let cond = stmt.field("condition");
        let incr = stmt.field("increment");
        let Some(body) = stmt.field("body") else {
            return Flow::Abort;
        };
        loop {
            if let Some(c) = cond {
                let c = if c.kind_name() == "expression_statement" {
                    c.named_child(0)
                } else {
                    Some(c)
                };
                match c.map(|c| self.fold(c, env, d + 1)) {
                    Some(Some(v)) if !truthy(&v) => return Flow::Normal,
                    Some(Some(_)) | None => {}
                    Some(None) => return Flow::Abort,
                }
            }
            match self.exec(body, env, d + 1) {
                Flow::Normal => {}
                other => return other,
            }
            if let Some(i) = incr {
                if !self.effect(i, env, d + 1) {
                    return Flow::Abort;
                }
            }
        }
    }

    /// Executes an expression for its effect on local variables. False when not understood.
    pub(super) fn effect(&self, e: Node<'a>, env: &mut Env, d: usize) -> bool {
        let Some(_frame) = self.budget.enter() else {
            return false;
        };
        let local = |n: Node<'a>, env: &Env| {
            n.kind_name() == "identifier" && env.contains_key(self.text(n))
        };
        match e.kind_name() {
            "assignment_expression" => {
                let (Some(left), Some(right)) = (e.field("left"), e.field("right")) else {
                    return false;
                };
                // `a[i] = v` on a local array (custom decoders shuffle arrays of characters).
                if left.kind_name() == "subscript_expression" {
                    let (Some(obj), Some(index)) = (left.field("object"), left.field("index"))
                    else {
                        return false;
                    };
                    if !local(obj, env) {
                        return false;
                    }
                    let Some(i) = self.fold(index, env, d).and_then(|i| i.as_num()) else {
                        return false;
                    };
                    let v = self.fold(right, env, d);
                    let name = self.text(obj).to_string();
                    let Some(Some(Folded {
                        value: Value::Arr(items),
                        ..
                    })) = env.get_mut(&name)
                    else {
                        return false;
                    };
                    // Only writes inside the array or appending one past its end.
                    if i < 0.0 || i.fract() != 0.0 || i as usize > items.len() {
                        return false;
                    }
                    let i = i as usize;
                    let items = Rc::make_mut(items);
                    if i == items.len() {
                        if !self.budget.take_decoded(1) {
                            return false;
                        }
                        items.push(v);
                    } else {
                        items[i] = v;
                    }
                    return true;
                }
                if !local(left, env) {
                    return false;
                }
                if let Some(done) = self.append_in_place(left, right, env, d) {
                    return done;
                }
                let v = self.fold(right, env, d);
                env.insert(self.text(left).to_string(), v);
                true
            }
            "augmented_assignment_expression" => {
                let (Some(left), Some(op), Some(right)) =
                    (e.field("left"), e.field("operator"), e.field("right"))
                else {
                    return false;
                };
                if !local(left, env) {
                    return false;
                }
                let name = self.text(left).to_string();
                // The right side first, then the old value is taken out, not copied: `s += c`
                // in a loop copying the growing `s` each time was quadratic.
                let r = self.fold(right, env, d);
                let (Some(Some(l)), Some(r)) = (env.remove(&name), r) else {
                    env.insert(name, None);
                    return true;
                };
                let v = match self.text(op) {
                    "+=" => {
                        let sum = self.js_add(l, r);
                        if sum.is_none() {
                            // Over the decoded-bytes cap (or no text): the value is unknown.
                            env.insert(name, None);
                            return false;
                        }
                        sum
                    }
                    "-=" => Some(Folded::num(
                        l.as_num().unwrap_or(f64::NAN) - r.as_num().unwrap_or(f64::NAN),
                    )),
                    _ => None,
                };
                env.insert(name, v);
                true
            }
            "update_expression" => {
                let Some(arg) = e.field("argument") else {
                    return false;
                };
                if !local(arg, env) {
                    return false;
                }
                let name = self.text(arg).to_string();
                let delta = if self.text(e).contains("++") {
                    1.0
                } else {
                    -1.0
                };
                let v = env
                    .get(&name)
                    .cloned()
                    .flatten()
                    .and_then(|v| v.as_num())
                    .map(|n| Folded::num(n + delta));
                env.insert(name, v);
                true
            }
            "call_expression" => {
                // `arr.push(x)` on a local array.
                let Some(callee) = e
                    .field("function")
                    .filter(|c| c.kind_name() == "member_expression")
                else {
                    return false;
                };
                let (Some(obj), Some(prop)) = (callee.field("object"), callee.field("property"))
                else {
                    return false;
                };
                if !local(obj, env) || self.text(prop) != "push" {
                    return false;
                }
                let args = e.field("arguments");
                let mut vals: Option<Vec<Option<Folded>>> = Some(Vec::new());
                for c in args
                    .map(|a| a.named_children(&mut a.walk()).collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    match c.kind_name() {
                        "comment" => {}
                        "spread_element" => {
                            let v = c.named_child(0).and_then(|x| self.fold(x, env, d));
                            vals = vals.zip(v).and_then(|(mut vs, v)| {
                                spread_into(&mut vs, v)?;
                                Some(vs)
                            });
                        }
                        _ => {
                            let v = self.fold(c, env, d);
                            if let Some(vs) = vals.as_mut() {
                                vs.push(v);
                            }
                        }
                    }
                }
                let name = self.text(obj).to_string();
                // `a.push(...unknown)`: the array's length is no longer known.
                let Some(vals) = vals else {
                    let is_array = matches!(
                        env.get(&name),
                        Some(Some(Folded {
                            value: Value::Arr(_),
                            ..
                        }))
                    );
                    if is_array {
                        env.insert(name, None);
                    }
                    return is_array;
                };
                if let Some(Some(Folded {
                    value: Value::Arr(items),
                    ..
                })) = env.get_mut(&name)
                {
                    Rc::make_mut(items).extend(vals);
                    return true;
                }
                false
            }
            "sequence_expression" => e
                .named_children(&mut e.walk())
                .collect::<Vec<_>>()
                .into_iter()
                .all(|c| self.effect(c, env, d)),
            "parenthesized_expression" => e.named_child(0).is_some_and(|c| self.effect(c, env, d)),
            _ => false,
        }
    }

    /// `s = s + a + …` with `s` a local string that the other operands do not mention: appends
    /// to `s` in place (decoders build their output this way, and folding the right side as a
    /// whole copied the growing `s` at every step). `None` when the shape does not apply.
    pub(super) fn append_in_place(
        &self,
        left: Node<'a>,
        right: Node<'a>,
        env: &mut Env,
        d: usize,
    ) -> Option<bool> {
        if !is_binary_op(right, self.src, "+") {
            return None;
        }
        let name = self.text(left);
        let (spine, first) = left_spine(right, self.src, "+", 1024, |_| false)?;
        if first.kind_name() != "identifier" || self.text(first) != name {
            return None;
        }
        let Some(Some(Folded {
            value: Value::Str(_),
            ..
        })) = env.get(name)
        else {
            return None;
        };
        let operands: Vec<Node<'a>> = spine
            .iter()
            .rev()
            .filter_map(|b| b.field("right"))
            .collect();
        let mut mentioned = false;
        for o in &operands {
            preorder(*o, |n| {
                mentioned |= n.kind_name() == "identifier" && self.text(n) == name;
                !mentioned
            });
        }
        if mentioned || operands.len() != spine.len() {
            return None;
        }
        let mut acc = env.remove(name).flatten();
        for o in operands {
            acc = match (acc, self.fold(o, env, d)) {
                (Some(l), Some(r)) => self.js_add(l, r),
                _ => None,
            };
        }
        env.insert(name.to_string(), acc);
        Some(true)
    }
}

pub(super) fn is_function(n: Node) -> bool {
    matches!(
        n.kind_name(),
        "function_expression" | "arrow_function" | "function_declaration" | "function"
    )
}

/// The identifier parameters of a function (destructuring and defaults are skipped).
pub(super) fn param_names(func: Node) -> Vec<Node> {
    if let Some(p) = func.field("parameter") {
        return vec![p]
            .into_iter()
            .filter(|p| p.kind_name() == "identifier")
            .collect();
    }
    let Some(params) = func.field("parameters") else {
        return Vec::new();
    };
    params
        .named_children(&mut params.walk())
        .filter(|p| p.kind_name() == "identifier")
        .collect()
}

//! The JavaScript evaluator: folds an expression (literals, templates, `+` chains, binary
//! operators, members, objects, calls) to a value under the budget, with or without the
//! straight-line code before it.

use crate::syntax::NodeExt;
use std::rc::Rc;

use tree_sitter::Node;

use super::functions::{is_function, param_names};
use super::literals::{js_char_at, js_chars, js_len, parse_js_number, unescape_js};
use super::{Binding, Context, Env, JsFolder};
use crate::fold::shared::{fold_cached, fold_left_chain, strip_quotes};
use crate::fold::value::{Folded, Value};
use crate::fold::walk::preorder;

impl<'a> JsFolder<'a> {
    pub(super) fn binding_of(&self, n: Node<'a>) -> Option<Binding<'a>> {
        (n.kind_name() == "identifier")
            .then(|| self.bindings.get(self.text(n)).copied())
            .flatten()
    }

    /// Folds `node` after running the top-level statements before it in the pure subset: loaders
    /// often build their payload in globals (`m = ""; for (…) m += String.fromCharCode(…)`).
    /// Statements outside the subset are skipped, not fatal: this is for seeing, not for running.
    pub fn value_in_context(&self, node: Node<'a>) -> Option<Folded> {
        // The statement list that holds `node`: the program, or the body of the innermost
        // function around it (loaders often run inside an IIFE).
        let mut stmt = node;
        let mut env = Env::new();
        while let Some(p) = stmt.parent() {
            if p.kind_name() == "program" {
                break;
            }
            if p.kind_name() == "statement_block" && p.parent().is_some_and(is_function) {
                // Parameters are unknown here, whatever a global of the same name holds.
                for param in p.parent().map(param_names).unwrap_or_default() {
                    env.insert(self.text(param).to_string(), None);
                }
                break;
            }
            if is_function(p) {
                return None;
            }
            stmt = p;
        }
        let program = stmt.parent()?;
        // Resume the run of this list where an earlier candidate left it, unless that was past
        // `stmt` (a fresh run then, as before).
        let at = stmt.start_byte();
        let cached = self.contexts.borrow_mut().remove(&program.id());
        let mut ctx = match cached {
            Some(c) if c.done == 0 || c.stmts[c.done - 1].start_byte() < at => c,
            _ => self.fresh_context(program, env),
        };
        let upto = ctx.stmts.partition_point(|s| s.start_byte() < at);
        while ctx.done < upto && !self.budget.out_of_time() {
            let s = ctx.stmts[ctx.done];
            let _ = self.exec(s, &mut ctx.env, 1);
            ctx.done += 1;
        }
        // The statement holding `node` may itself compute it (`for (…) m += …; document.write(m)`
        // sit in one statement list only at top level), so fold with what is known now.
        let out = self.fold(node, &mut ctx.env, 1);
        self.contexts.borrow_mut().insert(program.id(), ctx);
        out
    }

    /// A statement list about to be run from its start: every assignment target in it is a
    /// local of the run (unknown until assigned), besides the parameters already in `env`.
    pub(super) fn fresh_context(&self, program: Node<'a>, mut env: Env) -> Context<'a> {
        preorder(program, |n| {
            if is_function(n) {
                return false;
            }
            let target = match n.kind_name() {
                "assignment_expression" | "augmented_assignment_expression" => n.field("left"),
                "variable_declarator" => n.field("name"),
                "update_expression" => n.field("argument"),
                _ => None,
            };
            if let Some(t) = target.filter(|t| t.kind_name() == "identifier") {
                env.entry(self.text(t).to_string()).or_insert(None);
            }
            true
        });
        Context {
            stmts: program.named_children(&mut program.walk()).collect(),
            done: 0,
            env,
        }
    }

    /// Folds a node at top level (no local environment), with caching.
    pub fn value(&self, node: Node<'a>) -> Option<Folded> {
        self.fold(node, &mut Env::new(), 0)
    }

    pub(super) fn fold(&self, node: Node<'a>, env: &mut Env, depth: usize) -> Option<Folded> {
        let cacheable = env.is_empty();
        fold_cached(
            self.budget,
            &self.cache,
            node.id(),
            depth,
            cacheable,
            || self.fold_uncached(node, env, depth),
        )
    }

    pub(super) fn fold_uncached(
        &self,
        node: Node<'a>,
        env: &mut Env,
        depth: usize,
    ) -> Option<Folded> {
        let d = depth + 1;
        match node.kind_name() {
            "string" => Some(Folded::str(unescape_js(strip_quotes(
                self.text(node).as_bytes(),
            )))),
            "template_string" => {
                if node
                    .named_children(&mut node.walk())
                    .any(|c| c.kind_name() == "template_substitution")
                {
                    return self.fold_template(node, env, d);
                }
                Some(Folded::str(unescape_js(strip_quotes(
                    self.text(node).as_bytes(),
                ))))
            }
            "number" => parse_js_number(self.text(node)).map(Folded::num),
            "true" => Some(Folded::plain(Value::Bool(true))),
            "false" => Some(Folded::plain(Value::Bool(false))),
            "parenthesized_expression" => self.fold(node.named_child(0)?, env, d),
            "sequence_expression" => {
                let last = node.named_child(node.named_child_count().checked_sub(1)? as u32)?;
                self.fold(last, env, d)
            }
            "identifier" => self.fold_identifier(node, env, d),
            "array" => {
                let mut items = Vec::new();
                for c in node.named_children(&mut node.walk()) {
                    match c.kind_name() {
                        "comment" => {}
                        // `[...xs]`: known elements only when `xs` is known; else the length is
                        // unknown too (one unknown item per spread made `for(;r.length;)
                        // r.push(...i.kids)` grow forever).
                        "spread_element" => {
                            spread_into(&mut items, self.fold(c.named_child(0)?, env, d)?)?
                        }
                        _ => items.push(self.fold(c, env, d)),
                    }
                }
                let mut arr = Folded::plain(Value::Arr(Rc::default()));
                for i in items.iter().flatten() {
                    arr = arr.with_provenance_of(i);
                }
                arr.value = Value::Arr(Rc::new(items));
                Some(arr)
            }
            "binary_expression" => self.fold_binary(node, env, d),
            "unary_expression" => {
                let op = node.field("operator")?;
                let arg = self.fold(node.field("argument")?, env, d)?;
                match self.text(op) {
                    "-" => Some(Folded::num(-arg.as_num()?)),
                    "+" => Some(Folded::num(arg.as_num()?)),
                    "!" => Some(Folded::plain(Value::Bool(!truthy(&arg)))),
                    "~" => Some(Folded::num(!(to_i32(arg.as_num()?)) as f64)),
                    _ => None,
                }
            }
            "ternary_expression" => {
                let cond = self.fold(node.field("condition")?, env, d)?;
                let branch = if truthy(&cond) {
                    "consequence"
                } else {
                    "alternative"
                };
                self.fold(node.field(branch)?, env, d)
            }
            "subscript_expression" | "member_expression" => self.fold_member(node, env, d),
            "call_expression" => self.fold_call(node, env, d),
            "object" => self.fold_object(node, env, d),
            _ => None,
        }
    }

    pub(super) fn fold_template(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let mut out = Folded::str(Vec::new());
        let mut bytes = Vec::new();
        let start = node.start_byte() + 1;
        let end = node.end_byte().saturating_sub(1);
        let mut at = start;
        for c in node.named_children(&mut node.walk()) {
            if c.kind_name() != "template_substitution" {
                continue;
            }
            bytes.extend(unescape_js(&self.src[at..c.start_byte()]));
            let inner = self.fold(c.named_child(0)?, env, d)?;
            bytes.extend(inner.to_text()?);
            out = out.with_provenance_of(&inner);
            at = c.end_byte();
        }
        bytes.extend(unescape_js(&self.src[at.min(end)..end]));
        out.value = Value::Str(bytes);
        Some(out)
    }

    pub(super) fn fold_identifier(
        &self,
        node: Node<'a>,
        env: &mut Env,
        d: usize,
    ) -> Option<Folded> {
        let name = self.text(node);
        if let Some(v) = env.get(name) {
            let size = v.as_ref().and_then(Folded::as_bytes).map_or(0, <[u8]>::len);
            if !self.budget.copy(size) {
                return None;
            }
            return v.clone();
        }
        match self.bindings.get(name)? {
            Binding::Const(value) => {
                let value = *value;
                // A binding folded outside any local environment; guard against `a = a + 1`.
                if value.byte_range().contains(&node.start_byte()) {
                    return None;
                }
                let mut v = self.fold(value, &mut Env::new(), d)?;
                if let Some(rot) = self.rotations.get(name) {
                    if let Value::Arr(items) = &mut v.value {
                        if !items.is_empty() {
                            let r = rot % items.len();
                            Rc::make_mut(items).rotate_left(r);
                        }
                    }
                }
                Some(v)
            }
            _ => None,
        }
    }

    /// `a + b + c + …` folded left to right without recursing down the left spine.
    pub(super) fn fold_plus_chain(
        &self,
        node: Node<'a>,
        env: &mut Env,
        d: usize,
    ) -> Option<Folded> {
        let cacheable = env.is_empty();
        fold_left_chain(
            node,
            self.src,
            "+",
            cacheable,
            &self.cache,
            &self.prefixes,
            |n| self.fold(n, env, d),
            |l, v| self.js_add(l, v),
        )
    }

    pub(super) fn js_add(&self, l: Folded, r: Folded) -> Option<Folded> {
        let numeric = |v: &Folded| matches!(v.value, Value::Num(_) | Value::Bool(_));
        if numeric(&l) && numeric(&r) {
            return Some(
                Folded::num(l.as_num()? + r.as_num()?)
                    .with_provenance_of(&l)
                    .with_provenance_of(&r),
            );
        }
        let rt = r.to_text()?;
        if !self.budget.take_decoded(rt.len()) {
            return None;
        }
        let out = Folded::str(Vec::new())
            .with_provenance_of(&l)
            .with_provenance_of(&r);
        // Append in place: copying the growing left side at every operand was quadratic (a
        // 15 KB file of `a+a+…` with a 3 KB `a` stalled for the whole time budget).
        let mut s = match l.value {
            Value::Str(s) => s,
            _ => l.to_text()?,
        };
        s.extend(rt);
        Some(Folded {
            value: Value::Str(s),
            ..out
        })
    }

    pub(super) fn fold_binary(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let op = self.text(node.field("operator")?);
        if op == "+" {
            return self.fold_plus_chain(node, env, d);
        }
        let left = node.field("left")?;
        let right = node.field("right")?;
        if op == "&&" || op == "||" {
            let l = self.fold(left, env, d)?;
            return match (op, truthy(&l)) {
                ("&&", true) | ("||", false) => self.fold(right, env, d),
                _ => Some(l),
            };
        }
        let l = self.fold(left, env, d)?;
        let r = self.fold(right, env, d)?;
        let prov = |v: Folded| v.with_provenance_of(&l).with_provenance_of(&r);
        let num = |f: fn(f64, f64) -> f64| Some(prov(Folded::num(f(l.as_num()?, r.as_num()?))));
        let int = |f: fn(i32, i32) -> i32| {
            Some(prov(Folded::num(
                f(to_i32(l.as_num()?), to_i32(r.as_num()?)) as f64,
            )))
        };
        let cmp = |b: bool| Some(prov(Folded::plain(Value::Bool(b))));
        match op {
            "-" => num(|a, b| a - b),
            "*" => num(|a, b| a * b),
            "/" => num(|a, b| a / b),
            "%" => num(|a, b| a % b),
            "**" => num(f64::powf),
            "^" => int(|a, b| a ^ b),
            "|" => int(|a, b| a | b),
            "&" => int(|a, b| a & b),
            "<<" => int(|a, b| a.wrapping_shl(b as u32 & 31)),
            ">>" => int(|a, b| a.wrapping_shr(b as u32 & 31)),
            ">>>" => Some(prov(Folded::num(
                ((to_i32(l.as_num()?) as u32) >> (to_i32(r.as_num()?) as u32 & 31)) as f64,
            ))),
            "<" | ">" | "<=" | ">=" => {
                let (a, b) = (l.as_num()?, r.as_num()?);
                cmp(match op {
                    "<" => a < b,
                    ">" => a > b,
                    "<=" => a <= b,
                    _ => a >= b,
                })
            }
            "==" | "===" | "!=" | "!==" => {
                let eq = match (&l.value, &r.value) {
                    (Value::Str(a), Value::Str(b)) => a == b,
                    _ => l.as_num()? == r.as_num()?,
                };
                cmp(if op.starts_with('!') { !eq } else { eq })
            }
            _ => None,
        }
    }

    pub(super) fn fold_member(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let object = node.field("object")?;
        let key = self.member_key(node, env, d)?;
        // A local variable is read in place: cloning a long string or array at every `a[i]`
        // of a decoding loop would make the loop quadratic.
        if object.kind_name() == "identifier" {
            if let Some(Some(local)) = env.get(self.text(object)) {
                return member_of(local, &key);
            }
        }
        // Globals spelled as members (`window.atob` is not a value; `Math.PI` is not needed).
        let obj = self.fold(object, env, d)?;
        member_of(&obj, &key)
    }

    /// An object literal with known keys (`{ url: "https://…", n: 2 }`), so that a value kept in
    /// a configuration object folds where it is read (`cfg.url`). Nested objects, arrays and
    /// names stay unknown; spreads, methods and getters give up on the whole object.
    pub(super) fn fold_object(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        const MAX_PAIRS: usize = 256;
        let mut pairs = Vec::new();
        let mut cursor = node.walk();
        for c in node.named_children(&mut cursor) {
            match c.kind_name() {
                "comment" => {}
                "pair" if pairs.len() < MAX_PAIRS => {
                    let key = c.field("key")?;
                    let key = match key.kind_name() {
                        "property_identifier" => self.text(key).as_bytes().to_vec(),
                        "computed_property_name" => {
                            self.fold(key.named_child(0)?, env, d)?.to_text()?
                        }
                        _ => self.fold(key, env, d)?.to_text()?,
                    };
                    // No nested objects, arrays or bare names: they would chain through whole
                    // bundles (`var o2 = {c: o1}` a thousand times).
                    let value = c
                        .field("value")
                        .filter(|v| {
                            !is_function(*v)
                                && !matches!(v.kind_name(), "object" | "identifier" | "array")
                        })
                        .and_then(|v| self.fold(v, env, d));
                    pairs.push((key, value));
                }
                _ => return None,
            }
        }
        Some(Folded::plain(Value::Map(pairs)))
    }

    /// The property name of a member or subscript expression, folded when computed.
    pub(super) fn member_key(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<String> {
        if node.kind_name() == "member_expression" {
            return Some(self.text(node.field("property")?).to_string());
        }
        let index = node.field("index")?;
        let v = self.fold(index, env, d)?;
        v.text_lossy()
    }
}

/// `obj.length`, `obj[i]` of a folded string or array.
pub(super) fn member_of(obj: &Folded, key: &str) -> Option<Folded> {
    if key == "length" {
        let n = match &obj.value {
            Value::Str(s) => js_len(s),
            Value::Arr(a) => a.len(),
            _ => return None,
        };
        return Some(Folded::num(n as f64).with_provenance_of(obj));
    }
    if let Value::Map(pairs) = &obj.value {
        return pairs
            .iter()
            .rev()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .and_then(|(_, v)| v.clone());
    }
    let index: usize = key.parse().ok()?;
    match &obj.value {
        Value::Arr(items) => items.get(index)?.clone(),
        Value::Str(s) => {
            let c = js_char_at(s, index)?;
            Some(Folded::str(c).with_provenance_of(obj))
        }
        _ => None,
    }
}

/// Appends the elements of a spread value (`...xs`): an array's items, a string's characters.
/// `None` when it has no known elements.
pub(super) fn spread_into(items: &mut Vec<Option<Folded>>, v: Folded) -> Option<()> {
    match v.value {
        Value::Arr(more) => items.extend(more.iter().cloned()),
        Value::Str(s) => items.extend(js_chars(&s).into_iter().map(|c| Some(Folded::str(c)))),
        _ => return None,
    }
    Some(())
}

/// JavaScript's `Number(x)` for the index arguments of accessors (`0x1a`, `'0x1a'`, `26`).
pub(super) fn js_to_number(v: &Folded) -> Option<f64> {
    match &v.value {
        Value::Num(n) => Some(*n),
        Value::Str(s) => parse_js_number(std::str::from_utf8(s).ok()?.trim()),
        _ => v.as_num(),
    }
}

/// JavaScript's `parseInt(s)`: leading whitespace, a sign, decimal digits; NaN without digits.
pub(super) fn js_parse_int(s: &[u8]) -> f64 {
    let t = String::from_utf8_lossy(s);
    let t = t.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<f64>() {
        Ok(v) if neg => -v,
        Ok(v) => v,
        Err(_) => f64::NAN,
    }
}

pub(super) fn truthy(v: &Folded) -> bool {
    match &v.value {
        Value::Bool(b) => *b,
        Value::Num(n) => *n != 0.0 && !n.is_nan(),
        Value::Str(s) => !s.is_empty(),
        Value::Arr(_) | Value::Map(_) => true,
    }
}

pub(super) fn to_i32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    (n.trunc() as i64 & 0xffff_ffff) as u32 as i32
}

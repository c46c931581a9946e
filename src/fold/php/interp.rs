//! The PHP evaluator: folds an expression (strings, interpolation, arrays, `.` chains, binary
//! operators, offsets, calls) to a value under the budget.

use crate::syntax::NodeExt;
use std::rc::Rc;

use tree_sitter::Node;

use super::functions::truthy;
use super::literals::{parse_php_int, trim_heredoc, unescape_double, unescape_single};
use super::PhpFolder;
use crate::fold::shared::{fold_cached, fold_left_chain, strip_quotes};
use crate::fold::value::{Folded, Value};
use crate::fold::walk::is_binary_op;

impl<'a> PhpFolder<'a> {
    pub(super) fn fold(&self, node: Node<'a>, depth: usize) -> Option<Folded> {
        // Values folded in context (see `value_in_context`) hold for one place only.
        let cacheable = self.context.borrow().is_none();
        fold_cached(
            self.budget,
            &self.cache,
            node.id(),
            depth,
            cacheable,
            || self.fold_uncached(node, depth + 1),
        )
    }

    pub(super) fn fold_uncached(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        match node.kind_name() {
            "string" | "encapsed_string" => self.fold_string(node, d),
            "heredoc" => {
                let body = node.field("value")?;
                self.fold_interpolated(body, d, true)
            }
            "nowdoc" => {
                let body = node.field("value")?;
                Some(Folded::str(trim_heredoc(self.text(body).as_bytes())))
            }
            "integer" => parse_php_int(self.text(node)).map(Folded::num),
            // PHP < 8 reads an undefined constant as its own name: `base64_decode(SGVsbG8...)`.
            "name"
                if node.parent().is_some_and(|p| {
                    p.kind_name() == "argument" || is_binary_op(p, self.src, ".")
                }) && self.text(node).len() >= 16 =>
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
                let v = self.fold(node.field("value")?, d)?;
                let ty = self.text(node.field("type")?).to_ascii_lowercase();
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
                let op = node.field("operator").map(|o| self.text(o)).unwrap_or("");
                let v = self.fold(node.field("argument").or_else(|| last_named(node))?, d)?;
                match op {
                    "-" => Some(Folded::num(-v.as_num()?)),
                    "+" => Some(Folded::num(v.as_num()?)),
                    _ => None,
                }
            }
            "conditional_expression" => {
                let cond = self.fold(node.field("condition")?, d)?;
                if truthy(&cond) {
                    match node.field("body") {
                        Some(b) => self.fold(b, d),
                        None => Some(cond),
                    }
                } else {
                    self.fold(node.field("alternative")?, d)
                }
            }
            "member_call_expression" | "scoped_call_expression" => {
                // `$this->decode('…')` / `self::decode('…')`: a helper method of the same file.
                let name = self.text(node.field("name")?).to_ascii_lowercase();
                let args = self.args(node);
                self.inline_user_function(&name, &args, d)
            }
            "function_call_expression" => self.fold_call(node, d),
            _ => None,
        }
    }

    /// `[a, b]` is a list; with any `key => value` element it is a keyed map (substitution
    /// tables of custom decoders). Keys must fold; unknown values stay unknown.
    pub(super) fn fold_array(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let mut items = Vec::new();
        let mut keyed: Vec<(Vec<u8>, Option<Folded>)> = Vec::new();
        let mut next_index = 0i64;
        let mut any_key = false;
        for el in node.named_children(&mut node.walk()) {
            if el.kind_name() != "array_element_initializer" {
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
            if value.kind_name() == "variadic_unpacking" || value.kind_name() == "by_ref" {
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

    pub(super) fn fold_string(&self, node: Node<'a>, d: usize) -> Option<Folded> {
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
    pub(super) fn fold_interpolated(
        &self,
        node: Node<'a>,
        d: usize,
        heredoc: bool,
    ) -> Option<Folded> {
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
            match c.kind_name() {
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
    pub(super) fn fold_concat_chain(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let cacheable = self.context.borrow().is_none();
        fold_left_chain(
            node,
            self.src,
            ".",
            cacheable,
            &self.cache,
            &self.prefixes,
            |n| self.fold(n, d),
            |l, v| {
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
            },
        )
    }

    pub(super) fn fold_binary(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let op = self.text(node.field("operator")?);
        if op == "." {
            return self.fold_concat_chain(node, d);
        }
        let l = self.fold(node.field("left")?, d)?;
        let r = self.fold(node.field("right")?, d)?;
        let prov = |v: Folded| v.with_provenance_of(&l).with_provenance_of(&r);
        let num = |f: fn(f64, f64) -> f64| Some(prov(Folded::num(f(l.as_num()?, r.as_num()?))));
        match op {
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
}

/// `$a[$k]` on a folded string, list or map.
pub(super) fn index(obj: &Folded, key: &Folded) -> Option<Folded> {
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
pub(super) fn has_index(obj: &Folded, key: &Folded) -> Option<bool> {
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
pub(super) fn php_array_key(k: &Folded) -> Option<Vec<u8>> {
    match &k.value {
        Value::Num(n) => Some(crate::fold::value::number_to_string(n.trunc()).into_bytes()),
        Value::Bool(b) => Some(if *b { b"1".to_vec() } else { b"0".to_vec() }),
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

pub(super) fn last_named(n: Node) -> Option<Node> {
    n.named_child(n.named_child_count().checked_sub(1)? as u32)
}

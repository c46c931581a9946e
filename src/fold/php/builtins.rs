//! The PHP builtin table: `fold_call` dispatches decoders, string functions, array functions,
//! variable functions and inlined user functions.

use crate::syntax::NodeExt;
use std::rc::Rc;

use tree_sitter::Node;

use super::interp::{has_index, last_named};
use super::PhpFolder;
use crate::decode::bytes as decoders;
use crate::decode::{self, DecodeFn};
use crate::fold::budget::LimitHit;
use crate::fold::shared::{replace_all, split};
use crate::fold::value::{Folded, Value};

impl<'a> PhpFolder<'a> {
    pub(super) fn args(&self, call: Node<'a>) -> Vec<Node<'a>> {
        call.field("arguments")
            .map(|a| {
                a.named_children(&mut a.walk())
                    .filter(|c| c.kind_name() == "argument")
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn fold_call(&self, node: Node<'a>, d: usize) -> Option<Folded> {
        let name = self.callee_name(node.field("function")?)?;
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
        let run = |f: DecodeFn, s: &[u8]| {
            let (out, truncated) = f(s, cap)?;
            if truncated {
                self.budget.hit(LimitHit::InflateCap);
            }
            Some(out)
        };
        // The decoder table's functions of one string (base64_decode, gzinflate, str_rot13…).
        if let Some(row) = decode::php(&name) {
            if let Some(f) = row.decode {
                return decode(row.label, &|s| run(f, s));
            }
        }
        match name.as_str() {
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
                    while matches!(e.kind_name(), "argument" | "parenthesized_expression") {
                        e = last_named(e)?;
                    }
                    let set = match e.kind_name() {
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
                        "trim" => it.to_text()?.trim_ascii().to_vec(),
                        name => run(decode::php(name)?.decode?, &it.to_text()?)?,
                    };
                    out.push(Some(Folded::str(mapped)));
                }
                Some(Folded::plain(Value::Arr(Rc::new(out))).via("array_map"))
            }
            _ => self.inline_user_function(&name, &args, d),
        }
    }
}

/// Does a PCRE pattern (`/…/imsxe`, `#…#e`) carry the `e` modifier?
pub(super) fn eval_modifier(pattern: &[u8]) -> bool {
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

//! The JavaScript builtin tables: global functions (`builtin`), string and array methods
//! (`method`) and the call dispatch between them and user functions (`fold_call`).

use crate::syntax::NodeExt;
use std::rc::Rc;

use tree_sitter::Node;

use super::functions::is_function;
use super::interp::js_to_number;
use super::literals::{js_char_at, js_chars, js_code_at};
use super::obfuscator::access_string_array;
use super::{ArrayEncoding, Binding, Env, JsFolder};
use crate::decode::bytes as decoders;
use crate::fold::shared::split;
use crate::fold::value::{integer_to_radix, Folded, Value};

impl<'a> JsFolder<'a> {
    pub(super) fn fold_call(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let callee = node.field("function")?;
        let args_node = node.field("arguments")?;
        let arg_nodes: Vec<Node<'a>> = args_node
            .named_children(&mut args_node.walk())
            .filter(|c| c.kind_name() != "comment")
            .collect();
        if let Some(unpacked) = self.unpack(node, env, d) {
            return Some(unpacked);
        }
        if let Some(acc) = self.accessor_of(callee) {
            let index = arg_nodes.first().and_then(|a| self.fold(*a, env, d))?;
            let key = match arg_nodes.get(1) {
                Some(k) => self.fold(*k, env, d).and_then(|k| k.to_text()),
                None => None,
            };
            let items = self.string_arrays.get(acc.array)?;
            let out = access_string_array(&acc, items, 0, js_to_number(&index)?, key.as_deref())?;
            if !self.budget.take_decoded(out.len()) {
                return None;
            }
            let f = Folded::str(out).via("string-array");
            return Some(match acc.encoding {
                ArrayEncoding::Plain => f,
                ArrayEncoding::Base64 { .. } => f.via("base64"),
                ArrayEncoding::Rc4 { .. } => f.via("base64").via("rc4"),
            });
        }
        // Method calls on a folded receiver.
        if matches!(
            callee.kind_name(),
            "member_expression" | "subscript_expression"
        ) {
            let object = callee.field("object")?;
            let method = self.member_key(callee, env, d)?;
            if let Some(name) = self.callee_name(callee) {
                if let Some(v) = self.builtin(&name, &arg_nodes, env, d) {
                    return Some(v);
                }
            }
            // `$('<div/>').html('&#104;&#116;…').text()`: the browser decodes HTML entities.
            if method == "text" && object.kind_name() == "call_expression" {
                let inner = object.field("function");
                let is_html = inner
                    .filter(|f| {
                        matches!(f.kind_name(), "member_expression" | "subscript_expression")
                    })
                    .and_then(|f| self.member_key(f, env, d))
                    .is_some_and(|k| k == "html");
                let arg = object.field("arguments").and_then(|a| a.named_child(0));
                if let (true, Some(arg)) = (is_html, arg) {
                    let v = self.fold(arg, env, d)?;
                    let decoded = decoders::html_entities(&v.to_text()?);
                    return Some(
                        Folded::str(decoded)
                            .with_provenance_of(&v)
                            .via("html-entities"),
                    );
                }
            }
            if matches!(method.as_str(), "charAt" | "charCodeAt")
                && object.kind_name() == "identifier"
            {
                let index = match arg_nodes.first() {
                    Some(a) => self.fold(*a, env, d)?.as_num()?,
                    None => 0.0,
                };
                if let Some(Some(local)) = env.get(self.text(object)) {
                    let Value::Str(s) = &local.value else {
                        return None;
                    };
                    if index < 0.0 || index.fract() != 0.0 {
                        return None;
                    }
                    let v = if method == "charAt" {
                        Value::Str(js_char_at(s, index as usize).unwrap_or_default())
                    } else {
                        Value::Num(js_code_at(s, index as usize)? as f64)
                    };
                    return Some(Folded::plain(v).with_provenance_of(local));
                }
            }
            // A local receiver is read in place, after the arguments: copying a long string at
            // every `s.substr(i, 2)` of a decoding loop made the loop quadratic.
            if object.kind_name() == "identifier"
                && !matches!(method.as_str(), "map" | "replace" | "replaceAll")
                && matches!(env.get(self.text(object)), Some(Some(_)))
            {
                let args: Vec<Option<Folded>> =
                    arg_nodes.iter().map(|a| self.fold(*a, env, d)).collect();
                let Some(Some(recv)) = env.get(self.text(object)) else {
                    return None;
                };
                return self.method(recv, &method, &args, arg_nodes.first().copied());
            }
            let recv = self.fold(object, env, d)?;
            // `[…].map(function (c) { return String.fromCharCode(c ^ 7); })`: a pure callback.
            if method == "map" {
                if let (Value::Arr(items), Some(cb)) = (&recv.value, arg_nodes.first()) {
                    let func = match self.binding_of(*cb) {
                        Some(Binding::Function(f)) => f,
                        _ if is_function(*cb) => *cb,
                        _ => return None,
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        out.push(self.apply(
                            func,
                            vec![item.clone(), Some(Folded::num(i as f64))],
                            d + 1,
                        ));
                    }
                    let mut f = Folded::plain(Value::Arr(Rc::default())).with_provenance_of(&recv);
                    for v in out.iter().flatten() {
                        f = f.with_provenance_of(v);
                    }
                    f.value = Value::Arr(Rc::new(out));
                    return Some(f);
                }
            }
            // `s.replace(/./g, function (c) { … })`: a pure callback per match.
            if matches!(method.as_str(), "replace" | "replaceAll") {
                let cb = arg_nodes.get(1).and_then(|cb| match self.binding_of(*cb) {
                    Some(Binding::Function(f)) => Some(f),
                    _ => is_function(*cb).then_some(*cb),
                });
                if let (Value::Str(s), Some(cb), Some(pat)) = (&recv.value, cb, arg_nodes.first()) {
                    return self.replace_with_callback(
                        &recv,
                        s,
                        *pat,
                        cb,
                        method == "replaceAll",
                        env,
                        d,
                    );
                }
            }
            let args: Vec<Option<Folded>> =
                arg_nodes.iter().map(|a| self.fold(*a, env, d)).collect();
            return self.method(&recv, &method, &args, arg_nodes.first().copied());
        }
        let name = self.callee_name(callee);
        if let Some(name) = &name {
            if let Some(v) = self.builtin(name, &arg_nodes, env, d) {
                return Some(v);
            }
        }
        // A small pure helper function: evaluate its body with the folded arguments.
        let func = match callee.kind_name() {
            "identifier" => match (
                env.contains_key(self.text(callee)),
                self.bindings.get(self.text(callee)),
            ) {
                (false, Some(Binding::Function(f))) => *f,
                _ => return None,
            },
            "parenthesized_expression" => callee.named_child(0).filter(|f| is_function(*f))?,
            _ if is_function(callee) => callee,
            _ => return None,
        };
        let args: Vec<Option<Folded>> = arg_nodes.iter().map(|a| self.fold(*a, env, d)).collect();
        self.apply(func, args, d)
    }

    /// `s.replace(pattern, callback)` with a pure callback, called once per match with the
    /// match, its groups and its offset. Every call is paid for from the step budget.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn replace_with_callback(
        &self,
        recv: &Folded,
        s: &[u8],
        pattern: Node<'a>,
        func: Node<'a>,
        all: bool,
        env: &mut Env,
        d: usize,
    ) -> Option<Folded> {
        let (re, global) = if pattern.kind_name() == "regex" {
            let (re, flags) = self.js_regex(pattern)?;
            (re, flags.contains('g'))
        } else {
            let lit = self.fold(pattern, env, d)?.to_text()?;
            let lit = String::from_utf8(lit).ok()?;
            (regex::bytes::Regex::new(&regex::escape(&lit)).ok()?, all)
        };
        let mut out = Vec::with_capacity(s.len());
        let mut prov = recv.clone();
        let mut at = 0;
        for caps in re.captures_iter(s) {
            let m = caps.get(0)?;
            out.extend_from_slice(&s[at..m.start()]);
            let mut args: Vec<Option<Folded>> = caps
                .iter()
                .map(|g| g.map(|g| Folded::str(g.as_bytes())))
                .collect();
            args.push(Some(Folded::num(m.start() as f64)));
            let v = self.apply(func, args, d + 1)?;
            let text = v.to_text()?;
            if !self.budget.take_decoded(text.len()) {
                return None;
            }
            out.extend(text);
            prov = prov.with_provenance_of(&v);
            at = m.end();
            if !global {
                break;
            }
        }
        out.extend_from_slice(&s[at..]);
        prov.value = Value::Str(out);
        Some(prov)
    }

    /// A JavaScript regex literal as a Rust regex, with its flags. `None` for what the regex
    /// crate cannot express (backreferences, lookaround).
    pub(super) fn js_regex(&self, pattern: Node<'a>) -> Option<(regex::bytes::Regex, &'a str)> {
        let src = self.text(pattern.field("pattern")?);
        let flags = pattern.field("flags").map(|f| self.text(f)).unwrap_or("");
        let re = regex::bytes::RegexBuilder::new(&js_regex_to_rust(src)?)
            .case_insensitive(flags.contains('i'))
            .multi_line(flags.contains('m'))
            .dot_matches_new_line(flags.contains('s'))
            .size_limit(1 << 20)
            .build()
            .ok()?;
        Some((re, flags))
    }

    /// Calls of globals with a known meaning.
    pub(super) fn builtin(
        &self,
        name: &str,
        args: &[Node<'a>],
        env: &mut Env,
        d: usize,
    ) -> Option<Folded> {
        let arg = |i: usize, env: &mut Env| args.get(i).and_then(|a| self.fold(*a, env, d));
        let decode = |env: &mut Env, label: &'static str, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>| {
            let input = arg(0, env)?;
            let out = f(&input.to_text()?)?;
            self.budget
                .take_decoded(out.len())
                .then(|| Folded::str(out).with_provenance_of(&input).via(label))
        };
        // The decoder table's functions of one string (atob, unescape, decodeURIComponent…).
        if let Some(row) = crate::decode::js(name) {
            if let Some(f) = row.decode {
                let cap = self.budget.limits.max_inflate_bytes;
                return decode(env, row.label, &|s| {
                    let (out, truncated) = f(s, cap)?;
                    if truncated {
                        self.budget.hit(crate::fold::LimitHit::InflateCap);
                    }
                    Some(out)
                });
            }
        }
        match name {
            "String.fromCharCode" | "String.fromCodePoint" => {
                let mut out = Vec::new();
                let mut fc = Folded::str(Vec::new());
                for a in args {
                    let v = self.fold(*a, env, d)?;
                    // `String.fromCharCode.apply(null, [..])` style arrays are spread.
                    match &v.value {
                        Value::Arr(items) => {
                            for i in items.iter() {
                                decoders::push_char(&mut out, i.as_ref()?.as_num()? as u32);
                            }
                        }
                        _ => decoders::push_char(&mut out, v.as_num()? as u32),
                    }
                    fc = fc.with_provenance_of(&v);
                }
                fc.value = Value::Str(out);
                Some(fc.via("fromCharCode"))
            }
            "String.fromCharCode.apply" => {
                let v = arg(1, env)?;
                let Value::Arr(items) = &v.value else {
                    return None;
                };
                let mut out = Vec::new();
                for i in items.iter() {
                    decoders::push_char(&mut out, i.as_ref()?.as_num()? as u32);
                }
                Some(Folded::str(out).via("fromCharCode"))
            }
            "parseInt" => {
                let s = arg(0, env)?.text_lossy()?;
                let radix = match arg(1, env) {
                    Some(r) => r.as_num()? as u32,
                    None => 10,
                };
                let s = s.trim();
                let (s, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) if radix == 16 || radix == 10 => (h, 16),
                    _ => (s, radix),
                };
                let digits: String = s
                    .chars()
                    .take_while(|c| c.is_digit(radix.clamp(2, 36)))
                    .collect();
                i64::from_str_radix(&digits, radix)
                    .ok()
                    .map(|n| Folded::num(n as f64))
            }
            "String" => {
                let v = arg(0, env)?;
                Some(Folded::str(v.to_text()?).with_provenance_of(&v))
            }
            "Number" => Some(Folded::num(arg(0, env)?.as_num()?)),
            _ => None,
        }
    }

    /// String and array methods with folded receiver and arguments.
    pub(super) fn method(
        &self,
        recv: &Folded,
        method: &str,
        args: &[Option<Folded>],
        first_arg: Option<Node<'a>>,
    ) -> Option<Folded> {
        let arg = |i: usize| args.get(i).cloned().flatten();
        let text_arg = |i: usize| arg(i).and_then(|a| a.to_text());
        // Provenance only: the receiver's value itself is not copied.
        let mut prov = Folded {
            value: Value::Bool(false),
            decoders: recv.decoders.clone(),
        };
        for a in args.iter().flatten() {
            prov = prov.with_provenance_of(a);
        }
        let out = |v: Value| {
            let mut f = prov.clone();
            f.value = v;
            Some(f)
        };
        match (&recv.value, method) {
            (Value::Str(s), "split") if first_arg.is_some_and(|a| a.kind_name() == "regex") => {
                let (re, _) = self.js_regex(first_arg?)?;
                let parts: Vec<Option<Folded>> =
                    re.split(s).map(|p| Some(Folded::str(p.to_vec()))).collect();
                out(Value::Arr(Rc::new(parts)))
            }
            (Value::Str(s), "split") => {
                let sep = text_arg(0)?;
                let parts: Vec<Option<Folded>> = if sep.is_empty() {
                    js_chars(s)
                        .into_iter()
                        .map(|c| Some(Folded::str(c)))
                        .collect()
                } else {
                    split(s, &sep)
                        .into_iter()
                        .map(|p| Some(Folded::str(p)))
                        .collect()
                };
                out(Value::Arr(Rc::new(parts)))
            }
            (Value::Arr(items), "reverse") => {
                let mut items = Vec::clone(items);
                items.reverse();
                out(Value::Arr(Rc::new(items))).map(|f| f.via("reverse"))
            }
            (Value::Arr(items), "join") => {
                let sep = match arg(0) {
                    Some(s) => s.to_text()?,
                    None => b",".to_vec(),
                };
                let mut s = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        s.extend_from_slice(&sep);
                    }
                    s.extend(item.as_ref()?.to_text()?);
                }
                out(Value::Str(s))
            }
            (Value::Arr(items), "concat") => {
                let mut items = Vec::clone(items);
                for a in args {
                    match &a.as_ref()?.value {
                        Value::Arr(more) => items.extend(more.iter().cloned()),
                        _ => items.push(a.clone()),
                    }
                }
                out(Value::Arr(Rc::new(items)))
            }
            (Value::Str(s), "concat") => {
                let mut s = s.clone();
                for a in args {
                    s.extend(a.as_ref()?.to_text()?);
                }
                out(Value::Str(s))
            }
            (Value::Str(s), "replace" | "replaceAll") => {
                let with = text_arg(1)?;
                let pattern = first_arg?;
                if pattern.kind_name() == "regex" {
                    let (re, flags) = self.js_regex(pattern)?;
                    let with = regex::bytes::NoExpand(&with);
                    let r = if flags.contains('g') {
                        re.replace_all(s, with)
                    } else {
                        re.replace(s, with)
                    };
                    return out(Value::Str(r.into_owned()));
                }
                let from = text_arg(0)?;
                if from.is_empty() {
                    return None;
                }
                let parts = split(s, &from);
                let joined = if method == "replaceAll" {
                    parts.join(with.as_slice())
                } else {
                    let mut it = parts.into_iter();
                    let mut r = it.next().unwrap_or_default();
                    if let Some(second) = it.next() {
                        r.extend_from_slice(&with);
                        r.extend(second);
                        for rest in it {
                            r.extend_from_slice(&from);
                            r.extend(rest);
                        }
                    }
                    r
                };
                out(Value::Str(joined))
            }
            (Value::Str(s), "charCodeAt" | "codePointAt") => {
                let i = arg(0).map_or(Some(0.0), |a| a.as_num())? as usize;
                let c = js_code_at(s, i)?;
                out(Value::Num(c as f64))
            }
            (Value::Str(s), "indexOf" | "lastIndexOf") => {
                let needle = text_arg(0)?;
                let pos = if method == "indexOf" {
                    memchr::memmem::find(s, &needle)
                } else {
                    memchr::memmem::rfind(s, &needle)
                };
                let n = match pos {
                    // Character offsets: count UTF-8 lead bytes before the match.
                    Some(p) => s[..p].iter().filter(|&&b| (b & 0xC0) != 0x80).count() as f64,
                    None => -1.0,
                };
                out(Value::Num(n))
            }
            (Value::Arr(items), "indexOf") => {
                let needle = arg(0)?;
                let n = items
                    .iter()
                    .position(|i| i.as_ref().is_some_and(|i| i.value == needle.value))
                    .map_or(-1.0, |p| p as f64);
                out(Value::Num(n))
            }
            (Value::Str(s), "charAt") => {
                let i = arg(0).map_or(Some(0.0), |a| a.as_num())? as usize;
                out(Value::Str(js_char_at(s, i).unwrap_or_default()))
            }
            (Value::Str(s), "substr" | "substring" | "slice") => {
                // ASCII (the usual case) is sliced in place: splitting into characters at every
                // call made decoding loops over long strings allocation-bound.
                let chars: Vec<Vec<u8>> = if s.is_ascii() {
                    Vec::new()
                } else {
                    js_chars(s)
                };
                let len = if s.is_ascii() { s.len() } else { chars.len() } as i64;
                let a = arg(0).map_or(Some(0.0), |a| a.as_num())? as i64;
                let resolve = |v: i64| {
                    if v < 0 && method != "substring" {
                        (len + v).max(0)
                    } else {
                        v.clamp(0, len)
                    }
                };
                let start = resolve(a);
                let end = match (method, arg(1)) {
                    ("substr", Some(n)) => (start + n.as_num()? as i64).min(len),
                    (_, Some(e)) => resolve(e.as_num()? as i64),
                    (_, None) => len,
                };
                let (start, end) = if method == "substring" && end < start {
                    (end, start)
                } else {
                    (start, end)
                };
                let piece: Vec<u8> = if s.is_ascii() {
                    s[start as usize..end.max(start) as usize].to_vec()
                } else {
                    chars[start as usize..end.max(start) as usize].concat()
                };
                out(Value::Str(piece))
            }
            (Value::Str(s), "toLowerCase") => out(Value::Str(s.to_ascii_lowercase())),
            (Value::Str(s), "toUpperCase") => out(Value::Str(s.to_ascii_uppercase())),
            (Value::Str(s), "trim") => out(Value::Str(s.trim_ascii().to_vec())),
            (Value::Str(s), "toString") => out(Value::Str(s.clone())),
            (Value::Num(n), "toString") => {
                let radix = arg(0).map_or(Some(10.0), |a| a.as_num())? as u32;
                out(Value::Str(integer_to_radix(*n, radix)?.into_bytes()))
            }
            (Value::Arr(items), "slice") => {
                let len = items.len() as i64;
                let a = arg(0).map_or(Some(0.0), |a| a.as_num())? as i64;
                let b = arg(1).map_or(Some(len as f64), |a| a.as_num())? as i64;
                let r = |v: i64| if v < 0 { (len + v).max(0) } else { v.min(len) };
                let (s, e) = (r(a), r(b));
                out(Value::Arr(Rc::new(
                    items[s as usize..e.max(s) as usize].to_vec(),
                )))
            }
            _ => None,
        }
    }
}

/// Translates JavaScript regex syntax to the regex crate's: escaped punctuation becomes a hex
/// escape (`\<`, `\>` and `\&` mean other things or nothing there), `\uXXXX` and `\u{…}` become
/// `\x{…}`. Backreferences and lookaround have no equivalent: `None`.
pub(super) fn js_regex_to_rust(src: &str) -> Option<String> {
    if src.contains("(?=") || src.contains("(?!") || src.contains("(?<") {
        return None;
    }
    let mut out = String::with_capacity(src.len() + 8);
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'n' | 'r' | 't' | 'f' => {
                out.push('\\');
                out.push(e);
            }
            'v' => out.push_str("\\x0B"),
            '0' => out.push_str("\\x00"),
            'x' => out.push_str("\\x"),
            'u' => {
                if chars.peek() == Some(&'{') {
                    out.push_str("\\x");
                } else {
                    let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                    if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        return None;
                    }
                    out.push_str(&format!("\\x{{{hex}}}"));
                }
            }
            '1'..='9' | 'c' | 'k' => return None,
            e if e.is_ascii_punctuation() || e == ' ' => {
                out.push_str(&format!("\\x{{{:X}}}", e as u32));
            }
            // An identity escape of a letter (`\q`) is that letter in JavaScript.
            e => out.push(e),
        }
    }
    Some(out)
}

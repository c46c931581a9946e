//! Recognises obfuscator.io-style string arrays: the array (global or returned by a function),
//! its rotation (plain count or checksum loop) and its accessor functions (offset, base64, RC4).

use crate::syntax::NodeExt;
use std::collections::HashMap;

use tree_sitter::Node;

use super::functions::{is_function, param_names};
use super::interp::{js_parse_int, js_to_number};
use super::literals::{parse_js_number, unescape_js};
use super::{Accessor, ArrayEncoding, Binding, JsFolder, MAX_IDIOM_FUNCTION_BYTES};
use crate::decode::bytes as decoders;
use crate::fold::budget::Budget;
use crate::fold::shared::strip_quotes;
use crate::fold::walk::preorder;

impl<'a> JsFolder<'a> {
    /// Finds obfuscator string arrays, their accessors and their rotation (both the old
    /// `while(--n) a.push(a.shift())` IIFE and the newer checksum loop
    /// `while(!![]){try{var c=-parseInt(f(0x1a2))/1+…;if(c===T)break;else a.push(a.shift());}…}`,
    /// which is solved by computing the checksum for each rotation, statically and bounded).
    pub(super) fn recognise_string_arrays(&mut self) {
        let src = self.src;
        if memchr::memmem::find(src, b"function").is_none() {
            return;
        }
        let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
        let mut arrays: HashMap<&'a str, Vec<Vec<u8>>> = HashMap::new();
        let mut candidates: Vec<(&'a str, Node<'a>)> = Vec::new();
        let mut checksums: Vec<Node<'a>> = Vec::new();
        self.nodes.preorder(|n| {
            match n.kind_name() {
                "function_declaration" => {
                    if let Some(name) = n.field("name") {
                        if let Some(items) = array_function_items(n, src) {
                            arrays.insert(text(name), items);
                        } else {
                            candidates.push((text(name), n));
                        }
                    }
                }
                "variable_declarator" => {
                    if let (Some(name), Some(value)) = (n.field("name"), n.field("value")) {
                        if name.kind_name() == "identifier" {
                            if value.kind_name() == "array" {
                                if let Some(items) = string_items(value, src, 5) {
                                    if matches!(
                                        self.bindings.get(text(name)),
                                        Some(Binding::Const(_))
                                    ) {
                                        arrays.insert(text(name), items);
                                    }
                                }
                            } else if is_function(value) {
                                candidates.push((text(name), value));
                            }
                        }
                    }
                }
                "call_expression" if iife_function(n).is_some() => checksums.push(n),
                _ => {}
            }
            true
        });
        if arrays.is_empty() {
            return;
        }
        for (name, func) in candidates {
            if let Some(acc) = accessor_shape(func, src, &arrays, self.budget) {
                self.accessors.insert(name, acc);
            }
        }
        // Rotations: the checksum loop where found, else the old IIFE's count.
        for (array, items) in arrays.iter_mut() {
            if let Some(&r) = self.rotations.get(array) {
                if !items.is_empty() {
                    let r = r % items.len();
                    items.rotate_left(r);
                }
            }
        }
        self.string_arrays = arrays;
        for call in checksums {
            self.solve_checksum_rotation(call);
        }
    }

    /// The rotation IIFE `(function (getArr, target) { … parseInt … push … shift … })(F, T)`.
    pub(super) fn solve_checksum_rotation(&mut self, call: Node<'a>) {
        let Some(func) = iife_function(call) else {
            return;
        };
        if func.byte_range().len() > MAX_IDIOM_FUNCTION_BYTES {
            return;
        }
        let body = self.text(func);
        if !(body.contains("parseInt") && body.contains("push") && body.contains("shift")) {
            return;
        }
        let Some(args) = call.field("arguments") else {
            return;
        };
        let (Some(arr), Some(target)) = (args.named_child(0), args.named_child(1)) else {
            return;
        };
        let arr_name = self.text(arr);
        let Some(target) = self.value(target).and_then(|t| t.as_num()) else {
            return;
        };
        if !self.string_arrays.contains_key(arr_name) {
            return;
        }
        // The checksum: the first declared value that calls parseInt.
        let mut expr = None;
        preorder(func, |n| {
            if expr.is_some() {
                return false;
            }
            if n.kind_name() == "variable_declarator" {
                if let Some(v) = n.field("value") {
                    if self.text(v).contains("parseInt") {
                        expr = Some(v);
                        return false;
                    }
                }
            }
            true
        });
        let Some(expr) = expr else {
            return;
        };
        let Some(items) = self.string_arrays.get(arr_name) else {
            return;
        };
        for rot in 0..items.len() {
            match self.checksum(expr, items, rot, 0) {
                Some(v) if v == target => {
                    let mut items = items.clone();
                    items.rotate_left(rot);
                    self.string_arrays.insert(arr_name, items);
                    return;
                }
                None if !self.budget.step() => return,
                _ => {}
            }
        }
    }

    /// Evaluates the rotation checksum (`parseInt(f(0x1a2))/1 + -parseInt(f(0x1b3, 'key'))/2 …`)
    /// with the accessors reading `items`. NaN where JavaScript would give NaN.
    pub(super) fn checksum(
        &self,
        e: Node<'a>,
        items: &[Vec<u8>],
        rot: usize,
        depth: usize,
    ) -> Option<f64> {
        if depth > 64 || !self.budget.step() {
            return None;
        }
        let d = depth + 1;
        match e.kind_name() {
            "number" => parse_js_number(self.text(e)),
            "parenthesized_expression" => self.checksum(e.named_child(0)?, items, rot, d),
            "unary_expression" => {
                let v = self.checksum(e.field("argument")?, items, rot, d)?;
                match self.text(e.field("operator")?) {
                    "-" => Some(-v),
                    "+" => Some(v),
                    _ => None,
                }
            }
            "binary_expression" => {
                let l = self.checksum(e.field("left")?, items, rot, d)?;
                let r = self.checksum(e.field("right")?, items, rot, d)?;
                match self.text(e.field("operator")?) {
                    "+" => Some(l + r),
                    "-" => Some(l - r),
                    "*" => Some(l * r),
                    "/" => Some(l / r),
                    "%" => Some(l % r),
                    _ => None,
                }
            }
            "call_expression" => {
                let callee = e.field("function")?;
                let args = e.field("arguments")?;
                if self.text(callee) != "parseInt" {
                    return None;
                }
                let inner = args.named_child(0)?;
                if inner.kind_name() != "call_expression" {
                    return None;
                }
                let acc = self.accessor_of(inner.field("function")?)?;
                let iargs = inner.field("arguments")?;
                let index = self.value(iargs.named_child(0)?)?;
                let key = iargs
                    .named_child(1)
                    .and_then(|k| self.value(k))
                    .and_then(|k| k.to_text());
                let s = match access_string_array(
                    &acc,
                    items,
                    rot,
                    js_to_number(&index)?,
                    key.as_deref(),
                ) {
                    Some(s) => s,
                    None => return Some(f64::NAN),
                };
                Some(js_parse_int(&s))
            }
            _ => None,
        }
    }

    /// The string-array accessor a callee names, directly or through `var f = accessor` aliases.
    pub(super) fn accessor_of(&self, callee: Node<'a>) -> Option<Accessor<'a>> {
        if self.accessors.is_empty() || callee.kind_name() != "identifier" {
            return None;
        }
        let mut name = self.text(callee);
        for _ in 0..8 {
            if let Some(a) = self.accessors.get(name) {
                return Some(*a);
            }
            match self.bindings.get(name) {
                Some(Binding::Const(v)) if v.kind_name() == "identifier" => name = self.text(*v),
                _ => return None,
            }
        }
        None
    }
}

/// The function of an immediately invoked function expression, `(function(){})()` or
/// `(function(){}())`.
pub(super) fn iife_function(call: Node) -> Option<Node> {
    let mut f = call.field("function")?;
    while f.kind_name() == "parenthesized_expression" {
        f = f.named_child(0)?;
    }
    matches!(f.kind_name(), "function_expression" | "arrow_function").then_some(f)
}

/// The items of an array literal made only of strings (at least `min` of them).
pub(super) fn string_items(array: Node, src: &[u8], min: usize) -> Option<Vec<Vec<u8>>> {
    let mut items = Vec::new();
    for c in array.named_children(&mut array.walk()) {
        match c.kind_name() {
            "string" => items.push(unescape_js(strip_quotes(&src[c.byte_range()]))),
            "comment" => {}
            _ => return None,
        }
    }
    (items.len() >= min).then_some(items)
}

/// `function F() { var a = ['…', …]; F = function () { return a; }; return F(); }`: the items.
pub(super) fn array_function_items(func: Node, src: &[u8]) -> Option<Vec<Vec<u8>>> {
    if !param_names(func).is_empty()
        || func
            .field("parameters")
            .is_some_and(|p| p.named_child_count() > 0)
    {
        return None;
    }
    let body = func.field("body")?;
    let first = body.named_child(0)?;
    if !matches!(
        first.kind_name(),
        "variable_declaration" | "lexical_declaration"
    ) {
        return None;
    }
    let decl = first.named_child(0)?;
    let value = decl.field("value")?;
    if value.kind_name() != "array" || body.named_child_count() > 4 {
        return None;
    }
    string_items(value, src, 2)
}

/// An accessor of one of `arrays`: a small function that reads the array, with an optional
/// `i = i - N` offset, and a base64 or RC4 decoding recognised by its alphabet.
pub(super) fn accessor_shape<'a>(
    func: Node<'a>,
    src: &'a [u8],
    arrays: &HashMap<&'a str, Vec<Vec<u8>>>,
    budget: &Budget,
) -> Option<Accessor<'a>> {
    if func.byte_range().len() > MAX_IDIOM_FUNCTION_BYTES || param_names(func).is_empty() {
        return None;
    }
    let body_text = std::str::from_utf8(&src[func.byte_range()]).ok()?;
    if body_text.contains("parseInt") {
        return None;
    }
    let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
    let mut array = None;
    let mut offset = None;
    let mut spent = false;
    preorder(func, |n| {
        if spent || !budget.step() {
            spent = true;
            return false;
        }
        match n.kind_name() {
            "identifier" if array.is_none() => {
                if let Some((k, _)) = arrays.get_key_value(text(n)) {
                    array = Some(*k);
                }
            }
            "assignment_expression" if offset.is_none() => {
                // `i = i - 0x1a0`
                let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
                    return true;
                };
                if r.kind_name() == "binary_expression"
                    && r.field("operator").is_some_and(|o| text(o) == "-")
                    && r.field("left").is_some_and(|x| text(x) == text(l))
                {
                    offset = r.field("right").and_then(|x| signed_number(x, src));
                }
            }
            "augmented_assignment_expression"
                if offset.is_none() && n.field("operator").is_some_and(|o| text(o) == "-=") =>
            {
                offset = n.field("right").and_then(|x| signed_number(x, src));
            }
            _ => {}
        }
        true
    });
    let array = array.filter(|_| !spent)?;
    const LOWER_FIRST: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=";
    const UPPER_FIRST: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    let b64 = if body_text.contains(LOWER_FIRST) {
        Some(true)
    } else if body_text.contains(UPPER_FIRST) {
        Some(false)
    } else {
        None
    };
    let rc4 = body_text.contains("0x100") || body_text.contains("256");
    let encoding = match (b64, rc4) {
        (Some(lower_first), true) => ArrayEncoding::Rc4 { lower_first },
        (Some(lower_first), false) => ArrayEncoding::Base64 { lower_first },
        // Some other transformation we do not know: better no value than a wrong one.
        (None, _) if body_text.contains("charCodeAt") || body_text.contains("fromCharCode") => {
            return None
        }
        (None, _) => ArrayEncoding::Plain,
    };
    Some(Accessor {
        array,
        offset: offset.unwrap_or(0.0),
        encoding,
    })
}

/// A number literal, possibly negated (`-0x1a0`, `-(-5)`).
pub(super) fn signed_number(n: Node, src: &[u8]) -> Option<f64> {
    match n.kind_name() {
        "number" => parse_js_number(std::str::from_utf8(&src[n.byte_range()]).ok()?),
        "parenthesized_expression" => signed_number(n.named_child(0)?, src),
        "unary_expression" => {
            let op = n.field("operator")?;
            let v = signed_number(n.field("argument")?, src)?;
            match &src[op.byte_range()] {
                b"-" => Some(-v),
                b"+" => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}

/// What an accessor call returns for `items` (the array in its current rotation).
pub(super) fn access_string_array(
    acc: &Accessor,
    items: &[Vec<u8>],
    rot: usize,
    index: f64,
    key: Option<&[u8]>,
) -> Option<Vec<u8>> {
    let i = index - acc.offset;
    if !(0.0..items.len() as f64).contains(&i) || i.fract() != 0.0 {
        return None;
    }
    let raw = &items[(i as usize + rot) % items.len()];
    let unbase = |lower_first: bool| {
        let swapped: Vec<u8> = if lower_first {
            raw.iter()
                .map(|c| match c {
                    b'a'..=b'z' => c.to_ascii_uppercase(),
                    b'A'..=b'Z' => c.to_ascii_lowercase(),
                    _ => *c,
                })
                .collect()
        } else {
            raw.clone()
        };
        decoders::base64(&swapped)
    };
    match acc.encoding {
        ArrayEncoding::Plain => Some(raw.clone()),
        ArrayEncoding::Base64 { lower_first } => unbase(lower_first),
        ArrayEncoding::Rc4 { lower_first } => {
            let bytes = unbase(lower_first)?;
            let codes: Vec<u32> = String::from_utf8_lossy(&bytes)
                .chars()
                .map(|c| c as u32)
                .collect();
            let key: Vec<u32> = String::from_utf8_lossy(key?)
                .encode_utf16()
                .map(u32::from)
                .collect();
            let mut out = Vec::with_capacity(codes.len());
            for c in rc4(&codes, &key)? {
                decoders::push_char(&mut out, c);
            }
            Some(out)
        }
    }
}

/// RC4 over UTF-16 code units, as the obfuscator's runtime does it.
pub(super) fn rc4(data: &[u32], key: &[u32]) -> Option<Vec<u32>> {
    if key.is_empty() {
        return None;
    }
    let mut s: Vec<u32> = (0..256).collect();
    let mut j = 0usize;
    for i in 0..256 {
        j = (j + s[i] as usize + key[i % key.len()] as usize) % 256;
        s.swap(i, j);
    }
    let (mut i, mut j) = (0usize, 0usize);
    let mut out = Vec::with_capacity(data.len());
    for &c in data {
        i = (i + 1) % 256;
        j = (j + s[i] as usize) % 256;
        s.swap(i, j);
        out.push(c ^ s[(s[i] as usize + s[j] as usize) % 256]);
    }
    Some(out)
}

/// Parameter → argument pairs of an immediately invoked function whose arguments are names.
pub(super) fn iife_aliases<'a>(call: Node<'a>, src: &'a [u8], out: &mut Vec<(&'a str, Node<'a>)>) {
    let Some(mut func) = call.field("function") else {
        return;
    };
    while func.kind_name() == "parenthesized_expression" {
        match func.named_child(0) {
            Some(f) => func = f,
            None => return,
        }
    }
    if !matches!(func.kind_name(), "function_expression" | "arrow_function") {
        return;
    }
    let Some(args) = call.field("arguments") else {
        return;
    };
    let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
    let params = func
        .field("parameters")
        .map(|p| p.named_children(&mut p.walk()).collect::<Vec<_>>())
        .or_else(|| func.field("parameter").map(|p| vec![p]))
        .unwrap_or_default();
    let args: Vec<Node<'a>> = args.named_children(&mut args.walk()).collect();
    for (p, a) in params.into_iter().zip(args) {
        let mut root = a;
        while let Some(o) = root.field("object") {
            root = o;
        }
        if p.kind_name() == "identifier"
            && matches!(a.kind_name(), "identifier" | "member_expression")
            && text(p) != text(root)
        {
            out.push((text(p), a));
        }
    }
}

/// Recognises the obfuscator's rotation IIFE: `(function(a, n){ ... a.push(a.shift()) ... })(ARR, N)`.
pub(super) fn rotation_idiom<'a>(call: Node<'a>, src: &'a [u8]) -> Option<(&'a str, usize)> {
    let callee = call.field("function")?;
    let func = if callee.kind_name() == "parenthesized_expression" {
        callee.named_child(0)?
    } else {
        callee
    };
    if !is_function(func) {
        return None;
    }
    if func.byte_range().len() > MAX_IDIOM_FUNCTION_BYTES {
        return None;
    }
    let body = std::str::from_utf8(&src[func.byte_range()]).ok()?;
    if !(body.contains("push") && body.contains("shift")) || body.contains("parseInt") {
        return None;
    }
    let args = call.field("arguments")?;
    let arr = args
        .named_child(0)
        .filter(|a| a.kind_name() == "identifier")?;
    let count = args.named_child(1).filter(|a| a.kind_name() == "number")?;
    let n = parse_js_number(std::str::from_utf8(&src[count.byte_range()]).ok()?)?;
    // `while(--n)` after `f(++n)` rotates exactly n times.
    Some((
        std::str::from_utf8(&src[arr.byte_range()]).ok()?,
        n as usize,
    ))
}

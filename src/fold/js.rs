//! Static evaluation of JavaScript expressions.
//!
//! Understands literals with every escape form, `+` and arithmetic, String.fromCharCode, atob,
//! unescape, decodeURI(Component), string and array methods with known arguments, constant
//! bindings (never reassigned), computed member names, the obfuscator string-array with its
//! rotation, small pure helper functions (including charCodeAt shift loops) and the
//! `eval(function(p,a,c,k,e,d){...})` packer. All under the file's step budget.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use super::budget::{Budget, LimitHit};
use super::decoders;
use super::value::{integer_to_radix, Folded, Value};
use super::walk::{is_binary_op, left_spine, preorder, Nodes};
use super::{PayloadCandidate, Sink};

/// Objects whose members are globals: `window.eval` is `eval`.
const GLOBAL_OBJECTS: &[&str] = &[
    "window",
    "self",
    "this",
    "globalThis",
    "top",
    "parent",
    "frames",
    "global",
];

/// Callees that run or write the string they are given.
const CODE_SINKS: &[&str] = &[
    "eval",
    "document.write",
    "document.writeln",
    "Function",
    "setTimeout",
    "setInterval",
    "execScript",
];

/// The packer and the string-array rotation are recognised in functions up to this size only.
/// Both are a few hundred bytes in the wild; without a cap, N nested IIFEs would have their
/// text searched N times over (quadratic: 100k nested took over 10 s before any deadline).
const MAX_IDIOM_FUNCTION_BYTES: usize = 64 * 1024;

/// Methods (DOM and jQuery) that put the markup they are given into the page.
const MARKUP_METHODS: &[&str] = &[
    ".append",
    ".prepend",
    ".html",
    ".after",
    ".before",
    ".replaceWith",
    ".createContextualFragment",
    ".parseFromString",
];

/// Callee names whose result can hide a payload.
const DECODER_CALLS: &[&str] = &[
    "atob",
    "unescape",
    "decodeURIComponent",
    "decodeURI",
    "String.fromCharCode",
];

#[derive(Debug, Clone, Copy)]
enum Binding<'a> {
    /// Written exactly once, with this value.
    Const(Node<'a>),
    /// A function declaration or a constant bound to a function expression.
    Function(Node<'a>),
    /// Written more than once, or updated in place.
    Mutable,
}

type Env = HashMap<String, Option<Folded>>;

enum Flow {
    Normal,
    Return(Option<Folded>),
    /// Something outside the understood subset: give up on this evaluation.
    Abort,
}

pub struct JsFolder<'a> {
    src: &'a [u8],
    /// Every node in document order, for whole-tree passes.
    nodes: Nodes<'a>,
    budget: &'a Budget,
    bindings: HashMap<&'a str, Binding<'a>>,
    /// Obfuscator string arrays rotated by an IIFE: array name → rotation count.
    rotations: HashMap<&'a str, usize>,
    cache: RefCell<HashMap<usize, Option<Folded>>>,
    /// Statement lists run by [`JsFolder::value_in_context`], by list node id: how far each
    /// has been run and the locals it left. Candidates come in document order, so the
    /// statements before each are run once per list, not once per candidate.
    contexts: RefCell<HashMap<usize, Context<'a>>>,
    /// Obfuscator string arrays (a global array, or a function returning one), rotated.
    string_arrays: HashMap<&'a str, Vec<Vec<u8>>>,
    /// Accessor functions of those arrays: `function _0xab(i, k) { i = i - 0x1a0; … }`.
    accessors: HashMap<&'a str, Accessor<'a>>,
}

/// How an obfuscator string-array accessor turns an index into a string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ArrayEncoding {
    Plain,
    /// Base64 with the given alphabet order (obfuscator.io puts lower case first).
    Base64 {
        lower_first: bool,
    },
    /// Base64, then RC4 with the key given as the accessor's second argument.
    Rc4 {
        lower_first: bool,
    },
}

/// A statement list part-way run by [`JsFolder::value_in_context`].
struct Context<'a> {
    /// The list's statements, in order.
    stmts: Vec<Node<'a>>,
    /// How many of them have been run.
    done: usize,
    /// The locals they left.
    env: Env,
}

#[derive(Debug, Clone, Copy)]
struct Accessor<'a> {
    array: &'a str,
    offset: f64,
    encoding: ArrayEncoding,
}

impl<'a> JsFolder<'a> {
    pub fn new(root: Node<'a>, src: &'a [u8], budget: &'a Budget) -> Self {
        let mut f = JsFolder {
            src,
            nodes: Nodes::collect(root),
            budget,
            bindings: HashMap::new(),
            rotations: HashMap::new(),
            cache: RefCell::default(),
            contexts: RefCell::default(),
            string_arrays: HashMap::new(),
            accessors: HashMap::new(),
        };
        f.collect_bindings();
        f.recognise_string_arrays();
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

    fn collect_bindings(&mut self) {
        let src = self.src;
        let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
        let mut writes: HashMap<&'a str, (usize, Option<Binding<'a>>)> = HashMap::new();
        let mut rotations = HashMap::new();
        let mut aliases: Vec<(&'a str, Node<'a>)> = Vec::new();
        let mut params: HashMap<&'a str, usize> = HashMap::new();
        let mut record = |name: &'a str, b: Option<Binding<'a>>| {
            let e = writes.entry(name).or_insert((0, None));
            e.0 += 1;
            e.1 = b;
        };
        self.nodes.preorder(|n| {
            match n.kind() {
                "variable_declarator" => {
                    if let (Some(name), Some(value)) = (
                        n.child_by_field_name("name"),
                        n.child_by_field_name("value"),
                    ) {
                        if name.kind() == "identifier" {
                            let b = if is_function(value) {
                                Binding::Function(value)
                            } else {
                                Binding::Const(value)
                            };
                            record(text(name), Some(b));
                        }
                    }
                }
                "function_declaration" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        record(text(name), Some(Binding::Function(n)));
                    }
                }
                "assignment_expression" => {
                    if let (Some(left), Some(right)) = (
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    ) {
                        if left.kind() == "identifier" {
                            let b = if is_function(right) {
                                Binding::Function(right)
                            } else {
                                Binding::Const(right)
                            };
                            record(text(left), Some(b));
                        }
                    }
                }
                "augmented_assignment_expression" => {
                    if let Some(left) = n.child_by_field_name("left") {
                        if left.kind() == "identifier" {
                            record(text(left), None);
                            record(text(left), None);
                        }
                    }
                }
                "update_expression" => {
                    if let Some(arg) = n.child_by_field_name("argument") {
                        if arg.kind() == "identifier" {
                            record(text(arg), None);
                            record(text(arg), None);
                        }
                    }
                }
                "call_expression" => {
                    if let Some((arr, count)) = rotation_idiom(n, src) {
                        rotations.insert(arr, count);
                    }
                    iife_aliases(n, src, &mut aliases);
                }
                _ => {}
            }
            if is_function(n) {
                for p in param_names(n) {
                    *params.entry(text(p)).or_insert(0usize) += 1;
                }
            }
            true
        });
        self.rotations = rotations;
        self.bindings = writes
            .into_iter()
            .map(|(name, (count, b))| {
                let b = match (count, b) {
                    (1, Some(b)) => b,
                    _ => Binding::Mutable,
                };
                (name, b)
            })
            .collect();
        // `(function ($, arr) { … })(jQuery, _0xarr)`: a parameter of an immediately called
        // function stands for its argument, when no other function or assignment reuses the name.
        for (param, arg) in aliases {
            if params.get(param) == Some(&1) && !self.bindings.contains_key(param) {
                self.bindings.insert(param, Binding::Const(arg));
            }
        }
    }

    /// Finds obfuscator string arrays, their accessors and their rotation (both the old
    /// `while(--n) a.push(a.shift())` IIFE and the newer checksum loop
    /// `while(!![]){try{var c=-parseInt(f(0x1a2))/1+…;if(c===T)break;else a.push(a.shift());}…}`,
    /// which is solved by computing the checksum for each rotation, statically and bounded).
    fn recognise_string_arrays(&mut self) {
        let src = self.src;
        if memchr::memmem::find(src, b"function").is_none() {
            return;
        }
        let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
        let mut arrays: HashMap<&'a str, Vec<Vec<u8>>> = HashMap::new();
        let mut candidates: Vec<(&'a str, Node<'a>)> = Vec::new();
        let mut checksums: Vec<Node<'a>> = Vec::new();
        self.nodes.preorder(|n| {
            match n.kind() {
                "function_declaration" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        if let Some(items) = array_function_items(n, src) {
                            arrays.insert(text(name), items);
                        } else {
                            candidates.push((text(name), n));
                        }
                    }
                }
                "variable_declarator" => {
                    if let (Some(name), Some(value)) = (
                        n.child_by_field_name("name"),
                        n.child_by_field_name("value"),
                    ) {
                        if name.kind() == "identifier" {
                            if value.kind() == "array" {
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
    fn solve_checksum_rotation(&mut self, call: Node<'a>) {
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
        let Some(args) = call.child_by_field_name("arguments") else {
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
            if n.kind() == "variable_declarator" {
                if let Some(v) = n.child_by_field_name("value") {
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
    fn checksum(&self, e: Node<'a>, items: &[Vec<u8>], rot: usize, depth: usize) -> Option<f64> {
        if depth > 64 || !self.budget.step() {
            return None;
        }
        let d = depth + 1;
        match e.kind() {
            "number" => parse_js_number(self.text(e)),
            "parenthesized_expression" => self.checksum(e.named_child(0)?, items, rot, d),
            "unary_expression" => {
                let v = self.checksum(e.child_by_field_name("argument")?, items, rot, d)?;
                match self.text(e.child_by_field_name("operator")?) {
                    "-" => Some(-v),
                    "+" => Some(v),
                    _ => None,
                }
            }
            "binary_expression" => {
                let l = self.checksum(e.child_by_field_name("left")?, items, rot, d)?;
                let r = self.checksum(e.child_by_field_name("right")?, items, rot, d)?;
                match self.text(e.child_by_field_name("operator")?) {
                    "+" => Some(l + r),
                    "-" => Some(l - r),
                    "*" => Some(l * r),
                    "/" => Some(l / r),
                    "%" => Some(l % r),
                    _ => None,
                }
            }
            "call_expression" => {
                let callee = e.child_by_field_name("function")?;
                let args = e.child_by_field_name("arguments")?;
                if self.text(callee) != "parseInt" {
                    return None;
                }
                let inner = args.named_child(0)?;
                if inner.kind() != "call_expression" {
                    return None;
                }
                let acc = self.accessor_of(inner.child_by_field_name("function")?)?;
                let iargs = inner.child_by_field_name("arguments")?;
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
    fn accessor_of(&self, callee: Node<'a>) -> Option<Accessor<'a>> {
        if self.accessors.is_empty() || callee.kind() != "identifier" {
            return None;
        }
        let mut name = self.text(callee);
        for _ in 0..8 {
            if let Some(a) = self.accessors.get(name) {
                return Some(*a);
            }
            match self.bindings.get(name) {
                Some(Binding::Const(v)) if v.kind() == "identifier" => name = self.text(*v),
                _ => return None,
            }
        }
        None
    }

    /// Every (name, value) assignment in the tree, for flow predicates.
    pub fn assignments(&self) -> Vec<(String, Node<'a>)> {
        let mut out = Vec::new();
        self.nodes.preorder(|n| {
            let pair = match n.kind() {
                "variable_declarator" => n
                    .child_by_field_name("name")
                    .zip(n.child_by_field_name("value")),
                "assignment_expression" | "augmented_assignment_expression" => n
                    .child_by_field_name("left")
                    .zip(n.child_by_field_name("right")),
                _ => None,
            };
            if let Some((name, value)) = pair {
                let key = match name.kind() {
                    "identifier" => Some(self.text(name).to_string()),
                    // `obj.prop = v` taints `obj.prop` itself, and `obj` (below).
                    "member_expression" | "subscript_expression" => self.callee_name(name),
                    _ => None,
                };
                if let Some(k) = key {
                    out.push((k, value));
                }
                if let Some(root) = self.container_root(name) {
                    out.push((root, value));
                }
            }
            // `data.push(v)`, `form.append("cc", v)`, `params.set("n", v)` fill a container.
            if n.kind() == "call_expression" {
                let callee = n.child_by_field_name("function");
                let method = callee
                    .filter(|c| c.kind() == "member_expression")
                    .and_then(|c| c.child_by_field_name("property"))
                    .map(|p| self.text(p));
                if let (Some("push" | "unshift" | "append" | "set" | "add"), Some(args)) =
                    (method, n.child_by_field_name("arguments"))
                {
                    if let Some(root) = callee.and_then(|c| {
                        c.child_by_field_name("object")
                            .and_then(|o| self.container_root_of(o))
                    }) {
                        out.push((root, args));
                    }
                }
            }
            true
        });
        out
    }

    /// The local object a member write fills: `info` for `info.num = v` or `info["n"][0] = v`.
    /// Not for host objects (`document.cookie = v` does not make all of `document` data).
    fn container_root(&self, target: Node<'a>) -> Option<String> {
        if !matches!(target.kind(), "member_expression" | "subscript_expression") {
            return None;
        }
        self.container_root_of(target.child_by_field_name("object")?)
    }

    fn container_root_of(&self, mut obj: Node<'a>) -> Option<String> {
        for _ in 0..32 {
            match obj.kind() {
                "member_expression" | "subscript_expression" => {
                    obj = obj.child_by_field_name("object")?;
                }
                "identifier" => {
                    let name = self.text(obj);
                    const HOST: &[&str] = &[
                        "document",
                        "navigator",
                        "location",
                        "localStorage",
                        "sessionStorage",
                        "console",
                        "jQuery",
                        "$",
                        "Math",
                        "JSON",
                        "Object",
                        "Array",
                    ];
                    let global = GLOBAL_OBJECTS.contains(&name) || HOST.contains(&name);
                    return (!global).then(|| name.to_string());
                }
                _ => return None,
            }
        }
        None
    }

    /// Decoder calls and packers, outermost first; nested ones are found again when the outer
    /// payload is scanned.
    /// Each candidate carries the sink that runs it where known: what `eval`, `Function` and
    /// timers run is JavaScript, what `document.write` writes is markup.
    pub fn payload_candidates(&self) -> Vec<PayloadCandidate<'a>> {
        let mut out = Vec::new();
        let mut pushed = std::collections::HashSet::new();
        // Folded text that puts active markup into the page: a script, a frame, a handler.
        let is_markup = |v: Option<Folded>| {
            v.and_then(|v| v.to_text()).is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                let has = |n: &[u8]| memchr::memmem::find(&t, n).is_some();
                has(b"<")
                    && (has(b"<script")
                        || has(b"<iframe")
                        || has(b"srcdoc")
                        || has(b"onerror")
                        || has(b"onload")
                        || has(b"<object")
                        || has(b"<embed"))
            })
        };
        self.nodes.preorder(|n| {
            if matches!(n.kind(), "string" | "template_string") {
                // Markup with scripts written from JavaScript is scanned as markup, also when
                // its characters are escaped (`"\x3cscript…"`).
                let raw = &self.src[n.byte_range()];
                let plain = memchr::memmem::find(&raw.to_ascii_lowercase(), b"<script").is_some();
                let escaped = memchr::memchr(b'\\', raw).is_some() && is_markup(self.value(n));
                if (plain || escaped) && !pushed.contains(&n.id()) {
                    out.push(PayloadCandidate::new(n, None));
                }
                return false;
            }
            // What `innerHTML`, `outerHTML` and an iframe's `srcdoc` are given is markup.
            if n.kind() == "assignment_expression" {
                if let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) {
                    let markup_prop =
                        matches!(l.kind(), "member_expression" | "subscript_expression")
                            && self.member_key(l, &mut Env::new(), 0).is_some_and(|k| {
                                matches!(k.as_str(), "innerHTML" | "outerHTML" | "srcdoc")
                            });
                    if markup_prop && !is_function(r) && is_markup(self.value(r)) {
                        pushed.insert(r.id());
                        out.push(PayloadCandidate::new(r, Some(Sink::Markup)));
                    }
                }
                return true;
            }
            // Markup given to the DOM's and jQuery's insertion methods, or to `jQuery(html)`.
            if n.kind() == "call_expression" {
                let name = n
                    .child_by_field_name("function")
                    .and_then(|f| self.callee_name(f))
                    .unwrap_or_default();
                let args = n.child_by_field_name("arguments");
                let arg = |i: u32| args.and_then(|a| a.named_child(i));
                let markup_arg = if name.ends_with(".insertAdjacentHTML") {
                    arg(1)
                } else if MARKUP_METHODS.iter().any(|m| name.ends_with(m))
                    || matches!(name.as_str(), "jQuery" | "$")
                {
                    arg(0)
                } else {
                    None
                };
                if let Some(a) = markup_arg.filter(|a| !is_function(*a)) {
                    if is_markup(self.value(a)) {
                        pushed.insert(a.id());
                        out.push(PayloadCandidate::new(a, Some(Sink::Markup)));
                    }
                }
            }
            // `new Function(body)` compiles its last argument like `Function(body)`.
            let callee = match n.kind() {
                "call_expression" => n.child_by_field_name("function"),
                "new_expression" => n.child_by_field_name("constructor"),
                _ => return true,
            };
            let Some(callee) = callee else {
                return true;
            };
            let name = self.callee_name(callee).unwrap_or_default();
            if n.kind() == "new_expression" && name != "Function" {
                return true;
            }
            // What a code sink runs, when it is a variable: folded in context by the caller.
            // `Function(arg1, …, body)`: the body is the last argument.
            let code_arg = n.child_by_field_name("arguments").and_then(|a| {
                if name == "Function" {
                    a.named_child(a.named_child_count().checked_sub(1)? as u32)
                } else {
                    a.named_child(0)
                }
            });
            let sink = match name.as_str() {
                "document.write" | "document.writeln" => Sink::Markup,
                _ => Sink::JsCode,
            };
            let sink_arg = code_arg.filter(|a| a.kind() == "identifier");
            if let (true, Some(arg)) = (CODE_SINKS.contains(&name.as_str()), sink_arg) {
                out.push(PayloadCandidate::new(arg, Some(sink)));
                return false;
            }
            // What a code sink runs, when it folds as a whole (`eval('\x76ar…')`,
            // `eval("…".replace(/./g, fn))`); otherwise decoder calls inside are found below.
            let first = code_arg.filter(|a| !is_function(*a) && a.kind() != "identifier");
            if let (true, Some(arg)) = (CODE_SINKS.contains(&name.as_str()), first) {
                let is_decoder_call = arg.kind() == "call_expression"
                    && arg
                        .child_by_field_name("function")
                        .and_then(|f| self.callee_name(f))
                        .is_some_and(|c| DECODER_CALLS.contains(&c.as_str()));
                if !is_decoder_call && self.value(arg).is_some_and(|v| v.as_bytes().is_some()) {
                    out.push(PayloadCandidate::new(arg, Some(sink)));
                    return false;
                }
                // `eval(atob('…'))`: the decoder call below runs as the sink's language.
                if is_decoder_call && self.value(arg).is_some_and(|v| v.as_bytes().is_some()) {
                    out.push(PayloadCandidate::new(arg, Some(sink)));
                    return false;
                }
            }
            let is_candidate = DECODER_CALLS.contains(&name.as_str())
                || self.packer_args(n).is_some()
                || matches!(self.binding_of(callee), Some(Binding::Function(_)));
            if is_candidate {
                out.push(PayloadCandidate::new(n, None));
                return false;
            }
            true
        });
        out
    }

    /// The addresses scripts are loaded from at run time (the `injected-src` rule target): the
    /// `src` of a created `<script>` element (`s.src = …`, `s["src"] = …`,
    /// `s.setAttribute("src", …)`, the element held in a variable or a property), jQuery's
    /// `getScript` under any alias, `import()`, `new Worker`/`SharedWorker`, `importScripts`
    /// and service-worker registration: the nodes that give the addresses (folded by the
    /// caller).
    pub fn script_loads(&self) -> Vec<Node<'a>> {
        let mut holders: Vec<&'a str> = Vec::new();
        let mut out = Vec::new();
        let is_script_element = |call: Node<'a>| -> bool {
            call.kind() == "call_expression"
                && call
                    .child_by_field_name("function")
                    .and_then(|f| self.callee_name(f))
                    .is_some_and(|n| n == "createElement" || n.ends_with(".createElement"))
                && call
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                    .and_then(|a| self.value(a))
                    .and_then(|v| v.text_lossy())
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("script"))
        };
        // Where each created script element is kept: a variable or a property (by its text).
        self.nodes.preorder(|n| {
            if self.budget.out_of_time() {
                return false;
            }
            if n.kind() == "call_expression" && is_script_element(n) {
                let mut holder = n;
                while let Some(p) = holder.parent() {
                    if matches!(p.kind(), "parenthesized_expression" | "sequence_expression") {
                        holder = p;
                        continue;
                    }
                    let target = match p.kind() {
                        "variable_declarator" => p.child_by_field_name("name"),
                        "assignment_expression" => p.child_by_field_name("left"),
                        _ => None,
                    };
                    if let Some(t) = target {
                        holders.push(self.text(t));
                    }
                    break;
                }
            }
            true
        });
        let holds_script = |obj: Node<'a>| -> bool {
            let obj = if obj.kind() == "parenthesized_expression" {
                obj.named_child(0).unwrap_or(obj)
            } else {
                obj
            };
            is_script_element(obj) || holders.contains(&self.text(obj))
        };
        let key_is = |member: Node<'a>, want: &str| -> bool {
            matches!(member.kind(), "member_expression" | "subscript_expression")
                && self
                    .member_key(member, &mut Env::new(), 0)
                    .is_some_and(|k| k == want)
        };
        self.nodes.preorder(|n| {
            if self.budget.out_of_time() {
                return false;
            }
            match n.kind() {
                "assignment_expression" => {
                    let (Some(left), Some(right)) = (
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    ) else {
                        return true;
                    };
                    let on_script = left
                        .child_by_field_name("object")
                        .is_some_and(&holds_script);
                    if on_script && key_is(left, "src") {
                        out.push(right);
                    }
                }
                "call_expression" => {
                    let Some(f) = n.child_by_field_name("function") else {
                        return true;
                    };
                    let args = n.child_by_field_name("arguments");
                    let arg = |i: u32| args.and_then(|a| a.named_child(i));
                    let name = self.callee_name(f).unwrap_or_default();
                    // jQuery's `getScript` under any alias (`$`, an IIFE parameter,
                    // `jQuery.noConflict()`); other libraries' methods of that name are theirs.
                    let loader = f.kind() == "import"
                        || matches!(
                            name.as_str(),
                            "getScript" | "jQuery.getScript" | "$.getScript"
                        )
                        || name == "importScripts"
                        || name.ends_with("serviceWorker.register");
                    if loader {
                        out.extend(arg(0));
                    } else if key_is(f, "setAttribute")
                        && f.child_by_field_name("object").is_some_and(&holds_script)
                        && arg(0)
                            .and_then(|a| self.value(a))
                            .and_then(|v| v.text_lossy())
                            .is_some_and(|k| k.eq_ignore_ascii_case("src"))
                    {
                        out.extend(arg(1));
                    }
                }
                "new_expression" => {
                    let name = n
                        .child_by_field_name("constructor")
                        .and_then(|c| self.callee_name(c))
                        .unwrap_or_default();
                    if name == "Worker" || name == "SharedWorker" {
                        let a = n
                            .child_by_field_name("arguments")
                            .and_then(|a| a.named_child(0));
                        out.extend(a);
                    }
                }
                _ => {}
            }
            true
        });
        out
    }

    fn binding_of(&self, n: Node<'a>) -> Option<Binding<'a>> {
        (n.kind() == "identifier")
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
            if p.kind() == "program" {
                break;
            }
            if p.kind() == "statement_block" && p.parent().is_some_and(is_function) {
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
    fn fresh_context(&self, program: Node<'a>, mut env: Env) -> Context<'a> {
        preorder(program, |n| {
            if is_function(n) {
                return false;
            }
            let target = match n.kind() {
                "assignment_expression" | "augmented_assignment_expression" => {
                    n.child_by_field_name("left")
                }
                "variable_declarator" => n.child_by_field_name("name"),
                "update_expression" => n.child_by_field_name("argument"),
                _ => None,
            };
            if let Some(t) = target.filter(|t| t.kind() == "identifier") {
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

    fn fold(&self, node: Node<'a>, env: &mut Env, depth: usize) -> Option<Folded> {
        if depth > self.budget.limits.max_fold_depth {
            self.budget.hit(LimitHit::FoldDepth);
            return None;
        }
        if !self.budget.step() {
            return None;
        }
        let cacheable = env.is_empty();
        if cacheable {
            if let Some(hit) = self.cache.borrow().get(&node.id()) {
                return hit.clone();
            }
        }
        let _frame = self.budget.enter()?;
        let out = self.fold_uncached(node, env, depth);
        if cacheable {
            self.cache.borrow_mut().insert(node.id(), out.clone());
        }
        out
    }

    fn fold_uncached(&self, node: Node<'a>, env: &mut Env, depth: usize) -> Option<Folded> {
        let d = depth + 1;
        match node.kind() {
            "string" => Some(Folded::str(unescape_js(strip_quotes(
                self.text(node).as_bytes(),
            )))),
            "template_string" => {
                if node
                    .named_children(&mut node.walk())
                    .any(|c| c.kind() == "template_substitution")
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
                    match c.kind() {
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
                let op = node.child_by_field_name("operator")?;
                let arg = self.fold(node.child_by_field_name("argument")?, env, d)?;
                match self.text(op) {
                    "-" => Some(Folded::num(-arg.as_num()?)),
                    "+" => Some(Folded::num(arg.as_num()?)),
                    "!" => Some(Folded::plain(Value::Bool(!truthy(&arg)))),
                    "~" => Some(Folded::num(!(to_i32(arg.as_num()?)) as f64)),
                    _ => None,
                }
            }
            "ternary_expression" => {
                let cond = self.fold(node.child_by_field_name("condition")?, env, d)?;
                let branch = if truthy(&cond) {
                    "consequence"
                } else {
                    "alternative"
                };
                self.fold(node.child_by_field_name(branch)?, env, d)
            }
            "subscript_expression" | "member_expression" => self.fold_member(node, env, d),
            "call_expression" => self.fold_call(node, env, d),
            "object" => self.fold_object(node, env, d),
            _ => None,
        }
    }

    fn fold_template(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let mut out = Folded::str(Vec::new());
        let mut bytes = Vec::new();
        let start = node.start_byte() + 1;
        let end = node.end_byte().saturating_sub(1);
        let mut at = start;
        for c in node.named_children(&mut node.walk()) {
            if c.kind() != "template_substitution" {
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

    fn fold_identifier(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
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
    fn fold_plus_chain(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        // Stop early at a prefix already folded: queries visit every prefix of a long chain,
        // which would otherwise make the work quadratic.
        let cacheable = env.is_empty();
        let (spine, left) = left_spine(node, self.src, "+", 100_000, |n| {
            cacheable && self.cache.borrow().contains_key(&n.id())
        })?;
        let mut acc = if cacheable && is_binary_op(left, self.src, "+") {
            self.cache.borrow().get(&left.id()).cloned().flatten()
        } else {
            self.fold(left, env, d)
        };
        // Innermost first: each spine node's value is the previous value plus its right side.
        for bin in spine.into_iter().rev() {
            acc = match (acc, bin.child_by_field_name("right")) {
                (Some(l), Some(r)) => self.fold(r, env, d).and_then(|v| self.js_add(l, v)),
                _ => None,
            };
            if cacheable && bin != node {
                // Every remembered prefix is a copy: count it against the decoded-bytes cap.
                let size = acc
                    .as_ref()
                    .and_then(Folded::as_bytes)
                    .map_or(0, <[u8]>::len);
                if size > 0 && !self.budget.take_decoded(size) {
                    acc = None;
                }
                self.cache.borrow_mut().insert(bin.id(), acc.clone());
            }
        }
        acc
    }

    fn js_add(&self, l: Folded, r: Folded) -> Option<Folded> {
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

    fn fold_binary(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let op = self.text(node.child_by_field_name("operator")?);
        if op == "+" {
            return self.fold_plus_chain(node, env, d);
        }
        let left = node.child_by_field_name("left")?;
        let right = node.child_by_field_name("right")?;
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
            "+" => {
                if matches!(l.value, Value::Num(_) | Value::Bool(_))
                    && matches!(r.value, Value::Num(_) | Value::Bool(_))
                {
                    return num(|a, b| a + b);
                }
                let mut s = l.to_text()?;
                let rt = r.to_text()?;
                if !self.budget.take_decoded(s.len() + rt.len()) {
                    return None;
                }
                s.extend(rt);
                Some(prov(Folded::str(s)))
            }
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

    fn fold_member(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let object = node.child_by_field_name("object")?;
        let key = self.member_key(node, env, d)?;
        // A local variable is read in place: cloning a long string or array at every `a[i]`
        // of a decoding loop would make the loop quadratic.
        if object.kind() == "identifier" {
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
    fn fold_object(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        const MAX_PAIRS: usize = 256;
        let mut pairs = Vec::new();
        let mut cursor = node.walk();
        for c in node.named_children(&mut cursor) {
            match c.kind() {
                "comment" => {}
                "pair" if pairs.len() < MAX_PAIRS => {
                    let key = c.child_by_field_name("key")?;
                    let key = match key.kind() {
                        "property_identifier" => self.text(key).as_bytes().to_vec(),
                        "computed_property_name" => {
                            self.fold(key.named_child(0)?, env, d)?.to_text()?
                        }
                        _ => self.fold(key, env, d)?.to_text()?,
                    };
                    // No nested objects, arrays or bare names: they would chain through whole
                    // bundles (`var o2 = {c: o1}` a thousand times).
                    let value = c
                        .child_by_field_name("value")
                        .filter(|v| {
                            !is_function(*v)
                                && !matches!(v.kind(), "object" | "identifier" | "array")
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
    fn member_key(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<String> {
        if node.kind() == "member_expression" {
            return Some(self.text(node.child_by_field_name("property")?).to_string());
        }
        let index = node.child_by_field_name("index")?;
        let v = self.fold(index, env, d)?;
        v.text_lossy()
    }

    fn fold_call(&self, node: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let callee = node.child_by_field_name("function")?;
        let args_node = node.child_by_field_name("arguments")?;
        let arg_nodes: Vec<Node<'a>> = args_node
            .named_children(&mut args_node.walk())
            .filter(|c| c.kind() != "comment")
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
        if matches!(callee.kind(), "member_expression" | "subscript_expression") {
            let object = callee.child_by_field_name("object")?;
            let method = self.member_key(callee, env, d)?;
            if let Some(name) = self.callee_name(callee) {
                if let Some(v) = self.builtin(&name, &arg_nodes, env, d) {
                    return Some(v);
                }
            }
            // `$('<div/>').html('&#104;&#116;…').text()`: the browser decodes HTML entities.
            if method == "text" && object.kind() == "call_expression" {
                let inner = object.child_by_field_name("function");
                let is_html = inner
                    .filter(|f| matches!(f.kind(), "member_expression" | "subscript_expression"))
                    .and_then(|f| self.member_key(f, env, d))
                    .is_some_and(|k| k == "html");
                let arg = object
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0));
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
            if matches!(method.as_str(), "charAt" | "charCodeAt") && object.kind() == "identifier" {
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
            if object.kind() == "identifier"
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
        let func = match callee.kind() {
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
    fn replace_with_callback(
        &self,
        recv: &Folded,
        s: &[u8],
        pattern: Node<'a>,
        func: Node<'a>,
        all: bool,
        env: &mut Env,
        d: usize,
    ) -> Option<Folded> {
        let (re, global) = if pattern.kind() == "regex" {
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
    fn js_regex(&self, pattern: Node<'a>) -> Option<(regex::bytes::Regex, &'a str)> {
        let src = self.text(pattern.child_by_field_name("pattern")?);
        let flags = pattern
            .child_by_field_name("flags")
            .map(|f| self.text(f))
            .unwrap_or("");
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
    fn builtin(&self, name: &str, args: &[Node<'a>], env: &mut Env, d: usize) -> Option<Folded> {
        let arg = |i: usize, env: &mut Env| args.get(i).and_then(|a| self.fold(*a, env, d));
        let decode = |env: &mut Env, label: &'static str, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>| {
            let input = arg(0, env)?;
            let out = f(&input.to_text()?)?;
            self.budget
                .take_decoded(out.len())
                .then(|| Folded::str(out).with_provenance_of(&input).via(label))
        };
        match name {
            "atob" => decode(env, "base64", &|s| decoders::base64(s)),
            "unescape" => decode(env, "unescape", &|s| Some(decoders::percent(s, false))),
            "decodeURIComponent" | "decodeURI" => {
                decode(env, "urldecode", &|s| Some(decoders::percent(s, false)))
            }
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
    fn method(
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
            (Value::Str(s), "split") if first_arg.is_some_and(|a| a.kind() == "regex") => {
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
                    split_bytes(s, &sep)
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
                if pattern.kind() == "regex" {
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
                let parts = split_bytes(s, &from);
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

    /// Evaluates a function body with bound arguments. A string result that none of the
    /// arguments spelled out is marked as decoded by a `custom` routine.
    fn apply(&self, func: Node<'a>, args: Vec<Option<Folded>>, d: usize) -> Option<Folded> {
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
    fn apply_inner(&self, func: Node<'a>, args: Vec<Option<Folded>>, d: usize) -> Option<Folded> {
        let params = func
            .child_by_field_name("parameters")
            .or_else(|| func.child_by_field_name("parameter"))?;
        let mut env = Env::new();
        let names: Vec<Node<'a>> = if params.kind() == "identifier" {
            vec![params]
        } else {
            params.named_children(&mut params.walk()).collect()
        };
        for (i, p) in names.iter().enumerate() {
            if p.kind() != "identifier" {
                return None;
            }
            env.insert(self.text(*p).to_string(), args.get(i).cloned().flatten());
        }
        let body = func.child_by_field_name("body")?;
        if body.kind() != "statement_block" {
            // An arrow function with an expression body.
            return self.fold(body, &mut env, d);
        }
        match self.exec_block(body, &mut env, d) {
            Flow::Return(v) => v,
            _ => None,
        }
    }

    fn exec_block(&self, block: Node<'a>, env: &mut Env, d: usize) -> Flow {
        for stmt in block.named_children(&mut block.walk()) {
            match self.exec(stmt, env, d) {
                Flow::Normal => {}
                other => return other,
            }
        }
        Flow::Normal
    }

    fn exec(&self, stmt: Node<'a>, env: &mut Env, d: usize) -> Flow {
        if !self.budget.step() || d > self.budget.limits.max_fold_depth {
            return Flow::Abort;
        }
        let Some(_frame) = self.budget.enter() else {
            return Flow::Abort;
        };
        match stmt.kind() {
            "comment" | "empty_statement" => Flow::Normal,
            "statement_block" => self.exec_block(stmt, env, d + 1),
            "variable_declaration" | "lexical_declaration" => {
                for decl in stmt.named_children(&mut stmt.walk()) {
                    if decl.kind() != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = decl
                        .child_by_field_name("name")
                        .filter(|n| n.kind() == "identifier")
                    else {
                        return Flow::Abort;
                    };
                    let v = decl
                        .child_by_field_name("value")
                        .and_then(|v| self.fold(v, env, d + 1));
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
                    .child_by_field_name("condition")
                    .and_then(|c| self.fold(c, env, d + 1))
                else {
                    return Flow::Abort;
                };
                if truthy(&cond) {
                    stmt.child_by_field_name("consequence")
                        .map_or(Flow::Normal, |s| self.exec(s, env, d + 1))
                } else {
                    match stmt.child_by_field_name("alternative") {
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
                if let Some(init) = stmt.child_by_field_name("initializer") {
                    let ok = match init.kind() {
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

    fn run_loop(&self, stmt: Node<'a>, env: &mut Env, d: usize) -> Flow {
        let cond = stmt.child_by_field_name("condition");
        let incr = stmt.child_by_field_name("increment");
        let Some(body) = stmt.child_by_field_name("body") else {
            return Flow::Abort;
        };
        loop {
            if let Some(c) = cond {
                let c = if c.kind() == "expression_statement" {
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
    fn effect(&self, e: Node<'a>, env: &mut Env, d: usize) -> bool {
        let Some(_frame) = self.budget.enter() else {
            return false;
        };
        let local =
            |n: Node<'a>, env: &Env| n.kind() == "identifier" && env.contains_key(self.text(n));
        match e.kind() {
            "assignment_expression" => {
                let (Some(left), Some(right)) = (
                    e.child_by_field_name("left"),
                    e.child_by_field_name("right"),
                ) else {
                    return false;
                };
                // `a[i] = v` on a local array (custom decoders shuffle arrays of characters).
                if left.kind() == "subscript_expression" {
                    let (Some(obj), Some(index)) = (
                        left.child_by_field_name("object"),
                        left.child_by_field_name("index"),
                    ) else {
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
                let (Some(left), Some(op), Some(right)) = (
                    e.child_by_field_name("left"),
                    e.child_by_field_name("operator"),
                    e.child_by_field_name("right"),
                ) else {
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
                    "+=" => match (&l.value, &r.value) {
                        (Value::Num(a), Value::Num(b)) => Some(Folded::num(a + b)),
                        _ => {
                            let add = r.to_text().unwrap_or_default();
                            if !self.budget.take_decoded(add.len()) {
                                env.insert(name, None);
                                return false;
                            }
                            let out = Folded::str(Vec::new())
                                .with_provenance_of(&l)
                                .with_provenance_of(&r);
                            let mut s = match l.value {
                                Value::Str(s) => s,
                                _ => l.to_text().unwrap_or_default(),
                            };
                            s.extend(add);
                            Some(Folded {
                                value: Value::Str(s),
                                ..out
                            })
                        }
                    },
                    "-=" => Some(Folded::num(
                        l.as_num().unwrap_or(f64::NAN) - r.as_num().unwrap_or(f64::NAN),
                    )),
                    _ => None,
                };
                env.insert(name, v);
                true
            }
            "update_expression" => {
                let Some(arg) = e.child_by_field_name("argument") else {
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
                    .child_by_field_name("function")
                    .filter(|c| c.kind() == "member_expression")
                else {
                    return false;
                };
                let (Some(obj), Some(prop)) = (
                    callee.child_by_field_name("object"),
                    callee.child_by_field_name("property"),
                ) else {
                    return false;
                };
                if !local(obj, env) || self.text(prop) != "push" {
                    return false;
                }
                let args = e.child_by_field_name("arguments");
                let mut vals: Option<Vec<Option<Folded>>> = Some(Vec::new());
                for c in args
                    .map(|a| a.named_children(&mut a.walk()).collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    match c.kind() {
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
    fn append_in_place(
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
        if first.kind() != "identifier" || self.text(first) != name {
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
            .filter_map(|b| b.child_by_field_name("right"))
            .collect();
        let mut mentioned = false;
        for o in &operands {
            preorder(*o, |n| {
                mentioned |= n.kind() == "identifier" && self.text(n) == name;
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

    /// The packer's arguments when `call` is `(function(p,a,c,k,e,d){...})('...', a, c, '...'.split('|'), ...)`.
    fn packer_args(&self, call: Node<'a>) -> Option<Node<'a>> {
        let callee = call.child_by_field_name("function")?;
        let func = if callee.kind() == "parenthesized_expression" {
            callee.named_child(0)?
        } else {
            callee
        };
        if func.kind() != "function_expression" {
            return None;
        }
        let params = func.child_by_field_name("parameters")?;
        if params.named_child_count() < 4 || func.byte_range().len() > MAX_IDIOM_FUNCTION_BYTES {
            return None;
        }
        // `replace` itself may be hidden (`p[_0xab[4]](new RegExp(…))`); `RegExp` and the
        // `while (c--)` countdown are the packer's skeleton.
        let body = self.text(func.child_by_field_name("body")?);
        (body.contains("RegExp") && (body.contains("replace") || body.contains("while")))
            .then_some(call.child_by_field_name("arguments")?)
    }

    /// Static unpacking of Dean Edwards' packer.
    fn unpack(&self, call: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let args = self.packer_args(call)?;
        let a: Vec<Node<'a>> = args.named_children(&mut args.walk()).collect();
        let payload = self.fold(*a.first()?, env, d)?.to_text()?;
        let radix = self.fold(*a.get(1)?, env, d)?.as_num()? as u32;
        let words = self.fold(*a.get(3)?, env, d)?;
        let Value::Arr(words) = words.value else {
            return None;
        };
        let words: Vec<Vec<u8>> = words
            .iter()
            .map(|w| w.as_ref().and_then(|w| w.to_text()).unwrap_or_default())
            .collect();
        let mut out = Vec::with_capacity(payload.len() * 2);
        let mut i = 0;
        while i < payload.len() {
            let c = payload[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                let start = i;
                while i < payload.len()
                    && (payload[i].is_ascii_alphanumeric() || payload[i] == b'_')
                {
                    i += 1;
                }
                let word = &payload[start..i];
                match packer_index(word, radix)
                    .and_then(|k| words.get(k))
                    .filter(|w| !w.is_empty())
                {
                    Some(w) => out.extend_from_slice(w),
                    None => out.extend_from_slice(word),
                }
            } else {
                out.push(c);
                i += 1;
            }
        }
        self.budget
            .take_decoded(out.len())
            .then(|| Folded::str(out).via("packer"))
    }

    /// The canonical name a callee expression resolves to: `window['ev'+'al']` → `eval`,
    /// `var e = eval; e` → `eval`, `(0, eval)` → `eval`, `$('#x').on` → `$().on`.
    pub fn callee_name(&self, node: Node<'a>) -> Option<String> {
        self.name_of(node, 0).map(normalise_name)
    }

    fn name_of(&self, node: Node<'a>, depth: usize) -> Option<String> {
        if depth > 32 {
            return None;
        }
        let _frame = self.budget.enter()?;
        let d = depth + 1;
        match node.kind() {
            "identifier" => {
                let name = self.text(node);
                match self.bindings.get(name) {
                    // `var j = jQuery.noConflict();`: `j` is jQuery.
                    Some(Binding::Const(v))
                        if v.kind() == "call_expression"
                            && v.child_by_field_name("function")
                                .and_then(|f| self.name_of(f, d))
                                .is_some_and(|n| {
                                    n == "jQuery.noConflict" || n == "$.noConflict"
                                }) =>
                    {
                        Some("jQuery".into())
                    }
                    Some(Binding::Const(v))
                        if matches!(
                            v.kind(),
                            "identifier"
                                | "member_expression"
                                | "subscript_expression"
                                | "parenthesized_expression"
                                | "sequence_expression"
                        ) =>
                    {
                        self.name_of(*v, d).or_else(|| Some(name.to_string()))
                    }
                    _ => Some(name.to_string()),
                }
            }
            "this" => Some("this".into()),
            "property_identifier" => Some(self.text(node).to_string()),
            "parenthesized_expression" => self.name_of(node.named_child(0)?, d),
            "sequence_expression" => self.name_of(
                node.named_child(node.named_child_count().checked_sub(1)? as u32)?,
                d,
            ),
            "member_expression" | "subscript_expression" => {
                let object = node.child_by_field_name("object")?;
                let key = self.member_key(node, &mut Env::new(), d)?;
                // Every function's `constructor` is `Function`.
                if key == "constructor"
                    && (is_function(object)
                        || matches!(self.binding_of(object), Some(Binding::Function(_))))
                {
                    return Some("Function".into());
                }
                let obj = self.name_of(object, d).unwrap_or_else(|| "?".into());
                if GLOBAL_OBJECTS.contains(&obj.as_str()) {
                    Some(key)
                } else {
                    Some(format!("{obj}.{key}"))
                }
            }
            "call_expression" => {
                let f = node.child_by_field_name("function")?;
                Some(format!(
                    "{}()",
                    self.name_of(f, d).unwrap_or_else(|| "?".into())
                ))
            }
            "new_expression" => {
                let c = node.child_by_field_name("constructor")?;
                Some(format!(
                    "new {}()",
                    self.name_of(c, d).unwrap_or_else(|| "?".into())
                ))
            }
            "string" => Some("\"\"".into()),
            "array" => Some("[]".into()),
            _ => None,
        }
    }
}

/// `X.constructor.constructor` is `Function`; `eval.call(…)` and `Function.apply(…)` call them.
fn normalise_name(name: String) -> String {
    for suffix in [".call", ".apply"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if base == "eval" || base == "Function" {
                return base.to_string();
            }
        }
    }
    if name.ends_with(".constructor.constructor") || name == "Function.prototype.constructor" {
        return "Function".into();
    }
    name
}

fn is_function(n: Node) -> bool {
    matches!(
        n.kind(),
        "function_expression" | "arrow_function" | "function_declaration" | "function"
    )
}

/// Translates JavaScript regex syntax to the regex crate's: escaped punctuation becomes a hex
/// escape (`\<`, `\>` and `\&` mean other things or nothing there), `\uXXXX` and `\u{…}` become
/// `\x{…}`. Backreferences and lookaround have no equivalent: `None`.
fn js_regex_to_rust(src: &str) -> Option<String> {
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

/// `obj.length`, `obj[i]` of a folded string or array.
fn member_of(obj: &Folded, key: &str) -> Option<Folded> {
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
fn spread_into(items: &mut Vec<Option<Folded>>, v: Folded) -> Option<()> {
    match v.value {
        Value::Arr(more) => items.extend(more.iter().cloned()),
        Value::Str(s) => items.extend(js_chars(&s).into_iter().map(|c| Some(Folded::str(c)))),
        _ => return None,
    }
    Some(())
}

/// The function of an immediately invoked function expression, `(function(){})()` or
/// `(function(){}())`.
fn iife_function(call: Node) -> Option<Node> {
    let mut f = call.child_by_field_name("function")?;
    while f.kind() == "parenthesized_expression" {
        f = f.named_child(0)?;
    }
    matches!(f.kind(), "function_expression" | "arrow_function").then_some(f)
}

/// The items of an array literal made only of strings (at least `min` of them).
fn string_items(array: Node, src: &[u8], min: usize) -> Option<Vec<Vec<u8>>> {
    let mut items = Vec::new();
    for c in array.named_children(&mut array.walk()) {
        match c.kind() {
            "string" => items.push(unescape_js(strip_quotes(&src[c.byte_range()]))),
            "comment" => {}
            _ => return None,
        }
    }
    (items.len() >= min).then_some(items)
}

/// `function F() { var a = ['…', …]; F = function () { return a; }; return F(); }`: the items.
fn array_function_items(func: Node, src: &[u8]) -> Option<Vec<Vec<u8>>> {
    if !param_names(func).is_empty()
        || func
            .child_by_field_name("parameters")
            .is_some_and(|p| p.named_child_count() > 0)
    {
        return None;
    }
    let body = func.child_by_field_name("body")?;
    let first = body.named_child(0)?;
    if !matches!(first.kind(), "variable_declaration" | "lexical_declaration") {
        return None;
    }
    let decl = first.named_child(0)?;
    let value = decl.child_by_field_name("value")?;
    if value.kind() != "array" || body.named_child_count() > 4 {
        return None;
    }
    string_items(value, src, 2)
}

/// An accessor of one of `arrays`: a small function that reads the array, with an optional
/// `i = i - N` offset, and a base64 or RC4 decoding recognised by its alphabet.
fn accessor_shape<'a>(
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
        match n.kind() {
            "identifier" if array.is_none() => {
                if let Some((k, _)) = arrays.get_key_value(text(n)) {
                    array = Some(*k);
                }
            }
            "assignment_expression" if offset.is_none() => {
                // `i = i - 0x1a0`
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return true;
                };
                if r.kind() == "binary_expression"
                    && r.child_by_field_name("operator")
                        .is_some_and(|o| text(o) == "-")
                    && r.child_by_field_name("left")
                        .is_some_and(|x| text(x) == text(l))
                {
                    offset = r
                        .child_by_field_name("right")
                        .and_then(|x| signed_number(x, src));
                }
            }
            "augmented_assignment_expression"
                if offset.is_none()
                    && n.child_by_field_name("operator")
                        .is_some_and(|o| text(o) == "-=") =>
            {
                offset = n
                    .child_by_field_name("right")
                    .and_then(|x| signed_number(x, src));
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
fn signed_number(n: Node, src: &[u8]) -> Option<f64> {
    match n.kind() {
        "number" => parse_js_number(std::str::from_utf8(&src[n.byte_range()]).ok()?),
        "parenthesized_expression" => signed_number(n.named_child(0)?, src),
        "unary_expression" => {
            let op = n.child_by_field_name("operator")?;
            let v = signed_number(n.child_by_field_name("argument")?, src)?;
            match &src[op.byte_range()] {
                b"-" => Some(-v),
                b"+" => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}

/// JavaScript's `Number(x)` for the index arguments of accessors (`0x1a`, `'0x1a'`, `26`).
fn js_to_number(v: &Folded) -> Option<f64> {
    match &v.value {
        Value::Num(n) => Some(*n),
        Value::Str(s) => parse_js_number(std::str::from_utf8(s).ok()?.trim()),
        _ => v.as_num(),
    }
}

/// JavaScript's `parseInt(s)`: leading whitespace, a sign, decimal digits; NaN without digits.
fn js_parse_int(s: &[u8]) -> f64 {
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

/// What an accessor call returns for `items` (the array in its current rotation).
fn access_string_array(
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
fn rc4(data: &[u32], key: &[u32]) -> Option<Vec<u32>> {
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

/// The identifier parameters of a function (destructuring and defaults are skipped).
fn param_names(func: Node) -> Vec<Node> {
    if let Some(p) = func.child_by_field_name("parameter") {
        return vec![p]
            .into_iter()
            .filter(|p| p.kind() == "identifier")
            .collect();
    }
    let Some(params) = func.child_by_field_name("parameters") else {
        return Vec::new();
    };
    params
        .named_children(&mut params.walk())
        .filter(|p| p.kind() == "identifier")
        .collect()
}

/// Parameter → argument pairs of an immediately invoked function whose arguments are names.
fn iife_aliases<'a>(call: Node<'a>, src: &'a [u8], out: &mut Vec<(&'a str, Node<'a>)>) {
    let Some(mut func) = call.child_by_field_name("function") else {
        return;
    };
    while func.kind() == "parenthesized_expression" {
        match func.named_child(0) {
            Some(f) => func = f,
            None => return,
        }
    }
    if !matches!(func.kind(), "function_expression" | "arrow_function") {
        return;
    }
    let Some(args) = call.child_by_field_name("arguments") else {
        return;
    };
    let text = |n: Node<'a>| std::str::from_utf8(&src[n.byte_range()]).unwrap_or("");
    let params = func
        .child_by_field_name("parameters")
        .map(|p| p.named_children(&mut p.walk()).collect::<Vec<_>>())
        .or_else(|| func.child_by_field_name("parameter").map(|p| vec![p]))
        .unwrap_or_default();
    let args: Vec<Node<'a>> = args.named_children(&mut args.walk()).collect();
    for (p, a) in params.into_iter().zip(args) {
        let mut root = a;
        while let Some(o) = root.child_by_field_name("object") {
            root = o;
        }
        if p.kind() == "identifier"
            && matches!(a.kind(), "identifier" | "member_expression")
            && text(p) != text(root)
        {
            out.push((text(p), a));
        }
    }
}

/// Recognises the obfuscator's rotation IIFE: `(function(a, n){ ... a.push(a.shift()) ... })(ARR, N)`.
fn rotation_idiom<'a>(call: Node<'a>, src: &'a [u8]) -> Option<(&'a str, usize)> {
    let callee = call.child_by_field_name("function")?;
    let func = if callee.kind() == "parenthesized_expression" {
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
    let args = call.child_by_field_name("arguments")?;
    let arr = args.named_child(0).filter(|a| a.kind() == "identifier")?;
    let count = args.named_child(1).filter(|a| a.kind() == "number")?;
    let n = parse_js_number(std::str::from_utf8(&src[count.byte_range()]).ok()?)?;
    // `while(--n)` after `f(++n)` rotates exactly n times.
    Some((
        std::str::from_utf8(&src[arr.byte_range()]).ok()?,
        n as usize,
    ))
}

fn packer_index(word: &[u8], radix: u32) -> Option<usize> {
    // The packer encodes indexes in base `a` with digits 0-9a-zA-Z (base 62 uses upper case).
    let mut v: usize = 0;
    for &c in word {
        let digit = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 10,
            b'A'..=b'Z' => (c - b'A') as u32 + 36,
            _ => return None,
        };
        if digit >= radix.max(2) {
            return None;
        }
        v = v.checked_mul(radix as usize)?.checked_add(digit as usize)?;
    }
    Some(v)
}

fn truthy(v: &Folded) -> bool {
    match &v.value {
        Value::Bool(b) => *b,
        Value::Num(n) => *n != 0.0 && !n.is_nan(),
        Value::Str(s) => !s.is_empty(),
        Value::Arr(_) | Value::Map(_) => true,
    }
}

fn to_i32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    (n.trunc() as i64 & 0xffff_ffff) as u32 as i32
}

pub fn parse_js_number(t: &str) -> Option<f64> {
    let t = t.replace('_', "");
    let lower = t.to_ascii_lowercase();
    let radix = |p: &str, r: u32| i64::from_str_radix(p, r).ok().map(|v| v as f64);
    if let Some(h) = lower.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return radix(o, 8);
    }
    if let Some(b) = lower.strip_prefix("0b") {
        return radix(b, 2);
    }
    if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit()) {
        return radix(&lower[1..], 8).or_else(|| lower.parse().ok());
    }
    lower.trim_end_matches('n').parse().ok()
}

fn strip_quotes(raw: &[u8]) -> &[u8] {
    if raw.len() >= 2 {
        &raw[1..raw.len() - 1]
    } else {
        &[]
    }
}

/// Resolves every JavaScript escape form: `\xHH`, `\uHHHH`, `\u{H..}`, legacy octal, the single
/// character escapes and line continuations.
pub fn unescape_js(raw: &[u8]) -> Vec<u8> {
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
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\n' => {}
            b'\r' => {
                if raw.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'x' => match raw
                .get(i..i + 2)
                .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            {
                Some(v) => {
                    decoders::push_char(&mut out, v);
                    i += 2;
                }
                None => out.push(b'x'),
            },
            b'u' => {
                if raw.get(i) == Some(&b'{') {
                    let end = raw[i..].iter().position(|&c| c == b'}').map(|p| i + p);
                    if let Some(end) = end {
                        if let Some(v) = std::str::from_utf8(&raw[i + 1..end])
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                        {
                            decoders::push_char(&mut out, v);
                            i = end + 1;
                            continue;
                        }
                    }
                    out.push(b'u');
                } else if let Some(v) = raw
                    .get(i..i + 4)
                    .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
                {
                    i += 4;
                    // Surrogate pairs: combine `\uD83D\uDE00`.
                    if (0xD800..0xDC00).contains(&v) && raw.get(i..i + 2) == Some(b"\\u") {
                        if let Some(lo) = raw.get(i + 2..i + 6).and_then(|h| {
                            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                        }) {
                            if (0xDC00..0xE000).contains(&lo) {
                                decoders::push_char(
                                    &mut out,
                                    0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00),
                                );
                                i += 6;
                                continue;
                            }
                        }
                    }
                    decoders::push_char(&mut out, v);
                } else {
                    out.push(b'u');
                }
            }
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut n = 1;
                while n < 3
                    && i < raw.len()
                    && (b'0'..=b'7').contains(&raw[i])
                    && v * 8 + ((raw[i] - b'0') as u32) < 256
                {
                    v = v * 8 + (raw[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                decoders::push_char(&mut out, v);
            }
            other => out.push(other),
        }
    }
    out
}

fn split_bytes(s: &[u8], sep: &[u8]) -> Vec<Vec<u8>> {
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

/// The characters of a string (UTF-8 sequences kept whole; ASCII is the common case).
fn js_chars(s: &[u8]) -> Vec<Vec<u8>> {
    if s.is_ascii() {
        return s.iter().map(|&c| vec![c]).collect();
    }
    String::from_utf8_lossy(s)
        .chars()
        .map(|c| c.to_string().into_bytes())
        .collect()
}

fn js_len(s: &[u8]) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        String::from_utf8_lossy(s)
            .chars()
            .map(char::len_utf16)
            .sum()
    }
}

fn js_char_at(s: &[u8], i: usize) -> Option<Vec<u8>> {
    if s.is_ascii() {
        return s.get(i).map(|&c| vec![c]);
    }
    String::from_utf8_lossy(s)
        .chars()
        .nth(i)
        .map(|c| c.to_string().into_bytes())
}

fn js_code_at(s: &[u8], i: usize) -> Option<u32> {
    if s.is_ascii() {
        return s.get(i).map(|&c| c as u32);
    }
    String::from_utf8_lossy(s).chars().nth(i).map(|c| c as u32)
}

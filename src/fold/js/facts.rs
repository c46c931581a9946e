//! Facts the engine reads off a JavaScript tree: which names are bound to which values
//! (`assignments`), which expressions may hide a payload (`payload_candidates`) and which scripts
//! are loaded at run time (`script_loads`).

use crate::syntax::NodeExt;
use tree_sitter::Node;

use super::functions::is_function;
use super::{Binding, Env, JsFolder, CODE_SINKS, GLOBAL_OBJECTS, MARKUP_METHODS};
use crate::fold::value::Folded;
use crate::fold::{PayloadCandidate, Sink};

/// What the page stashes in web storage or a cookie is read back from any of them: keys and
/// stores are not told apart (`localStorage.setItem(k, v)` then `localStorage.getItem(…)` or
/// `document.cookie`), so a store written with a value holds it for every later read.
fn push_stash<'a>(out: &mut Vec<(String, Node<'a>)>, value: Node<'a>) {
    for store in ["localStorage", "sessionStorage", "document.cookie"] {
        out.push((store.to_string(), value));
    }
}

impl<'a> JsFolder<'a> {
    /// Every (name, value) assignment in the tree, for flow predicates.
    pub fn assignments(&self) -> Vec<(String, Node<'a>)> {
        let mut out = Vec::new();
        self.nodes.preorder(|n| {
            let pair = match n.kind_name() {
                "variable_declarator" => n.field("name").zip(n.field("value")),
                "assignment_expression" | "augmented_assignment_expression" => {
                    n.field("left").zip(n.field("right"))
                }
                _ => None,
            };
            if let Some((name, value)) = pair {
                let key = match name.kind_name() {
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
                if matches!(
                    name.kind_name(),
                    "member_expression" | "subscript_expression"
                ) && self.callee_name(name).as_deref() == Some("document.cookie")
                {
                    push_stash(&mut out, value);
                }
            }
            // `data.push(v)`, `form.append("cc", v)`, `params.set("n", v)` fill a container.
            if n.kind_name() == "call_expression" {
                let callee = n.field("function").filter(|c| {
                    matches!(c.kind_name(), "member_expression" | "subscript_expression")
                });
                let method = callee.and_then(|c| self.member_key(c, &mut Env::new(), 0));
                let args = n.field("arguments");
                let object = callee.and_then(|c| c.field("object"));
                match (method.as_deref(), args, object) {
                    // `x.open("POST", url)`: the request object carries the address it was
                    // opened with (so `x.send(d)` is a send to that address).
                    (
                        Some("push" | "unshift" | "append" | "set" | "add" | "open"),
                        Some(args),
                        Some(o),
                    ) => {
                        if let Some(root) = self.container_root_of(o) {
                            out.push((root, args));
                        }
                    }
                    // `localStorage.setItem(k, v)`: the store holds the value, so a later
                    // `localStorage.getItem(…)` reads it (keys are not told apart).
                    (Some("setItem"), Some(args), Some(store)) => {
                        let name = self.callee_name(store).unwrap_or_default();
                        if name == "localStorage" || name == "sessionStorage" {
                            out.push((self.text(store).to_string(), args));
                            push_stash(&mut out, args);
                        }
                    }
                    _ => {}
                }
            }
            true
        });
        out
    }

    /// The local object a member write fills: `info` for `info.num = v` or `info["n"][0] = v`.
    /// Not for host objects (`document.cookie = v` does not make all of `document` data).
    pub(super) fn container_root(&self, target: Node<'a>) -> Option<String> {
        if !matches!(
            target.kind_name(),
            "member_expression" | "subscript_expression"
        ) {
            return None;
        }
        self.container_root_of(target.field("object")?)
    }

    pub(super) fn container_root_of(&self, mut obj: Node<'a>) -> Option<String> {
        for _ in 0..32 {
            match obj.kind_name() {
                "member_expression" | "subscript_expression" => {
                    obj = obj.field("object")?;
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

    /// The outermost `+` concatenation (through parentheses) that `piece` is part of and that
    /// folds to text as a whole; `piece` itself when there is none.
    fn whole_concatenation(&self, piece: Node<'a>) -> Node<'a> {
        let mut whole = piece;
        let mut at = piece;
        for _ in 0..64 {
            let Some(parent) = at.parent() else { break };
            let joins = match parent.kind_name() {
                "parenthesized_expression" => true,
                "binary_expression" => parent
                    .field("operator")
                    .is_some_and(|o| o.kind_name() == "+"),
                _ => false,
            };
            if !joins {
                break;
            }
            at = parent;
            if parent.kind_name() == "binary_expression"
                && self.value(parent).and_then(|v| v.to_text()).is_some()
            {
                whole = parent;
            }
        }
        whole
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
            if matches!(n.kind_name(), "string" | "template_string") {
                // Markup with scripts written from JavaScript is scanned as markup, also when
                // its characters are escaped (`"\x3cscript…"`).
                let raw = &self.src[n.byte_range()];
                let plain = memchr::memmem::find(&raw.to_ascii_lowercase(), b"<script").is_some();
                let escaped = memchr::memchr(b'\\', raw).is_some() && is_markup(self.value(n));
                if (plain || escaped) && !pushed.contains(&n.id()) {
                    // A piece of a concatenation is judged as the joined text: the piece
                    // `"<script src=\"https://cdn.vendor.c"` alone names a host that does not
                    // exist.
                    let whole = self.whole_concatenation(n);
                    if pushed.insert(whole.id()) {
                        out.push(PayloadCandidate::new(whole, None));
                    }
                }
                return false;
            }
            // What `innerHTML`, `outerHTML` and an iframe's `srcdoc` are given is markup.
            if n.kind_name() == "assignment_expression" {
                if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                    let markup_prop =
                        matches!(l.kind_name(), "member_expression" | "subscript_expression")
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
            if n.kind_name() == "call_expression" {
                let name = n
                    .field("function")
                    .and_then(|f| self.callee_name(f))
                    .unwrap_or_default();
                let args = n.field("arguments");
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
            let callee = match n.kind_name() {
                "call_expression" => n.field("function"),
                "new_expression" => n.field("constructor"),
                _ => return true,
            };
            let Some(callee) = callee else {
                return true;
            };
            let name = self.callee_name(callee).unwrap_or_default();
            if n.kind_name() == "new_expression" && name != "Function" {
                return true;
            }
            // What a code sink runs, when it is a variable: folded in context by the caller.
            // `Function(arg1, …, body)`: the body is the last argument.
            // `eval.call(thisArg, code)` and `eval.apply(thisArg, [code])` (names drop the
            // `.call`/`.apply`): the code is the argument after `thisArg`, or in its array.
            let via = (callee.kind_name() == "member_expression")
                .then(|| callee.field("property"))
                .flatten()
                .map(|p| self.text(p));
            let code_arg = n.field("arguments").and_then(|a| {
                let a = match via {
                    Some("call") if !name.ends_with(".call") => {
                        let mut c = a.walk();
                        let rest: Vec<Node<'a>> = a.named_children(&mut c).skip(1).collect();
                        return if name == "Function" {
                            rest.last().copied()
                        } else {
                            rest.first().copied()
                        };
                    }
                    Some("apply") if !name.ends_with(".apply") => {
                        a.named_child(1).filter(|arr| arr.kind_name() == "array")?
                    }
                    _ => a,
                };
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
            let sink_arg = code_arg.filter(|a| a.kind_name() == "identifier");
            if let (true, Some(arg)) = (CODE_SINKS.contains(&name.as_str()), sink_arg) {
                out.push(PayloadCandidate::new(arg, Some(sink)));
                return false;
            }
            // What a code sink runs, when it folds as a whole (`eval('\x76ar…')`,
            // `eval("…".replace(/./g, fn))`); otherwise decoder calls inside are found below.
            let first = code_arg.filter(|a| !is_function(*a) && a.kind_name() != "identifier");
            if let (true, Some(arg)) = (CODE_SINKS.contains(&name.as_str()), first) {
                let is_decoder_call = arg.kind_name() == "call_expression"
                    && arg
                        .field("function")
                        .and_then(|f| self.callee_name(f))
                        .is_some_and(|c| crate::decode::is_js_decoder(&c));
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
            let is_candidate = crate::decode::is_js_decoder(&name)
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
            call.kind_name() == "call_expression"
                && self.creates_script_named(
                    call,
                    call.field("function").and_then(|f| self.callee_name(f)),
                )
        };
        // Where each created script element is kept: a variable or a property (by its text).
        self.nodes.preorder(|n| {
            if self.budget.out_of_time() {
                return false;
            }
            if n.kind_name() == "call_expression" && is_script_element(n) {
                let mut holder = n;
                while let Some(p) = holder.parent() {
                    if matches!(
                        p.kind_name(),
                        "parenthesized_expression" | "sequence_expression"
                    ) {
                        holder = p;
                        continue;
                    }
                    let target = match p.kind_name() {
                        "variable_declarator" => p.field("name"),
                        "assignment_expression" => p.field("left"),
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
            let obj = if obj.kind_name() == "parenthesized_expression" {
                obj.named_child(0).unwrap_or(obj)
            } else {
                obj
            };
            is_script_element(obj) || holders.contains(&self.text(obj))
        };
        let key_is = |member: Node<'a>, want: &str| -> bool {
            matches!(
                member.kind_name(),
                "member_expression" | "subscript_expression"
            ) && self
                .member_key(member, &mut Env::new(), 0)
                .is_some_and(|k| k == want)
        };
        self.nodes.preorder(|n| {
            if self.budget.out_of_time() {
                return false;
            }
            match n.kind_name() {
                "assignment_expression" => {
                    let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                        return true;
                    };
                    let on_script = left.field("object").is_some_and(&holds_script);
                    if on_script && key_is(left, "src") {
                        out.push(right);
                    }
                }
                "call_expression" => {
                    let Some(f) = n.field("function") else {
                        return true;
                    };
                    let args = n.field("arguments");
                    let arg = |i: u32| args.and_then(|a| a.named_child(i));
                    let name = self.callee_name(f).unwrap_or_default();
                    // jQuery's `getScript` under any alias (`$`, an IIFE parameter,
                    // `jQuery.noConflict()`); other libraries' methods of that name are theirs.
                    let loader = f.kind_name() == "import"
                        || matches!(
                            name.as_str(),
                            "getScript" | "jQuery.getScript" | "$.getScript"
                        )
                        || name == "importScripts"
                        || name.ends_with("serviceWorker.register");
                    // `src` given in an object of properties: `Object.assign(script, {src})`,
                    // jQuery's `$("<script>", {src})`.
                    let src_in = |o: Option<Node<'a>>| -> Option<Node<'a>> {
                        let o = o.filter(|o| o.kind_name() == "object")?;
                        let mut c = o.walk();
                        let pairs: Vec<Node<'a>> = o.named_children(&mut c).collect();
                        pairs.into_iter().find_map(|p| {
                            let key = p.field("key")?;
                            let k = self.text(key).trim_matches(|c| c == '"' || c == '\'');
                            (p.kind_name() == "pair" && k == "src")
                                .then(|| p.field("value"))
                                .flatten()
                        })
                    };
                    let jquery_script = matches!(name.as_str(), "jQuery" | "$")
                        && arg(0)
                            .and_then(|a| self.value(a))
                            .and_then(|v| v.text_lossy())
                            .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("<script"));
                    if loader {
                        out.extend(arg(0));
                    } else if name == "Object.assign" && arg(0).is_some_and(&holds_script) {
                        let mut c = args.map(|a| a.walk());
                        let rest: Vec<Node<'a>> = match (args, c.as_mut()) {
                            (Some(a), Some(c)) => a.named_children(c).skip(1).collect(),
                            _ => Vec::new(),
                        };
                        out.extend(rest.into_iter().filter_map(|o| src_in(Some(o))));
                    } else if jquery_script {
                        out.extend(src_in(arg(1)));
                    } else if key_is(f, "setAttribute")
                        && f.field("object").is_some_and(&holds_script)
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
                        .field("constructor")
                        .and_then(|c| self.callee_name(c))
                        .unwrap_or_default();
                    if name == "Worker" || name == "SharedWorker" {
                        let a = n.field("arguments").and_then(|a| a.named_child(0));
                        out.extend(a);
                    }
                }
                _ => {}
            }
            true
        });
        out
    }
}

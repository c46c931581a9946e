//! Static evaluation of JavaScript expressions.
//!
//! Understands literals with every escape form, `+` and arithmetic, String.fromCharCode, atob,
//! unescape, decodeURI(Component), string and array methods with known arguments, constant
//! bindings (never reassigned), computed member names, the obfuscator string-array with its
//! rotation, small pure helper functions (including charCodeAt shift loops) and the
//! `eval(function(p,a,c,k,e,d){...})` packer. All under the file's step budget.
//!
//! This file holds the folder's state and its construction (binding analysis); the jobs live
//! in submodules: `interp` (the evaluator), `builtins` (global functions and string/array
//! methods), `functions` (the helper-function interpreter), `names` (callee naming),
//! `literals` (numbers, escapes, UTF-16 string views), `facts` (what the engine reads:
//! assignments, payload candidates, script loads), `obfuscator` (string arrays, rotations,
//! accessors) and `packer` (the p,a,c,k,e,d packer).

mod builtins;
mod facts;
mod functions;
mod interp;
mod literals;
mod names;
mod obfuscator;
mod packer;

pub use literals::{parse_js_number, unescape_js};

use crate::syntax::NodeExt;
use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::Node;

use super::budget::Budget;
use super::value::Folded;
use super::walk::Nodes;
use functions::{is_function, param_names};
use obfuscator::{iife_aliases, rotation_idiom};

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
    cache: crate::fold::shared::FoldCache,
    /// Which prefixes of `+` chains are remembered (see `fold_left_chain`).
    prefixes: crate::fold::shared::PrefixMemo,
    /// Statement lists run by [`JsFolder::value_in_context`], by list node id: how far each
    /// has been run and the locals it left. Candidates come in document order, so the
    /// statements before each are run once per list, not once per candidate.
    contexts: RefCell<HashMap<usize, Context<'a>>>,
    /// Obfuscator string arrays (a global array, or a function returning one), rotated.
    string_arrays: HashMap<&'a str, Vec<Vec<u8>>>,
    /// Accessor functions of those arrays: `function _0xab(i, k) { i = i - 0x1a0; … }`.
    accessors: HashMap<&'a str, Accessor<'a>>,
    /// Calls known to create (or not) a script element, by node id (see `names`).
    script_calls: RefCell<HashMap<usize, bool>>,
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
            prefixes: Default::default(),
            contexts: RefCell::default(),
            string_arrays: HashMap::new(),
            accessors: HashMap::new(),
            script_calls: RefCell::new(HashMap::new()),
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
            match n.kind_name() {
                "variable_declarator" => {
                    if let (Some(name), Some(value)) = (n.field("name"), n.field("value")) {
                        if name.kind_name() == "identifier" {
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
                    if let Some(name) = n.field("name") {
                        record(text(name), Some(Binding::Function(n)));
                    }
                }
                "assignment_expression" => {
                    if let (Some(left), Some(right)) = (n.field("left"), n.field("right")) {
                        if left.kind_name() == "identifier" {
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
                    if let Some(left) = n.field("left") {
                        if left.kind_name() == "identifier" {
                            record(text(left), None);
                            record(text(left), None);
                        }
                    }
                }
                "update_expression" => {
                    if let Some(arg) = n.field("argument") {
                        if arg.kind_name() == "identifier" {
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
}

#[cfg(test)]
mod tests;

//! Stage 4: static evaluation. Gives expressions a folded value and its provenance (which
//! decoders produced it), and callees the canonical name they resolve to. Nothing is executed:
//! the evaluators understand a pure subset of each language (literals, string operations,
//! decoders, constant bindings, small pure helper functions) under a step budget.

pub mod budget;
pub mod js;
pub mod php;
mod shared;
pub mod value;
pub mod walk;

pub use budget::{Budget, LimitHit, Limits};
pub use value::{Folded, Value};
pub use walk::preorder as walk_preorder;
pub use walk::Nodes;

use crate::syntax::NodeExt;
use tree_sitter::Node;

use crate::syntax::lang::Lang;

/// What runs a decoded payload, which decides the language it is read in: code passed to
/// `eval` is PHP (or JavaScript) whatever it prints, never sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// PHP `eval`, `assert`, `create_function`, `preg_replace` with `/e`: PHP code without an
    /// open tag (a `?>` in it leaves PHP mode, as the interpreter would).
    PhpCode,
    /// JavaScript `eval`, `Function`, `setTimeout`/`setInterval` with a string, `execScript`.
    JsCode,
    /// `document.write`/`writeln`, an `echo` of markup: HTML whose scripts run.
    Markup,
}

/// An expression whose folded value may be a payload, and the sink that runs it (None when the
/// value is only decoded or stored here: then its content decides what it is scanned as).
#[derive(Debug, Clone, Copy)]
pub struct PayloadCandidate<'a> {
    pub node: Node<'a>,
    pub sink: Option<Sink>,
}

impl<'a> PayloadCandidate<'a> {
    pub fn new(node: Node<'a>, sink: Option<Sink>) -> Self {
        PayloadCandidate { node, sink }
    }
}

/// The folder for one syntax tree, whichever the language.
pub enum Folder<'a> {
    Js(Box<js::JsFolder<'a>>),
    Php(Box<php::PhpFolder<'a>>),
}

impl<'a> Folder<'a> {
    /// Is `node` a field read of a copy of a whole request array (`$a = $_POST; … $a['to']`)?
    /// Such a read is request data however record-like it looks (PHP only).
    pub fn reads_request_copy(&self, node: Node<'a>) -> bool {
        let Folder::Php(php) = self else {
            return false;
        };
        node.kind_name() == "subscript_expression"
            && node
                .named_child(0)
                .is_some_and(|v| v.kind_name() == "variable_name" && php.request_alias(v).is_some())
    }

    pub fn new(lang: Lang, root: Node<'a>, src: &'a [u8], budget: &'a Budget) -> Self {
        match lang {
            Lang::Javascript => Folder::Js(Box::new(js::JsFolder::new(root, src, budget))),
            Lang::Php => Folder::Php(Box::new(php::PhpFolder::new(root, src, budget))),
        }
    }

    /// A folder for code run by `eval` with the caller's variables (PHP only; see
    /// `PhpFolder::in_scope`).
    pub fn in_scope(
        lang: Lang,
        root: Node<'a>,
        src: &'a [u8],
        budget: &'a Budget,
        caller_scope: Option<std::collections::HashMap<String, Folded>>,
    ) -> Self {
        match (lang, caller_scope) {
            (Lang::Php, Some(scope)) => {
                Folder::Php(Box::new(php::PhpFolder::in_scope(root, src, budget, scope)))
            }
            _ => Folder::new(lang, root, src, budget),
        }
    }

    /// The statically known value of an expression, if any. In PHP, a variable that is written
    /// more than once still has a value where straight-line top-level code has just set it
    /// (`$f = substr($blob, 9, 12); $f(…); $f = 1;`): see `value_in_context`.
    pub fn value(&self, node: Node<'a>) -> Option<Folded> {
        match self {
            Folder::Js(f) => f.value(node),
            Folder::Php(f) => f.value(node).or_else(|| {
                // Names, keys and arguments, not long concatenations: folding a chain in
                // context caches nothing, and rules ask about every link of it.
                let mut inner = node;
                while matches!(inner.kind_name(), "argument" | "parenthesized_expression") {
                    inner = inner.named_child(inner.named_child_count().checked_sub(1)? as u32)?;
                }
                if inner.kind_name() == "binary_expression" {
                    return None;
                }
                f.value_in_context(node)
            }),
        }
    }

    /// The value of a string concatenation with unknown parts replaced by NUL bytes, so that
    /// `$root . "/x.php"` still tells a rule the path ends in `.php`. Falls back to `value`.
    pub fn value_lossy(&self, node: Node<'a>) -> Option<Vec<u8>> {
        if let Some(v) = self.value(node).and_then(|v| v.to_text()) {
            return Some(v);
        }
        let (op, src) = match self {
            Folder::Js(f) => ("+", f.source()),
            Folder::Php(f) => (".", f.source()),
        };
        let mut node = node;
        while matches!(node.kind_name(), "argument" | "parenthesized_expression") {
            node = node.named_child(node.named_child_count().checked_sub(1)? as u32)?;
        }
        if node.kind_name() == "encapsed_string" {
            return Some(interpolated_lossy(node, src));
        }
        if !walk::is_binary_op(node, src, op) {
            return None;
        }
        // URLs and paths are built from a few pieces; long chains are left to `value`.
        let (spine, left) = walk::left_spine(node, src, op, 256, |_| false)?;
        let mut operands: Vec<Node> = spine.iter().filter_map(|b| b.field("right")).collect();
        operands.push(left);
        let mut out = Vec::new();
        for operand in operands.into_iter().rev() {
            match self.value(operand).and_then(|v| v.to_text()) {
                Some(t) => out.extend(t),
                None if operand.kind_name() == "encapsed_string" => {
                    out.extend(interpolated_lossy(operand, src))
                }
                None => out.push(0),
            }
        }
        Some(out)
    }

    /// The value of `node` given the straight-line code before it (see the language folders).
    pub fn value_in_context(&self, node: Node<'a>) -> Option<Folded> {
        match self {
            Folder::Js(f) => f.value_in_context(node),
            Folder::Php(f) => f.value_in_context(node),
        }
    }

    /// PHP: the top-level variables known where `node` runs, for the scope of code it `eval`s.
    pub fn caller_scope(
        &self,
        node: Node<'a>,
    ) -> Option<std::collections::HashMap<String, Folded>> {
        match self {
            Folder::Js(_) => None,
            Folder::Php(f) => Some(f.scope_at(node)).filter(|s| !s.is_empty()),
        }
    }

    /// The canonical name of the function a callee expression (or a call) resolves to.
    pub fn callee(&self, node: Node<'a>) -> Option<String> {
        match self {
            Folder::Js(f) => f.callee_name(node),
            Folder::Php(f) => f.callee_name(node),
        }
    }

    /// The PHP variable a computed variable expression names (`${'da'.'ta'}`, `$$n`,
    /// `$GLOBALS['data']` → `$data`); `None` for JavaScript or a name that does not fold.
    pub fn computed_variable(&self, node: Node<'a>) -> Option<String> {
        match self {
            Folder::Js(_) => None,
            Folder::Php(f) => f.computed_variable(node),
        }
    }

    /// Expressions whose folded value may hide a payload (decoder calls, packers, what a code
    /// sink runs), each with the sink that runs it when that is known.
    pub fn payload_candidates(&self) -> Vec<PayloadCandidate<'a>> {
        match self {
            Folder::Js(f) => f.payload_candidates(),
            Folder::Php(f) => f.payload_candidates(),
        }
    }

    /// Addresses of scripts loaded at run time (JavaScript only): see
    /// [`js::JsFolder::script_loads`].
    pub fn script_loads(&self) -> Vec<Node<'a>> {
        match self {
            Folder::Js(f) => f.script_loads(),
            Folder::Php(_) => Vec::new(),
        }
    }

    /// Every node of the unit's tree in document order (for whole-tree passes).
    pub fn nodes(&self) -> &Nodes<'a> {
        match self {
            Folder::Js(f) => f.nodes(),
            Folder::Php(f) => f.nodes(),
        }
    }

    /// The file's budget this folder works under.
    pub fn budget(&self) -> &'a Budget {
        match self {
            Folder::Js(f) => f.budget(),
            Folder::Php(f) => f.budget(),
        }
    }

    /// Identifier names bound (by any assignment) to each value node: used by flow predicates.
    pub fn assignments(&self) -> Vec<(String, Node<'a>)> {
        match self {
            Folder::Js(f) => f.assignments(),
            Folder::Php(f) => f.assignments(),
        }
    }
}

/// A PHP double-quoted string with interpolations (`"delete from t where v = '$x'"`): its literal
/// text with each interpolated expression as one NUL byte.
fn interpolated_lossy(node: Node, src: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        let text = &src[child.start_byte()..child.end_byte()];
        match child.kind_name() {
            "string_content" | "string_value" => out.extend_from_slice(text),
            "escape_sequence" => match text {
                b"\\n" => out.push(b'\n'),
                b"\\t" => out.push(b'\t'),
                b"\\r" => out.push(b'\r'),
                [b'\\', c] => out.push(*c),
                _ => out.extend_from_slice(text),
            },
            _ => out.push(0),
        }
    }
    out
}

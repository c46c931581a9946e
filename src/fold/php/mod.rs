//! Static evaluation of PHP expressions.
//!
//! Understands single- and double-quoted strings with every escape form (and interpolated
//! constant variables), heredoc/nowdoc, `.` and arithmetic, chr()/ord() chains, the decoder
//! functions (base64_decode, gz*, str_rot13, strrev, hex2bin, url/rawurl-decode,
//! convert_uudecode, pack('H*')), common string functions, constant variables (assigned once),
//! `$GLOBALS['x']` and `${'x'}` indirection, string offsets and constant arrays, and variable
//! functions (`$f = 'base'.'64_decode'; $f(...)` resolves to `base64_decode`).
//!
//! This file holds the folder's state and its construction; the jobs live in submodules:
//! `interp` (the evaluator), `builtins` (the `fold_call` table), `functions` (the
//! helper-function interpreter), `context` (values given the straight-line code before a node,
//! and the scope an `eval` inherits), `names` (callee naming), `literals` (integers, string
//! escapes, heredoc) and `facts` (what the engine reads: assignments, payload candidates).

mod builtins;
mod context;
mod facts;
mod functions;
mod interp;
mod literals;
mod names;

pub use literals::unescape_double;

use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::Node;

use super::budget::Budget;
use super::shared::PrefixMemo;
use super::value::Folded;
use super::walk::Nodes;

/// Functions whose folded result can hide a payload: the decoder table's PHP functions
/// (`crate::decode::DECODERS`) and these, which assemble one from pieces.
pub const ASSEMBLERS: &[&str] = &["implode"];

/// How a statement of an inlined helper ended.
enum Flow {
    Normal,
    Return(Option<Folded>),
    /// `break;` / `continue;` (one level).
    Break,
    Continue,
    /// Outside the understood subset.
    Abort,
}

pub struct PhpFolder<'a> {
    src: &'a [u8],
    root: Node<'a>,
    /// Every node in document order, for whole-tree passes.
    nodes: Nodes<'a>,
    budget: &'a Budget,
    /// Variable name (without `$`) → its single assigned value; `None` when written more than once.
    vars: HashMap<String, Option<Node<'a>>>,
    cache: crate::fold::shared::FoldCache,
    /// User-defined functions and methods by lower-case name (ambiguous names dropped), for
    /// inlining small decoder helpers.
    functions: HashMap<String, Option<Node<'a>>>,
    /// While folding in context (see `value_in_context`): variable values at that point.
    context: RefCell<Option<HashMap<String, Folded>>>,
    /// Which prefixes of `.` chains are remembered (see `fold_left_chain`).
    prefixes: PrefixMemo,
    /// `value_in_context`'s progress: the variables after the first `k` top-level statements.
    ctx_cursor: RefCell<Option<(usize, HashMap<String, Folded>)>>,
    /// The root's top-level statements, in order (found lazily).
    top_level: RefCell<Option<Vec<Node<'a>>>>,
    /// Byte ranges of every function, method and closure, by start (built on first use).
    function_spans: RefCell<Option<Vec<(usize, usize)>>>,
    /// Variables of the code that `eval`s this unit, where it does (see [`PhpFolder::in_scope`]).
    inherited: HashMap<String, Folded>,
}

/// Largest caller scope handed to a nested layer (sum of string bytes).
const CALLER_SCOPE_BYTES: usize = 1 << 20;

impl<'a> PhpFolder<'a> {
    pub fn new(root: Node<'a>, src: &'a [u8], budget: &'a Budget) -> Self {
        Self::in_scope(root, src, budget, HashMap::new())
    }

    /// A folder for code run by `eval` with the caller's variables `inherited`: `eval`'d code
    /// runs in the caller's scope, so a decoded layer can use names and keys the outer layer
    /// set up (`$f = 'sys'.'tem'; eval(base64_decode('…$f($x)…'))`; see `scope_at`).
    pub fn in_scope(
        root: Node<'a>,
        src: &'a [u8],
        budget: &'a Budget,
        inherited: HashMap<String, Folded>,
    ) -> Self {
        let mut f = PhpFolder {
            src,
            root,
            nodes: Nodes::collect(root),
            budget,
            vars: HashMap::new(),
            cache: RefCell::default(),
            context: RefCell::new(None),
            functions: HashMap::new(),
            prefixes: PrefixMemo::default(),
            ctx_cursor: RefCell::new(None),
            top_level: RefCell::new(None),
            function_spans: RefCell::new(None),
            inherited,
        };
        f.collect_vars();
        f.collect_functions();
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

    pub fn value(&self, node: Node<'a>) -> Option<Folded> {
        self.fold(node, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::builtins::eval_modifier;
    use super::*;

    use crate::fold::walk::preorder;
    use crate::fold::{LimitHit, Limits};
    use crate::syntax::lang::Lang;
    use crate::syntax::NodeExt;
    use std::time::Duration;

    /// Folds the argument of the last `eval(…)` in `src` (with the context fallback, as rules
    /// and layers see it), and returns the budget's limit hits.
    fn fold_eval_arg(src: &str) -> (Option<Vec<u8>>, Vec<LimitHit>) {
        let tree =
            crate::syntax::parse::parse(Lang::Php, src.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let budget = Budget::new(Limits::default());
        let folder = PhpFolder::new(tree.root_node(), src.as_bytes(), &budget);
        let mut arg = None;
        preorder(tree.root_node(), |n| {
            if n.kind_name() == "function_call_expression"
                && folder.callee_name(n).as_deref() == Some("eval")
            {
                arg = n.field("arguments").and_then(|a| a.named_child(0));
            }
            true
        });
        let arg = arg.expect("an eval call");
        let v = folder
            .value(arg)
            .or_else(|| folder.value_in_context(arg))
            .and_then(|v| v.to_text());
        (v, budget.hits())
    }

    #[test]
    fn table_driven_decoder_is_inlined() {
        // Each character goes through a keyed table, then base64: "echo 1;" = "ZWNobyAxOw==".
        let src = r#"<?php
function t($s, $m) { $o = ''; for ($i = 0; $i < strlen($s); $i++) {
  $o .= isset($m[$s[$i]]) ? $m[$s[$i]] : $s[$i]; } $f = "base64_decode"; return $f($o); }
$k = array('Q' => 'Z', 'z' => 'W', 'M' => 'N', 'p' => 'o');
eval(t('QzMpbyAxOw==', $k));"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 1;"[..]));
    }

    #[test]
    fn foreach_elseif_and_break_in_helpers() {
        let src = r#"<?php
function g($m) { $o = ''; foreach ($m as $k => $v) {
  if ($k == 'stop') { break; } elseif ($k == 'skip') { continue; } else { $o .= $v; } }
  return $o; }
eval(g(array('a' => 'ec', 'skip' => 'XX', 'b' => 'ho 2;', 'stop' => 'YY', 'c' => 'ZZ')));"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 2;"[..]));
    }

    #[test]
    fn names_built_with_dot_assign_are_known_where_used() {
        let src =
            r#"<?php $f = "ba"; $f .= "se64"; $f .= "_decode"; eval($f("ZWNobyAzOw==")); $f = 0;"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 3;"[..]));
        // Top-level values are not visible inside a function body.
        let src =
            r#"<?php $f = "base64"; $f .= "_decode"; function h() { eval($f("ZWNobyAzOw==")); }"#;
        assert_eq!(fold_eval_arg(src).0, None);
        // A write inside a top-level block makes the value unknown.
        let src = r#"<?php $f = "base64_decode"; if ($x) { $f = "strrev"; } $f .= ""; eval($f("ZWNobyAzOw=="));"#;
        assert_eq!(fold_eval_arg(src).0, None);
    }

    #[test]
    fn long_concatenation_stays_under_the_decoded_bytes_cap() {
        let piece = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2";
        let chain = vec![format!("'{piece}'"); 2000].join(".\n");
        let src = format!("<?php $p = {chain}; eval(base64_decode($p));");
        let (v, hits) = fold_eval_arg(&src);
        assert_eq!(v.map(|v| v.len()), Some(2000 * 48));
        assert!(hits.is_empty(), "{hits:?}");
    }

    #[test]
    fn variable_variable_callee_is_the_function_it_names() {
        let src =
            r#"<?php $a = "base64"; $a .= "_decode"; $n = 'a'; eval($$n("ZWNobyA0Ow==")); $a = 1;"#;
        assert_eq!(fold_eval_arg(src).0.as_deref(), Some(&b"echo 4;"[..]));
    }

    #[test]
    fn caller_scope_is_visible_to_the_folder_given_it() {
        let outer =
            r#"<?php $f = "sys"; $f .= "tem"; eval(base64_decode("JGYoJGMpOw==")); $f = 1;"#;
        let tree =
            crate::syntax::parse::parse(Lang::Php, outer.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let budget = Budget::new(Limits::default());
        let folder = PhpFolder::new(tree.root_node(), outer.as_bytes(), &budget);
        let mut eval_arg = None;
        preorder(tree.root_node(), |n| {
            if n.kind_name() == "function_call_expression"
                && folder.callee_name(n).as_deref() == Some("eval")
            {
                eval_arg = n.field("arguments");
            }
            true
        });
        let scope = folder.scope_at(eval_arg.unwrap());
        assert_eq!(
            scope.get("f").and_then(|v| v.to_text()).as_deref(),
            Some(&b"system"[..])
        );
        // The decoded layer `$f($c);` resolves `$f` through the caller's scope.
        let inner = "<?php $f($c);";
        let tree =
            crate::syntax::parse::parse(Lang::Php, inner.as_bytes(), None, Duration::from_secs(5))
                .unwrap();
        let call = tree
            .root_node()
            .named_child(1)
            .unwrap()
            .named_child(0)
            .unwrap();
        let nested = PhpFolder::in_scope(tree.root_node(), inner.as_bytes(), &budget, scope);
        assert_eq!(nested.callee_name(call).as_deref(), Some("system"));
        let alone = PhpFolder::new(tree.root_node(), inner.as_bytes(), &budget);
        assert_eq!(alone.callee_name(call), None);
    }

    #[test]
    fn eval_modifier_detection() {
        assert!(eval_modifier(b"/(.*)/e"));
        assert!(eval_modifier(b"#x#ie"));
        assert!(eval_modifier(b"{a}se"));
        assert!(!eval_modifier(b"/\\r|\\n/"));
        assert!(!eval_modifier(b"/e/"));
        assert!(!eval_modifier(b""));
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(unescape_double(br"\142\x61\x73\x65\66\x34"), b"base64");
        assert_eq!(unescape_double(br"\u{65}\q\$"), b"e\\q$");
    }
}

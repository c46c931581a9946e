//! Facts the engine reads off a PHP tree: which variables are assigned which values
//! (`assignments`) and which expressions may hide a payload (`payload_candidates`).

use crate::syntax::NodeExt;
use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::Node;

use super::builtins::eval_modifier;
use super::{PhpFolder, ASSEMBLERS};
use crate::fold::{PayloadCandidate, Sink};

impl<'a> PhpFolder<'a> {
    pub(super) fn collect_vars(&mut self) {
        let mut pending = Vec::new();
        self.nodes.preorder(|n| {
            match n.kind_name() {
                "assignment_expression" => {
                    if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                        pending.push((l, Some(r)));
                    }
                }
                "augmented_assignment_expression" | "update_expression" => {
                    if let Some(l) = n.field("left").or_else(|| n.field("argument")) {
                        pending.push((l, None));
                        pending.push((l, None));
                    }
                }
                "foreach_statement"
                | "global_declaration"
                | "static_variable_declaration"
                | "list_literal" => {
                    // Variables written by these are not constants.
                    for c in n.named_children(&mut n.walk()) {
                        if c.kind_name() == "variable_name" {
                            pending.push((c, None));
                            pending.push((c, None));
                        }
                    }
                }
                _ => {}
            }
            true
        });
        // Plain names first; then names computed from those variables (`$n = 'data'; $$n =
        // $v`, `${$GLOBALS['k']} = $v`), which fold only once the plain ones are known. The
        // fold cache is emptied after each round: what it holds was folded without them.
        let (plain, computed): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(left, _)| left.kind_name() == "variable_name");
        self.vars = HashMap::new();
        for round in [plain, computed] {
            if round.is_empty() {
                continue;
            }
            let named: Vec<_> = round
                .into_iter()
                .filter_map(|(left, value)| Some((self.var_name(left)?, value)))
                .collect();
            for (name, value) in named {
                self.vars
                    .entry(name)
                    .and_modify(|v| *v = None)
                    .or_insert(value);
            }
            self.cache = RefCell::default();
        }
    }

    /// See [`crate::fold::Folder::computed_variable`].
    pub fn computed_variable(&self, n: Node<'a>) -> Option<String> {
        match n.kind_name() {
            "dynamic_variable_name" => {}
            "subscript_expression"
                if n.named_child(0).is_some_and(|o| {
                    self.text(o) == "$GLOBALS" || self.var_name(o).as_deref() == Some("GLOBALS")
                }) => {}
            _ => return None,
        }
        let name = self.var_name(n)?;
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80);
        plain.then(|| format!("${name}"))
    }

    /// The name a variable expression refers to: `$x`, `${'x'}`, `$GLOBALS['x']`, `$$y` (y const).
    pub(super) fn var_name(&self, n: Node<'a>) -> Option<String> {
        let _frame = self.budget.enter()?;
        match n.kind_name() {
            "variable_name" => Some(self.text(n).trim_start_matches('$').to_string()),
            "dynamic_variable_name" => {
                let inner = n.named_child(0)?;
                let v = if inner.kind_name() == "variable_name" {
                    // `$$y`: the value of $y names the variable.
                    self.value(inner)?
                } else {
                    self.value(inner)?
                };
                Some(v.text_lossy()?)
            }
            "subscript_expression" => {
                let obj = n.named_child(0)?;
                if self.text(obj) != "$GLOBALS" && self.var_name(obj).as_deref() != Some("GLOBALS")
                {
                    return None;
                }
                let key = self.value(n.named_child(1)?)?;
                Some(key.text_lossy()?)
            }
            _ => None,
        }
    }

    /// Every (variable name, value) assignment, for flow predicates. `foreach ($src as $k => $v)`
    /// binds `$k` and `$v` from `$src`.
    pub fn assignments(&self) -> Vec<(String, Node<'a>)> {
        let mut out = Vec::new();
        self.nodes.preorder(|n| {
            if n.kind_name() == "foreach_statement" {
                let mut w = n.walk();
                let kids: Vec<Node<'a>> = n
                    .named_children(&mut w)
                    .filter(|c| c.kind_name() != "comment")
                    .collect();
                if let (Some(subject), Some(binding)) = (kids.first(), kids.get(1)) {
                    let targets: Vec<Node<'a>> = if binding.kind_name() == "pair" {
                        let mut w = binding.walk();
                        binding.named_children(&mut w).collect()
                    } else {
                        vec![*binding]
                    };
                    for t in targets {
                        let t = if t.kind_name() == "by_ref" {
                            t.named_child(0).unwrap_or(t)
                        } else {
                            t
                        };
                        if let Some(name) = self.var_name(t) {
                            out.push((format!("${name}"), *subject));
                        }
                    }
                }
            }
            if matches!(
                n.kind_name(),
                "assignment_expression" | "augmented_assignment_expression"
            ) {
                if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                    let target =
                        if l.kind_name() == "subscript_expression" && self.var_name(l).is_none() {
                            // `$a['k'] = v` taints `$a`.
                            l.named_child(0).unwrap_or(l)
                        } else {
                            l
                        };
                    if let Some(name) = self.var_name(target) {
                        out.push((format!("${name}"), r));
                    }
                }
            }
            true
        });
        out
    }

    /// Candidates for nested scanning, with the sink that runs each where it is known: what
    /// `eval`/`assert`/`create_function`/`preg_replace /e` run is PHP code, whatever it prints.
    pub fn payload_candidates(&self) -> Vec<PayloadCandidate<'a>> {
        let mut out = Vec::new();
        // Byte ranges of code-sink arguments that do not fold as a whole: decoder calls inside
        // them are candidates of their own, and still run as PHP code.
        let mut code_args: Vec<std::ops::Range<usize>> = Vec::new();
        let sink_of = |n: Node, code_args: &[std::ops::Range<usize>]| {
            code_args
                .iter()
                .any(|r| r.start <= n.start_byte() && n.end_byte() <= r.end)
                .then_some(Sink::PhpCode)
        };
        self.nodes.preorder(|n| {
            if matches!(
                n.kind_name(),
                "string" | "encapsed_string" | "heredoc" | "nowdoc"
            ) {
                let lower = self.src[n.byte_range()].to_ascii_lowercase();
                // Markup with scripts echoed from PHP, or PHP code kept in a string (injectors
                // that splice a skimmer into core files), is scanned as what it holds.
                if crate::units::classify::php_string_holds_code(&lower) {
                    out.push(PayloadCandidate::new(n, sink_of(n, &code_args)));
                }
                return false;
            }
            // `echo '<script src="' . base64_decode('…') . '"></script>'`: the markup exists only
            // once the pieces are joined, so the printed concatenation is a candidate too.
            if matches!(n.kind_name(), "echo_statement" | "print_intrinsic") {
                let mut cursor = n.walk();
                for arg in n.named_children(&mut cursor) {
                    if arg.kind_name() == "binary_expression"
                        && memchr::memmem::find(
                            &self.src[arg.byte_range()].to_ascii_lowercase(),
                            b"<script",
                        )
                        .is_some()
                    {
                        out.push(PayloadCandidate::new(arg, Some(Sink::Markup)));
                    }
                }
                return true;
            }
            if n.kind_name() != "function_call_expression" {
                return true;
            }
            let name = n.field("function").and_then(|f| self.callee_name(f));
            if name.as_deref().is_some_and(|name| {
                crate::decode::is_php_decoder(name) || ASSEMBLERS.contains(&name)
            }) {
                out.push(PayloadCandidate::new(n, sink_of(n, &code_args)));
                // A call that does not fold as a whole (`str_replace('</head>', '<script…',
                // $html)` on the page being sent) still has literal payloads inside.
                return self.value(n).is_none_or(|v| v.as_bytes().is_none());
            }
            // `preg_replace('/…/e', $code, …)` runs its replacement as code.
            if name.as_deref() == Some("preg_replace") {
                let args = self.args(n);
                if let (Some(pattern), Some(code)) = (args.first(), args.get(1)) {
                    let modifiers = self
                        .value(*pattern)
                        .or_else(|| self.value_in_context(*pattern))
                        .and_then(|p| p.to_text())
                        .map(|p| eval_modifier(&p))
                        .unwrap_or(false);
                    if modifiers {
                        out.push(PayloadCandidate::new(*code, Some(Sink::PhpCode)));
                        return false;
                    }
                }
            }
            // Whatever eval/assert run is code by definition: scan it if it can be folded.
            // `create_function($args, $body)` compiles its last argument the same way.
            let code_arg = match name.as_deref() {
                Some("eval" | "assert") => n.field("arguments").and_then(|a| a.named_child(0)),
                Some("create_function") => n
                    .field("arguments")
                    .and_then(|a| a.named_child(a.named_child_count().checked_sub(1)? as u32)),
                _ => None,
            };
            if let Some(arg) = code_arg {
                // Arguments are wrapped in an `argument` node: the expression is inside.
                let expr = if arg.kind_name() == "argument" {
                    arg.named_child(0).unwrap_or(arg)
                } else {
                    arg
                };
                out.push(PayloadCandidate::new(arg, Some(Sink::PhpCode)));
                // `eval(check() ? decode('…') : decode('…'))` (FOPO): when the whole argument
                // has no value, the decoder calls inside it are candidates of their own.
                let opaque = self.value(arg).is_none() && self.value_in_context(arg).is_none();
                if opaque {
                    code_args.push(expr.byte_range());
                }
                return opaque;
            }
            true
        });
        out
    }
}

//! Folding in context (`value_in_context`): the value of a variable given the straight-line
//! top-level code before it, and the scope a decoded `eval` payload inherits (`scope_at`).

use crate::syntax::NodeExt;
use std::collections::HashMap;

use tree_sitter::Node;

use super::{PhpFolder, CALLER_SCOPE_BYTES};
use crate::fold::value::Folded;
use crate::fold::walk::preorder;

impl<'a> PhpFolder<'a> {
    /// The root's child (a top-level statement) that holds `node`, unless a function, method or
    /// closure lies between them. By byte ranges (binary searches over the root's children and
    /// over all function spans), because walking up with `parent()` costs the node's depth per
    /// step: quadratic on hostile, thousands-deep trees.
    pub(super) fn top_level_statement(&self, node: Node<'a>) -> Option<Node<'a>> {
        if self.root.kind_name() != "program" || node == self.root {
            return None;
        }
        let (start, end) = (node.start_byte(), node.end_byte());
        let stmt = {
            let mut top = self.top_level.borrow_mut();
            let top = top.get_or_insert_with(|| {
                let mut c = self.root.walk();
                self.root.named_children(&mut c).collect()
            });
            let i = top
                .partition_point(|n| n.start_byte() <= start)
                .checked_sub(1)?;
            let stmt = top[i];
            (stmt.end_byte() >= end).then_some(stmt)?
        };
        let mut spans = self.function_spans.borrow_mut();
        let spans = spans.get_or_insert_with(|| {
            let mut out = Vec::new();
            self.nodes.preorder(|n| {
                if matches!(
                    n.kind_name(),
                    "function_definition"
                        | "method_declaration"
                        | "anonymous_function"
                        | "arrow_function"
                ) {
                    out.push((n.start_byte(), n.end_byte()));
                }
                true
            });
            out.sort_unstable();
            out
        });
        // Functions that start inside `stmt`, at or before `node`: does one enclose it?
        let upto = spans.partition_point(|&(s, _)| s <= start);
        let enclosed = spans[..upto]
            .iter()
            .rev()
            .take_while(|&&(s, _)| s >= stmt.start_byte())
            .any(|&(s, e)| e >= end && (s, e) != (start, end));
        (!enclosed).then_some(stmt)
    }

    /// Folds `node` with the variables as they are when its top-level statement runs: straight-line
    /// code that builds names and payloads piece by piece (`$f = "g"; $f .= "zinflate";`, FOPO)
    /// has no constant bindings, but a walk over the statements before it knows every value.
    /// The index of `node`'s top-level statement among the root's, unless `node` is inside a
    /// function body.
    pub(super) fn top_level_index(&self, node: Node<'a>) -> Option<usize> {
        let stmt = self.top_level_statement(node)?;
        let program = self.root;
        let mut top = self.top_level.borrow_mut();
        let top = top.get_or_insert_with(|| {
            let mut c = program.walk();
            program.named_children(&mut c).collect()
        });
        top.binary_search_by_key(&stmt.start_byte(), |n| n.start_byte())
            .ok()
            .filter(|&i| top[i] == stmt)
    }

    pub fn value_in_context(&self, node: Node<'a>) -> Option<Folded> {
        self.in_context(node, true)
    }

    /// Brings the environment up to `node`'s top-level statement, then folds `node` in it
    /// (when `fold` is set).
    pub(super) fn in_context(&self, node: Node<'a>, fold: bool) -> Option<Folded> {
        if self.context.borrow().is_some() {
            return None;
        }
        // A function body does not see the top-level variables.
        let index = self.top_level_index(node)?;
        // Queries come in document order: continue from the environment of the last one
        // instead of replaying every statement before (linear, not quadratic, in the file).
        let (mut done, mut env) = match self.ctx_cursor.take() {
            Some((k, env)) if k <= index => (k, env),
            _ => (0, self.inherited.clone()),
        };
        // The statements to replay, from the cached list: walking the program's children
        // from the first each time (`skip(done)`) made every query cost the file's length.
        let pending: Vec<Node<'a>> = self
            .top_level
            .borrow()
            .as_ref()
            .map(|top| top[done..index].to_vec())
            .unwrap_or_default();
        for s in pending {
            if !self.budget.step() {
                break;
            }
            done += 1;
            self.apply_top_level(s, &mut env);
        }
        let (out, env) = if fold {
            *self.context.borrow_mut() = Some(env);
            let out = self.fold(node, 0);
            (out, self.context.borrow_mut().take().unwrap_or_default())
        } else {
            (None, env)
        };
        if done == index {
            *self.ctx_cursor.borrow_mut() = Some((done, env));
        }
        out
    }

    /// The top-level variables known where `node` runs (for the scope of code it `eval`s):
    /// empty inside function bodies, or when the values are too large to hand on.
    pub fn scope_at(&self, node: Node<'a>) -> HashMap<String, Folded> {
        let mut scope = HashMap::new();
        let Some(index) = self.top_level_index(node) else {
            return scope;
        };
        // Brings the cursor to `index` without folding `node` (a payload decoded twice would
        // count twice against the decoded-bytes cap).
        let _ = self.in_context(node, false);
        if let Some((_, env)) = self
            .ctx_cursor
            .borrow()
            .as_ref()
            .filter(|(k, _)| *k == index)
        {
            let mut size = 0usize;
            for (k, v) in env {
                size += v.as_bytes().map_or(16, <[u8]>::len);
                if size > CALLER_SCOPE_BYTES {
                    return HashMap::new();
                }
                scope.insert(k.clone(), v.clone());
            }
        }
        scope
    }

    /// One top-level statement's effect on the variables known in context: `$v = …` and
    /// `$v .= …` with foldable right-hand sides; any other write forgets the variable.
    pub(super) fn apply_top_level(&self, s: Node<'a>, env: &mut HashMap<String, Folded>) {
        if s.kind_name() != "expression_statement" {
            // `if`, loops, blocks: whatever they assign is no longer known.
            if !env.is_empty()
                && !matches!(
                    s.kind_name(),
                    "function_definition"
                        | "class_declaration"
                        | "comment"
                        | "text"
                        | "text_interpolation"
                )
            {
                preorder(s, |n| {
                    if matches!(
                        n.kind_name(),
                        "assignment_expression"
                            | "augmented_assignment_expression"
                            | "update_expression"
                    ) {
                        if let Some(name) = n
                            .field("left")
                            .or_else(|| n.field("argument"))
                            .and_then(|l| self.var_name(l))
                        {
                            env.remove(&name);
                        }
                    }
                    !matches!(
                        n.kind_name(),
                        "function_definition" | "anonymous_function" | "arrow_function"
                    )
                });
            }
            return;
        }
        let Some(e) = s.named_child(0) else { return };
        let (Some(left), Some(right)) = (e.field("left"), e.field("right")) else {
            return;
        };
        let Some(name) = self.var_name(left) else {
            return;
        };
        *self.context.borrow_mut() = Some(std::mem::take(env));
        let value = self.fold(right, 0);
        *env = self.context.borrow_mut().take().unwrap_or_default();
        let op = e.field("operator").map(|o| self.text(o)).unwrap_or("=");
        match (e.kind_name(), op, value) {
            ("assignment_expression", _, Some(v)) => {
                env.insert(name, v);
            }
            ("augmented_assignment_expression", ".=", Some(v)) => {
                let joined = env
                    .get(&name)
                    .and_then(|o| o.to_text())
                    .and_then(|mut old| {
                        let add = v.to_text()?;
                        self.budget.take_decoded(add.len()).then(|| {
                            old.extend(add);
                            old
                        })
                    });
                match joined {
                    Some(j) => {
                        let prov = env.remove(&name);
                        let mut out = Folded::str(j).with_provenance_of(&v);
                        if let Some(p) = prov {
                            out = out.with_provenance_of(&p);
                        }
                        env.insert(name, out);
                    }
                    None => {
                        env.remove(&name);
                    }
                }
            }
            _ => {
                env.remove(&name);
            }
        }
    }
}

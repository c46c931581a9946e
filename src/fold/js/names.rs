//! Callee naming: the canonical name a JavaScript callee expression resolves to (`window.eval`
//! is `eval`, aliases and `X.constructor.constructor` are followed).

use crate::syntax::NodeExt;
use tree_sitter::Node;

use super::functions::is_function;
use super::{Binding, Env, JsFolder, GLOBAL_OBJECTS};

impl<'a> JsFolder<'a> {
    /// The canonical name a callee expression resolves to: `window['ev'+'al']` → `eval`,
    /// `var e = eval; e` → `eval`, `(0, eval)` → `eval`, `$('#x').on` → `$().on`.
    pub fn callee_name(&self, node: Node<'a>) -> Option<String> {
        self.name_of(node, 0).map(normalise_name)
    }

    pub(super) fn name_of(&self, node: Node<'a>, depth: usize) -> Option<String> {
        if depth > 32 {
            return None;
        }
        let _frame = self.budget.enter()?;
        let d = depth + 1;
        match node.kind_name() {
            "identifier" => {
                let name = self.text(node);
                match self.bindings.get(name) {
                    // `var j = jQuery.noConflict();`: `j` is jQuery.
                    Some(Binding::Const(v))
                        if v.kind_name() == "call_expression"
                            && v.field("function")
                                .and_then(|f| self.name_of(f, d))
                                .is_some_and(|n| {
                                    n == "jQuery.noConflict" || n == "$.noConflict"
                                }) =>
                    {
                        Some("jQuery".into())
                    }
                    // `var t = document.createElement("script")`: `t` is a script element
                    // (`t.text`, `t["textContent"]` are its code), whatever spells the name.
                    Some(Binding::Const(v))
                        if v.kind_name() == "call_expression" && self.creates_script(*v, d) =>
                    {
                        Some("HTMLScriptElement".into())
                    }
                    Some(Binding::Const(v))
                        if matches!(
                            v.kind_name(),
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
                let object = node.field("object")?;
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
                let f = node.field("function")?;
                Some(format!(
                    "{}()",
                    self.name_of(f, d).unwrap_or_else(|| "?".into())
                ))
            }
            "new_expression" => {
                let c = node.field("constructor")?;
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

impl<'a> JsFolder<'a> {
    /// Is `call` `document.createElement("script")`, whatever spells the name and the tag?
    /// Remembered per call: every use of the variable asks, and folding a computed callee
    /// (a string-array lookup, a decoder) costs steps of the file's budget.
    fn creates_script(&self, call: Node<'a>, depth: usize) -> bool {
        if let Some(&known) = self.script_calls.borrow().get(&call.id()) {
            return known;
        }
        let function = call.field("function");
        // Spelled plainly, the callee shows its name; computed, it is a subscript.
        let candidate = function.is_some_and(|f| {
            f.kind_name() == "subscript_expression"
                || (f.kind_name() == "member_expression" && self.text(f).ends_with("createElement"))
        });
        let creates = candidate
            && self.creates_script_named(call, function.and_then(|f| self.name_of(f, depth)));
        self.script_calls.borrow_mut().insert(call.id(), creates);
        creates
    }

    /// Is `call`, whose callee resolves to `callee`, `createElement` given the tag `script`?
    pub(super) fn creates_script_named(&self, call: Node<'a>, callee: Option<String>) -> bool {
        callee.is_some_and(|n| n == "createElement" || n.ends_with(".createElement"))
            && call
                .field("arguments")
                .and_then(|a| a.named_child(0))
                .and_then(|a| self.value(a))
                .and_then(|v| v.text_lossy())
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("script"))
    }
}

/// `X.constructor.constructor` is `Function`; `eval.call(…)` and `Function.apply(…)` call them.
pub(super) fn normalise_name(name: String) -> String {
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

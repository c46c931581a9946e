//! Callee naming: the canonical lower-case name a PHP callee (or variable function) resolves to.

use crate::syntax::NodeExt;
use tree_sitter::Node;

use super::PhpFolder;

impl<'a> PhpFolder<'a> {
    /// The lower-case name a called function resolves to: `\BASE64_DECODE` → `base64_decode`,
    /// `$f` (with `$f = 'base'.'64_decode'`) → `base64_decode`, `'eval'` → `eval`.
    pub fn callee_name(&self, node: Node<'a>) -> Option<String> {
        let node = if node.kind_name() == "function_call_expression" {
            node.field("function")?
        } else {
            node
        };
        let raw = match node.kind_name() {
            "name" | "qualified_name" => self.text(node).to_string(),
            // `${'_PO'.'ST'}` names a variable: its canonical name is `$_POST`.
            // `$$n(…)` calls the function named by the value; elsewhere `${'_PO'.'ST'}` names a
            // variable.
            "dynamic_variable_name"
                if node.parent().is_some_and(|p| {
                    p.kind_name() == "function_call_expression" && p.field("function") == Some(node)
                }) =>
            {
                match self.fold(node, 0) {
                    Some(v) => v.text_lossy()?,
                    None => self.value_in_context(node)?.text_lossy()?,
                }
            }
            "dynamic_variable_name" => return self.var_name(node).map(|n| format!("${n}")),
            // `$f = "base"; $f .= "64_decode"; $f(…)`: not a constant, but known at the call.
            "variable_name" | "subscript_expression" => match self.fold(node, 0) {
                Some(v) => v.text_lossy()?,
                None => self.value_in_context(node)?.text_lossy()?,
            },
            _ => self.fold(node, 0)?.text_lossy()?,
        };
        let name = raw.trim().trim_start_matches('\\').to_ascii_lowercase();
        let name = name.rsplit('\\').next().unwrap_or(&name).to_string();
        (!name.is_empty()).then_some(name)
    }

    /// The request array a variable is a copy of: `$a = $_POST` → `$_POST`, `$p =
    /// array_merge($_GET, $_POST)` → `$_REQUEST` (the variable assigned once, in the file).
    pub fn request_alias(&self, var: Node<'a>) -> Option<String> {
        let name = self.var_name(var)?;
        let value = (*self.vars.get(&name)?)?;
        let superglobal = |n: Node<'a>| -> Option<String> {
            let text = self.text(n);
            let known = [
                "$_GET",
                "$_POST",
                "$_REQUEST",
                "$_COOKIE",
                "$_SERVER",
                "$_FILES",
            ];
            (n.kind_name() == "variable_name" && known.contains(&text)).then(|| text.to_string())
        };
        if let Some(s) = superglobal(value) {
            return Some(s);
        }
        // A merge of request arrays only.
        if value.kind_name() == "function_call_expression" {
            let merge = ["array_merge", "array_replace", "array_merge_recursive"];
            if !merge.contains(&self.callee_name(value)?.as_str()) {
                return None;
            }
            let args = value.field("arguments")?;
            let mut w = args.walk();
            let all = args
                .named_children(&mut w)
                .map(|a| a.named_child(0).and_then(superglobal))
                .collect::<Option<Vec<String>>>()?;
            return (!all.is_empty()).then(|| "$_REQUEST".to_string());
        }
        None
    }
}

//! Fast node kinds and field lookups. `Node::kind` measures and UTF-8-checks the kind's C
//! string on every call, and `Node::child_by_field_name` compares the name with every field
//! name of the grammar; the folders and the engine ask both millions of times on a large
//! bundle (about a tenth of its analysis). Here both are table lookups, built once per grammar.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::{Language, Node};

use super::lang::Lang;

/// Kind names by kind id and field ids by name, for one grammar.
struct Tables {
    /// The grammar's `TSLanguage` address: which grammar a node's tree was parsed with.
    language: usize,
    kinds: Vec<&'static str>,
    fields: HashMap<&'static str, u16>,
}

fn tables() -> &'static [Tables] {
    static ALL: OnceLock<Vec<Tables>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut grammars: Vec<Language> = Lang::ALL.iter().map(|l| l.grammar()).collect();
        grammars.push(tree_sitter_html::LANGUAGE.into());
        grammars
            .into_iter()
            .map(|g| {
                // Names are copied once and kept for the life of the process (a few KB).
                let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
                let kinds = (0..g.node_kind_count() as u16)
                    .map(|id| g.node_kind_for_id(id).map_or("", leak))
                    .collect();
                let fields = (1..=g.field_count() as u16)
                    .filter_map(|id| Some((leak(g.field_name_for_id(id)?), id)))
                    .collect();
                Tables {
                    language: g.into_raw() as usize,
                    kinds,
                    fields,
                }
            })
            .collect()
    })
}

fn tables_of(node: &Node) -> Option<&'static Tables> {
    // SAFETY: reads the language pointer of the node's tree; the node is valid for 'tree.
    let language = unsafe { tree_sitter::ffi::ts_node_language(node.into_raw()) } as usize;
    tables().iter().find(|t| t.language == language)
}

/// [`Node::kind`] and [`Node::child_by_field_name`], by table.
pub trait NodeExt<'tree>: Sized {
    /// The node's kind, as `Node::kind` gives it.
    fn kind_name(&self) -> &'tree str;
    /// The first child in field `name`, as `Node::child_by_field_name` gives it.
    fn field(&self, name: &str) -> Option<Self>;
}

impl<'tree> NodeExt<'tree> for Node<'tree> {
    fn kind_name(&self) -> &'tree str {
        match tables_of(self).and_then(|t| t.kinds.get(usize::from(self.kind_id()))) {
            Some(k) => k,
            None => self.kind(),
        }
    }

    fn field(&self, name: &str) -> Option<Self> {
        match tables_of(self) {
            Some(t) => t
                .fields
                .get(name)
                .and_then(|&id| self.child_by_field_id(id)),
            None => self.child_by_field_name(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_fields_agree_with_tree_sitter_on_every_node() {
        let cases = [
            (
                Lang::Javascript,
                "var a = b.c(1, 'x') + `t${d}`; class K { m() { return this.#p ?? a?.[0]; } }",
            ),
            (
                Lang::Php,
                "<?php $a = $b->c(1, 'x') . \"t{$d}\"; function f(int $x) { return $x ?? A::B; } ?><p>",
            ),
        ];
        let field_names = [
            "function",
            "arguments",
            "left",
            "right",
            "name",
            "body",
            "object",
            "property",
            "value",
            "operator",
            "condition",
            "index",
            "parameters",
            "nonexistent",
        ];
        for (lang, src) in cases {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).unwrap();
            let tree = parser.parse(src, None).unwrap();
            let mut cursor = tree.walk();
            let mut seen = 0;
            loop {
                let n = cursor.node();
                assert_eq!(n.kind_name(), n.kind());
                for f in field_names {
                    assert_eq!(n.field(f), n.child_by_field_name(f), "{} {f}", n.kind());
                }
                seen += 1;
                if cursor.goto_first_child() || cursor.goto_next_sibling() {
                    continue;
                }
                while cursor.goto_parent() && !cursor.goto_next_sibling() {}
                if cursor.node() == tree.root_node() {
                    break;
                }
            }
            assert!(seen > 30);
        }
    }
}

//! Iterative tree walks: deep input must never overflow the stack (no recursion over depth).

use tree_sitter::Node;

/// Visits every node under `root` in document order, without recursion. The visitor returns
/// false to skip a node's children.
pub fn preorder<'a>(root: Node<'a>, mut visit: impl FnMut(Node<'a>) -> bool) {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if visit(node) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == root {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

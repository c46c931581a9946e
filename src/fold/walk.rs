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

/// Is `n` a binary expression with operator `op`?
pub fn is_binary_op(n: Node, src: &[u8], op: &str) -> bool {
    n.kind() == "binary_expression"
        && n.child_by_field_name("operator")
            .is_some_and(|o| &src[o.byte_range()] == op.as_bytes())
}

/// The left spine of a left-associative chain `a op b op c …` (obfuscators build strings from
/// thousands of pieces; walking it iteratively keeps deep chains off the stack). Returns the
/// chain's binary nodes, outermost first, and the operand left of the innermost one. `stop` is
/// asked about each inner binary node and ends the walk there (the caller already knows its
/// value). `None` when the chain has more than `limit` links.
pub fn left_spine<'a>(
    node: Node<'a>,
    src: &[u8],
    op: &str,
    limit: usize,
    mut stop: impl FnMut(Node<'a>) -> bool,
) -> Option<(Vec<Node<'a>>, Node<'a>)> {
    let mut spine = Vec::new();
    let mut left = node;
    while is_binary_op(left, src, op) && (left == node || !stop(left)) {
        spine.push(left);
        left = left.child_by_field_name("left")?;
        if spine.len() > limit {
            return None;
        }
    }
    Some((spine, left))
}

//! Iterative tree walks: deep input must never overflow the stack (no recursion over depth).

use crate::syntax::NodeExt;
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
    n.kind_name() == "binary_expression"
        && n.field("operator")
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
        left = left.field("left")?;
        if spine.len() > limit {
            return None;
        }
    }
    Some((spine, left))
}

/// Trees with more nodes than this are walked with a cursor each time instead of being kept
/// as a list (36 bytes a node: 1 M nodes is 36 MB per worker thread).
const MAX_LISTED_NODES: usize = 1 << 20;

/// Every node of a unit's tree in document order, collected by one cursor walk. A unit is
/// walked by several passes (variables, functions, assignments, payload candidates, data
/// flow, the depth check); moving a tree cursor was the largest single cost in profiles, so
/// the passes iterate this list instead.
pub struct Nodes<'a> {
    root: Node<'a>,
    /// Empty when the tree has more than `MAX_LISTED_NODES` nodes.
    nodes: Vec<Node<'a>>,
    /// For each node, the index just past its subtree (to skip children).
    ends: Vec<u32>,
    /// Levels below the root (as `parse::deeper_than` counts them), when listed.
    max_depth: Option<usize>,
}

impl<'a> Nodes<'a> {
    pub fn collect(root: Node<'a>) -> Nodes<'a> {
        let mut out = Nodes {
            root,
            nodes: Vec::new(),
            ends: Vec::new(),
            max_depth: None,
        };
        let count = root.descendant_count();
        if count > MAX_LISTED_NODES {
            return out;
        }
        out.nodes.reserve_exact(count);
        out.ends.reserve_exact(count);
        let mut cursor = root.walk();
        let mut open: Vec<usize> = Vec::new();
        let mut max_depth = 0usize;
        loop {
            let i = out.nodes.len();
            out.nodes.push(cursor.node());
            out.ends.push(0);
            if cursor.goto_first_child() {
                open.push(i);
                max_depth = max_depth.max(open.len());
                continue;
            }
            out.ends[i] = (i + 1) as u32;
            loop {
                if !open.is_empty() && cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    out.max_depth = Some(max_depth);
                    return out;
                }
                if let Some(p) = open.pop() {
                    out.ends[p] = out.nodes.len() as u32;
                }
            }
        }
    }

    /// Like [`preorder`] over the whole tree: `visit` returns false to skip a node's children.
    pub fn preorder(&self, mut visit: impl FnMut(Node<'a>) -> bool) {
        if self.nodes.is_empty() {
            return preorder(self.root, visit);
        }
        let mut i = 0;
        while i < self.nodes.len() {
            i = if visit(self.nodes[i]) {
                i + 1
            } else {
                self.ends[i] as usize
            };
        }
    }

    /// Is the tree deeper than `limit` levels?
    pub fn deeper_than(&self, limit: usize) -> bool {
        match self.max_depth {
            Some(d) => d > limit,
            None => crate::syntax::parse::deeper_than(self.root, limit),
        }
    }

    pub fn root(&self) -> Node<'a> {
        self.root
    }
}

//! Helpers both folders use: the memoised fold under the budget, and byte-string pieces of
//! their builtins (splitting, replacing, a literal's quotes).

use crate::syntax::NodeExt;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tree_sitter::Node;

use super::budget::{Budget, LimitHit};
use super::value::Folded;
use super::walk::{is_binary_op, left_spine};

/// A folder's memo: node id → its value when folded with nothing local in scope.
pub(super) type FoldCache = RefCell<HashMap<usize, Option<Folded>>>;

/// Folds one node under the depth and step budget, remembering the result when `cacheable`
/// (no local variables in scope). `fold` does the work for a node not seen yet.
pub(super) fn fold_cached(
    budget: &Budget,
    cache: &FoldCache,
    node_id: usize,
    depth: usize,
    cacheable: bool,
    fold: impl FnOnce() -> Option<Folded>,
) -> Option<Folded> {
    if depth > budget.limits.max_fold_depth {
        budget.hit(LimitHit::FoldDepth);
        return None;
    }
    if !budget.step() {
        return None;
    }
    if cacheable {
        if let Some(hit) = cache.borrow().get(&node_id) {
            return hit.clone();
        }
    }
    let _frame = budget.enter()?;
    let out = fold();
    // A value folded while the budget ran out may be cut short: not kept.
    if cacheable && !budget.spent() {
        cache.borrow_mut().insert(node_id, out.clone());
    }
    out
}

/// Remembered concatenation prefixes per folder: enough for every chain of ordinary code,
/// bounded for 100 KB payloads built from thousands of pieces.
const PREFIX_CACHE_BYTES: usize = 8 << 20;

/// Which prefixes of long `+` / `.` chains a folder remembers. Queries visit every prefix of a
/// chain, so remembering them keeps the work linear; but every remembered prefix is a copy, and
/// remembering all of them made a 100 KB literal built from 1,500 pieces cost 90 MB (or, counted
/// against the decoded-bytes cap, lose the whole string). So: short prefixes and one every 4 KB,
/// within a per-folder allowance; folding an inner prefix later walks down at most to the
/// previous checkpoint.
#[derive(Default)]
pub(super) struct PrefixMemo {
    used: Cell<usize>,
}

impl PrefixMemo {
    /// Whether to remember a prefix that grew from `before` to `size` bytes (counted if so).
    fn admit(&self, before: usize, size: usize) -> bool {
        let checkpoint = size <= 4096 || before / 4096 != size / 4096;
        let used = self.used.get();
        let admitted = checkpoint && used + size <= PREFIX_CACHE_BYTES;
        if admitted {
            self.used.set(used + size);
        }
        admitted
    }
}

/// `a OP b OP c OP …` folded left to right without recursing down the left spine (obfuscators
/// build strings from thousands of pieces, deeper than the depth cap). Stops early at a prefix
/// already folded and remembers prefixes as [`PrefixMemo`] allows, when `cacheable`. `fold`
/// folds one operand; `join` adds a right operand to the value so far.
#[allow(clippy::too_many_arguments)]
pub(super) fn fold_left_chain<'a>(
    node: Node<'a>,
    src: &[u8],
    op: &str,
    cacheable: bool,
    cache: &FoldCache,
    memo: &PrefixMemo,
    mut fold: impl FnMut(Node<'a>) -> Option<Folded>,
    mut join: impl FnMut(Folded, Folded) -> Option<Folded>,
) -> Option<Folded> {
    let (spine, left) = left_spine(node, src, op, 100_000, |n| {
        cacheable && cache.borrow().contains_key(&n.id())
    })?;
    let mut acc = if cacheable && is_binary_op(left, src, op) {
        cache.borrow().get(&left.id()).cloned().flatten()
    } else {
        fold(left)
    };
    let bytes = |v: &Option<Folded>| v.as_ref().and_then(Folded::as_bytes).map_or(0, <[u8]>::len);
    // Innermost first: each spine node's value is the previous value plus its right side.
    for bin in spine.into_iter().rev() {
        let before = bytes(&acc);
        acc = match (acc, bin.field("right")) {
            (Some(l), Some(r)) => fold(r).and_then(|v| join(l, v)),
            _ => None,
        };
        if cacheable && bin != node && memo.admit(before, bytes(&acc)) {
            cache.borrow_mut().insert(bin.id(), acc.clone());
        }
    }
    acc
}

/// A string literal's body: its text without the first and last byte (the quotes).
pub(super) fn strip_quotes(raw: &[u8]) -> &[u8] {
    if raw.len() >= 2 {
        &raw[1..raw.len() - 1]
    } else {
        &[]
    }
}

/// `s` split at every `sep` (not empty), as PHP's `explode` and JavaScript's `split`.
pub(super) fn split(s: &[u8], sep: &[u8]) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for pos in memchr::memmem::find_iter(s, sep) {
        if pos < start {
            continue;
        }
        parts.push(s[start..pos].to_vec());
        start = pos + sep.len();
    }
    parts.push(s[start..].to_vec());
    parts
}

/// Every `from` in `s` replaced by `to`.
pub(super) fn replace_all(s: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    split(s, from).join(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_replace() {
        assert_eq!(split(b"a,,b", b","), [&b"a"[..], b"", b"b"]);
        assert_eq!(split(b"aaa", b"aa"), [&b""[..], b"a"]);
        assert_eq!(replace_all(b"e#v#al", b"#", b""), b"eval");
        assert_eq!(strip_quotes(b"'x'"), b"x");
        assert_eq!(strip_quotes(b"'"), b"");
    }
}

//! Helpers both folders use: the memoised fold under the budget, and byte-string pieces of
//! their builtins (splitting, replacing, a literal's quotes).

use std::cell::RefCell;
use std::collections::HashMap;

use super::budget::{Budget, LimitHit};
use super::value::Folded;

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
    if cacheable {
        cache.borrow_mut().insert(node_id, out.clone());
    }
    out
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

//! Parsing with tree-sitter: one parser per language per thread, a time budget per parse.

use std::cell::RefCell;
use std::ops::{ControlFlow, Range};
use std::time::{Duration, Instant};

use tree_sitter::{Node, ParseOptions, Parser, Tree};

use crate::syntax::lang::Lang;

thread_local! {
    static PARSERS: RefCell<Vec<(Lang, Parser)>> = const { RefCell::new(Vec::new()) };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The parse did not finish within the budget.
    Timeout,
    /// tree-sitter refused the input (for example, invalid included ranges).
    Failed,
}

/// Parses `text` (restricted to `ranges` when given, which keep the file's own offsets).
pub fn parse(
    lang: Lang,
    text: &[u8],
    ranges: Option<&[Range<usize>]>,
    budget: Duration,
) -> Result<Tree, ParseError> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let idx = match parsers.iter().position(|(l, _)| *l == lang) {
            Some(i) => i,
            None => {
                let mut p = Parser::new();
                p.set_language(&lang.grammar())
                    .map_err(|_| ParseError::Failed)?;
                parsers.push((lang, p));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[idx].1;
        let ts_ranges = match ranges {
            Some(r) => to_ts_ranges(text, r),
            None => Vec::new(),
        };
        if parser.set_included_ranges(&ts_ranges).is_err() {
            return Err(ParseError::Failed);
        }
        let deadline = Instant::now() + budget;
        let mut timed_out = false;
        let mut progress = |_: &tree_sitter::ParseState| {
            if Instant::now() > deadline {
                timed_out = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let len = text.len();
        let mut read = |offset: usize, _| {
            if offset < len {
                &text[offset..]
            } else {
                &[][..]
            }
        };
        let tree = parser.parse_with_options(
            &mut read,
            None,
            Some(ParseOptions::new().progress_callback(&mut progress)),
        );
        let _ = parser.set_included_ranges(&[]);
        match tree {
            Some(t) => Ok(t),
            None => {
                parser.reset();
                Err(if timed_out {
                    ParseError::Timeout
                } else {
                    ParseError::Failed
                })
            }
        }
    })
}

/// Syntax trees deeper than this are matched by rules only down to this depth. Measured here:
/// the query cursor keeps in-progress states per open ancestor, so on trees tens of thousands
/// of levels deep one query can take seconds (quadratic), and past ~65k levels matches are
/// silently dropped. Real code, even generated or minified, stays far below this.
pub const MAX_QUERY_DEPTH: usize = 4_000;

/// Is any node under `root` more than `limit` levels below it? Iterative (a cursor and a
/// counter), linear in the nodes visited, stops at the first node past the limit.
pub fn deeper_than(root: Node, limit: usize) -> bool {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            if depth > limit {
                return true;
            }
            continue;
        }
        loop {
            if depth == 0 {
                return false;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            depth -= 1;
        }
    }
}

fn to_ts_ranges(text: &[u8], ranges: &[Range<usize>]) -> Vec<tree_sitter::Range> {
    // Points must agree with byte offsets: compute rows/columns by scanning once.
    let mut out = Vec::with_capacity(ranges.len());
    let mut row = 0usize;
    let mut line_start = 0usize;
    let mut cursor = 0usize;
    let mut point_at = |offset: usize| {
        for (i, &b) in text[cursor..offset].iter().enumerate() {
            if b == b'\n' {
                row += 1;
                line_start = cursor + i + 1;
            }
        }
        cursor = offset;
        tree_sitter::Point {
            row,
            column: offset - line_start,
        }
    };
    let mut last_end = 0;
    for r in ranges {
        if r.start < last_end || r.end < r.start || r.end > text.len() {
            continue;
        }
        let start_point = point_at(r.start);
        let end_point = point_at(r.end);
        out.push(tree_sitter::Range {
            start_byte: r.start,
            end_byte: r.end,
            start_point,
            end_point,
        });
        last_end = r.end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_check_is_iterative_and_exact() {
        let text = format!("x = {}1{};", "(".repeat(300_000), ")".repeat(300_000));
        let tree = parse(
            Lang::Javascript,
            text.as_bytes(),
            None,
            Duration::from_secs(120),
        )
        .expect("parses");
        assert!(deeper_than(tree.root_node(), MAX_QUERY_DEPTH));
        let shallow = parse(Lang::Javascript, b"a(b(c));", None, Duration::from_secs(5)).unwrap();
        assert!(!deeper_than(shallow.root_node(), 10));
        // program > expression_statement > call_expression > arguments > call_expression > …
        assert!(deeper_than(shallow.root_node(), 3));
    }
}

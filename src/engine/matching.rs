//! Matches of a unit's query walk, buffered so that they can be checked rule by rule in
//! evaluation order (a rule's predicates may look at the matches of the rules it refers to).

use tree_sitter::{Node, QueryCapture, QueryMatch};

use crate::rules::RuleSet;

/// How many matches may be in progress at once in one walk: tree-sitter's default for one
/// rule's query was 4096; a merged query runs many rules' patterns side by side, so it gets
/// that much per rule (up to 64 rules' worth). Hostile inputs are bounded by the time budget.
pub(super) fn match_limit(matcher: &crate::rules::merge::Matcher) -> u32 {
    4096 * matcher.rule_count.clamp(1, 64) as u32
}

/// One match, as the predicates see it: the pattern (in its query) and its captures.
pub struct MatchView<'m, 'tree> {
    pub pattern_index: usize,
    captures: &'m [QueryCapture<'tree>],
}

impl<'m, 'tree> MatchView<'m, 'tree> {
    /// A match as the query cursor hands it out.
    pub fn of(m: &'m QueryMatch<'_, 'tree>) -> Self {
        MatchView {
            pattern_index: m.pattern_index,
            captures: m.captures(),
        }
    }

    pub fn captures(&self) -> &[QueryCapture<'tree>] {
        self.captures
    }

    pub fn nodes_for_capture_index(&self, capture: u32) -> impl Iterator<Item = Node<'tree>> + '_ {
        self.captures
            .iter()
            .filter(move |c| c.index == capture)
            .map(|c| c.node)
    }
}

/// A buffered match.
struct Rec {
    /// The rule's position in the evaluation order.
    rank: u32,
    rule: u32,
    /// Index into `Linked::queries`.
    query: u32,
    pattern: u32,
    caps: (u32, u32),
}

/// All matches of one unit, with their captures in one buffer.
#[derive(Default)]
pub(super) struct Found<'tree> {
    caps: Vec<QueryCapture<'tree>>,
    recs: Vec<Rec>,
}

impl<'tree> Found<'tree> {
    /// Buffers a match's captures once, for all the rules that own its pattern.
    pub fn push_captures(&mut self, m: &QueryMatch<'_, 'tree>) -> (u32, u32) {
        let start = self.caps.len() as u32;
        self.caps.extend_from_slice(m.captures());
        (start, self.caps.len() as u32)
    }

    /// Buffers a match (its captures pushed with [`Found::push_captures`]) for rule `rule`,
    /// whose compiled query is `Linked::queries[query]`.
    pub fn push(
        &mut self,
        rules: &RuleSet,
        (rule, query): (usize, usize),
        pattern: usize,
        caps: (u32, u32),
    ) {
        self.recs.push(Rec {
            rank: rules.rank.get(rule).copied().unwrap_or(usize::MAX) as u32,
            rule: rule as u32,
            query: query as u32,
            pattern: pattern as u32,
            caps,
        });
    }

    /// The matches grouped by rule, rules in evaluation order, each rule's matches in the order
    /// the walk found them: (rule index, [(index into `Linked::queries`, match)]).
    #[allow(clippy::type_complexity)]
    pub fn by_rule(
        &mut self,
    ) -> impl Iterator<
        Item = (
            usize,
            impl Iterator<Item = (usize, MatchView<'_, 'tree>)> + '_,
        ),
    > + '_ {
        // Stable: within a rule, the walk's order is kept.
        self.recs.sort_by_key(|r| r.rank);
        let caps = &self.caps;
        self.recs
            .chunk_by(|a, b| a.rule == b.rule)
            .map(move |chunk| {
                let rule = chunk.first().map_or(usize::MAX, |r| r.rule as usize);
                let views = chunk.iter().map(move |r| {
                    let captures = caps
                        .get(r.caps.0 as usize..r.caps.1 as usize)
                        .unwrap_or(&[]);
                    (
                        r.query as usize,
                        MatchView {
                            pattern_index: r.pattern as usize,
                            captures,
                        },
                    )
                });
                (rule, views)
            })
    }
}

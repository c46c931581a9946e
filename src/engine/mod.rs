//! Stage 5: running compiled rules on a file's units, recursing into decoded payloads, and
//! evaluating composites over the whole file.

mod flow;
mod layers;
mod matching;
mod predicates;

use std::collections::HashMap;
use std::ops::{ControlFlow, Range};

use tree_sitter::{QueryCursor, QueryCursorOptions, StreamingIterator};

use crate::fold::{Budget, Folded, Folder, LimitHit};
use crate::rules::{CompiledComposite, RuleSet, Severity, Target};
use crate::syntax::parse::{self, ParseError};
use crate::units::{FileUnits, ScriptSrc, Unit};

pub use layers::Layer;
use predicates::UnitFacts;

/// One rule match, located in the file (a span of the file's bytes) and, when it was found in a
/// decoded payload, the chain of layers that leads to it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub span: Range<usize>,
    pub message: String,
    pub layers: Vec<Layer>,
    /// Other places that contributed (composites).
    pub related: Vec<(Range<usize>, String)>,
}

/// Whether a unit's code runs. The file's own code runs, and so does what a sink runs or a
/// decoder produced (an `eval`'d or decoded payload). PHP code held in a plain string literal —
/// never decoded, and reaching no code sink and no file write through the unit's data flow — is
/// data: an encoder's input, a documentation example, a test fixture. It is still scanned (what
/// the text *is*: markup, hosts, card-field lists), but nothing in it runs, so no data flows
/// through it: `tainted-by` never holds in it, and rules that need request data to reach a sink
/// stay silent. Everything nested in a data layer is data too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Code,
    Data,
}

/// Everything the engine found in one file.
#[derive(Debug, Default)]
pub struct FileScan {
    pub hits: Vec<Hit>,
    /// Problems with parts of the file (parse timeouts, failures), as human sentences.
    pub problems: Vec<String>,
}

/// Scans every unit of a file with every rule, then evaluates composites.
pub fn scan_file(units: &FileUnits, rules: &RuleSet, budget: &Budget) -> FileScan {
    let mut scan = FileScan::default();
    for unit in &units.units {
        if budget.out_of_time() {
            break;
        }
        scan_unit(unit, rules, budget, 0, None, Role::Code, &mut scan);
    }
    scan_script_srcs(
        &units.script_srcs,
        rules,
        &budget.limits.allowed_hosts,
        &mut scan,
    );
    layers::scan_data_url_scripts(&units.script_srcs, rules, budget, 0, &mut scan);
    scan_text_items(
        &units.directives,
        Target::Htaccess,
        "{line}",
        rules,
        &budget.limits.allowed_hosts,
        &mut scan,
    );
    composites(rules, &mut scan);
    for hit in budget.hits() {
        scan.problems.push(hit.describe().to_string());
    }
    scan
}

/// Scans one unit; hits are pushed with spans in this unit's coordinates (the file's, for
/// units of the file itself).
pub(crate) fn scan_unit(
    unit: &Unit,
    rules: &RuleSet,
    budget: &Budget,
    depth: usize,
    caller_scope: Option<HashMap<String, Folded>>,
    role: Role,
    out: &mut FileScan,
) {
    let text = unit.text.as_slice();
    let tree = match parse::parse(
        unit.lang,
        text,
        unit.ranges.as_deref(),
        budget.limits.parse_budget.min(budget.remaining_time()),
    ) {
        Ok(t) => t,
        Err(ParseError::Timeout) => {
            out.problems.push(format!(
                "{} parse did not finish within the time budget",
                unit.lang.name()
            ));
            return;
        }
        Err(ParseError::Failed) => {
            out.problems.push(format!(
                "{} parser could not handle this input",
                unit.lang.name()
            ));
            return;
        }
    };
    let root = tree.root_node();
    let folder = Folder::in_scope(unit.lang, root, text, budget, caller_scope);
    let mut facts = UnitFacts::new(
        rules.rules.len(),
        &folder,
        &budget.limits.allowed_hosts,
        root,
        text,
        unit.lang,
        role,
    );
    let mut cursor = QueryCursor::new();
    // A tree cannot be deeper than it has nodes (`descendant_count` is O(1)): most units skip
    // the depth walk.
    if root.descendant_count() > parse::MAX_QUERY_DEPTH
        && folder.nodes().deeper_than(parse::MAX_QUERY_DEPTH)
    {
        // Queries slow down quadratically on very deep trees: match only the upper levels.
        cursor.set_max_start_depth(Some(parse::MAX_QUERY_DEPTH as u32));
        out.problems.push(format!(
            "{} code nests deeper than {} syntax levels; rules were not matched below that depth",
            unit.lang.name(),
            parse::MAX_QUERY_DEPTH
        ));
    }
    // Every query of the language walks the tree once (normally ONE merged query for all
    // rules); matches are buffered, then checked rule by rule in evaluation order, so a rule's
    // predicates see the marks of the rules it depends on.
    let linked = rules.linked(unit.lang);
    let mut found = matching::Found::default();
    let mut deadline_hit = false;
    let lookahead = budget.lookahead();
    for matcher in &linked.matchers {
        cursor.set_match_limit(matching::match_limit(matcher));
        let hit = std::cell::Cell::new(false);
        let mut progress = |_: &tree_sitter::QueryCursorState| {
            if budget.out_of_time() {
                hit.set(true);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = QueryCursorOptions::new().progress_callback(&mut progress);
        let mut matches = cursor.matches_with_options(&matcher.query, root, text, options);
        while let Some(m) = matches.next() {
            // Constraints on a capture's own text and value hold or fail whatever other rules
            // match: checked now (a look-ahead of the budget), so that only matches that may
            // hold are buffered; once the look-ahead has spent its allowance, all are.
            let Some(owners) = matcher.owners.get(m.pattern_index) else {
                continue;
            };
            let view = matching::MatchView::of(m);
            let mut caps = None;
            for &(ri, qi) in owners {
                if lookahead.spent()
                    || linked
                        .queries
                        .get(qi)
                        .is_none_or(|q| facts.values_may_hold(q, &view))
                {
                    let caps = *caps.get_or_insert_with(|| found.push_captures(m));
                    found.push(rules, (ri, qi), m.pattern_index, caps);
                }
            }
        }
        drop(matches);
        if hit.get() {
            deadline_hit = true;
            break;
        }
    }
    drop(lookahead);
    for (ri, group) in found.by_rule() {
        let Some(rule) = rules.rules.get(ri) else {
            continue;
        };
        let mut hits = Vec::new();
        for (qi, m) in group {
            // Checking matches folds and follows data flow: keep to the file's time budget
            // (with one walk per rule, the walk's progress callback used to stop it).
            if deadline_hit || budget.out_of_time() {
                deadline_hit = true;
                break;
            }
            let Some(q) = linked.queries.get(qi) else {
                continue;
            };
            if let Some(hit) = facts.check_match(ri, rule, q, &m) {
                hits.push(hit);
            }
        }
        for (span, message, trace) in hits {
            facts.mark(ri, span.clone());
            // Back to the unit's own offsets when a prefix was added to make it parse.
            let shift = |r: &Range<usize>| {
                r.start.saturating_sub(unit.prefix)..r.end.saturating_sub(unit.prefix)
            };
            out.hits.push(Hit {
                rule: ri,
                span: shift(&span),
                message,
                layers: Vec::new(),
                related: trace.iter().map(|(r, m)| (shift(r), m.clone())).collect(),
            });
        }
    }
    if deadline_hit {
        budget.hit(LimitHit::TimeBudget);
        return;
    }
    // Scripts the code loads at run time: `injected-src` rules judge their addresses.
    if rules.rules.iter().any(|r| {
        r.text_rule
            .as_ref()
            .is_some_and(|(t, _)| *t == Target::InjectedSrc)
    }) {
        let loads: Vec<ScriptSrc> = folder
            .script_loads()
            .into_iter()
            .filter_map(|n| {
                // Unknown parts of a built address become NUL bytes: the host is still judged.
                let url = folder
                    .value_lossy(n)
                    .or_else(|| folder.value_in_context(n).and_then(|v| v.to_text()))?;
                let decoders = folder.value(n).map(|v| v.decoders).unwrap_or_default();
                Some(ScriptSrc {
                    url: String::from_utf8_lossy(&url).into_owned(),
                    decoders,
                    span: n.start_byte().saturating_sub(unit.prefix)
                        ..n.end_byte().saturating_sub(unit.prefix),
                })
            })
            .collect();
        scan_text_items(
            &loads,
            Target::InjectedSrc,
            "{src}",
            rules,
            &budget.limits.allowed_hosts,
            out,
        );
        layers::scan_data_url_scripts(&loads, rules, budget, depth, out);
    }
    layers::scan_payloads(&folder, &facts, unit, rules, budget, depth, role, out);
}

/// `script-src` rules on the addresses markup loads scripts from.
pub(crate) fn scan_script_srcs(
    srcs: &[ScriptSrc],
    rules: &RuleSet,
    allowed_hosts: &[String],
    out: &mut FileScan,
) {
    scan_text_items(srcs, Target::ScriptSrc, "{src}", rules, allowed_hosts, out);
}

/// Rules on text items rather than syntax trees: `script-src` addresses, `htaccess` lines.
pub(crate) fn scan_text_items(
    items: &[ScriptSrc],
    target: Target,
    placeholder: &str,
    rules: &RuleSet,
    allowed_hosts: &[String],
    out: &mut FileScan,
) {
    for &ri in &rules.order {
        let rule = &rules.rules[ri];
        let Some((t, c)) = &rule.text_rule else {
            continue;
        };
        if *t != target {
            continue;
        }
        for s in items
            .iter()
            .filter(|s| predicates::value_holds(c, &predicates::TextItem(s), allowed_hosts))
        {
            let message = rule
                .meta
                .message
                .replace(placeholder, &predicates::short(&s.url, 100));
            out.hits.push(Hit {
                rule: ri,
                span: s.span.clone(),
                message,
                layers: Vec::new(),
                related: Vec::new(),
            });
        }
    }
}

/// Composite rules: all of `all` and at least `min-any` of `any` matched in the file — within
/// `within` bytes of each other when the composite asks for locality.
fn composites(rules: &RuleSet, scan: &mut FileScan) {
    for &ri in &rules.order {
        let rule = &rules.rules[ri];
        let Some(composite) = &rule.composite else {
            continue;
        };
        if composite
            .none
            .iter()
            .any(|&n| scan.hits.iter().any(|h| h.rule == n))
        {
            continue;
        }
        // The matches of the rules it combines, in file order.
        let mut candidates: Vec<&Hit> = scan
            .hits
            .iter()
            .filter(|h| composite.all.contains(&h.rule) || composite.any.contains(&h.rule))
            .collect();
        candidates.sort_by_key(|h| h.span.start);
        let starts: Vec<(usize, usize)> =
            candidates.iter().map(|h| (h.rule, h.span.start)).collect();
        let Some(window) = find_window(&starts, composite) else {
            continue;
        };
        let window = &candidates[window];
        // The first match of each rule that counts in the window (all of `all`, then every
        // `any` rule that matched there, not just `min-any` of them).
        let counted = |id: usize| {
            let need = composite.need(id);
            let mut of_rule = window.iter().filter(|h| h.rule == id);
            let first = of_rule.next().copied();
            (1 + of_rule.count() >= need).then_some(first).flatten()
        };
        let contributing: Vec<&Hit> = composite
            .all
            .iter()
            .chain(&composite.any)
            .filter_map(|&i| counted(i))
            .collect();
        let Some(primary) = contributing.iter().min_by_key(|h| h.span.start) else {
            continue;
        };
        let related = contributing
            .iter()
            .map(|h| {
                (
                    h.span.clone(),
                    format!("{}: {}", rules.rules[h.rule].id(), h.message),
                )
            })
            .collect();
        let names: Vec<&str> = contributing
            .iter()
            .map(|h| rules.rules[h.rule].id())
            .collect();
        let message = format!("{} ({})", rule.meta.message, names.join(", "));
        let hit = Hit {
            rule: ri,
            span: primary.span.clone(),
            message,
            layers: primary.layers.clone(),
            related,
        };
        scan.hits.push(hit);
    }
}

/// The window of matches that satisfies a composite: `starts` are (rule, span start) of the
/// matches of its `all` and `any` rules sorted by start. Returns the index range of the first
/// satisfying window, grown to every match within `within` bytes of its first one (the whole
/// list without `within`). A sliding window: the right end advances one match at a time and
/// the left end follows it so the window never spans more than `within` bytes.
fn find_window(starts: &[(usize, usize)], c: &CompiledComposite) -> Option<Range<usize>> {
    let within = c.within.unwrap_or(usize::MAX);
    let mut counts: std::collections::HashMap<usize, usize> = Default::default();
    let satisfied = |counts: &std::collections::HashMap<usize, usize>| {
        let has = |id: &usize| counts.get(id).copied().unwrap_or(0) >= c.need(*id);
        c.all.iter().all(has)
            && (c.any.is_empty() || c.any.iter().filter(|id| has(id)).count() >= c.min_any)
    };
    let mut left = 0;
    for (right, &(rule, start)) in starts.iter().enumerate() {
        *counts.entry(rule).or_default() += 1;
        while start - starts[left].1 > within {
            if let Some(n) = counts.get_mut(&starts[left].0) {
                *n -= 1;
            }
            left += 1;
        }
        if satisfied(&counts) {
            let limit = starts[left].1.saturating_add(within);
            let end = right + starts[right..].iter().take_while(|s| s.1 <= limit).count();
            return Some(left..end);
        }
    }
    None
}

/// Hits that are reported (not signals), deduplicated.
pub fn reported_hits(rules: &RuleSet, mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.retain(|h| rules.rules[h.rule].severity() != Severity::Signal);
    hits.sort_by(|a, b| {
        (a.span.start, a.rule, &a.message).cmp(&(b.span.start, b.rule, &b.message))
    });
    hits.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.layers == b.layers);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composite(
        all: &[usize],
        any: &[usize],
        min_any: usize,
        within: Option<usize>,
    ) -> CompiledComposite {
        CompiledComposite {
            all: all.to_vec(),
            any: any.to_vec(),
            min_any,
            none: Vec::new(),
            min_matches: Default::default(),
            within,
        }
    }

    #[test]
    fn window_search_needs_every_all_rule_and_min_any_any_rules_close_together() {
        // Rules 0 and 1 are `all`, 2 and 3 `any`.
        let c = composite(&[0, 1], &[2, 3], 1, Some(100));
        // Spread out: each pair of neighbours is over 100 bytes apart.
        let spread = [(0, 0), (1, 500), (2, 1000), (3, 5000)];
        assert_eq!(find_window(&spread, &c), None);
        // Without locality the same matches are enough.
        assert_eq!(
            find_window(&spread, &composite(&[0, 1], &[2, 3], 1, None)),
            Some(0..4)
        );
        // A tight cluster after unrelated early matches: the window slides to it, and is grown to
        // every match within 100 bytes of its first one.
        let late = [
            (0, 0),
            (2, 50),
            (1, 400),
            (0, 420),
            (2, 480),
            (3, 499),
            (1, 900),
        ];
        assert_eq!(find_window(&late, &c), Some(2..6));
        // Exactly `within` bytes apart still counts; one more does not.
        assert_eq!(find_window(&[(0, 10), (1, 60), (2, 110)], &c), Some(0..3));
        assert_eq!(find_window(&[(0, 10), (1, 60), (2, 111)], &c), None);
        // `min-any = 2`: both `any` rules must be in the window.
        let c2 = composite(&[0], &[2, 3], 2, Some(100));
        assert_eq!(find_window(&[(2, 0), (0, 90), (3, 150)], &c2), None);
        assert_eq!(find_window(&[(2, 60), (0, 90), (3, 150)], &c2), Some(0..3));
    }

    #[test]
    fn window_search_counts_min_matches_inside_the_window() {
        let mut c = composite(&[], &[0, 1], 2, Some(100));
        c.min_matches.insert(0, 3);
        // Three matches of rule 0 in the file, but only two near rule 1.
        assert_eq!(
            find_window(&[(0, 0), (0, 300), (0, 320), (1, 350)], &c),
            None
        );
        assert_eq!(
            find_window(&[(0, 0), (0, 260), (0, 300), (0, 320), (1, 350)], &c),
            Some(1..5)
        );
        // Matches at one position (a decoded payload's, located at its carrier) are local.
        assert_eq!(
            find_window(&[(1, 7), (0, 7), (0, 7), (0, 7)], &c),
            Some(0..4)
        );
    }
}

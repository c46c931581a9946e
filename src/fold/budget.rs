//! Limits on how much work folding and decoding may do for one file.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// Hard limits so hostile input cannot make skimlint slow or large. All configurable.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest output of a single decompression.
    pub max_inflate_bytes: usize,
    /// Total bytes all decoders may produce for one file.
    pub max_decoded_bytes_per_file: usize,
    /// Decoded payloads nested inside decoded payloads.
    pub max_layer_depth: usize,
    /// How deep folding may recurse into one expression.
    pub max_fold_depth: usize,
    /// Steps the static evaluator may take for one file.
    pub max_eval_steps: u64,
    /// Wall-clock budget for parsing one unit.
    pub parse_budget: Duration,
    /// Wall-clock budget for folding and matching one file.
    pub file_budget: Duration,
    /// Files larger than this are skipped with a diagnostic.
    pub max_file_bytes: u64,
    /// Hosts judged trusted besides the built-in list: the shop's own domains and providers,
    /// the `[hosts] allow` patterns of skimlint.toml as written (`shop.example.com` that host
    /// only, `*.example.com` its subdomains), matched by `hosts::allow_pattern_matches`.
    pub allowed_hosts: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_inflate_bytes: 8 << 20,
            max_decoded_bytes_per_file: 32 << 20,
            max_layer_depth: 8,
            max_fold_depth: 160,
            max_eval_steps: 2_000_000,
            parse_budget: Duration::from_secs(5),
            file_budget: Duration::from_secs(10),
            max_file_bytes: 16 << 20,
            allowed_hosts: Vec::new(),
        }
    }
}

/// A limit that was reached while scanning a file: reported, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitHit {
    InflateCap,
    DecodedBytesCap,
    LayerDepth,
    FoldDepth,
    EvalSteps,
    TimeBudget,
    FlowSize,
}

impl LimitHit {
    pub fn describe(self) -> &'static str {
        match self {
            LimitHit::InflateCap => "a decompressed payload was truncated at the inflate cap",
            LimitHit::DecodedBytesCap => "decoding stopped at the per-file decoded-bytes cap",
            LimitHit::LayerDepth => "decoded payloads nest deeper than the layer-depth cap",
            LimitHit::FoldDepth => "an expression nests deeper than the folding depth cap",
            LimitHit::EvalSteps => "static evaluation stopped at its step budget",
            LimitHit::TimeBudget => "the per-file time budget ran out; later checks were skipped",
            LimitHit::FlowSize => {
                "data-flow analysis stopped at its size cap; some calls were not followed"
            }
        }
    }
}

/// The running account of one file's budget.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    decoded: Cell<usize>,
    steps: Cell<u64>,
    deadline: Instant,
    /// Set once the deadline has passed.
    expired: Cell<bool>,
    hits: RefCell<Vec<LimitHit>>,
    /// Recursive evaluator frames alive right now (see [`Budget::enter`]).
    live_depth: Cell<usize>,
}

/// A recursion frame counted by [`Budget::enter`]; leaving it (dropping) uncounts it.
#[must_use]
pub struct DepthGuard<'b>(&'b Budget);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0
            .live_depth
            .set(self.0.live_depth.get().saturating_sub(1));
    }
}

/// A look-ahead (see [`Budget::lookahead`]): the steps taken and step-budget hits recorded
/// while it lives are given back when it is dropped.
#[must_use]
pub struct Lookahead<'b> {
    budget: &'b Budget,
    steps: u64,
    hits: usize,
    /// Steps it may take: half of what was left, so it never spends the budget it gives back.
    allowance: u64,
}

impl Lookahead<'_> {
    /// Has the look-ahead taken its allowance (stop looking ahead)?
    pub fn spent(&self) -> bool {
        self.budget.steps.get().saturating_sub(self.steps) >= self.allowance
            || self.budget.expired.get()
    }
}

impl Drop for Lookahead<'_> {
    fn drop(&mut self) {
        self.budget.steps.set(self.steps);
        // A time-budget hit is real; a step-budget hit inside the look-ahead is not.
        let mut hits = self.budget.hits.borrow_mut();
        let mut i = self.hits;
        while i < hits.len() {
            if hits[i] == LimitHit::EvalSteps {
                hits.remove(i);
            } else {
                i += 1;
            }
        }
    }
}

impl Budget {
    /// Starts a look-ahead: work done early, in another order than the one that counts (the
    /// engine folds the values of a unit's query matches while it walks the tree, to keep
    /// only those that may hold). Its steps are given back when it ends, so what a file that
    /// runs out of steps reports does not depend on that order; it may take half of the steps
    /// left ([`Lookahead::spent`]).
    pub fn lookahead(&self) -> Lookahead<'_> {
        let steps = self.steps.get();
        Lookahead {
            budget: self,
            steps,
            hits: self.hits.borrow().len(),
            allowance: self.limits.max_eval_steps.saturating_sub(steps) / 2,
        }
    }

    /// Is the step or time budget spent? (What was folded since may be cut short.)
    pub fn spent(&self) -> bool {
        self.steps.get() > self.limits.max_eval_steps || self.expired.get()
    }

    pub fn new(limits: Limits) -> Self {
        let deadline = Instant::now() + limits.file_budget;
        Budget {
            limits,
            decoded: Cell::new(0),
            steps: Cell::new(0),
            deadline,
            expired: Cell::new(false),
            hits: RefCell::default(),
            live_depth: Cell::new(0),
        }
    }

    /// Counts one frame of evaluator recursion, whatever path led to it. The evaluators pass a
    /// `depth` down their calls, but some entry points (callee names, variable names) restart
    /// it at zero; this counter of frames actually on the stack cannot be restarted, so no
    /// input can make folding recurse deeper than `4 × max_fold_depth` frames. `None` (and a
    /// recorded `FoldDepth` hit) when that is reached.
    pub fn enter(&self) -> Option<DepthGuard<'_>> {
        let d = self.live_depth.get() + 1;
        if d > self.limits.max_fold_depth.saturating_mul(4) {
            self.hit(LimitHit::FoldDepth);
            return None;
        }
        self.live_depth.set(d);
        Some(DepthGuard(self))
    }

    pub fn hit(&self, what: LimitHit) {
        let mut hits = self.hits.borrow_mut();
        if !hits.contains(&what) {
            hits.push(what);
        }
    }

    pub fn hits(&self) -> Vec<LimitHit> {
        let mut h = self.hits.borrow().clone();
        h.sort();
        h
    }

    /// Accounts for `n` decoded bytes; false (and a recorded hit) when over the cap.
    pub fn take_decoded(&self, n: usize) -> bool {
        let total = self.decoded.get().saturating_add(n);
        if total > self.limits.max_decoded_bytes_per_file {
            self.hit(LimitHit::DecodedBytesCap);
            return false;
        }
        self.decoded.set(total);
        true
    }

    /// Accounts for one evaluation step; false when the step or time budget is spent.
    pub fn step(&self) -> bool {
        let s = self.steps.get() + 1;
        self.steps.set(s);
        if s > self.limits.max_eval_steps {
            self.hit(LimitHit::EvalSteps);
            return false;
        }
        // A step can be costly (a loop body that copies a large array), so the clock is read
        // often; once the time is spent, every later step fails at once.
        if self.expired.get() || (s.is_multiple_of(64) && self.out_of_time()) {
            return false;
        }
        true
    }

    /// Accounts for copying `bytes` bytes of a folded value: one step per KiB, so that code
    /// copying large values in a loop runs out of steps, not of the file's time.
    pub fn copy(&self, bytes: usize) -> bool {
        let extra = (bytes >> 10) as u64;
        if extra == 0 {
            return true;
        }
        let s = self.steps.get().saturating_add(extra);
        self.steps.set(s);
        if s > self.limits.max_eval_steps {
            self.hit(LimitHit::EvalSteps);
            return false;
        }
        !self.out_of_time()
    }

    pub fn out_of_time(&self) -> bool {
        if self.expired.get() {
            return true;
        }
        if Instant::now() > self.deadline {
            self.hit(LimitHit::TimeBudget);
            self.expired.set(true);
            true
        } else {
            false
        }
    }

    pub fn remaining_time(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(steps: u64) -> Budget {
        Budget::new(Limits {
            max_eval_steps: steps,
            ..Limits::default()
        })
    }

    #[test]
    fn a_lookahead_gives_its_steps_back_and_stops_at_half_of_what_is_left() {
        let b = budget(100);
        for _ in 0..20 {
            assert!(b.step());
        }
        {
            let ahead = b.lookahead();
            // 80 steps were left: the look-ahead may take 40.
            for _ in 0..39 {
                assert!(b.step());
            }
            assert!(!ahead.spent());
            assert!(b.step());
            assert!(ahead.spent());
        }
        // Given back: 80 steps are left again.
        for _ in 0..80 {
            assert!(b.step());
        }
        assert!(!b.step());
        assert_eq!(b.hits(), vec![LimitHit::EvalSteps]);
    }

    #[test]
    fn a_step_budget_hit_inside_a_lookahead_is_not_reported() {
        let b = budget(10);
        {
            let _ahead = b.lookahead();
            while b.step() {}
            assert!(b.spent());
        }
        assert!(!b.spent());
        assert!(b.hits().is_empty());
        assert!(b.step());
    }
}

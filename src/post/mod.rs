//! Passes over a finished scan's sorted findings: inline suppressions, the baseline and
//! `skimlint diff`. They never read the scanned files.

pub mod baseline;
pub mod diff;
pub mod suppress;

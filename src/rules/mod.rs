//! Rules are data: TOML files under `rules/` (embedded in the binary at build time) plus any
//! folders given with `--rules`. This module loads, validates and compiles them once per run.

// Rule errors carry the rule file text for positioned diagnostics; they happen once, at start-up,
// so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod compile;
pub mod lazy_regex;
pub mod load;
pub mod merge;
pub mod prefilter;
pub mod schema;
pub mod vocabulary;

pub use compile::{CompiledComposite, CompiledConstraint, CompiledQuery, Rule, RuleSet};
pub use load::{load_builtin_and, RuleError};
pub use schema::{Precision, Severity, Target};

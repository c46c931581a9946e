//! skimlint: a static-analysis linter for web-skimming (Magecart) code and backdoors in
//! storefront themes and plugins.
//!
//! The house, one folder per pipeline stage (docs/architecture.md):
//! `input` (paths, archives, bytes) → `units` → `syntax` → `fold` → `engine` (with `rules`)
//! → `finding`, driven per file by `scan`; then `post` (suppressions, baseline, diff) and
//! `report`.

pub mod annotated;
pub mod decode;
pub mod engine;
pub mod finding;
pub mod fold;
pub mod hosts;
pub mod input;
pub mod post;
pub mod report;
pub mod rules;
pub mod scan;
pub mod syntax;
pub mod testing;
pub mod units;

//! skimlint: a static-analysis linter for web-skimming (Magecart) code and backdoors in
//! storefront themes and plugins.
//!
//! The pipeline, one module per stage:
//! `discover` → `units` → `parse` → `fold` → `engine` (with `rules`) → `report`,
//! orchestrated by `scan`.

pub mod annotated;
pub mod archive;
pub mod baseline;
pub mod batch;
pub mod cache;
pub mod config;
pub mod diff;
pub mod discover;
pub mod engine;
pub mod fold;
pub mod hosts;
pub mod invalid_file;
pub mod lang;
pub mod manifest;
pub mod parse;
pub mod prefilter;
pub mod profile;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod testing;
pub mod units;

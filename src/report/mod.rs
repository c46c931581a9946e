//! Stage 6: rendering findings. Every format reads the same sorted `ScanResult`.

pub mod concise;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod rebase;
pub mod sanitize;
pub mod sarif;
pub mod step_summary;
pub mod summary;

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source excerpts (the default on a terminal).
    Full,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// A stable JSON document (see docs/json.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// A self-contained HTML page for reviewers (no scripts, no external resources).
    Html,
}

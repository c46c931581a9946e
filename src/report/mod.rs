//! Stage 6: rendering findings. Every format reads the same sorted `ScanResult` and implements
//! [`Report`] (as ruff's emitters do); the chain of decoded layers is spelled once, in
//! `chain.rs`.

pub mod chain;
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

use std::io::Write;
use std::sync::Arc;

use clap::ValueEnum;

use crate::rules::RuleSet;
use crate::scan::ScanResult;

/// Finds a reported file (or archive member) again by its display path, for excerpts.
pub type Reread<'a> = &'a dyn Fn(&str) -> Option<Arc<Vec<u8>>>;

/// What a format may need besides the findings.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    /// The bytes of a reported file, for excerpts (`full`, `html`); when it finds nothing the
    /// one-line snippet stands in.
    pub reread: Reread<'a>,
    /// Colour (`full` on a terminal without `NO_COLOR`).
    pub colour: bool,
    /// SARIF `%SRCROOT%`.
    pub srcroot: Option<&'a str>,
    /// SARIF `automationDetails` category.
    pub category: &'a str,
}

/// A report format: writes a whole report of `result` to `out`.
pub trait Report {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, cx: &Context) -> std::io::Result<()>;
}

/// `full`: diagnostics with excerpts, then the totals line.
pub struct Full;
/// `concise`: one line per finding.
pub struct Concise;
/// `json`: the stable document.
pub struct Json;
/// `sarif`: SARIF 2.1.0.
pub struct Sarif;
/// `github`: workflow annotations.
pub struct Github;
/// `html`: the reviewers' page.
pub struct Html;
/// The markdown job summary (`--step-summary`): `link_base` turns paths into links, `capped`
/// says how this step's annotations were capped.
pub struct StepSummary<'a> {
    pub link_base: Option<&'a str>,
    pub capped: Option<&'a github::Capped>,
}

impl Report for Full {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, cx: &Context) -> std::io::Result<()> {
        human::write(out, result, cx.rules, cx.colour, cx.reread)?;
        summary::write_totals(out, result)
    }
}

impl Report for Concise {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, _: &Context) -> std::io::Result<()> {
        concise::write(out, result)
    }
}

impl Report for Json {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, _: &Context) -> std::io::Result<()> {
        json::write(out, result)
    }
}

impl Report for Sarif {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, cx: &Context) -> std::io::Result<()> {
        sarif::write(out, result, cx.rules, cx.srcroot, cx.category)
    }
}

impl Report for Github {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, _: &Context) -> std::io::Result<()> {
        github::write(out, result)
    }
}

impl Report for Html {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, cx: &Context) -> std::io::Result<()> {
        html::write(out, result, cx.rules, cx.reread)
    }
}

impl Report for StepSummary<'_> {
    fn write(&self, out: &mut dyn Write, result: &ScanResult, _: &Context) -> std::io::Result<()> {
        step_summary::write(out, result, self.link_base, self.capped)
    }
}

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

impl Format {
    /// The format's report.
    pub fn report(self) -> &'static dyn Report {
        match self {
            Format::Full => &Full,
            Format::Concise => &Concise,
            Format::Json => &Json,
            Format::Sarif => &Sarif,
            Format::Github => &Github,
            Format::Html => &Html,
        }
    }

    /// Paths relative to the repository root, as GitHub resolves them (`sarif`, `github`).
    pub fn repository_relative(self) -> bool {
        matches!(self, Format::Sarif | Format::Github)
    }
}

//! The command line as clap parses it: every subcommand and flag, each documented where it is
//! defined (these doc comments are the `--help` text). Low-level arguments only; they are
//! resolved into one `Settings` in `settings.rs` (as ripgrep turns low-level args into
//! high-level ones).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use skimlint::report::Format;
use skimlint::rules::Severity;

#[derive(Parser)]
#[command(
    name = "skimlint",
    version,
    about = "Finds web-skimming (Magecart) code and backdoors in storefront themes and plugins"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan files and folders (default: the current folder).
    Check(CheckArgs),
    /// Report only the findings of NEW that OLD does not have (two versions of a theme/plugin).
    Diff(DiffArgs),
    /// List, explain and test rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Known-good manifests of official releases (for `check --known-good`).
    Manifest {
        #[command(subcommand)]
        command: ManifestCommand,
    },
}

#[derive(Subcommand)]
pub enum ManifestCommand {
    /// Record the path, size and SHA-256 of every file of a release (a folder, or a .zip,
    /// .tar, .tar.gz or .tgz read in memory) as a JSON manifest (docs/manifest.md).
    Create {
        /// The release: a folder or an archive.
        source: PathBuf,
        /// The manifest file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Keep an archive's single top folder (`wordpress/`) in the paths.
        #[arg(long)]
        keep_top_folder: bool,
    },
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or folders to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Report only findings whose fingerprint is not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of all current findings to FILE (JSON) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The old version: a folder or an archive (.zip, .tar, .tar.gz, .tgz).
    pub old: PathBuf,
    /// The new version, a folder or an archive; reported paths are inside it.
    pub new: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Options shared by `check` and `diff`.
#[derive(clap::Args)]
pub struct ScanArgs {
    /// Output format. Default: `full` on a terminal, `concise` otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this level exists.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Extra folder of rule files (repeatable); a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Skip files larger than this many bytes (overrides the configuration file).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Configuration file (default for `check`: the nearest skimlint.toml above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not look for a skimlint.toml (the scanned tree may have been written by an attacker).
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Ignore skimlint-ignore comments: report everything (attackers can write them too).
    #[arg(long)]
    pub no_ignores: bool,
    /// Scan only part K of N of the files (`K/N`, 1 ≤ K ≤ N), chosen by a stable hash of each
    /// file's display path; run the N parts anywhere and concatenate their findings.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    pub partition: Option<(u64, u64)>,
    /// Developers only: scan every file fully, without the byte-level prefilter (the tests
    /// compare both).
    #[arg(long, hide = true)]
    pub no_prefilter: bool,
    /// Print the per-archive summary table to stderr (always shown with `--format full`).
    #[arg(long)]
    pub summary: bool,
    /// `sarif` and `github` paths are relative to DIR (default for `check`: the git work tree
    /// around the first path, else the current folder; for `diff`: NEW).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// SARIF `automationDetails.id` is `CATEGORY/`: code scanning keeps the latest upload per
    /// category (default: `skimlint`, or `skimlint/part-K-of-N` with `--partition`).
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Also print GitHub workflow annotations on stdout (the report goes to `--output`): at
    /// most 10 per level, as GitHub keeps, the rest as plain lines.
    #[arg(long)]
    pub annotate: bool,
    /// Append a markdown summary (counts by severity, top findings with links) to FILE, e.g.
    /// `$GITHUB_STEP_SUMMARY`.
    #[arg(long, value_name = "FILE")]
    pub step_summary: Option<PathBuf>,
    /// A known-good manifest (`skimlint manifest create`; repeatable): files matching it are
    /// not analysed, changed files and new code files in its folders are reported.
    #[arg(long = "known-good", value_name = "FILE")]
    pub known_good: Vec<PathBuf>,
    /// Do not read or write the result cache (also: SKIMLINT_NO_CACHE=1).
    #[arg(long)]
    pub no_cache: bool,
    /// The result cache folder (default: SKIMLINT_CACHE_DIR, $XDG_CACHE_HOME/skimlint or
    /// ~/.cache/skimlint).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Who reads the report: `review` (marketplace reviewers) raises packed, encoded and
    /// obfuscated code and scripts from untrusted hosts from note to warning. Default: the
    /// configuration file's `profile`, else `default`.
    #[arg(long, value_enum)]
    pub profile: Option<skimlint::scan::profile::Profile>,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// One line per rule: id, severity, summary.
    List {
        /// Extra folder of rule files (repeatable), listed with the built-in rules.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// A rule's full documentation.
    Explain {
        /// The rule's id, e.g. `js/eval-of-decoded-string`.
        id: String,
        /// Extra folder of rule files (repeatable), searched with the built-in rules.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run the `[[case]]` examples of the built-in rules plus those in DIR, and the annotated
    /// fixture files (`// ruleid: ID`, `// ok: ID` before a line) under DIR.
    Test {
        /// Folders of extra rule files and annotated fixtures.
        dirs: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when an error is found.
    Error,
    /// Exit 1 when a warning or an error is found.
    Warning,
    /// Exit 1 when any finding is reported.
    Note,
    /// Never exit 1 because of findings.
    None,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::None => None,
        }
    }
}

/// `K/N` with 1 ≤ K ≤ N.
pub fn parse_partition(s: &str) -> Result<(u64, u64), String> {
    let err = || format!("`{s}` is not K/N with 1 <= K <= N");
    let (k, n) = s.split_once('/').ok_or_else(err)?;
    let k: u64 = k.trim().parse().map_err(|_| err())?;
    let n: u64 = n.trim().parse().map_err(|_| err())?;
    if n == 0 || k == 0 || k > n {
        return Err(err());
    }
    Ok((k, n))
}

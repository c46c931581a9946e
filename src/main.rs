//! The `skimlint` command line.

/// glibc raises its mmap threshold each time a large block is freed, after which large blocks
/// come from per-thread heaps that keep their peak: two workers then held the memory of the
/// two largest files they had each seen. A fixed threshold returns large blocks at once.
fn limit_retained_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any worker thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use skimlint::archive::{self, ArchiveLimits};
use skimlint::baseline::Baseline;
use skimlint::batch::{self, NoProgress, Progress, TerminalProgress};
use skimlint::config::{self, Config};
use skimlint::report::{self, Format};
use skimlint::rules::{self, RuleSet, Severity};
use skimlint::scan::{scan_paths_with_progress, ScanOptions, ScanResult};
use skimlint::suppress;
use skimlint::{annotated, testing};

#[derive(Parser)]
#[command(
    name = "skimlint",
    version,
    about = "Finds web-skimming (Magecart) code and backdoors in storefront themes and plugins"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and folders (default: the current folder).
    Check(CheckArgs),
    /// Report only the findings of NEW that OLD does not have (two versions of a theme/plugin).
    Diff(DiffArgs),
    /// List, explain and test rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to scan.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
    /// Report only findings whose fingerprint is not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the fingerprints of all current findings to FILE (JSON) and exit 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The old version (a folder).
    old: PathBuf,
    /// The new version (a folder); reported paths are relative to it.
    new: PathBuf,
    #[command(flatten)]
    scan: ScanArgs,
}

/// Options shared by `check` and `diff`.
#[derive(clap::Args)]
struct ScanArgs {
    /// Output format. Default: `full` on a terminal, `concise` otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this level exists.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Extra folder of rule files (repeatable); a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Skip files larger than this many bytes (overrides the configuration file).
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Configuration file (default for `check`: the nearest skimlint.toml above the first path).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not look for a skimlint.toml (the scanned tree may have been written by an attacker).
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Ignore skimlint-ignore comments: report everything (attackers can write them too).
    #[arg(long)]
    no_ignores: bool,
    /// Scan only part K of N of the files (`K/N`, 1 ≤ K ≤ N), chosen by a stable hash of each
    /// file's display path; run the N parts anywhere and concatenate their findings.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    partition: Option<(u64, u64)>,
    /// Developers only: scan every file fully, without the byte-level prefilter (the tests
    /// compare both).
    #[arg(long, hide = true)]
    no_prefilter: bool,
    /// Print the per-archive summary table to stderr (always shown with `--format full`).
    #[arg(long)]
    summary: bool,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// One line per rule: id, severity, summary.
    List {
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// A rule's full documentation.
    Explain {
        id: String,
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run the `[[case]]` examples of the built-in rules plus those in DIR, and the annotated
    /// fixture files (`// ruleid: ID`, `// ok: ID` before a line) under DIR.
    Test { dirs: Vec<PathBuf> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    /// Never exit 1 because of findings.
    None,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::None => None,
        }
    }
}

fn main() -> ExitCode {
    limit_retained_memory();
    // A panic is caught per file and reported; keep the default hook's noise off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Diff(args) => diff(args),
        Command::Rules { command } => rules_command(command),
    }
}

fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, ExitCode> {
    rules::load_builtin_and(dirs).map_err(|e| {
        let pos = e
            .position()
            .map(|(l, c)| format!(":{l}:{c}"))
            .unwrap_or_default();
        eprintln!("error: {}{pos}: {}", e.path, e.message);
        if std::io::stderr().is_terminal() {
            eprintln!("{:?}", miette::Report::new(e));
        }
        ExitCode::from(2)
    })
}

/// Rules, limits and filters for a scan: the configuration file (given, or found above
/// `discover_from`), then the command line.
fn prepare(
    args: &ScanArgs,
    discover_from: Option<&Path>,
) -> Result<(RuleSet, ScanOptions), ExitCode> {
    let config_path = match (&args.config, args.no_config, discover_from) {
        (Some(p), _, _) => Some(p.clone()),
        (None, false, Some(start)) => Config::discover(start),
        _ => None,
    };
    let config_error = |e: config::ConfigError| {
        eprintln!("error: {}", e.plain());
        if std::io::stderr().is_terminal() {
            eprintln!("{:?}", miette::Report::new(e));
        }
        ExitCode::from(2)
    };
    let config = match config_path {
        Some(p) => {
            let c = Config::load(&p).map_err(config_error)?;
            eprintln!("skimlint: using configuration {}", p.display());
            Some(c)
        }
        None => None,
    };
    let mut dirs: Vec<PathBuf> = config
        .as_ref()
        .map(|c| c.rule_dirs.clone())
        .unwrap_or_default();
    dirs.extend(args.rules.iter().cloned());
    let mut rules = load_rules(&dirs)?;
    if args.no_prefilter {
        skimlint::prefilter::set_enabled(false);
    }
    let mut options = ScanOptions {
        threads: args.threads,
        partition: args.partition,
        ..Default::default()
    };
    if let Some(c) = &config {
        c.apply_rules(&mut rules).map_err(config_error)?;
        c.apply_limits(&mut options.limits);
        options.filter = c.filter.clone();
        // The patterns as written: `hosts::allow_pattern_matches` is their one matcher.
        options.limits.allowed_hosts = c.hosts.patterns.clone();
    }
    if let Some(max) = args.max_file_size {
        options.limits.max_file_bytes = max;
    }
    Ok((rules, options))
}

fn require_exists(paths: &[PathBuf]) -> Result<(), ExitCode> {
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!("error: {}: no such file or folder", p.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(())
}

/// A scan with the post-processing passes every command shares (suppressions).
fn scan(paths: &[PathBuf], rules: &RuleSet, options: &ScanOptions, args: &ScanArgs) -> ScanResult {
    let bar = TerminalProgress::if_terminal();
    let progress: &dyn Progress = match &bar {
        Some(b) => b,
        None => &NoProgress,
    };
    let mut result = scan_paths_with_progress(paths, rules, options, progress);
    if !args.no_ignores {
        suppress::apply(&mut result, rules, options.limits.max_file_bytes);
    }
    result
}

fn check(args: CheckArgs) -> ExitCode {
    if let Err(code) = require_exists(&args.paths) {
        return code;
    }
    let (rules, options) = match prepare(&args.scan, args.paths.first().map(PathBuf::as_path)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let baseline = match &args.baseline {
        Some(p) => match Baseline::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let mut result = scan(&args.paths, &rules, &options, &args.scan);
    if let Some(path) = &args.write_baseline {
        let b = Baseline::from_findings(&result.findings);
        if let Err(e) = b.write(path) {
            eprintln!("error: {}: cannot write the baseline: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!(
            "skimlint: wrote {} fingerprints to {}",
            b.findings.len(),
            path.display()
        );
    }
    if let Some(b) = &baseline {
        let n = b.filter(&mut result);
        if n > 0 {
            eprintln!("skimlint: {n} findings in the baseline not shown");
        }
    }
    let code = emit(&args.scan, &result, &rules, &args.paths);
    // Writing a baseline accepts the current findings.
    if args.write_baseline.is_some() && code == 1 {
        return ExitCode::SUCCESS;
    }
    ExitCode::from(code)
}

fn diff(args: DiffArgs) -> ExitCode {
    let roots = [args.old.clone(), args.new.clone()];
    if let Err(code) = require_exists(&roots) {
        return code;
    }
    for root in &roots {
        if !root.is_dir() {
            eprintln!("error: {}: diff compares two folders", root.display());
            return ExitCode::from(2);
        }
    }
    // Absolute roots: reported paths are relative to each root, so both versions match up.
    let (old, new) = match (
        std::path::absolute(&args.old),
        std::path::absolute(&args.new),
    ) {
        (Ok(o), Ok(n)) => (o, n),
        _ => {
            eprintln!("error: cannot resolve the paths");
            return ExitCode::from(2);
        }
    };
    // No configuration discovery inside either tree: both are usually third-party code.
    let (rules, options) = match prepare(&args.scan, None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let before = scan(std::slice::from_ref(&old), &rules, &options, &args.scan);
    let mut after = scan(std::slice::from_ref(&new), &rules, &options, &args.scan);
    skimlint::diff::keep_new(&before, &mut after);
    ExitCode::from(emit(&args.scan, &after, &rules, &[new]))
}

/// Renders the report, prints problems, and turns findings into the exit status.
fn emit(args: &ScanArgs, result: &ScanResult, rules: &RuleSet, paths: &[PathBuf]) -> u8 {
    let stdout_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        Format::Full
    } else {
        Format::Concise
    });
    let colour = stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut buffer: Vec<u8> = Vec::new();
    if let Err(e) = render(&mut buffer, format, result, rules, paths, colour) {
        eprintln!("error: cannot render the report: {e}");
        return 2;
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, &buffer),
        None => std::io::stdout().write_all(&buffer),
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the report: {e}");
        return 2;
    }
    // Files that could not be (fully) scanned: always on stderr, whatever the format.
    if !matches!(format, Format::Full | Format::Github) || args.output.is_some() {
        for p in &result.problems {
            eprintln!(
                "warning: {}: {}",
                report::sanitize::terminal(&p.path),
                report::sanitize::terminal(&p.message)
            );
        }
    }
    if format == Format::Full || args.summary {
        let _ = batch::write_summary(&mut std::io::stderr().lock(), result);
    }
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    u8::from(failing)
}

fn render(
    out: &mut Vec<u8>,
    format: Format,
    result: &ScanResult,
    rules: &RuleSet,
    paths: &[PathBuf],
    colour: bool,
) -> std::io::Result<()> {
    match format {
        Format::Full => {
            let read = |display: &str| reread(display, paths);
            report::human::write(out, result, rules, colour, &read)?;
            summary(out, result)
        }
        Format::Concise => report::concise::write(out, result),
        Format::Json => report::json::write(out, result),
        Format::Sarif => {
            let root = srcroot(paths);
            report::sarif::write(out, result, rules, root.as_deref())
        }
        Format::Github => report::github::write(out, result),
        Format::Html => {
            let read = |display: &str| reread(display, paths);
            report::html::write(out, result, rules, &read)
        }
    }
}

fn summary(out: &mut Vec<u8>, result: &ScanResult) -> std::io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    writeln!(
        out,
        "skimlint: {} files scanned, {} errors, {} warnings, {} notes, {} files not fully scanned",
        result.files_scanned,
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
        result
            .problems
            .iter()
            .map(|p| &p.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    )
}

/// Finds the file (or archive member) behind a reported path again, for excerpts.
fn reread(display: &str, paths: &[PathBuf]) -> Option<Arc<Vec<u8>>> {
    archive::reread(display, paths, &ArchiveLimits::default())
}

/// `%SRCROOT%` for SARIF: the one absolute root scanned, as a file URI (relative paths are
/// relative to the working directory, which is the repository root in CI).
fn srcroot(paths: &[PathBuf]) -> Option<String> {
    let root = match paths {
        [p] if p.is_absolute() && p.is_dir() => p.clone(),
        _ => std::env::current_dir().ok()?,
    };
    let mut s = root.to_string_lossy().replace('\\', "/");
    if !s.ends_with('/') {
        s.push('/');
    }
    Some(format!("file://{s}"))
}

fn rules_command(command: RulesCommand) -> ExitCode {
    match command {
        RulesCommand::List { rules } => {
            let set = match load_rules(&rules) {
                Ok(r) => r,
                Err(c) => return c,
            };
            let mut out = std::io::stdout().lock();
            for r in &set.rules {
                let _ = writeln!(
                    out,
                    "{:<44} {:<8} {}",
                    r.meta.id,
                    r.meta.severity.as_str(),
                    r.meta.summary
                );
            }
            ExitCode::SUCCESS
        }
        RulesCommand::Explain { id, rules } => {
            let set = match load_rules(&rules) {
                Ok(r) => r,
                Err(c) => return c,
            };
            let meta = suppress::meta_rules();
            let Some(m) = set
                .get(&id)
                .map(|r| &r.meta)
                .or_else(|| meta.iter().find(|m| m.id == id))
            else {
                eprintln!("error: no rule with id `{id}` (see `skimlint rules list`)");
                return ExitCode::from(2);
            };
            let langs: Vec<String> = m
                .languages
                .iter()
                .map(|l| format!("{l:?}").to_lowercase())
                .collect();
            println!("# {} — {}\n", m.id, m.summary);
            println!(
                "severity: {}   precision: {}   security-severity: {}",
                m.severity.as_str(),
                m.precision.as_str(),
                m.security_severity
                    .map_or("-".into(), |s| format!("{s:.1}"))
            );
            println!(
                "languages: {}   tags: {}   cwe: {}\n",
                langs.join(", "),
                m.tags.join(", "),
                m.cwe.join(", ")
            );
            println!("{}", m.help.trim());
            let bad: Vec<&String> = m.cases.iter().filter_map(|c| c.bad.as_ref()).collect();
            if !bad.is_empty() {
                println!("\n## Flagged, for example\n");
                for b in bad.iter().take(3) {
                    println!("    {}\n", b.trim().replace('\n', "\n    "));
                }
            }
            ExitCode::SUCCESS
        }
        RulesCommand::Test { dirs } => {
            let set = match load_rules(&dirs) {
                Ok(r) => r,
                Err(c) => return c,
            };
            let (failures, count) = testing::run_cases(&set);
            for f in &failures {
                println!("FAIL {f}");
            }
            let mut failed = failures.len();
            let mut passed = count - failures.len();
            for dir in &dirs {
                let r = annotated::run_dir(dir, &set);
                for f in &r.failures {
                    println!("FAIL {f}");
                }
                println!(
                    "annotated fixtures in {}: {} files, {} checks, {} failed",
                    dir.display(),
                    r.files,
                    r.checks,
                    r.failures.len()
                );
                failed += r.failures.len();
                passed += r.checks.saturating_sub(r.failures.len());
            }
            println!("{passed} passed, {failed} failed");
            ExitCode::from(u8::from(failed > 0))
        }
    }
}

/// `K/N` with 1 ≤ K ≤ N.
fn parse_partition(s: &str) -> Result<(u64, u64), String> {
    let err = || format!("`{s}` is not K/N with 1 <= K <= N");
    let (k, n) = s.split_once('/').ok_or_else(err)?;
    let k: u64 = k.trim().parse().map_err(|_| err())?;
    let n: u64 = n.trim().parse().map_err(|_| err())?;
    if n == 0 || k == 0 || k > n {
        return Err(err());
    }
    Ok((k, n))
}

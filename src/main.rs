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

use skimlint::input::archive::{self, ArchiveLimits};
use skimlint::post::baseline::Baseline;
use skimlint::post::suppress;
use skimlint::report::{self, Format};
use skimlint::rules::{self, RuleSet, Severity};
use skimlint::scan::config::{self, Config};
use skimlint::scan::progress::{NoProgress, Progress};
use skimlint::scan::{scan_paths_with_progress, ScanOptions, ScanResult};
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
    /// Known-good manifests of official releases (for `check --known-good`).
    Manifest {
        #[command(subcommand)]
        command: ManifestCommand,
    },
}

#[derive(Subcommand)]
enum ManifestCommand {
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
    /// The old version: a folder or an archive (.zip, .tar, .tar.gz, .tgz).
    old: PathBuf,
    /// The new version, a folder or an archive; reported paths are inside it.
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
    /// `sarif` and `github` paths are relative to DIR (default for `check`: the git work tree
    /// around the first path, else the current folder; for `diff`: NEW).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// SARIF `automationDetails.id` is `CATEGORY/`: code scanning keeps the latest upload per
    /// category (default: `skimlint`, or `skimlint/part-K-of-N` with `--partition`).
    #[arg(long, value_name = "CATEGORY")]
    category: Option<String>,
    /// Also print GitHub workflow annotations on stdout (the report goes to `--output`): at
    /// most 10 per level, as GitHub keeps, the rest as plain lines.
    #[arg(long)]
    annotate: bool,
    /// Append a markdown summary (counts by severity, top findings with links) to FILE, e.g.
    /// `$GITHUB_STEP_SUMMARY`.
    #[arg(long, value_name = "FILE")]
    step_summary: Option<PathBuf>,
    /// A known-good manifest (`skimlint manifest create`; repeatable): files matching it are
    /// not analysed, changed files and new code files in its folders are reported.
    #[arg(long = "known-good", value_name = "FILE")]
    known_good: Vec<PathBuf>,
    /// Do not read or write the result cache (also: SKIMLINT_NO_CACHE=1).
    #[arg(long)]
    no_cache: bool,
    /// The result cache folder (default: SKIMLINT_CACHE_DIR, $XDG_CACHE_HOME/skimlint or
    /// ~/.cache/skimlint).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Who reads the report: `review` (marketplace reviewers) raises packed, encoded and
    /// obfuscated code and scripts from untrusted hosts from note to warning. Default: the
    /// configuration file's `profile`, else `default`.
    #[arg(long, value_enum)]
    profile: Option<skimlint::scan::profile::Profile>,
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
        Command::Manifest { command } => manifest_command(command),
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
    if args.annotate && args.output.is_none() && args.format != Some(Format::Github) {
        eprintln!("error: --annotate prints to standard output: write the report with --output");
        return Err(ExitCode::from(2));
    }
    if let Some(root) = args.root.as_ref().filter(|r| !r.is_dir()) {
        eprintln!("error: --root {}: not a folder", root.display());
        return Err(ExitCode::from(2));
    }
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
    args.profile
        .or(config.as_ref().and_then(|c| c.profile))
        .unwrap_or_default()
        .apply(&mut rules);
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
    let mut manifests: Vec<PathBuf> = config
        .as_ref()
        .map(|c| c.known_good.clone())
        .unwrap_or_default();
    manifests.extend(args.known_good.iter().cloned());
    options.known_good = skimlint::scan::manifest::load_all(&manifests).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    Ok((rules, options))
}

/// The result cache for a scan of `paths`, unless `--no-cache` (src/cache.rs).
fn open_cache(args: &ScanArgs, rules: &RuleSet, options: &mut ScanOptions, paths: &[PathBuf]) {
    let env_off = std::env::var_os("SKIMLINT_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
    if args.no_cache || env_off {
        return;
    }
    let Some(dir) = args
        .cache_dir
        .clone()
        .or_else(skimlint::scan::cache::default_dir)
    else {
        return;
    };
    if skimlint::scan::cache::inside_any(&dir, paths) {
        eprintln!(
            "skimlint: the cache folder {} is inside a scanned path; not using it",
            dir.display()
        );
        return;
    }
    match skimlint::scan::cache::Cache::open(&dir, rules, &options.limits) {
        Ok(c) => options.cache = Some(Arc::new(c)),
        Err(e) => eprintln!(
            "warning: cannot use the cache folder {}: {e}",
            dir.display()
        ),
    }
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
    let (rules, mut options) = match prepare(&args.scan, args.paths.first().map(PathBuf::as_path)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    open_cache(&args.scan, &rules, &mut options, &args.paths);
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
    let root = report::rebase::repository_root(
        args.scan.root.as_deref(),
        args.paths.first().map(PathBuf::as_path),
    );
    let code = emit(&args.scan, &result, &rules, &args.paths, Some(&root));
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
    // Each version is a folder or an archive; an archive's findings are `name.zip!/member`.
    let mut prefixes = Vec::new();
    for root in &roots {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned());
        match name.filter(|n| root.is_file() && archive::kind_of(n).is_some()) {
            Some(n) => prefixes.push(format!("{n}!/")),
            None if root.is_dir() => prefixes.push(String::new()),
            None => {
                eprintln!(
                    "error: {}: diff compares folders or archives (.zip, .tar, .tar.gz, .tgz)",
                    root.display()
                );
                return ExitCode::from(2);
            }
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
    let (rules, mut options) = match prepare(&args.scan, None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    open_cache(
        &args.scan,
        &rules,
        &mut options,
        &[old.clone(), new.clone()],
    );
    let before = scan(std::slice::from_ref(&old), &rules, &options, &args.scan);
    let mut after = scan(std::slice::from_ref(&new), &rules, &options, &args.scan);
    skimlint::post::diff::keep_new_in(&before, &prefixes[0], &mut after, &prefixes[1]);
    let root = args.scan.root.as_deref();
    let root = root.map(|r| report::rebase::repository_root(Some(r), None));
    ExitCode::from(emit(&args.scan, &after, &rules, &[new], root.as_deref()))
}

/// Renders the report, prints problems, and turns findings into the exit status.
/// `root`: the folder `sarif` and `github` paths are made relative to (None: as scanned).
fn emit(
    args: &ScanArgs,
    result: &ScanResult,
    rules: &RuleSet,
    paths: &[PathBuf],
    root: Option<&Path>,
) -> u8 {
    let stdout_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        Format::Full
    } else {
        Format::Concise
    });
    let colour = stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut buffer: Vec<u8> = Vec::new();
    let for_github = matches!(format, Format::Sarif | Format::Github)
        || args.annotate
        || args.step_summary.is_some();
    let rebase = root
        .filter(|_| for_github)
        .map(|r| report::rebase::Rebase::new(r.to_path_buf(), paths, result));
    let github = ForGithub {
        rebased: rebase.as_ref().map(|r| r.apply(result)),
        srcroot: match &rebase {
            Some(r) => Some(r.root_uri()),
            None => srcroot(paths),
        },
        category: match (&args.category, args.partition) {
            (Some(c), _) => c.clone(),
            (None, Some((k, n))) => format!("skimlint/part-{k}-of-{n}"),
            (None, None) => "skimlint".to_string(),
        },
    };
    if let Err(e) = render(&mut buffer, format, result, rules, paths, colour, &github) {
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
        let _ = report::summary::write_summary(&mut std::io::stderr().lock(), result);
    }
    if let Err(e) = github_step(args, format, &github, result) {
        eprintln!("error: cannot write the annotations or the step summary: {e}");
        return 2;
    }
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    u8::from(failing)
}

/// What `sarif` and `github` output need besides the findings.
struct ForGithub {
    /// The result with paths relative to the repository root (None: paths as scanned).
    rebased: Option<ScanResult>,
    /// SARIF `%SRCROOT%`.
    srcroot: Option<String>,
    /// SARIF `automationDetails` category.
    category: String,
}

/// `--annotate` (workflow annotations on stdout next to a report in a file) and
/// `--step-summary FILE` (a markdown job summary appended to FILE).
fn github_step(
    args: &ScanArgs,
    format: Format,
    github: &ForGithub,
    result: &ScanResult,
) -> std::io::Result<()> {
    let result = github.rebased.as_ref().unwrap_or(result);
    let capped = if format == Format::Github {
        Some(report::github::write_capped(&mut std::io::sink(), result)?)
    } else if args.annotate {
        let mut stdout = std::io::stdout().lock();
        Some(report::github::write_capped(&mut stdout, result)?)
    } else {
        None
    };
    if let Some(path) = &args.step_summary {
        let mut text = Vec::new();
        let base = report::step_summary::link_base_from_env();
        report::step_summary::write(&mut text, result, base.as_deref(), capped.as_ref())?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .write_all(&text)?;
    }
    Ok(())
}

fn render(
    out: &mut Vec<u8>,
    format: Format,
    result: &ScanResult,
    rules: &RuleSet,
    paths: &[PathBuf],
    colour: bool,
    github: &ForGithub,
) -> std::io::Result<()> {
    let for_github = github.rebased.as_ref().unwrap_or(result);
    match format {
        Format::Full => {
            let read = |display: &str| reread(display, paths);
            report::human::write(out, result, rules, colour, &read)?;
            summary(out, result)
        }
        Format::Concise => report::concise::write(out, result),
        Format::Json => report::json::write(out, result),
        Format::Sarif => report::sarif::write(
            out,
            for_github,
            rules,
            github.srcroot.as_deref(),
            &github.category,
        ),
        Format::Github => report::github::write(out, for_github),
        Format::Html => {
            let read = |display: &str| reread(display, paths);
            report::html::write(out, result, rules, &read)
        }
    }
}

fn summary(out: &mut Vec<u8>, result: &ScanResult) -> std::io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let mut extra = String::new();
    if result.files_from_cache > 0 {
        extra.push_str(&format!(" ({} from cache)", result.files_from_cache));
    }
    if result.files_known_good > 0 {
        extra.push_str(&format!(
            ", {} files matched known-good manifests",
            result.files_known_good
        ));
    }
    writeln!(
        out,
        "skimlint: {} files scanned{extra}, {} errors, {} warnings, {} notes, {} files not fully scanned",
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

fn manifest_command(command: ManifestCommand) -> ExitCode {
    match command {
        ManifestCommand::Create {
            source,
            output,
            keep_top_folder,
        } => {
            let (file, warnings) = match skimlint::scan::manifest::create(&source, keep_top_folder)
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {}", report::sanitize::terminal(&e));
                    return ExitCode::from(2);
                }
            };
            for w in &warnings {
                eprintln!("warning: {}", report::sanitize::terminal(w));
            }
            let text = skimlint::scan::manifest::Manifest::to_json(&file);
            if let Err(e) = std::fs::write(&output, text) {
                eprintln!("error: {}: cannot write: {e}", output.display());
                return ExitCode::from(2);
            }
            eprintln!(
                "skimlint: wrote a manifest of {} files to {}",
                file.files.len(),
                output.display()
            );
            ExitCode::SUCCESS
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

/// An indicatif progress bar on stderr.
pub struct TerminalProgress {
    bar: indicatif::ProgressBar,
}

impl TerminalProgress {
    /// A bar on stderr when stderr is a terminal; `None` otherwise (pipes, CI logs, files).
    pub fn if_terminal() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Some(TerminalProgress { bar })
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn advance(&self, path: &str) {
        self.bar.set_message(report::sanitize::terminal(path));
        self.bar.inc(1);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

//! The `skimlint` command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use skimlint::report::{self, Format};
use skimlint::rules::{self, RuleSet, Severity};
use skimlint::scan::{scan_paths, ScanOptions, ScanResult};
use skimlint::testing;

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
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
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
    /// Run the `[[case]]` examples of the built-in rules plus those in DIR.
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

fn check(args: CheckArgs) -> ExitCode {
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut options = ScanOptions {
        threads: args.threads,
        ..Default::default()
    };
    if let Some(max) = args.max_file_size {
        options.limits.max_file_bytes = max;
    }
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!("error: {}: no such file or folder", p.display());
            return ExitCode::from(2);
        }
    }
    let result = scan_paths(&args.paths, &rules, &options);
    let stdout_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        Format::Full
    } else {
        Format::Concise
    });
    let colour = stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut buffer: Vec<u8> = Vec::new();
    if let Err(e) = render(&mut buffer, format, &result, &rules, &args.paths, colour) {
        eprintln!("error: cannot render the report: {e}");
        return ExitCode::from(2);
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, &buffer),
        None => std::io::stdout().write_all(&buffer),
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(2);
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
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    ExitCode::from(u8::from(failing))
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

/// Finds the file behind a reported path again, for excerpts.
fn reread(display: &str, paths: &[PathBuf]) -> Option<Arc<Vec<u8>>> {
    let direct = PathBuf::from(display);
    if let Ok(b) = std::fs::read(&direct) {
        return Some(Arc::new(b));
    }
    for root in paths {
        let candidate = if root.is_dir() {
            root.join(display)
        } else {
            root.clone()
        };
        if let Ok(b) = std::fs::read(&candidate) {
            return Some(Arc::new(b));
        }
    }
    None
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
            let Some(r) = set.get(&id) else {
                eprintln!("error: no rule with id `{id}` (see `skimlint rules list`)");
                return ExitCode::from(2);
            };
            let m = &r.meta;
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
            println!(
                "{} passed, {} failed",
                count - failures.len(),
                failures.len()
            );
            ExitCode::from(u8::from(!failures.is_empty()))
        }
    }
}

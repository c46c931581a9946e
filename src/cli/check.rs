//! `check` and `diff`: scan → suppressions (unless `--no-ignores`) → baseline → report, and the
//! exit status.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use skimlint::input::archive::{self, ArchiveLimits};
use skimlint::post::baseline::Baseline;
use skimlint::post::suppress;
use skimlint::report::{self, Format, Report};
use skimlint::scan::progress::{NoProgress, Progress};
use skimlint::scan::{scan_paths_with_progress, ScanResult};

use super::args::{CheckArgs, DiffArgs};
use super::progress::TerminalProgress;
use super::require_exists;
use super::settings::{Environment, Settings};

/// A scan with the post-processing passes every command shares (suppressions).
fn scan(paths: &[PathBuf], settings: &Settings) -> ScanResult {
    let bar = TerminalProgress::if_terminal();
    let progress: &dyn Progress = match &bar {
        Some(b) => b,
        None => &NoProgress,
    };
    let mut result = scan_paths_with_progress(paths, &settings.rules, &settings.options, progress);
    if settings.apply_ignores {
        suppress::apply(&mut result);
    }
    result
}

pub fn check(args: CheckArgs, env: &Environment) -> ExitCode {
    if let Err(code) = require_exists(&args.paths) {
        return code;
    }
    let first = args.paths.first().map(PathBuf::as_path);
    let settings = match Settings::resolve(&args.scan, first, &args.paths, env) {
        Ok(s) => s,
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
    let mut result = scan(&args.paths, &settings);
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
    let root = report::rebase::repository_root(settings.root.as_deref(), first);
    let code = emit(&settings, &result, &args.paths, Some(&root));
    // Writing a baseline accepts the current findings.
    if args.write_baseline.is_some() && code == 1 {
        return ExitCode::SUCCESS;
    }
    ExitCode::from(code)
}

pub fn diff(args: DiffArgs, env: &Environment) -> ExitCode {
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
    let settings = match Settings::resolve(&args.scan, None, &[old.clone(), new.clone()], env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let before = scan(std::slice::from_ref(&old), &settings);
    let mut after = scan(std::slice::from_ref(&new), &settings);
    skimlint::post::diff::keep_new_in(&before, &prefixes[0], &mut after, &prefixes[1]);
    let root = settings.root.as_deref();
    let root = root.map(|r| report::rebase::repository_root(Some(r), None));
    ExitCode::from(emit(&settings, &after, &[new], root.as_deref()))
}

/// Renders the report, prints problems, and turns findings into the exit status.
/// `root`: the folder `sarif` and `github` paths are made relative to (None: as scanned).
fn emit(settings: &Settings, result: &ScanResult, paths: &[PathBuf], root: Option<&Path>) -> u8 {
    let format = settings.format;
    let mut buffer: Vec<u8> = Vec::new();
    let for_github =
        format.repository_relative() || settings.annotate || settings.step_summary.is_some();
    let rebase = root
        .filter(|_| for_github)
        .map(|r| report::rebase::Rebase::new(r.to_path_buf(), paths, result));
    let github = ForGithub {
        rebased: rebase.as_ref().map(|r| r.apply(result)),
        srcroot: match &rebase {
            Some(r) => Some(r.root_uri()),
            None => srcroot(paths),
        },
    };
    // Excerpts come from the bytes the scan read; a file it did not keep (a known-good
    // manifest's integrity finding alone) is read again.
    let read = |display: &str| {
        result
            .sources
            .get(display)
            .cloned()
            .or_else(|| reread(display, paths))
    };
    let cx = report::Context {
        rules: &settings.rules,
        reread: &read,
        colour: settings.colour,
        srcroot: github.srcroot.as_deref(),
        category: &settings.category,
    };
    let shown = match &github.rebased {
        Some(rebased) if format.repository_relative() => rebased,
        _ => result,
    };
    if let Err(e) = format.report().write(&mut buffer, shown, &cx) {
        eprintln!("error: cannot render the report: {e}");
        return 2;
    }
    let written = match &settings.output {
        Some(path) => std::fs::write(path, &buffer),
        None => std::io::stdout().write_all(&buffer),
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the report: {e}");
        return 2;
    }
    // Files that could not be (fully) scanned: always on stderr, whatever the format.
    if !matches!(format, Format::Full | Format::Github) || settings.output.is_some() {
        for p in &result.problems {
            eprintln!(
                "warning: {}: {}",
                report::sanitize::terminal(&p.path),
                report::sanitize::terminal(&p.message)
            );
        }
    }
    if format == Format::Full || settings.summary {
        let _ = report::summary::write_summary(&mut std::io::stderr().lock(), result);
    }
    if let Err(e) = github_step(settings, &github, result, &cx) {
        eprintln!("error: cannot write the annotations or the step summary: {e}");
        return 2;
    }
    let failing = settings
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
}

/// `--annotate` (workflow annotations on stdout next to a report in a file) and
/// `--step-summary FILE` (a markdown job summary appended to FILE).
fn github_step(
    settings: &Settings,
    github: &ForGithub,
    result: &ScanResult,
    cx: &report::Context,
) -> std::io::Result<()> {
    let result = github.rebased.as_ref().unwrap_or(result);
    let capped = if settings.format == Format::Github {
        Some(report::github::write_capped(&mut std::io::sink(), result)?)
    } else if settings.annotate {
        let mut stdout = std::io::stdout().lock();
        Some(report::github::write_capped(&mut stdout, result)?)
    } else {
        None
    };
    if let Some(path) = &settings.step_summary {
        let mut text = Vec::new();
        let step_summary = report::StepSummary {
            link_base: settings.link_base.as_deref(),
            capped: capped.as_ref(),
        };
        step_summary.write(&mut text, result, cx)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .write_all(&text)?;
    }
    Ok(())
}

/// Finds the file (or archive member) behind a reported path again, for excerpts the scan did
/// not keep.
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

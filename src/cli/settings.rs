//! One `Settings` for a scan, resolved once from the command line, the configuration file
//! (`skimlint.toml`), the profile and the environment; and `Environment`, the one place that
//! reads environment variables. The library reads none: what it needs is passed down (as
//! values, or through the two process switches `prefilter::set_enabled` and
//! `rules::merge::set_per_rule_queries`, set once at start-up).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use skimlint::report::Format;
use skimlint::rules::RuleSet;
use skimlint::scan::config::{self, Config};
use skimlint::scan::ScanOptions;

use super::args::{FailOn, ScanArgs};
use super::load_rules;

/// Every environment variable skimlint looks at, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `NO_COLOR` set and not empty: no colour even on a terminal.
    pub no_color: bool,
    /// `SKIMLINT_NO_CACHE` set to anything but empty or `0`.
    pub no_cache: bool,
    /// `SKIMLINT_NO_PREFILTER` set to anything but empty or `0` (as `--no-prefilter`).
    pub no_prefilter: bool,
    /// `SKIMLINT_PER_RULE_QUERIES` set to anything but empty or `0`: one query per rule.
    pub per_rule_queries: bool,
    /// `SKIMLINT_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME` (for the default cache folder).
    pub cache_dir: Option<PathBuf>,
    pub xdg_cache_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_SHA` (links in the step summary).
    pub github_server_url: Option<String>,
    pub github_repository: Option<String>,
    pub github_sha: Option<String>,
}

impl Environment {
    /// Reads the process environment. The only reader of environment variables in skimlint.
    pub fn read() -> Self {
        let switch = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let text = |name: &str| std::env::var(name).ok();
        Environment {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            no_cache: switch("SKIMLINT_NO_CACHE"),
            no_prefilter: switch("SKIMLINT_NO_PREFILTER"),
            per_rule_queries: switch("SKIMLINT_PER_RULE_QUERIES"),
            cache_dir: path("SKIMLINT_CACHE_DIR"),
            xdg_cache_home: path("XDG_CACHE_HOME"),
            home: path("HOME"),
            github_server_url: text("GITHUB_SERVER_URL"),
            github_repository: text("GITHUB_REPOSITORY"),
            github_sha: text("GITHUB_SHA"),
        }
    }

    /// The process-wide switches the library offers for developers' equivalence tests.
    pub fn apply_process_switches(&self) {
        if self.no_prefilter {
            skimlint::rules::prefilter::set_enabled(false);
        }
        skimlint::rules::merge::set_per_rule_queries(self.per_rule_queries);
    }

    /// The default result cache folder.
    pub fn default_cache_dir(&self) -> Option<PathBuf> {
        skimlint::scan::cache::default_dir(
            self.cache_dir.as_deref(),
            self.xdg_cache_home.as_deref(),
            self.home.as_deref(),
        )
    }

    /// `https://github.com/OWNER/REPO/blob/SHA/` when the runner's variables are well-formed.
    pub fn github_link_base(&self) -> Option<String> {
        skimlint::report::step_summary::link_base(
            self.github_server_url.as_deref(),
            self.github_repository.as_deref(),
            self.github_sha.as_deref(),
        )
    }
}

/// Everything a `check` or `diff` run needs, resolved once: rules (with the profile and the
/// configuration's `[rules]` applied), scan options (limits, filters, manifests, cache), and
/// how the report is written.
pub struct Settings {
    pub rules: RuleSet,
    pub options: ScanOptions,
    /// The report format (default: `full` on a terminal, `concise` otherwise).
    pub format: Format,
    /// Colour in the `full` format: standard output is a terminal and `NO_COLOR` is not set.
    pub colour: bool,
    /// Where the report goes (None: standard output).
    pub output: Option<PathBuf>,
    pub fail_on: FailOn,
    /// Apply `skimlint-ignore` comments (not with `--no-ignores`).
    pub apply_ignores: bool,
    /// Print the per-archive summary table to stderr.
    pub summary: bool,
    /// `--root` (checked to be a folder).
    pub root: Option<PathBuf>,
    /// SARIF `automationDetails` category.
    pub category: String,
    /// Workflow annotations on stdout next to a report in a file.
    pub annotate: bool,
    /// The markdown job summary file, and the link base of its findings.
    pub step_summary: Option<PathBuf>,
    pub link_base: Option<String>,
}

impl Settings {
    /// The configuration file (given, or found above `discover_from`), then the command line,
    /// then the environment. `paths`: what will be scanned (the cache folder must not be in
    /// it). Errors are printed; the exit code is returned.
    pub fn resolve(
        args: &ScanArgs,
        discover_from: Option<&Path>,
        paths: &[PathBuf],
        env: &Environment,
    ) -> Result<Settings, ExitCode> {
        if args.annotate && args.output.is_none() && args.format != Some(Format::Github) {
            eprintln!(
                "error: --annotate prints to standard output: write the report with --output"
            );
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
            skimlint::rules::prefilter::set_enabled(false);
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
        if !(args.no_cache || env.no_cache) {
            let dir = args.cache_dir.clone().or_else(|| env.default_cache_dir());
            options.cache = dir.and_then(|d| open_cache(&d, &rules, &options, paths));
        }
        let stdout_tty = args.output.is_none() && std::io::stdout().is_terminal();
        let format = args.format.unwrap_or(if stdout_tty {
            Format::Full
        } else {
            Format::Concise
        });
        // Formats with excerpts show them from the bytes the scan read.
        options.keep_sources = matches!(format, Format::Full | Format::Html);
        Ok(Settings {
            rules,
            options,
            format,
            colour: stdout_tty && !env.no_color,
            output: args.output.clone(),
            fail_on: args.fail_on,
            apply_ignores: !args.no_ignores,
            summary: args.summary,
            root: args.root.clone(),
            category: match (&args.category, args.partition) {
                (Some(c), _) => c.clone(),
                (None, Some((k, n))) => format!("skimlint/part-{k}-of-{n}"),
                (None, None) => "skimlint".to_string(),
            },
            annotate: args.annotate,
            step_summary: args.step_summary.clone(),
            link_base: args
                .step_summary
                .as_ref()
                .and_then(|_| env.github_link_base()),
        })
    }
}

/// The result cache in `dir` for a scan of `paths` (src/scan/cache.rs), unless `dir` is inside
/// a scanned path or cannot be used (both said on stderr).
fn open_cache(
    dir: &Path,
    rules: &RuleSet,
    options: &ScanOptions,
    paths: &[PathBuf],
) -> Option<Arc<skimlint::scan::cache::Cache>> {
    if skimlint::scan::cache::inside_any(dir, paths) {
        eprintln!(
            "skimlint: the cache folder {} is inside a scanned path; not using it",
            dir.display()
        );
        return None;
    }
    match skimlint::scan::cache::Cache::open(dir, rules, &options.limits) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            eprintln!(
                "warning: cannot use the cache folder {}: {e}",
                dir.display()
            );
            None
        }
    }
}

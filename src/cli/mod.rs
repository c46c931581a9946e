//! The `skimlint` command line (the binary only; the library knows nothing of it):
//! `args.rs` (what clap parses) → `settings.rs` (one `Settings`, with the `Environment` read
//! once) → `check.rs` (`check`, `diff`: scan, post-passes, report) and `commands.rs` (`rules`,
//! `manifest`); `progress.rs` draws the bar.

mod args;
mod check;
mod commands;
mod progress;
mod settings;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use skimlint::rules::{self, RuleSet};

use args::{Cli, Command};
use settings::Environment;

/// Parses the command line, reads the environment and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let env = Environment::read();
    env.apply_process_switches();
    match cli.command {
        Command::Check(args) => check::check(args, &env),
        Command::Diff(args) => check::diff(args, &env),
        Command::Rules { command } => commands::rules_command(command),
        Command::Manifest { command } => commands::manifest_command(command),
    }
}

pub(crate) fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, ExitCode> {
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

pub(crate) fn require_exists(paths: &[PathBuf]) -> Result<(), ExitCode> {
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!("error: {}: no such file or folder", p.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(())
}

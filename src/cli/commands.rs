//! The commands besides scanning: `rules list|explain|test` and `manifest create`.

use std::io::Write;
use std::process::ExitCode;

use skimlint::post::suppress;
use skimlint::{annotated, report, testing};

use super::args::{ManifestCommand, RulesCommand};
use super::load_rules;

pub fn rules_command(command: RulesCommand) -> ExitCode {
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

pub fn manifest_command(command: ManifestCommand) -> ExitCode {
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

//! Finding rule files (embedded and on disk), parsing them, and reporting a broken file with its
//! path and the position of the error.

use std::path::{Path, PathBuf};

use crate::input::invalid_file::{InvalidFile, RuleFile as RuleFileRole};
use include_dir::{include_dir, Dir};

use super::compile::{Rule, RuleSet};
use super::schema::RuleFile;

static BUILTIN: Dir = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// A rule file that cannot be used. Shown with miette, pointing into the file.
pub type RuleError = InvalidFile<RuleFileRole>;

/// One rule file's text and where it came from.
pub struct RuleSource {
    pub path: String,
    pub text: String,
}

/// Whether the rule `id` loaded from `path` is the built-in rule file of that path
/// (`rules/<lang>/<name>.toml`, embedded in the binary).
pub fn is_builtin(path: &str, id: &str) -> bool {
    path.strip_prefix("rules/")
        .and_then(|p| BUILTIN.get_file(p))
        .and_then(|f| f.contents_utf8())
        .is_some_and(|text| text.contains(&format!("id = \"{id}\"")))
}

fn builtin_sources() -> Vec<RuleSource> {
    let mut out = Vec::new();
    let mut stack = vec![&BUILTIN];
    while let Some(dir) = stack.pop() {
        for entry in dir.entries() {
            match entry {
                include_dir::DirEntry::Dir(d) => stack.push(d),
                include_dir::DirEntry::File(f) => {
                    if f.path().extension().is_some_and(|e| e == "toml") {
                        out.push(RuleSource {
                            path: format!("rules/{}", f.path().display()),
                            text: f.contents_utf8().unwrap_or_default().to_string(),
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Reads every `*.toml` under `dir`, sorted by path.
pub fn dir_sources(dir: &Path) -> Result<Vec<RuleSource>, RuleError> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            RuleError::new(
                &d.display().to_string(),
                "",
                format!("cannot read rule folder: {e}"),
                None,
            )
        })?;
        for e in entries.flatten() {
            let p = e.path();
            let ft = e.file_type();
            if ft.as_ref().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let path = p.display().to_string();
            let text = std::fs::read_to_string(&p)
                .map_err(|e| RuleError::new(&path, "", format!("cannot read: {e}"), None))?;
            Ok(RuleSource { path, text })
        })
        .collect()
}

pub fn parse(source: &RuleSource) -> Result<RuleFile, RuleError> {
    toml::from_str::<RuleFile>(&source.text).map_err(|e| {
        RuleError::new(
            &source.path,
            &source.text,
            e.message().to_string(),
            e.span(),
        )
    })
}

/// The built-in rules plus those in `extra_dirs`; a later rule with the same id replaces an
/// earlier one (so a folder can override a built-in rule).
pub fn load_builtin_and(extra_dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
    let mut sources = builtin_sources();
    let builtin = sources.len();
    for d in extra_dirs {
        sources.extend(dir_sources(d)?);
    }
    // Queries are compiled merged per language (super::merge), which would not notice a custom
    // rule's capture that only another rule defines, or a rule's text that runs on into the
    // next rule's. So each custom rule's query is also compiled on its own, with positioned
    // errors (the built-in rules are checked by the tests).
    for s in &sources[builtin..] {
        let rule = Rule::compile(parse(s)?, s)?;
        for (_, c) in rule.constraints() {
            c.build_regexes().map_err(|(pattern, e)| {
                RuleError::new(
                    &s.path,
                    &s.text,
                    format!("invalid regex: {e}"),
                    super::compile::find(&s.text, &pattern),
                )
            })?;
        }
        for spec in &rule.specs {
            super::merge::check_alone(&rule, spec)?;
        }
    }
    load_sources(sources)
}

pub fn load_sources(sources: Vec<RuleSource>) -> Result<RuleSet, RuleError> {
    // Parse and compile the rule files (regexes) in parallel, then keep source order for
    // replacement and for which error is reported first. Queries are compiled afterwards, one
    // merged query per language (`RuleSet::new`, super::merge).
    use rayon::prelude::*;
    let compiled: Vec<Result<Rule, RuleError>> = sources
        .par_iter()
        .map(|s| Rule::compile(parse(s)?, s))
        .collect();
    let mut rules: Vec<Rule> = Vec::new();
    for rule in compiled {
        let rule = rule?;
        if let Some(i) = rules.iter().position(|r| r.meta.id == rule.meta.id) {
            rules[i] = rule;
        } else {
            rules.push(rule);
        }
    }
    RuleSet::new(rules)
}

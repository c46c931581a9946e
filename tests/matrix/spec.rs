//! The matrix's data files: one TOML file per behaviour family under `tests/matrix/families/`.
//!
//! A family lists behaviours (code templates with the expected verdict) and slots (the spellings
//! each template can be written with). Templates mark what the obfuscations may hide:
//! `«text»` is a string literal, `⟨name⟩` a member name (JavaScript: `.name` or `["name"]`) or a
//! function name (PHP: `name(` or a variable function). `{slot}` is replaced by each of the
//! slot's spellings in turn before anything else.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Javascript,
    Php,
    /// Apache/PHP configuration (`.htaccess`, `.user.ini`): carried as is.
    Config,
}

/// What a case must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Malicious: at least one warning or error.
    Bad,
    /// Malicious with strong evidence: at least one error.
    Error,
    /// A legitimate use of the same APIs: no warning and no error (notes are fine).
    Good,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// Short family name shown in the report.
    pub family: String,
    pub language: Language,
    /// Where the behaviour comes from (documentation, threat model), for the reader.
    #[allow(dead_code)]
    pub description: String,
    #[serde(default)]
    pub slots: BTreeMap<String, Vec<String>>,
    /// Carriers every behaviour of the family is put in (default: all of the language's).
    #[serde(default)]
    pub carriers: Option<Vec<String>>,
    /// Obfuscations every behaviour is hidden by (default: all of the language's).
    #[serde(default)]
    pub obfuscations: Option<Vec<String>>,
    #[serde(rename = "behaviour")]
    pub behaviours: Vec<Behaviour>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub name: String,
    pub verdict: Verdict,
    pub code: String,
    /// Overrides the family's carriers for this behaviour.
    #[serde(default)]
    pub carriers: Option<Vec<String>>,
    /// Overrides the family's obfuscations for this behaviour.
    #[serde(default)]
    pub obfuscations: Option<Vec<String>>,
    #[allow(dead_code)]
    #[serde(default)]
    pub note: Option<String>,
}

pub fn load_families(dir: &Path) -> Vec<Family> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Every way of filling a template's slots, in a fixed order: the cross product of the slots
/// the template names (each slot expanded once, even where it is used twice). Slot values may
/// name further slots.
pub fn expand_slots(
    code: &str,
    slots: &BTreeMap<String, Vec<String>>,
) -> Vec<(Vec<String>, String)> {
    let mut out = vec![(Vec::new(), code.to_string())];
    for _round in 0..8 {
        let mut changed = false;
        let mut next = Vec::new();
        for (label, text) in &out {
            let Some(key) = slots.keys().find(|k| text.contains(&format!("{{{k}}}"))) else {
                next.push((label.clone(), text.clone()));
                continue;
            };
            changed = true;
            for value in &slots[key] {
                let short: String = value.replace('\n', " ").chars().take(48).collect();
                let mut label = label.clone();
                label.push(format!("{key}={short}"));
                next.push((label, fill(text, &format!("{{{key}}}"), value)));
            }
        }
        out = next;
        if !changed {
            break;
        }
    }
    out
}

/// Replaces every `slot` in `text` by `value`; where the slot starts its line after indentation,
/// the value's further lines get the same indentation, so a multi-line spelling stays inside
/// the block it was put in (goto flattening reads indentation as "continues the statement").
fn fill(text: &str, slot: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(slot) {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let indent = &before[line_start..];
        out.push_str(before);
        if !indent.is_empty() && indent.chars().all(|c| c == ' ' || c == '\t') {
            out.push_str(&value.replace('\n', &format!("\n{indent}")));
        } else {
            out.push_str(value);
        }
        rest = &rest[at + slot.len()..];
    }
    out.push_str(rest);
    out
}

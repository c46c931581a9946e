//! `skimlint.toml`: which files to scan, which rules to run at which severity, extra rule
//! folders, the shop's own hosts, and the limits. Found by walking up from the first scanned path
//! (or given with `--config`). Unknown keys and invalid values are errors that point at the line
//! and column in the file. See README.md ("Configuration") for the reference.

// Errors carry the file text for positioned diagnostics; they happen once, at start-up.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::fold::Limits;
use crate::input::invalid_file::{Configuration, InvalidFile};
use crate::rules::{RuleSet, Severity};

/// The file name looked for in the scanned folder and its parents.
pub const FILE_NAME: &str = "skimlint.toml";

/// A configuration file that cannot be used, with the position of the problem.
pub type ConfigError = InvalidFile<Configuration>;

fn invalid(
    path: &Path,
    text: &str,
    message: impl Into<String>,
    span: Option<Range>,
) -> ConfigError {
    InvalidFile::new(&path.display().to_string(), text, message, span)
}

type Range = std::ops::Range<usize>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rule_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    known_good: Vec<Spanned<String>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    hosts: RawHosts,
    #[serde(default)]
    limits: RawLimits,
    profile: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHosts {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<Spanned<u64>>,
    max_layer_depth: Option<Spanned<u64>>,
    max_decoded_bytes: Option<Spanned<u64>>,
    parse_timeout_ms: Option<Spanned<u64>>,
    file_timeout_ms: Option<Spanned<u64>>,
}

/// Hosts that belong to the shop (its own domains, CDNs, payment providers). A pattern is a host
/// name (`shop.example.com`) or a wildcard over its subdomains (`*.example.com`, which does not
/// match `example.com` itself). Parsed and validated here; host judgement (`hosts::classify`)
/// matches the same patterns with the same function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostAllowlist {
    /// Lower-case patterns, sorted and deduplicated.
    pub patterns: Vec<String>,
}

impl HostAllowlist {
    /// Whether `host` (any case, optional trailing dot) is one of the allowed hosts.
    pub fn allows(&self, host: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| crate::hosts::allow_pattern_matches(p, host))
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Checks one `[hosts] allow` entry; returns it lower-cased.
fn valid_host_pattern(p: &str) -> Result<String, String> {
    let lower = p.to_ascii_lowercase();
    let name = lower.strip_prefix("*.").unwrap_or(&lower);
    if name.is_empty() || name.len() > 253 {
        return Err(format!("`{p}` is not a host name"));
    }
    if p.contains("://") || p.contains('/') || p.contains(':') {
        return Err(format!(
            "`{p}`: give a host name only (no scheme, port or path), e.g. `shop.example.com`"
        ));
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!(
                "`{p}` is not a host name (letters, digits, `-` and dots; `*.` only as a prefix; \
                 non-ASCII names in punycode)"
            ));
        }
    }
    Ok(lower)
}

/// `include`/`exclude` globs, relative to the configuration file's folder.
#[derive(Debug, Clone)]
pub struct PathFilter {
    base: PathBuf,
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl PathFilter {
    /// Whether a discovered file is scanned. A pattern matches a file when it matches the file's
    /// path relative to the configuration folder, or one of the folders on that path.
    pub fn allows(&self, path: &Path) -> bool {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.base).unwrap_or(path);
        let rel = PathBuf::from(rel.to_string_lossy().replace('\\', "/"));
        let mut prefixes: Vec<&Path> = rel
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        prefixes.reverse();
        let matches = |set: &GlobSet| prefixes.iter().any(|p| set.is_match(p));
        if let Some(include) = &self.include {
            if !matches(include) {
                return false;
            }
        }
        !matches(&self.exclude)
    }
}

/// Compiles gitignore-style globs: a pattern without `/` matches a name at any depth; a pattern
/// with `/` is anchored at the configuration folder (a leading `/` is allowed); a trailing `/`
/// is dropped (folders match their contents anyway). `*` stays within one path segment.
fn globset(patterns: &[Spanned<String>], path: &Path, text: &str) -> Result<GlobSet, ConfigError> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let raw = p.get_ref().trim();
        let trimmed = raw.trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(invalid(path, text, "empty glob pattern", Some(p.span())));
        }
        let pattern = if let Some(anchored) = trimmed.strip_prefix('/') {
            anchored.to_string()
        } else if trimmed.contains('/') {
            trimmed.to_string()
        } else {
            format!("**/{trimmed}")
        };
        let glob = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                invalid(
                    path,
                    text,
                    format!("invalid glob `{raw}`: {}", e.kind()),
                    Some(p.span()),
                )
            })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| invalid(path, text, format!("invalid globs: {e}"), None))
}

/// A parsed and validated configuration file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    text: String,
    /// `include`/`exclude`; `None` when neither is given.
    pub filter: Option<PathFilter>,
    /// `rule-dirs`, resolved against the configuration file's folder.
    pub rule_dirs: Vec<PathBuf>,
    /// `known-good` manifest files, resolved against the configuration file's folder.
    pub known_good: Vec<PathBuf>,
    pub hosts: HostAllowlist,
    enable: Vec<Spanned<String>>,
    disable: Vec<Spanned<String>>,
    severity: Vec<(Spanned<String>, Severity)>,
    limits: RawLimitsResolved,
    /// `profile = "default" | "review"` (the command line's `--profile` wins).
    pub profile: Option<crate::scan::profile::Profile>,
}

#[derive(Debug, Clone, Default)]
struct RawLimitsResolved {
    max_file_bytes: Option<u64>,
    max_layer_depth: Option<usize>,
    max_decoded_bytes: Option<usize>,
    parse_budget: Option<Duration>,
    file_budget: Option<Duration>,
}

/// The deepest `max-layer-depth` accepted: each layer is a full rescan of a decoded payload.
const LAYER_DEPTH_CEILING: u64 = 64;

impl Config {
    /// The nearest `skimlint.toml` in `start`'s folder (or `start` itself when it is a folder)
    /// and its parents.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(start).ok()?;
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
        None
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(path, "", format!("cannot read: {e}"), None))?;
        Config::parse(path, &text)
    }

    /// Parses and validates `text` as if read from `path` (relative paths resolve against its
    /// folder).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| invalid(path, text, e.message().trim().to_string(), e.span()))?;
        let err = |m: String, span: Range| invalid(path, text, m, Some(span));
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let filter = if raw.include.is_empty() && raw.exclude.is_empty() {
            None
        } else {
            Some(PathFilter {
                base: base.clone(),
                include: if raw.include.is_empty() {
                    None
                } else {
                    Some(globset(&raw.include, path, text)?)
                },
                exclude: globset(&raw.exclude, path, text)?,
            })
        };
        let mut rule_dirs = Vec::new();
        for d in &raw.rule_dirs {
            let dir = base.join(d.get_ref());
            if !dir.is_dir() {
                return Err(err(
                    format!("rule folder `{}` does not exist", dir.display()),
                    d.span(),
                ));
            }
            rule_dirs.push(dir);
        }
        let mut known_good = Vec::new();
        for m in &raw.known_good {
            let file = base.join(m.get_ref());
            if !file.is_file() {
                return Err(err(
                    format!("known-good manifest `{}` does not exist", file.display()),
                    m.span(),
                ));
            }
            known_good.push(file);
        }
        let mut hosts = Vec::new();
        for h in &raw.hosts.allow {
            hosts.push(valid_host_pattern(h.get_ref()).map_err(|m| err(m, h.span()))?);
        }
        hosts.sort();
        hosts.dedup();
        let mut severity = Vec::new();
        for (id, level) in raw.rules.severity {
            let s = match level.get_ref().as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "note" => Severity::Note,
                other => {
                    return Err(err(
                        format!("severity `{other}` must be `error`, `warning` or `note`"),
                        level.span(),
                    ))
                }
            };
            severity.push((id, s));
        }
        let profile = match &raw.profile {
            Some(p) => Some(
                crate::scan::profile::Profile::parse(p.get_ref()).ok_or_else(|| {
                    err(
                        format!("profile `{}` must be `default` or `review`", p.get_ref()),
                        p.span(),
                    )
                })?,
            ),
            None => None,
        };
        let l = &raw.limits;
        let positive = |v: &Option<Spanned<u64>>, name: &str| -> Result<Option<u64>, ConfigError> {
            match v {
                Some(s) if *s.get_ref() == 0 => {
                    Err(err(format!("`{name}` must be greater than 0"), s.span()))
                }
                Some(s) => Ok(Some(*s.get_ref())),
                None => Ok(None),
            }
        };
        let depth = positive(&l.max_layer_depth, "max-layer-depth")?;
        if let (Some(d), Some(s)) = (depth, &l.max_layer_depth) {
            if d > LAYER_DEPTH_CEILING {
                return Err(err(
                    format!("`max-layer-depth` must be at most {LAYER_DEPTH_CEILING}"),
                    s.span(),
                ));
            }
        }
        let to_usize = |v: Option<u64>| v.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let limits = RawLimitsResolved {
            max_file_bytes: positive(&l.max_file_size, "max-file-size")?,
            max_layer_depth: to_usize(depth),
            max_decoded_bytes: to_usize(positive(&l.max_decoded_bytes, "max-decoded-bytes")?),
            parse_budget: positive(&l.parse_timeout_ms, "parse-timeout-ms")?
                .map(Duration::from_millis),
            file_budget: positive(&l.file_timeout_ms, "file-timeout-ms")?
                .map(Duration::from_millis),
        };
        Ok(Config {
            path: path.to_path_buf(),
            text: text.to_string(),
            filter,
            rule_dirs,
            known_good,
            hosts: HostAllowlist { patterns: hosts },
            enable: raw.rules.enable,
            disable: raw.rules.disable,
            severity,
            limits,
            profile,
        })
    }

    /// Sets the `[limits]` given in the file; others keep their value.
    pub fn apply_limits(&self, limits: &mut Limits) {
        let l = &self.limits;
        if let Some(v) = l.max_file_bytes {
            limits.max_file_bytes = v;
        }
        if let Some(v) = l.max_layer_depth {
            limits.max_layer_depth = v;
        }
        if let Some(v) = l.max_decoded_bytes {
            limits.max_decoded_bytes_per_file = v;
            limits.max_inflate_bytes = limits.max_inflate_bytes.min(v);
        }
        if let Some(v) = l.parse_budget {
            limits.parse_budget = v;
        }
        if let Some(v) = l.file_budget {
            limits.file_budget = v;
        }
    }

    /// Applies `[rules]` to a loaded rule set. A rule that is not enabled, or disabled, becomes
    /// a signal: it still runs (other rules may build on it) but is never reported. Every id
    /// must name a reported rule (`lang/*` selects a language's rules), so a typo is an error
    /// rather than a silently ignored setting.
    pub fn apply_rules(&self, rules: &mut RuleSet) -> Result<(), ConfigError> {
        let reported: Vec<String> = rules.reported().map(|r| r.meta.id.clone()).collect();
        let selected = |pattern: &Spanned<String>| -> Result<Vec<String>, ConfigError> {
            let p = pattern.get_ref();
            let hits: Vec<String> = match p.strip_suffix('*') {
                Some(prefix) => reported
                    .iter()
                    .filter(|id| id.starts_with(prefix))
                    .cloned()
                    .collect(),
                None => reported.iter().filter(|id| *id == p).cloned().collect(),
            };
            if hits.is_empty() {
                return Err(invalid(
                    &self.path,
                    &self.text,
                    format!("no reported rule `{p}` (see `skimlint rules list`)"),
                    Some(pattern.span()),
                ));
            }
            Ok(hits)
        };
        let mut enabled: Option<Vec<String>> = None;
        for e in &self.enable {
            enabled.get_or_insert_with(Vec::new).extend(selected(e)?);
        }
        let mut disabled = Vec::new();
        for d in &self.disable {
            disabled.extend(selected(d)?);
        }
        let mut overrides = Vec::new();
        for (id, s) in &self.severity {
            for hit in selected(id)? {
                overrides.push((hit, *s));
            }
        }
        for rule in &mut rules.rules {
            let id = &rule.meta.id;
            if rule.meta.severity == Severity::Signal {
                continue;
            }
            if let Some((_, s)) = overrides.iter().rev().find(|(o, _)| o == id) {
                rule.meta.severity = *s;
            }
            let off = enabled.as_ref().is_some_and(|e| !e.contains(id)) || disabled.contains(id);
            if off {
                rule.meta.severity = Severity::Signal;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/proj/skimlint.toml"), text)
    }

    #[test]
    fn unknown_keys_are_errors_with_line_and_column() {
        let e = parse("exclude = [\"vendor\"]\n\n[rules]\ndisabel = [\"js/x\"]\n").unwrap_err();
        assert_eq!(e.position(), Some((4, 1)), "{}", e.plain());
        assert!(e.message.contains("disabel"), "{}", e.message);
        let e = parse("[limits]\nmax-file-size = -1\n").unwrap_err();
        assert_eq!(e.position().map(|p| p.0), Some(2));
        let e = parse("[rules.severity]\n\"js/x\" = \"loud\"\n").unwrap_err();
        assert_eq!(e.position(), Some((2, 10)));
    }

    #[test]
    fn limits_map_onto_fold_limits() {
        let c = parse(
            "[limits]\nmax-file-size = 1000\nmax-layer-depth = 3\nmax-decoded-bytes = 4096\n\
             parse-timeout-ms = 250\nfile-timeout-ms = 900\n",
        )
        .unwrap();
        let mut l = Limits::default();
        c.apply_limits(&mut l);
        assert_eq!(l.max_file_bytes, 1000);
        assert_eq!(l.max_layer_depth, 3);
        assert_eq!(l.max_decoded_bytes_per_file, 4096);
        assert_eq!(l.max_inflate_bytes, 4096);
        assert_eq!(l.parse_budget, Duration::from_millis(250));
        assert_eq!(l.file_budget, Duration::from_millis(900));
        assert!(parse("[limits]\nmax-layer-depth = 0\n").is_err());
        assert!(parse("[limits]\nmax-layer-depth = 1000\n").is_err());
    }

    #[test]
    fn hosts_are_validated_and_matched() {
        let c = parse("[hosts]\nallow = [\"Shop.Example.com\", \"*.stripe.com\"]\n").unwrap();
        assert_eq!(c.hosts.patterns, vec!["*.stripe.com", "shop.example.com"]);
        assert!(c.hosts.allows("shop.example.com."));
        assert!(c.hosts.allows("js.STRIPE.com"));
        assert!(!c.hosts.allows("stripe.com"));
        assert!(!c.hosts.allows("evilstripe.com"));
        assert!(!c.hosts.allows("shop.example.com.evil.net"));
        for bad in [
            "https://x.com",
            "x.com/path",
            "x.com:443",
            "a..b",
            "*",
            "ex ample.com",
        ] {
            let e = parse(&format!("[hosts]\nallow = [\"{bad}\"]\n")).unwrap_err();
            assert_eq!(e.position(), Some((2, 10)), "{bad}: {}", e.plain());
        }
    }

    #[test]
    fn globs_are_gitignore_like_and_relative_to_the_config_folder() {
        let c = parse(
            "include = [\"app/\", \"*.phtml\"]\nexclude = [\"vendor\", \"*.min.js\", \"/app/generated/**\"]\n",
        )
        .unwrap();
        let f = c.filter.unwrap();
        assert!(f.allows(Path::new("/proj/app/code/a.js")));
        assert!(f.allows(Path::new("/proj/design/x.phtml")));
        assert!(!f.allows(Path::new("/proj/design/x.js")));
        assert!(!f.allows(Path::new("/proj/app/vendor/lib/a.js")));
        assert!(!f.allows(Path::new("/proj/app/code/a.min.js")));
        assert!(!f.allows(Path::new("/proj/app/generated/x/a.js")));
        assert!(f.allows(Path::new("/proj/app/code/generated/a.js")));
        let e = parse("exclude = [\"a/[b\"]\n").unwrap_err();
        assert_eq!(e.position(), Some((1, 12)));
    }
}

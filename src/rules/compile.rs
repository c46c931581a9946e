//! Compiling rule files: tree-sitter queries per language, regexes, references between rules
//! resolved to indexes, and an evaluation order in which every rule runs after the rules it
//! refers to. Done once per run; the result is shared by all threads.

use std::collections::HashMap;
use std::sync::Arc;

use tree_sitter::Query;

use super::lazy_regex::{BytesRegex, NameRegex};
use super::load::{RuleError, RuleSource};
use super::schema::{Composite, Constraint, RuleFile, Severity, Target};
use crate::syntax::lang::Lang;

/// A constraint with its regexes compiled and rule references resolved.
#[derive(Debug, Default, Clone)]
pub struct CompiledConstraint {
    pub regex: Option<BytesRegex>,
    pub not_regex: Option<BytesRegex>,
    pub any_of: Option<Vec<String>>,
    pub min_length: Option<usize>,
    pub entropy_above: Option<f64>,
    pub value_regex: Option<BytesRegex>,
    pub value_not_regex: Option<BytesRegex>,
    pub resolves_to: Option<NameRegex>,
    pub not_resolves_to: Option<NameRegex>,
    pub decoded_by: Option<Vec<String>>,
    pub decoded: Option<bool>,
    pub card_field: Option<bool>,
    pub host: Option<Vec<String>>,
    pub contains: Vec<usize>,
    pub not_contains: Vec<usize>,
    pub tainted_by: Vec<usize>,
    pub sanitized_by: Vec<usize>,
    pub is: Vec<usize>,
    pub inside: Vec<usize>,
    pub not_inside: Vec<usize>,
    /// Rule ids as written, resolved to indexes by `RuleSet::new`.
    refs: ConstraintRefs,
}

#[derive(Debug, Default, Clone)]
struct ConstraintRefs {
    contains: Vec<String>,
    not_contains: Vec<String>,
    tainted_by: Vec<String>,
    sanitized_by: Vec<String>,
    is: Vec<String>,
    inside: Vec<String>,
    not_inside: Vec<String>,
}

/// A rule's query for one language, linked into the query that runs it (see `super::merge`):
/// usually the one merged query of its language, shared by every rule; capture indexes are
/// that query's.
#[derive(Debug)]
pub struct CompiledQuery {
    pub lang: Lang,
    pub query: Arc<Query>,
    /// This rule's patterns in `query` (shared with rules that have the same pattern).
    pub patterns: Vec<usize>,
    /// Capture reported as the finding's location; `None`: the widest capture of the match.
    pub report: Option<u32>,
    pub constraints: Vec<(u32, String, CompiledConstraint)>,
}

impl CompiledConstraint {
    /// Builds every regex of the constraint now (they are otherwise built on first use, see
    /// `super::lazy_regex`); the pattern and the reason of the first that cannot be built.
    pub fn build_regexes(&self) -> Result<(), (String, String)> {
        let bytes = [
            &self.regex,
            &self.not_regex,
            &self.value_regex,
            &self.value_not_regex,
        ];
        for re in bytes.into_iter().flatten() {
            re.force().map_err(|e| (re.as_str().to_string(), e))?;
        }
        for re in [&self.resolves_to, &self.not_resolves_to]
            .into_iter()
            .flatten()
        {
            re.force().map_err(|e| (re.as_str().to_string(), e))?;
        }
        Ok(())
    }
}

/// A rule's query for one language as written, before it is compiled by `super::merge::link`.
#[derive(Debug)]
pub struct QuerySpec {
    pub lang: Lang,
    /// The query source.
    pub text: String,
    /// Where `text` starts in the rule file (for positioned errors).
    pub text_at: usize,
    /// Leading newlines trimmed from `text` in the file (tree-sitter offsets count them).
    pub lead: usize,
    pub report: Option<String>,
    pub constraints: Vec<(String, CompiledConstraint)>,
}

/// A composite with rule ids resolved to indexes.
#[derive(Debug)]
pub struct CompiledComposite {
    pub all: Vec<usize>,
    pub any: Vec<usize>,
    pub min_any: usize,
    pub none: Vec<usize>,
    /// Minimum number of matches per rule index (absent: one).
    pub min_matches: HashMap<usize, usize>,
    /// Bytes from the first contributing match's start to the last's (absent: the whole file).
    pub within: Option<usize>,
}

impl CompiledComposite {
    /// How many matches of rule `id` count (`min-matches`, default one).
    pub fn need(&self, id: usize) -> usize {
        self.min_matches.get(&id).copied().unwrap_or(1)
    }
}

#[derive(Debug)]
pub struct Rule {
    pub meta: RuleFile,
    pub source_path: String,
    /// The rule file's text, for positioned errors found when the queries are linked.
    pub source_text: String,
    /// The queries as written, per language; compiled on first use per language
    /// (`RuleSet::linked`).
    pub specs: Vec<QuerySpec>,
    pub composite: Option<CompiledComposite>,
    /// For rules on text items instead of syntax trees (`script-src` addresses, `htaccess`
    /// directive lines): the target and the constraint on the item.
    pub text_rule: Option<(Target, CompiledConstraint)>,
}

impl Rule {
    /// Every constraint of the rule with its capture's name: its queries' and its text
    /// target's.
    pub fn constraints(&self) -> impl Iterator<Item = (&str, &CompiledConstraint)> {
        let queries = self
            .specs
            .iter()
            .flat_map(|s| s.constraints.iter().map(|(n, c)| (n.as_str(), c)));
        queries.chain(self.text_rule.iter().map(|(_, c)| ("text", c)))
    }

    pub fn compile(meta: RuleFile, source: &RuleSource) -> Result<Rule, RuleError> {
        let err = |msg: String, needle: Option<&str>| {
            let span = needle
                .and_then(|n| source.text.find(n))
                .map(|s| s..s + needle.map_or(0, str::len));
            RuleError::new(&source.path, &source.text, msg, span)
        };
        if !valid_id(&meta.id) {
            return Err(err(
                format!("rule id `{}` must look like `lang/kebab-name`", meta.id),
                Some(&meta.id),
            ));
        }
        if let Some(s) = meta.security_severity {
            // GitHub maps a score to critical/high/medium/low and refuses 0 (no severity).
            if !(s > 0.0 && s <= 10.0) {
                return Err(err(
                    "security-severity must be above 0.0 and at most 10.0 (leave it out for \
                     a rule without a security severity)"
                        .into(),
                    Some("security-severity"),
                ));
            }
        }
        let mut specs = Vec::new();
        match (&meta.query, &meta.composite) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "a rule has either a query or a composite, not both".into(),
                    Some("composite"),
                ))
            }
            (None, None)
                if meta.languages == [Target::ScriptSrc]
                    || meta.languages == [Target::InjectedSrc]
                    || meta.languages == [Target::Htaccess] =>
            {
                let target = meta.languages[0];
                let capture = if target == Target::Htaccess {
                    "line"
                } else {
                    "src"
                };
                let Some(c) = meta.constraints.get(capture) else {
                    return Err(err(
                        format!("this rule needs a `[where.{capture}]` table"),
                        Some("languages"),
                    ));
                };
                if meta.constraints.len() > 1 {
                    return Err(err(
                        format!("this rule constrains only `{capture}`"),
                        Some("[where"),
                    ));
                }
                // A text item has no tree: predicates about other rules' matches, data flow
                // or callee names cannot hold on it.
                let tree_only = [
                    ("contains", c.contains.is_some()),
                    ("not-contains", c.not_contains.is_some()),
                    ("is", c.is.is_some()),
                    ("inside", c.inside.is_some()),
                    ("not-inside", c.not_inside.is_some()),
                    ("tainted-by", c.tainted_by.is_some()),
                    ("sanitized-by", c.sanitized_by.is_some()),
                    ("resolves-to", c.resolves_to.is_some()),
                    ("not-resolves-to", c.not_resolves_to.is_some()),
                ];
                if let Some((key, _)) = tree_only.iter().find(|(_, given)| *given) {
                    let at = format!("\n{key} ");
                    let span = source
                        .text
                        .find(&at)
                        .map(|s| s + 1..s + 1 + key.len())
                        .or_else(|| find(&source.text, key));
                    return Err(RuleError::new(
                        &source.path,
                        &source.text,
                        format!("`{key}` needs a syntax tree; this rule's `{capture}` is text"),
                        span,
                    ));
                }
                let compiled = compile_constraint(c, source)?;
                return Ok(Rule {
                    meta,
                    source_path: source.path.clone(),
                    source_text: String::new(),
                    specs,
                    composite: None,
                    text_rule: Some((target, compiled)),
                });
            }
            (None, None) => {
                return Err(err(
                    "a rule needs a `query` or a `[composite]` table".into(),
                    None,
                ))
            }
            (Some(q), None) => {
                if meta.languages.is_empty() {
                    return Err(err("a query rule needs `languages`".into(), Some("id")));
                }
                for target in &meta.languages {
                    let lang = match target {
                        Target::Javascript => Lang::Javascript,
                        Target::Php => Lang::Php,
                        Target::ScriptSrc | Target::InjectedSrc | Target::Htaccess => {
                            return Err(err(
                                "`script-src` rules have no query".into(),
                                Some("script-src"),
                            ));
                        }
                    };
                    specs.push(query_spec(&meta, q, lang, source)?);
                }
            }
            (None, Some(c)) => {
                if c.within == Some(0) {
                    return Err(err(
                        "`within` must be greater than 0 (bytes)".into(),
                        Some("within"),
                    ));
                }
                if !meta.constraints.is_empty() {
                    return Err(err(
                        "a composite rule has no captures to constrain".into(),
                        Some("[where"),
                    ));
                }
            }
        }
        let source_text = if specs.is_empty() {
            String::new()
        } else {
            source.text.clone()
        };
        Ok(Rule {
            meta,
            source_path: source.path.clone(),
            source_text,
            specs,
            composite: None,
            text_rule: None,
        })
    }

    pub fn id(&self) -> &str {
        &self.meta.id
    }

    pub fn severity(&self) -> Severity {
        self.meta.severity
    }
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.split('/');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    ok(a) && ok(b)
}

fn query_spec(
    meta: &RuleFile,
    q: &str,
    lang: Lang,
    source: &RuleSource,
) -> Result<QuerySpec, RuleError> {
    let mut constraints = Vec::new();
    for (name, c) in &meta.constraints {
        constraints.push((name.clone(), compile_constraint(c, source)?));
    }
    Ok(QuerySpec {
        lang,
        text: q.to_string(),
        text_at: source.text.find(q.trim_start_matches('\n')).unwrap_or(0),
        lead: q.len() - q.trim_start_matches('\n').len(),
        report: meta.report.clone(),
        constraints,
    })
}

/// Compiles one rule's query on its own (the fallback when merging fails, and the check of
/// rules that are not built in). Errors point into the rule file.
pub(crate) fn compile_query(spec: &QuerySpec, path: &str, file: &str) -> Result<Query, RuleError> {
    Query::new(&spec.lang.grammar(), &spec.text).map_err(|e| {
        let at = spec.text_at + e.offset.saturating_sub(spec.lead);
        RuleError::new(
            path,
            file,
            format!(
                "query does not compile for {}: {:?} error: {}",
                spec.lang.name(),
                e.kind,
                e.message.lines().next().unwrap_or("")
            ),
            Some(at..at + 1),
        )
    })
}

pub(crate) fn find(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    text.find(needle).map(|s| s..s + needle.len())
}

fn compile_constraint(
    c: &Constraint,
    source: &RuleSource,
) -> Result<CompiledConstraint, RuleError> {
    const HOST_CLASSES: [&str; 5] = ["relative", "trusted", "known-bad", "lookalike", "foreign"];
    for h in c.host.iter().flatten() {
        if !HOST_CLASSES.contains(&h.as_str()) {
            return Err(RuleError::new(
                &source.path,
                &source.text,
                format!(
                    "unknown host class `{h}` (expected one of {})",
                    HOST_CLASSES.join(", ")
                ),
                find(&source.text, h),
            ));
        }
    }
    let known = crate::decode::labels();
    for l in c.decoded_by.iter().flatten() {
        if !known.contains(&l.as_str()) {
            return Err(RuleError::new(
                &source.path,
                &source.text,
                format!(
                    "unknown decoder `{l}` in `decoded-by` (expected one of {})",
                    known.join(", ")
                ),
                find(&source.text, &format!("\"{l}\"")).or_else(|| find(&source.text, l)),
            ));
        }
    }
    let re = |pattern: &Option<String>| -> Result<Option<BytesRegex>, RuleError> {
        pattern
            .as_ref()
            .map(|p| {
                BytesRegex::new(p).map_err(|e| {
                    RuleError::new(
                        &source.path,
                        &source.text,
                        format!("invalid regex: {e}"),
                        find(&source.text, p),
                    )
                })
            })
            .transpose()
    };
    let names = |list: &Option<Vec<String>>| -> Result<Option<NameRegex>, RuleError> {
        list.as_ref()
            .map(|names| {
                let alts: Vec<String> = names
                    .iter()
                    .map(|n| regex::escape(n).replace(r"\*", ".*"))
                    .collect();
                NameRegex::new(&format!("^(?:{})$", alts.join("|"))).map_err(|e| {
                    RuleError::new(
                        &source.path,
                        &source.text,
                        format!("invalid name pattern: {e}"),
                        None,
                    )
                })
            })
            .transpose()
    };
    Ok(CompiledConstraint {
        regex: re(&c.regex)?,
        not_regex: re(&c.not_regex)?,
        any_of: c.any_of.clone(),
        min_length: c.min_length,
        entropy_above: c.entropy_above,
        value_regex: re(&c.value_regex)?,
        value_not_regex: re(&c.value_not_regex)?,
        resolves_to: names(&c.resolves_to)?,
        not_resolves_to: names(&c.not_resolves_to)?,
        decoded_by: c.decoded_by.clone(),
        decoded: c.decoded,
        card_field: c.card_field,
        host: c.host.clone(),
        refs: ConstraintRefs {
            contains: c.contains.clone().unwrap_or_default(),
            not_contains: c.not_contains.clone().unwrap_or_default(),
            tainted_by: c.tainted_by.clone().unwrap_or_default(),
            sanitized_by: c.sanitized_by.clone().unwrap_or_default(),
            is: c.is.clone().unwrap_or_default(),
            inside: c.inside.clone().unwrap_or_default(),
            not_inside: c.not_inside.clone().unwrap_or_default(),
        },
        ..Default::default()
    })
}

/// All rules of a run, in evaluation order.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    /// Indexes into `rules`: every rule after the rules it refers to.
    pub order: Vec<usize>,
    /// Inverse of `order`: each rule's position in the evaluation order.
    pub rank: Vec<usize>,
    /// The compiled queries per language (indexed like `Lang::ALL`), built on first use:
    /// normally one merged query per language (see `super::merge`).
    linked: [std::sync::OnceLock<super::merge::Linked>; 2],
    /// Link each language as one query even with several cores (see
    /// [`RuleSet::prefer_one_query`]).
    one_query: std::sync::atomic::AtomicBool,
    /// Built on first use (`RuleSet::prefilter`).
    prefilter: std::sync::OnceLock<super::prefilter::Prefilter>,
}

impl RuleSet {
    pub fn new(mut rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        let by_id: HashMap<String, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.meta.id.clone(), i))
            .collect();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); rules.len()];
        for (i, rule) in rules.iter_mut().enumerate() {
            let path = rule.source_path.clone();
            let resolve =
                |ids: &[String], deps: &mut Vec<usize>| -> Result<Vec<usize>, RuleError> {
                    ids.iter()
                        .map(|id| {
                            let j = *by_id.get(id).ok_or_else(|| {
                                RuleError::new(
                                    &path,
                                    "",
                                    format!("refers to unknown rule `{id}`"),
                                    None,
                                )
                            })?;
                            deps.push(j);
                            Ok(j)
                        })
                        .collect()
                };
            let mut my_deps = Vec::new();
            for q in &mut rule.specs {
                for (_, c) in &mut q.constraints {
                    c.contains = resolve(&c.refs.contains, &mut my_deps)?;
                    c.not_contains = resolve(&c.refs.not_contains, &mut my_deps)?;
                    c.tainted_by = resolve(&c.refs.tainted_by, &mut my_deps)?;
                    c.sanitized_by = resolve(&c.refs.sanitized_by, &mut my_deps)?;
                    c.is = resolve(&c.refs.is, &mut my_deps)?;
                    c.inside = resolve(&c.refs.inside, &mut my_deps)?;
                    c.not_inside = resolve(&c.refs.not_inside, &mut my_deps)?;
                }
            }
            if let Some(Composite {
                all,
                any,
                min_any,
                min_matches,
                none,
                within,
            }) = &rule.meta.composite
            {
                let all_i = resolve(all, &mut my_deps)?;
                let any_i = resolve(any, &mut my_deps)?;
                let none_i = resolve(none, &mut my_deps)?;
                let ids: Vec<String> = min_matches.keys().cloned().collect();
                let counts = resolve(&ids, &mut my_deps)?
                    .into_iter()
                    .zip(min_matches.values().copied())
                    .collect();
                rule.composite = Some(CompiledComposite {
                    all: all_i,
                    any: any_i,
                    min_any: min_any.unwrap_or(1),
                    none: none_i,
                    min_matches: counts,
                    within: *within,
                });
            }
            deps[i] = my_deps;
        }
        // Topological order (Kahn), ties broken by id for determinism.
        let n = rules.len();
        let mut order = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while order.len() < n {
            let next = (0..n).find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]));
            match next {
                Some(i) => {
                    done[i] = true;
                    order.push(i);
                }
                None => {
                    let i = (0..n).find(|&i| !done[i]).unwrap_or(0);
                    return Err(RuleError::new(
                        &rules[i].source_path,
                        "",
                        "rules refer to each other in a cycle",
                        None,
                    ));
                }
            }
        }
        let mut rank = vec![0; n];
        for (pos, &i) in order.iter().enumerate() {
            rank[i] = pos;
        }
        Ok(RuleSet {
            rules,
            by_id,
            order,
            rank,
            linked: Default::default(),
            one_query: Default::default(),
            prefilter: std::sync::OnceLock::new(),
        })
    }

    /// The byte-level prefilter derived from these rules.
    pub fn prefilter(&self) -> &super::prefilter::Prefilter {
        self.prefilter
            .get_or_init(|| super::prefilter::Prefilter::new(self))
    }

    /// Asks for one query per language when languages are linked later: a long run walks each
    /// unit's tree once per query, and that costs more than compiling in parts saves (about
    /// 8% of a large bundle's analysis against ~0.2 s of start-up). Languages already linked
    /// stay as they are.
    pub fn prefer_one_query(&self) {
        self.one_query
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The compiled queries of `lang`, compiled on first use (concurrent callers wait).
    pub fn linked(&self, lang: Lang) -> &super::merge::Linked {
        let i = match lang {
            Lang::Javascript => 0,
            Lang::Php => 1,
        };
        let split = !self.one_query.load(std::sync::atomic::Ordering::Relaxed);
        self.linked[i].get_or_init(|| super::merge::link(&self.rules, lang, split))
    }

    /// Compiles the queries of every language now (in parallel) and returns the first rule
    /// that could not be linked.
    pub fn link_all(&self) -> Result<(), RuleError> {
        let (js, php) = rayon::join(|| self.linked(Lang::Javascript), || self.linked(Lang::Php));
        match js.error.as_ref().or(php.error.as_ref()) {
            Some(e) => Err(RuleError::new(
                &e.path,
                e.src.inner(),
                e.message.clone(),
                e.span.map(|s| s.offset()..s.offset() + s.len()),
            )),
            None => Ok(()),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Rules that are reported (everything but signals).
    pub fn reported(&self) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(|r| r.meta.severity != Severity::Signal)
    }
}

//! SARIF 2.1.0 through serde-sarif, shaped for GitHub code scanning: rules with help and
//! security-severity, relative URIs under `%SRCROOT%`, 1-based regions, stable
//! `primaryLocationLineHash`, decoded layers as codeFlows, unscannable files as notifications.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, CodeFlow, Invocation, Location, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif,
    ThreadFlow, ThreadFlowLocation, Tool, ToolComponent,
};

use super::chain;
use crate::finding::{Finding, Location as FindingLocation};
use crate::rules::schema::RuleFile;
use crate::rules::{Rule, RuleSet, Severity};
use crate::scan::ScanResult;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const REPOSITORY: &str = "https://github.com/skimlint/skimlint";

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note | Severity::Signal => ResultLevel::Note,
    }
}

fn level_json(s: Severity) -> serde_json::Value {
    json!(match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "note",
    })
}

/// Percent-encodes what a URI reference may not contain; `/` is kept. `:` is always encoded:
/// in a relative reference's first segment it would read as a scheme (`a:b.js`), which makes
/// the SARIF invalid.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a rule is documented: its rule file in the repository for a built-in rule (help,
/// examples and query), the README's section for skimlint's own rules, none for custom rules.
fn help_uri(m: &RuleFile, source: Option<&Rule>) -> Option<String> {
    match source {
        Some(r) if crate::rules::load::is_builtin(&r.source_path, &m.id) => {
            Some(format!("{REPOSITORY}/blob/main/{}", r.source_path))
        }
        Some(_) => None,
        None if m.id.starts_with("skimlint/") => {
            Some(format!("{REPOSITORY}#suppressing-a-finding"))
        }
        None => None,
    }
}

/// The first paragraph of a rule's markdown help (GitHub shows it as the rule's description).
pub fn first_paragraph(help: &str) -> Option<String> {
    let para: Vec<&str> = help
        .trim()
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let text = para.join(" ");
    (!text.is_empty()).then_some(text)
}

fn descriptor(m: &RuleFile, source: Option<&Rule>) -> ReportingDescriptor {
    let mut tags = m.tags.clone();
    tags.extend(
        m.cwe
            .iter()
            .map(|c| format!("external/cwe/{}", c.to_ascii_lowercase())),
    );
    let mut extra = BTreeMap::new();
    extra.insert("precision".to_string(), json!(m.precision.as_str()));
    if let Some(s) = m.security_severity {
        extra.insert("security-severity".to_string(), json!(format!("{s:.1}")));
    }
    let mut d = ReportingDescriptor::builder()
        .id(m.id.clone())
        .name(pascal(&m.id))
        .short_description(
            MultiformatMessageString::builder()
                .text(m.summary.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(first_paragraph(&m.help).unwrap_or_else(|| m.summary.clone()))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(m.help.clone())
                .markdown(m.help.clone())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level_json(m.severity))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build();
    d.help_uri = help_uri(m, source);
    d
}

/// `js/eval-of-decoded-string` → `JsEvalOfDecodedString`.
fn pascal(id: &str) -> String {
    id.split(['/', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn location(loc: &FindingLocation, message: Option<String>) -> Location {
    let region = Region::builder()
        .start_line(loc.start.line as i64)
        .start_column(loc.start.column as i64)
        .end_line(loc.end.line as i64)
        .end_column(loc.end.column as i64)
        .build();
    let physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(uri(&loc.path))
                .uri_base_id("%SRCROOT%")
                .build(),
        )
        .region(region)
        .build();
    match message {
        Some(m) => Location::builder()
            .physical_location(physical)
            .message(Message::builder().text(m).build())
            .build(),
        None => Location::builder().physical_location(physical).build(),
    }
}

/// Decoded layers as one thread flow: the outer literal, then each decoded text.
fn layer_flow(f: &Finding) -> Option<CodeFlow> {
    if f.layers.is_empty() {
        return None;
    }
    let mut steps = vec![ThreadFlowLocation::builder()
        .location(location(
            &f.location,
            Some(format!(
                "encoded literal, decoded by {}",
                chain::decoders(&f.layers[0])
            )),
        ))
        .build()];
    for step in chain::steps(&f.layers) {
        let text = format!(
            "layer {} ({}), line {} col {}: {}",
            step.number, step.scanned_as, step.line, step.column, step.excerpt
        );
        steps.push(
            // GitHub needs a physical location on every step: the decoded text has none in
            // the repository, so each layer points at the literal the chain was decoded from.
            ThreadFlowLocation::builder()
                .location(location(&f.location, Some(text)))
                .nesting_level(step.number as i64)
                .build(),
        );
    }
    let flow = ThreadFlow::builder().locations(steps).build();
    Some(
        CodeFlow::builder()
            .message(Message::builder().text(layer_summary(f)).build())
            .thread_flows(vec![flow])
            .build(),
    )
}

/// A data-flow trace (source, steps, then the sink) or the contributing places of a composite.
fn related_flow(f: &Finding) -> Option<CodeFlow> {
    if f.related.is_empty() {
        return None;
    }
    let mut steps: Vec<ThreadFlowLocation> = f
        .related
        .iter()
        .map(|r| {
            ThreadFlowLocation::builder()
                .location(location(&r.location, Some(r.message.clone())))
                .build()
        })
        .collect();
    if f.related
        .iter()
        .all(|r| r.location.bytes != f.location.bytes)
    {
        steps.push(
            ThreadFlowLocation::builder()
                .location(location(&f.location, Some(f.message.clone())))
                .build(),
        );
    }
    let flow = ThreadFlow::builder().locations(steps).build();
    Some(
        CodeFlow::builder()
            .message(Message::builder().text("trace".to_string()).build())
            .thread_flows(vec![flow])
            .build(),
    )
}

/// In a message with embedded links, literal brackets are written `\[` and `\]`.
fn escape_brackets(text: &str) -> String {
    text.replace('[', "\\[").replace(']', "\\]")
}

fn layer_summary(f: &Finding) -> String {
    format!(
        "found inside a decoded payload: {}",
        chain::summary(&f.layers)
    )
}

fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let mut message = f.message.clone();
    if !f.layers.is_empty() {
        message.push_str(&format!(
            " ({}; decoded line: {})",
            layer_summary(f),
            chain::decoded_line(&f.layers)
        ));
    }
    let mut partial = BTreeMap::new();
    partial.insert("primaryLocationLineHash".to_string(), f.line_hash.clone());
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("skimlint/v1".to_string(), f.fingerprint.clone());
    // Related locations are shown by GitHub only when the message links them: `[text](id)`.
    let related: Vec<Location> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut l = location(&r.location, Some(r.message.clone()));
            l.id = Some(i as i64 + 1);
            l
        })
        .collect();
    if !related.is_empty() {
        let links: Vec<String> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| format!("[{}]({})", escape_brackets(&r.message), i + 1))
            .collect();
        message = format!(
            "{}. Related: {}",
            escape_brackets(&message),
            links.join(", ")
        );
    }
    let mut r = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(Message::builder().text(message).build())
        .locations(vec![location(&f.location, None)])
        .partial_fingerprints(partial)
        .fingerprints(fingerprints)
        .build();
    // Optional parts are set on the built value: the builder's type-state cannot branch.
    r.code_flows = layer_flow(f)
        .or_else(|| related_flow(f))
        .map(|flow| vec![flow]);
    r.related_locations = (!related.is_empty()).then_some(related);
    r.rule_index = rule_index.map(|i| i as i64);
    r
}

/// `category`: the run's `automationDetails.id` is `CATEGORY/`; code scanning keeps the latest
/// upload per category, so runs over different parts need different categories.
pub fn build(result: &ScanResult, rules: &RuleSet, srcroot: Option<&str>, category: &str) -> Sarif {
    // skimlint's own rules (about suppressions) are described when they have results.
    let meta = crate::post::suppress::meta_rules();
    let reported: Vec<(&RuleFile, Option<&Rule>)> = rules
        .reported()
        .map(|r| (&r.meta, Some(r)))
        .chain(
            meta.iter()
                .filter(|m| result.findings.iter().any(|f| f.rule_id == m.id))
                .map(|m| (m, None)),
        )
        .collect();
    let index: BTreeMap<&str, usize> = reported
        .iter()
        .enumerate()
        .map(|(i, (r, _))| (r.id.as_str(), i))
        .collect();
    let driver = ToolComponent::builder()
        .name("skimlint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(REPOSITORY)
        .rules(
            reported
                .iter()
                .map(|(m, r)| descriptor(m, *r))
                .collect::<Vec<_>>(),
        )
        .build();
    let notifications: Vec<Notification> = result
        .problems
        .iter()
        .map(|p| {
            Notification::builder()
                .message(Message::builder().text(p.message.clone()).build())
                .level(json!("warning"))
                .locations(vec![Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(
                                ArtifactLocation::builder()
                                    .uri(uri(&p.path))
                                    .uri_base_id("%SRCROOT%")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(true)
        .tool_execution_notifications(notifications)
        .build();
    let results: Vec<SarifResult> = result
        .findings
        .iter()
        .map(|f| result_for(f, &index))
        .collect();
    let mut base_ids = BTreeMap::new();
    if let Some(root) = srcroot {
        base_ids.insert(
            "%SRCROOT%".to_string(),
            ArtifactLocation::builder().uri(root.to_string()).build(),
        );
    }
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("{}/", category.trim_end_matches('/')))
                .build(),
        )
        .column_kind(json!("utf16CodeUnits"))
        .original_uri_base_ids(base_ids)
        .build();
    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn result_for(f: &Finding, index: &BTreeMap<&str, usize>) -> SarifResult {
    result(f, index.get(f.rule_id.as_str()).copied())
}

pub fn write(
    out: &mut dyn Write,
    result: &ScanResult,
    rules: &RuleSet,
    srcroot: Option<&str>,
    category: &str,
) -> std::io::Result<()> {
    let sarif = build(result, rules, srcroot, category);
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

//! Recursion into decoded payloads: a folded value that looks like code or markup becomes a
//! nested unit scanned with every rule. Findings inside carry the chain of layers.

use std::sync::Arc;

use super::predicates::UnitFacts;
use super::{scan_unit, FileScan, Role};
pub use crate::finding::Layer;
use crate::fold::{Budget, Folder, LimitHit, PayloadCandidate, Sink};
use crate::input::source::LineIndex;
use crate::rules::RuleSet;
use crate::syntax::lang::Lang;
use crate::units::classify::{mostly_text, sniff_payload, PayloadKind};
use crate::units::{markup, FileUnits, ScriptSrc, Unit, UnitOrigin};

#[allow(clippy::too_many_arguments)]
pub(super) fn scan_payloads<'a>(
    folder: &Folder<'a>,
    facts: &UnitFacts<'_, 'a>,
    unit: &Unit,
    rules: &RuleSet,
    budget: &Budget,
    depth: usize,
    role: Role,
    out: &mut FileScan,
) {
    let mut seen = std::collections::HashSet::new();
    for PayloadCandidate {
        node: candidate,
        sink,
    } in folder.payload_candidates()
    {
        if budget.out_of_time() {
            return;
        }
        let Some(value) = folder
            .value(candidate)
            .or_else(|| folder.value_in_context(candidate))
        else {
            continue;
        };
        let Some(bytes) = value.as_bytes() else {
            continue;
        };
        let kind = match sink {
            Some(sink) => payload_kind_of(sink, bytes),
            None => sniff_payload(bytes, unit.lang),
        };
        let Some(kind) = kind else {
            continue;
        };
        // Depth is counted in quarters of a layer: a thin eval wrapper around a decompressed
        // payload (FOPO nests eight or more of them around the real code) costs one quarter,
        // any other layer a whole one. Decompression keeps such chains small; plain base64
        // onions grow by a third per layer and keep the full cost.
        let decompressed = value
            .decoders
            .iter()
            .any(|d| crate::decode::decompresses(d));
        let cost = match kind {
            PayloadKind::Code(Lang::Php) if decompressed && thin_wrapper(bytes) => 1,
            _ => QUARTERS,
        };
        if depth + cost > budget.limits.max_layer_depth.saturating_mul(QUARTERS) {
            budget.hit(LimitHit::LayerDepth);
            continue;
        }
        // PHP code in a plain string literal runs only if the unit hands it to a code sink or
        // writes it to a file; otherwise it is data (see `Role`).
        let role = match (role, kind) {
            (Role::Code, PayloadKind::Code(Lang::Php))
                if sink.is_none()
                    && value.decoders.is_empty()
                    && !facts.reaches_code_or_write(candidate) =>
            {
                Role::Data
            }
            (role, _) => role,
        };
        let mut decoders: Vec<String> = value.decoders.iter().map(|d| d.to_string()).collect();
        if decoders.is_empty() {
            // Markup held in a plain string literal (echoed or written into the page).
            decoders.push("string literal".into());
        }
        let nested_units = nested(kind, bytes);
        let mut inner = FileScan::default();
        // Code run by `eval` sees the caller's variables.
        let scope = match kind {
            PayloadKind::Code(Lang::Php) => folder.caller_scope(candidate),
            _ => None,
        };
        for u in &nested_units.units {
            let scope = scope.clone().filter(|_| u.lang == Lang::Php);
            scan_unit(u, rules, budget, depth + cost, scope, role, &mut inner);
        }
        super::scan_script_srcs(
            &nested_units.script_srcs,
            rules,
            &budget.limits.allowed_hosts,
            &mut inner,
        );
        scan_data_url_scripts(
            &nested_units.script_srcs,
            rules,
            budget,
            depth + cost,
            &mut inner,
        );
        // Markup that JavaScript writes into the page loads its scripts at run time.
        if unit.lang == Lang::Javascript && kind == PayloadKind::Markup {
            super::scan_text_items(
                &nested_units.script_srcs,
                crate::rules::Target::InjectedSrc,
                "{src}",
                rules,
                &budget.limits.allowed_hosts,
                &mut inner,
            );
        }
        let span = candidate.start_byte().saturating_sub(unit.prefix)
            ..candidate.end_byte().saturating_sub(unit.prefix);
        let scanned_as = match kind {
            PayloadKind::Code(l) => l.name(),
            PayloadKind::Markup => "markup",
        };
        let layer = LayerOf {
            decoders: &decoders,
            scanned_as,
            decoded: bytes,
            span,
        };
        layer.wrap(inner, &mut seen, out);
    }
}

/// Where a decoded payload sits in its parent and how it was read: wraps the payload's hits
/// into the parent's coordinates with one more layer.
struct LayerOf<'b> {
    decoders: &'b [String],
    scanned_as: &'b str,
    decoded: &'b [u8],
    /// The literal (or address) that carries the payload, in the parent's coordinates.
    span: std::ops::Range<usize>,
}

type SeenKey = (
    usize,
    std::ops::Range<usize>,
    String,
    Option<(usize, String)>,
);

impl LayerOf<'_> {
    fn wrap(
        &self,
        inner: FileScan,
        seen: &mut std::collections::HashSet<SeenKey>,
        out: &mut FileScan,
    ) {
        let index = LineIndex::new(self.decoded);
        for mut hit in inner.hits {
            let position = index.position(self.decoded, hit.span.start);
            let excerpt = super::predicates::short(
                &String::from_utf8_lossy(index.line_text(self.decoded, position.line)),
                120,
            );
            hit.layers.insert(
                0,
                Layer {
                    decoders: self.decoders.to_vec(),
                    scanned_as: self.scanned_as.to_string(),
                    position,
                    excerpt,
                },
            );
            hit.span = self.span.clone();
            hit.related.clear();
            // Both arms of `eval(check() ? decode(A) : decode(B))` usually hold the same code:
            // one finding per rule, place and innermost line.
            let innermost = hit
                .layers
                .last()
                .map(|l| (l.position.line, l.excerpt.clone()));
            let key = (hit.rule, hit.span.clone(), hit.message.clone(), innermost);
            if seen.insert(key) {
                out.hits.push(hit);
            }
        }
        out.problems.extend(inner.problems);
    }
}

/// Scripts loaded from `data:` addresses (`<script src="data:text/javascript;base64,…">`, a
/// created element's `src`, markup written at run time): the address *is* the code. It is
/// decoded (base64 or percent-encoding) and scanned as JavaScript, because a script element
/// runs it whatever it looks like; findings sit at the address.
pub(super) fn scan_data_url_scripts(
    srcs: &[ScriptSrc],
    rules: &RuleSet,
    budget: &Budget,
    depth: usize,
    out: &mut FileScan,
) {
    let mut seen = std::collections::HashSet::new();
    for src in srcs {
        let Some((code, label)) = data_url_body(src.url.as_bytes()) else {
            continue;
        };
        if code.len() < 6 || !mostly_text(&code) || !budget.take_decoded(code.len()) {
            continue;
        }
        if depth + QUARTERS > budget.limits.max_layer_depth.saturating_mul(QUARTERS) {
            budget.hit(LimitHit::LayerDepth);
            continue;
        }
        let unit = Unit {
            lang: Lang::Javascript,
            text: Arc::new(code),
            ranges: None,
            origin: UnitOrigin::WholeFile,
            prefix: 0,
        };
        let mut inner = FileScan::default();
        scan_unit(
            &unit,
            rules,
            budget,
            depth + QUARTERS,
            None,
            super::Role::Code,
            &mut inner,
        );
        let mut decoders: Vec<String> = src.decoders.iter().map(|d| d.to_string()).collect();
        decoders.push(label.to_string());
        let layer = LayerOf {
            decoders: &decoders,
            scanned_as: Lang::Javascript.name(),
            decoded: &unit.text,
            span: src.span.clone(),
        };
        layer.wrap(inner, &mut seen, out);
    }
}

/// The body of a `data:[type][;base64],body` address, decoded, and the decoder's label.
fn data_url_body(url: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    let url = url.trim_ascii();
    if url.len() < 5 || !url[..5].eq_ignore_ascii_case(b"data:") {
        return None;
    }
    let comma = memchr::memchr(b',', url)?;
    let meta = url[5..comma].to_ascii_lowercase();
    let body = &url[comma + 1..];
    if meta.ends_with(b";base64") {
        Some((crate::decode::bytes::base64(body)?, "base64"))
    } else {
        Some((crate::decode::bytes::percent(body, false), "urldecode"))
    }
}

/// A nested layer costs this many units of depth; a thin wrapper costs one.
const QUARTERS: usize = 4;

/// Decoded PHP that is little more than string literals around an `eval`: at most 4 KB of
/// code outside quotes (literal payloads, escaped names and `.=` pieces do not count).
fn thin_wrapper(bytes: &[u8]) -> bool {
    let mut code = Vec::with_capacity(4096);
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None => {
                if code.len() >= 4096 {
                    return false;
                }
                code.push(c.to_ascii_lowercase());
            }
        }
        i += 1;
    }
    crate::units::classify::memfind(&code, b"eval")
}

/// Units for a decoded payload.
fn nested(kind: PayloadKind, bytes: &[u8]) -> FileUnits {
    match kind {
        PayloadKind::Code(Lang::Php) => FileUnits {
            units: vec![Unit::php_code(bytes)],
            script_srcs: Vec::new(),
            directives: Vec::new(),
        },
        PayloadKind::Code(Lang::Javascript) => {
            let unit = Unit {
                lang: Lang::Javascript,
                text: Arc::new(bytes.to_vec()),
                ranges: None,
                origin: UnitOrigin::WholeFile,
                prefix: 0,
            };
            FileUnits {
                units: vec![unit],
                script_srcs: Vec::new(),
                directives: Vec::new(),
            }
        }
        PayloadKind::Markup => {
            let mut units = FileUnits::default();
            markup::extract_into(&Arc::new(bytes.to_vec()), &mut units);
            if crate::units::classify::memfind(&bytes.to_ascii_lowercase(), b"<?php") {
                units.units.push(Unit {
                    lang: Lang::Php,
                    text: Arc::new(bytes.to_vec()),
                    ranges: None,
                    origin: UnitOrigin::WholeFile,
                    prefix: 0,
                });
            }
            units
        }
    }
}

/// What a sink runs is read in the sink's language, never sniffed: a packed web shell's PHP
/// prints a form, and that must not turn the payload into markup. Binary junk is still skipped.
fn payload_kind_of(sink: Sink, bytes: &[u8]) -> Option<PayloadKind> {
    if bytes.len() < 6 || !mostly_text(bytes) {
        return None;
    }
    Some(match sink {
        Sink::PhpCode => PayloadKind::Code(Lang::Php),
        Sink::JsCode => PayloadKind::Code(Lang::Javascript),
        Sink::Markup => PayloadKind::Markup,
    })
}

#[cfg(test)]
mod tests {
    use super::thin_wrapper;

    #[test]
    fn thin_wrappers_are_literals_around_an_eval() {
        let blob = "A".repeat(50_000);
        let wrapper = format!(r#"$a="\x67z"; $a.="inflate"; @eval($a(base64_decode("{blob}")));"#);
        assert!(thin_wrapper(wrapper.as_bytes()));
        // No eval: not a wrapper, however short.
        assert!(!thin_wrapper(b"$x = 'a'; echo $x;"));
        // Real code around the eval costs a full layer.
        let code = "$i = $i + 1; ".repeat(400) + "eval($c);";
        assert!(!thin_wrapper(code.as_bytes()));
    }
}

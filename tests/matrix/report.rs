//! The per-axis report: recall on malicious cases and the share of near-misses flagged, per
//! family and per value of each axis (behaviour/spelling, obfuscation, carrier), so a miss says
//! which axis broke.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::spec::Verdict;
use super::{Case, Outcome};

#[derive(Default, Clone, Copy)]
struct Tally {
    bad: usize,
    caught: usize,
    good: usize,
    flagged: usize,
}

impl Tally {
    fn add(&mut self, verdict: Verdict, pass: bool) {
        if verdict == Verdict::Good {
            self.good += 1;
            self.flagged += usize::from(!pass);
        } else {
            self.bad += 1;
            self.caught += usize::from(pass);
        }
    }
    fn line(&self) -> String {
        let recall = if self.bad == 0 {
            "   -  ".to_string()
        } else {
            format!("{:5.3} ", self.caught as f64 / self.bad as f64)
        };
        format!(
            "recall {recall}({:>4}/{:<4})  flagged {:>3}/{:<4}",
            self.caught, self.bad, self.flagged, self.good
        )
    }
    fn perfect(&self) -> bool {
        self.caught == self.bad && self.flagged == 0
    }
}

pub struct Report {
    total: Tally,
    families: BTreeMap<String, Tally>,
    /// (axis, family, value) → tally.
    axes: BTreeMap<(&'static str, String, String), Tally>,
    misses: Vec<String>,
}

impl Report {
    pub fn new(cases: &[Case], outcomes: &[Outcome]) -> Self {
        let mut r = Report {
            total: Tally::default(),
            families: BTreeMap::new(),
            axes: BTreeMap::new(),
            misses: Vec::new(),
        };
        for (c, o) in cases.iter().zip(outcomes) {
            let pass = o.passes(c.verdict);
            r.total.add(c.verdict, pass);
            r.families
                .entry(c.family.clone())
                .or_default()
                .add(c.verdict, pass);
            let spellings = c.spellings.iter().map(|s| ("spelling", s));
            for (axis, value) in [
                ("behaviour", &c.behaviour),
                ("obfuscation", &c.obfuscation),
                ("carrier", &c.carrier),
            ]
            .into_iter()
            .chain(spellings)
            {
                r.axes
                    .entry((axis, c.family.clone(), value.clone()))
                    .or_default()
                    .add(c.verdict, pass);
            }
            if !pass {
                r.misses.push(format!(
                    "{:<5} {} | {} {:?} | {} | {} → {:?} {:?}{}",
                    match c.verdict {
                        Verdict::Good => "FP",
                        _ => "MISS",
                    },
                    c.family,
                    c.behaviour,
                    c.spellings,
                    c.obfuscation,
                    c.carrier,
                    o.worst.map(|s| s.as_str()).unwrap_or("nothing"),
                    o.rules,
                    if o.problems.is_empty() {
                        String::new()
                    } else {
                        format!(" problems: {:?}", o.problems)
                    }
                ));
            }
        }
        r
    }

    pub fn cases(&self) -> usize {
        self.total.bad + self.total.good
    }

    pub fn recall(&self) -> f64 {
        self.total.caught as f64 / self.total.bad.max(1) as f64
    }

    pub fn flagged(&self) -> f64 {
        self.total.flagged as f64 / self.total.good.max(1) as f64
    }

    /// The summary, then every axis value that is not perfect; with `all_misses`, every wrong
    /// case (otherwise the first 40).
    pub fn render(&self, all_misses: bool) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "technique matrix: {} cases  {}",
            self.cases(),
            self.total.line()
        );
        let _ = writeln!(s, "\nper family:");
        for (f, t) in &self.families {
            let _ = writeln!(s, "  {f:<28} {}", t.line());
        }
        for axis in ["behaviour", "obfuscation", "carrier", "spelling"] {
            let weak: Vec<_> = self
                .axes
                .iter()
                .filter(|((a, _, _), t)| *a == axis && !t.perfect())
                .collect();
            let _ = writeln!(s, "\nper {axis} (imperfect only, {} values):", weak.len());
            for ((_, family, value), t) in weak {
                let _ = writeln!(s, "  {family:<22} {value:<48} {}", t.line());
            }
        }
        let shown = if all_misses { self.misses.len() } else { 40 };
        let _ = writeln!(s, "\nwrong cases ({}):", self.misses.len());
        for m in self.misses.iter().take(shown) {
            let _ = writeln!(s, "  {m}");
        }
        s
    }
}

/// Writes each wrong case to `dir` as a file named after its axes, for reading and rescanning.
pub fn dump(dir: &Path, cases: &[Case], outcomes: &[Outcome]) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, (c, o)) in cases.iter().zip(outcomes).enumerate() {
        if o.passes(c.verdict) {
            continue;
        }
        let tag = if c.verdict == Verdict::Good {
            "fp"
        } else {
            "miss"
        };
        let safe = |s: &str| {
            s.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '-' {
                        ch
                    } else {
                        '_'
                    }
                })
                .take(40)
                .collect::<String>()
        };
        let name = format!(
            "{tag}-{i:05}-{}-{}-{}-{}",
            safe(&c.family),
            safe(&c.behaviour),
            safe(&c.obfuscation),
            c.file
        );
        std::fs::write(dir.join(name), &c.bytes).unwrap();
    }
}

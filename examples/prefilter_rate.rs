//! How much of a tree the byte-level prefilter sends to the full scan, by file kind:
//! `cargo run --release --example prefilter_rate -- PATHS...`. Prints files and bytes kept,
//! and which obfuscation sign or rule kept the most files (to find atoms worth tightening).

use std::collections::BTreeMap;
use std::path::PathBuf;

use skimlint::rules::prefilter::Scope;
use skimlint::units::classify::{self, FileKind};

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let rules = skimlint::rules::load_builtin_and(&[]).expect("built-in rules load");
    let filter = rules.prefilter();
    let (candidates, _) = skimlint::input::discover::discover(&paths);
    // kind -> (files, bytes, kept files, kept bytes, obfuscated files)
    let mut by_kind: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    let mut why: BTreeMap<String, usize> = BTreeMap::new();
    for c in &candidates {
        let Ok(bytes) = std::fs::read(&c.disk_path) else {
            continue;
        };
        let kind = classify::classify(&c.disk_path, &bytes);
        let name = match kind {
            FileKind::Skip => continue,
            FileKind::Javascript => "javascript",
            FileKind::Markup(_) => "markup",
            FileKind::Php | FileKind::PhpFragment => "php",
            FileKind::ServerConfig => "server-config",
        };
        let scope = Scope::of(kind, &bytes);
        let row = by_kind.entry(name).or_default();
        row[0] += 1;
        row[1] += bytes.len();
        if filter.may_match(&bytes, scope) {
            row[2] += 1;
            row[3] += bytes.len();
            let reasons = filter.reasons(&rules, &bytes, scope);
            if std::env::var_os("PREFILTER_LIST").is_some() && bytes.len() > 50_000 {
                println!("kept {:>8} {} {:?}", bytes.len(), c.display_path, reasons);
            }
            for reason in reasons {
                *why.entry(format!("{name}: {reason}")).or_default() += 1;
            }
        }
    }
    println!(
        "{:<14} {:>8} {:>10} {:>8} {:>10}",
        "kind", "files", "MB", "kept", "kept MB"
    );
    for (k, r) in &by_kind {
        println!(
            "{k:<14} {:>8} {:>10.1} {:>8} {:>10.1}",
            r[0],
            r[1] as f64 / 1e6,
            r[2],
            r[3] as f64 / 1e6
        );
    }
    let mut why: Vec<(String, usize)> = why.into_iter().collect();
    why.sort_by_key(|w| std::cmp::Reverse(w.1));
    println!("\nwhy files were kept (a file can count under several reasons):");
    for (reason, n) in why.iter().take(40) {
        println!("{n:>8}  {reason}");
    }
}

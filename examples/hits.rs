//! Every rule match in a file, signals included, in evaluation order — for working out why a
//! composite did or did not fire: `cargo run --release --example hits -- FILE [ID-PREFIX]`.

use std::path::PathBuf;
use std::sync::Arc;

use skimlint::fold::{Budget, Limits};
use skimlint::units::{self, classify};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: hits FILE [ID-PREFIX]");
        std::process::exit(2);
    };
    let prefix = args.next().unwrap_or_default();
    let rules = skimlint::rules::load_builtin_and(&[]).expect("built-in rules load");
    let bytes = match std::fs::read(&path) {
        Ok(b) => Arc::new(b),
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            std::process::exit(1);
        }
    };
    let kind = classify::classify(&path, &bytes);
    let file_units = units::extract(kind, &bytes);
    let scan = skimlint::engine::scan_file(&file_units, &rules, &Budget::new(Limits::default()));
    for hit in &scan.hits {
        let rule = &rules.rules[hit.rule];
        if !rule.meta.id.starts_with(&prefix) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes[hit.span.clone()]);
        let text: String = text.chars().take(70).collect();
        let depth = hit.layers.len();
        println!(
            "{:<45} {:>6}..{:<6} L{depth} {}",
            rule.meta.id,
            hit.span.start,
            hit.span.end,
            text.replace('\n', " ")
        );
    }
    for p in &scan.problems {
        println!("problem: {p}");
    }
}

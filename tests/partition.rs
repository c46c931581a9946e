//! The `--partition` recipes of docs/partition.md: the GitHub Actions matrix workflow and the
//! Kubernetes Indexed Job are parsed (serde_yaml_ng) and checked against the shapes GitHub and
//! Kubernetes require, and the scan command of every part is run as written (bash for the
//! workflow step, `sh -c` with JOB_COMPLETION_INDEX for the Job, GNU parallel for the one-machine
//! recipe): together the parts must report exactly what one whole scan reports.

mod common;
use common::{json_findings, root};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

fn load(name: &str) -> Value {
    let path = root().join("docs").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for key in path {
        cur = cur
            .get(*key)
            .unwrap_or_else(|| panic!("missing `{}` in {v:?}", path.join(".")));
    }
    cur
}

/// The folder of the skimlint binary under test, first on PATH.
fn path_with_skimlint() -> String {
    let bin = assert_cmd::cargo::cargo_bin("skimlint");
    let dir = bin.parent().unwrap().to_path_buf();
    let old = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(&old));
    std::env::join_paths(paths).unwrap().into_string().unwrap()
}

/// `N` in `--partition …/N` in `text`.
fn parts_in(text: &str) -> u64 {
    let at = text.find("--partition ").expect("a --partition argument");
    let rest = &text[at..];
    let after = &rest[rest.find('/').unwrap() + 1..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Findings as sorted strings (whole JSON objects, fingerprints included).
fn sorted(findings: impl IntoIterator<Item = serde_json::Value>) -> Vec<String> {
    let mut v: Vec<String> = findings.into_iter().map(|f| f.to_string()).collect();
    v.sort();
    v
}

/// The whole scan's findings as `check --no-config --no-ignores --format json` gives them.
fn whole(paths: &[PathBuf]) -> Vec<String> {
    let all = json_findings(paths, |c| {
        c.arg("--no-cache");
    });
    let list = all.as_array().unwrap().clone();
    assert!(!list.is_empty(), "the fixtures have findings");
    sorted(list)
}

fn run_shell(shell: &str, script: &str, cwd: &Path, env: &[(&str, String)]) {
    let mut cmd = Command::new(shell);
    cmd.arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env("PATH", path_with_skimlint())
        .env("SKIMLINT_NO_CACHE", "1")
        .env_remove("SKIMLINT_NO_PREFILTER")
        .env_remove("SKIMLINT_PER_RULE_QUERIES");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (rule, uri, line, column) of every SARIF result.
fn sarif_results(path: &Path) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for run in doc["runs"].as_array().unwrap() {
        for r in run["results"].as_array().unwrap() {
            let loc = &r["locations"][0]["physicalLocation"];
            out.push(format!(
                "{} {} {}:{} {}",
                r["ruleId"],
                loc["artifactLocation"]["uri"],
                loc["region"]["startLine"],
                loc["region"]["startColumn"],
                r["partialFingerprints"]
            ));
        }
    }
    out
}

#[test]
fn github_matrix_parts_report_what_the_whole_scan_reports() {
    let wf = load("partition-github.yml");
    assert!(wf.get("on").is_some(), "a workflow needs `on`");
    assert_eq!(
        get(&wf, &["permissions", "security-events"]).as_str(),
        Some("write")
    );
    let job = get(&wf, &["jobs", "scan"]);
    assert!(get(job, &["runs-on"]).as_str().is_some());
    let parts: Vec<u64> = get(job, &["strategy", "matrix", "part"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let steps = get(job, &["steps"]).as_sequence().unwrap();
    for s in steps {
        let keys = ["uses", "run"]
            .iter()
            .filter(|k| s.get(**k).is_some())
            .count();
        assert_eq!(keys, 1, "a step has exactly one of uses/run: {s:?}");
    }
    let scan = steps
        .iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some("scan"))
        .expect("a step with id: scan");
    let script = get(scan, &["run"]).as_str().unwrap();
    assert!(script.contains("--partition ${{ matrix.part }}/"));
    let n = parts_in(script);
    assert_eq!(parts, (1..=n).collect::<Vec<_>>(), "matrix must be 1..={n}");
    let upload = steps
        .iter()
        .find(|s| {
            s.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert!(get(upload, &["with", "category"])
        .as_str()
        .unwrap()
        .contains("${{ matrix.part }}"));

    // Run the step's script for every part, as the runner would (bash, RUNNER_TEMP,
    // GITHUB_OUTPUT), in a checkout of the fixtures; then once without --partition.
    let checkout = root().join("fixtures");
    let cache = tempfile::tempdir().unwrap();
    let run_part = |script: &str| -> (Vec<String>, String) {
        let temp = tempfile::tempdir().unwrap();
        let output = temp.path().join("github_output");
        run_shell(
            "bash",
            script,
            &checkout,
            &[
                ("RUNNER_TEMP", temp.path().display().to_string()),
                ("GITHUB_OUTPUT", output.display().to_string()),
                ("SKIMLINT_CACHE_DIR", cache.path().display().to_string()),
            ],
        );
        let results = sarif_results(&temp.path().join("part.sarif"));
        (results, std::fs::read_to_string(&output).unwrap())
    };
    let mut merged = Vec::new();
    for k in &parts {
        let (results, out) = run_part(&script.replace("${{ matrix.part }}", &k.to_string()));
        assert!(out.contains("status="), "{out}");
        merged.extend(results);
    }
    let whole_script = script.replace(&format!("--partition ${{{{ matrix.part }}}}/{n} "), "");
    assert!(!whole_script.contains("--partition"));
    let (mut all, out) = run_part(&whole_script);
    assert!(
        out.contains("status=1"),
        "the fixtures have findings: {out}"
    );
    merged.sort();
    all.sort();
    assert!(!all.is_empty());
    assert_eq!(merged, all);
}

#[test]
fn kubernetes_indexed_job_parts_report_what_the_whole_scan_reports() {
    let job = load("partition-k8s-job.yml");
    assert_eq!(get(&job, &["apiVersion"]).as_str(), Some("batch/v1"));
    assert_eq!(get(&job, &["kind"]).as_str(), Some("Job"));
    assert!(get(&job, &["metadata", "name"]).as_str().is_some());
    let spec = get(&job, &["spec"]);
    assert_eq!(get(spec, &["completionMode"]).as_str(), Some("Indexed"));
    let completions = get(spec, &["completions"]).as_u64().unwrap();
    assert_eq!(get(spec, &["parallelism"]).as_u64(), Some(completions));
    let pod = get(spec, &["template", "spec"]);
    // A Job's pods must not restart forever.
    assert!(matches!(
        get(pod, &["restartPolicy"]).as_str(),
        Some("Never" | "OnFailure")
    ));
    let containers = get(pod, &["containers"]).as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert!(get(c, &["name"]).as_str().is_some());
    assert!(get(c, &["image"]).as_str().is_some());
    let volumes: Vec<&str> = get(pod, &["volumes"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| get(v, &["name"]).as_str().unwrap())
        .collect();
    for m in get(c, &["volumeMounts"]).as_sequence().unwrap() {
        assert!(volumes.contains(&get(m, &["name"]).as_str().unwrap()));
    }
    let command: Vec<&str> = get(c, &["command"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(command, ["sh", "-c"]);
    let script = get(c, &["args"])[0].as_str().unwrap();
    assert!(script.contains("$((JOB_COMPLETION_INDEX + 1))/"));
    assert_eq!(parts_in(script), completions);

    // Run each index's command with sh, on the fixtures mounted at /review.
    let fixtures = root().join("fixtures");
    let results = tempfile::tempdir().unwrap();
    let local = script
        .replace("/review", &fixtures.display().to_string())
        .replace("/results", &results.path().display().to_string());
    for index in 0..completions {
        run_shell(
            "sh",
            &local,
            &root(),
            &[("JOB_COMPLETION_INDEX", index.to_string())],
        );
    }
    let mut merged = Vec::new();
    for index in 0..completions {
        let part = results.path().join(format!("part-{index}.json"));
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&part).unwrap()).unwrap();
        merged.extend(doc["findings"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(sorted(merged), whole(&[fixtures]));
}

#[test]
fn gnu_parallel_recipe_reports_what_the_whole_scan_reports() {
    let doc = std::fs::read_to_string(root().join("docs/partition.md")).unwrap();
    let start = doc.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let script = &doc[start..start + doc[start..].find("```").unwrap()];
    assert!(script.contains("parallel"));
    let have = |tool: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("parallel") || !have("jq") {
        eprintln!("SKIPPED: GNU parallel or jq is not installed (apt-get install parallel jq)");
        return;
    }
    let fixtures = root().join("fixtures");
    let out = tempfile::tempdir().unwrap();
    let mut local = String::new();
    for line in script.lines() {
        if line.starts_with("REVIEW=") {
            local.push_str(&format!("REVIEW='{}'\n", fixtures.display()));
        } else if line.starts_with("OUT=") {
            local.push_str(&format!("OUT='{}'\n", out.path().display()));
        } else {
            local.push_str(line);
            local.push('\n');
        }
    }
    let home = tempfile::tempdir().unwrap();
    // HOME: GNU parallel keeps its citation notice state there.
    run_shell(
        "bash",
        &format!("set -e\n{local}"),
        &root(),
        &[("HOME", home.path().display().to_string())],
    );
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("all.json")).unwrap()).unwrap();
    let merged = all["findings"].as_array().unwrap().clone();
    assert_eq!(sorted(merged), whole(&[fixtures]));
}

/// `action-validator` (npm `@action-validator/cli`) named by $ACTION_VALIDATOR, on PATH, or where
/// .ci/run installs it.
fn action_validator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ACTION_VALIDATOR") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([root().join("target/ci-tools/node_modules/.bin")])
        .map(|d| d.join("action-validator"))
        .find(|p| p.is_file())
}

#[test]
fn action_validator_accepts_the_matrix_workflow() {
    let Some(validator) = action_validator() else {
        eprintln!(
            "SKIPPED: `action-validator` is not installed (npm install -g @action-validator/cli); \
             the YAML shape checks above still ran"
        );
        return;
    };
    let file = root().join("docs/partition-github.yml");
    let out = Command::new(&validator).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "action-validator rejects {}:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

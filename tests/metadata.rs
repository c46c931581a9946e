//! The integration manifests load: action.yml, .pre-commit-hooks.yaml, the example workflow in
//! docs/ and the YAML examples in README.md are parsed with a real YAML parser and checked against
//! the shapes GitHub and pre-commit expect (action metadata: inputs, outputs, a composite `runs`
//! whose `run` steps all name a `shell`; workflow: jobs with steps; hooks: the required keys).
//! When `action-validator` (npm `@action-validator/cli`, installed by .ci/run) is available, it
//! validates the same files against GitHub's published schemas.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::{Mapping, Value};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    parse(&text, &path.display().to_string())
}

fn parse(text: &str, name: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn map<'a>(v: &'a Value, what: &str) -> &'a Mapping {
    v.as_mapping()
        .unwrap_or_else(|| panic!("{what} must be a mapping, not {v:?}"))
}

fn get<'a>(m: &'a Mapping, key: &str) -> Option<&'a Value> {
    m.get(Value::String(key.to_string()))
}

fn string<'a>(m: &'a Mapping, key: &str, what: &str) -> &'a str {
    match get(m, key) {
        Some(Value::String(s)) => s,
        other => panic!("{what}: `{key}` must be a string, found {other:?}"),
    }
}

fn keys(m: &Mapping, what: &str) -> Vec<String> {
    m.keys()
        .map(|k| match k {
            Value::String(s) => s.clone(),
            other => panic!("{what}: key {other:?} is not a string"),
        })
        .collect()
}

fn only_keys(m: &Mapping, allowed: &[&str], what: &str) {
    for k in keys(m, what) {
        assert!(
            allowed.contains(&k.as_str()),
            "{what}: unknown key `{k}` (allowed: {allowed:?})"
        );
    }
}

/// Every `<prefix>NAME` in `text` (e.g. `inputs.` → the input names referenced).
fn references(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

/// All strings in a YAML value (keys excluded).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(seq) => seq.iter().for_each(|x| strings(x, out)),
        Value::Mapping(m) => m.values().for_each(|x| strings(x, out)),
        Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// The checks GitHub's action-metadata schema makes on a composite action, plus consistency:
/// expressions name declared inputs and earlier steps, scripts referenced exist.
fn check_action(doc: &Value, action_dir: &Path) -> BTreeSet<String> {
    let top = map(doc, "action.yml");
    only_keys(
        top,
        &[
            "name",
            "author",
            "description",
            "inputs",
            "outputs",
            "runs",
            "branding",
        ],
        "action.yml",
    );
    assert!(!string(top, "name", "action.yml").is_empty());
    assert!(!string(top, "description", "action.yml").is_empty());

    let inputs = map(get(top, "inputs").expect("inputs"), "inputs");
    let mut input_names = BTreeSet::new();
    for (k, v) in inputs {
        let name = k.as_str().expect("input name");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "input name `{name}`"
        );
        let what = format!("inputs.{name}");
        let m = map(v, &what);
        only_keys(
            m,
            &["description", "required", "default", "deprecationMessage"],
            &what,
        );
        assert!(!string(m, "description", &what).is_empty());
        if get(m, "default").is_some() {
            string(m, "default", &what);
        }
        input_names.insert(name.to_string());
    }

    let runs = map(get(top, "runs").expect("runs"), "runs");
    assert_eq!(string(runs, "using", "runs"), "composite");
    let steps = get(runs, "steps")
        .and_then(Value::as_sequence)
        .expect("runs.steps must be a sequence");
    assert!(!steps.is_empty());
    let mut step_ids: BTreeSet<String> = BTreeSet::new();
    for (i, step) in steps.iter().enumerate() {
        let what = format!("runs.steps[{i}]");
        let m = map(step, &what);
        only_keys(
            m,
            &[
                "name",
                "id",
                "if",
                "run",
                "shell",
                "uses",
                "with",
                "env",
                "working-directory",
                "continue-on-error",
            ],
            &what,
        );
        match (get(m, "run"), get(m, "uses")) {
            (Some(_), None) => {
                let run = string(m, "run", &what);
                let shell = string(m, "shell", &what);
                assert!(!shell.is_empty(), "{what}: empty shell");
                // Scripts of the action that a step runs exist.
                for (i, _) in run.match_indices("$GITHUB_ACTION_PATH/") {
                    let rel: String = run[i + "$GITHUB_ACTION_PATH/".len()..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"')
                        .collect();
                    assert!(
                        action_dir.join(&rel).is_file(),
                        "{what} runs {rel}, which does not exist"
                    );
                }
            }
            (None, Some(_)) => {
                let uses = string(m, "uses", &what);
                assert!(
                    uses.contains('@'),
                    "{what}: `uses: {uses}` without a version"
                );
                assert!(get(m, "shell").is_none(), "{what}: shell on a uses step");
                if let Some(w) = get(m, "with") {
                    map(w, &format!("{what}.with"));
                }
            }
            _ => panic!("{what}: a step has exactly one of `run` and `uses`"),
        }
        if let Some(env) = get(m, "env") {
            for (k, v) in map(env, &format!("{what}.env")) {
                assert!(
                    matches!(v, Value::String(_)),
                    "{what}.env.{k:?} is not a string"
                );
            }
        }
        let mut texts = Vec::new();
        strings(step, &mut texts);
        for t in &texts {
            for input in references(t, "inputs.") {
                assert!(
                    input_names.contains(&input),
                    "{what} uses undeclared input `{input}`"
                );
            }
            for id in references(t, "steps.") {
                assert!(
                    step_ids.contains(&id),
                    "{what} reads outputs of `{id}`, not an earlier step"
                );
            }
        }
        if let Some(id) = get(m, "id") {
            step_ids.insert(id.as_str().expect("step id").to_string());
        }
    }

    let outputs = map(get(top, "outputs").expect("outputs"), "outputs");
    for (k, v) in outputs {
        let what = format!("outputs.{}", k.as_str().expect("output name"));
        let m = map(v, &what);
        only_keys(m, &["description", "value"], &what);
        assert!(!string(m, "description", &what).is_empty());
        // A composite action's outputs must say where their value comes from.
        let value = string(m, "value", &what);
        let ids = references(value, "steps.");
        assert!(!ids.is_empty(), "{what}: value reads no step output");
        for id in ids {
            assert!(step_ids.contains(&id), "{what}: no step `{id}`");
        }
    }
    input_names
}

/// A workflow: triggers, jobs with `runs-on` and steps; every use of this action passes only
/// inputs it declares.
fn check_workflow(doc: &Value, inputs: &BTreeSet<String>, what: &str) -> usize {
    let top = map(doc, what);
    assert!(get(top, "on").is_some(), "{what}: no `on` triggers");
    let jobs = map(get(top, "jobs").expect("jobs"), &format!("{what}: jobs"));
    assert!(!jobs.is_empty(), "{what}: no jobs");
    let mut uses_action = 0;
    for (name, job) in jobs {
        let jwhat = format!("{what}: jobs.{name:?}");
        let j = map(job, &jwhat);
        assert!(get(j, "runs-on").is_some(), "{jwhat}: no runs-on");
        let steps = get(j, "steps")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("{jwhat}: steps must be a sequence"));
        for (i, step) in steps.iter().enumerate() {
            let swhat = format!("{jwhat}.steps[{i}]");
            let m = map(step, &swhat);
            assert!(
                get(m, "run").is_some() != get(m, "uses").is_some(),
                "{swhat}: exactly one of run and uses"
            );
            let Some(Value::String(uses)) = get(m, "uses") else {
                continue;
            };
            if !uses.starts_with("skimlint/skimlint@") {
                continue;
            }
            uses_action += 1;
            if let Some(with) = get(m, "with") {
                for k in keys(map(with, &swhat), &swhat) {
                    assert!(inputs.contains(&k), "{swhat}: `{k}` is not an input");
                }
            }
        }
    }
    // Uploading SARIF needs this permission.
    if uses_action > 0 {
        let perms = get(top, "permissions").map(|p| map(p, "permissions"));
        assert_eq!(
            perms.and_then(|p| get(p, "security-events")),
            Some(&Value::String("write".into())),
            "{what}: code scanning needs `security-events: write`"
        );
    }
    uses_action
}

/// The fenced ```yaml blocks of a markdown file.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn action_yml_is_valid_composite_action_metadata() {
    let doc = load(&manifest_dir().join("action.yml"));
    let inputs = check_action(&doc, &manifest_dir());
    for expected in ["paths", "config", "fail-on", "sarif-file", "upload-sarif"] {
        assert!(inputs.contains(expected), "input {expected}");
    }
}

#[test]
fn example_workflows_use_the_action_as_declared() {
    let inputs = check_action(&load(&manifest_dir().join("action.yml")), &manifest_dir());
    let example = manifest_dir().join("docs/github-workflow.yml");
    assert_eq!(
        check_workflow(&load(&example), &inputs, "docs/github-workflow.yml"),
        1
    );
    // The README shows the example as it is (after its header comment).
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let text = std::fs::read_to_string(&example).unwrap();
    let body: String = text
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        readme.contains(&body),
        "README.md does not show docs/github-workflow.yml"
    );
    // The README's YAML examples parse, and its workflows are checked the same way.
    let blocks = yaml_blocks(&readme);
    assert!(blocks.len() >= 3, "README YAML examples: {}", blocks.len());
    let mut workflows = 0;
    for (i, block) in blocks.iter().enumerate() {
        let what = format!("README.md yaml block {i}");
        let doc = parse(block, &what);
        if doc.get("jobs").is_some() {
            workflows += check_workflow(&doc, &inputs, &what);
        }
    }
    assert!(workflows >= 1, "README shows no workflow using the action");
}

#[test]
fn pre_commit_hooks_manifest_has_the_required_keys() {
    let doc = load(&manifest_dir().join(".pre-commit-hooks.yaml"));
    let hooks = doc
        .as_sequence()
        .expect(".pre-commit-hooks.yaml is a list of hooks");
    assert!(!hooks.is_empty());
    let languages = [
        "conda",
        "coursier",
        "dart",
        "docker",
        "docker_image",
        "dotnet",
        "fail",
        "golang",
        "haskell",
        "julia",
        "lua",
        "node",
        "perl",
        "pygrep",
        "python",
        "r",
        "ruby",
        "rust",
        "swift",
        "system",
        "script",
        "unsupported",
        "unsupported_script",
    ];
    let mut ids = BTreeSet::new();
    for (i, hook) in hooks.iter().enumerate() {
        let what = format!("hook {i}");
        let m = map(hook, &what);
        only_keys(
            m,
            &[
                "id",
                "name",
                "entry",
                "language",
                "alias",
                "files",
                "exclude",
                "types",
                "types_or",
                "exclude_types",
                "additional_dependencies",
                "args",
                "always_run",
                "fail_fast",
                "pass_filenames",
                "description",
                "language_version",
                "log_file",
                "minimum_pre_commit_version",
                "require_serial",
                "stages",
                "verbose",
            ],
            &what,
        );
        let id = string(m, "id", &what);
        assert!(ids.insert(id.to_string()), "duplicate hook id {id}");
        string(m, "name", &what);
        let language = string(m, "language", &what);
        assert!(languages.contains(&language), "{what}: language {language}");
        if let Some(t) = get(m, "types") {
            let t = t.as_sequence().expect("types is a list");
            assert!(t.iter().all(Value::is_string));
        }
        if let Some(p) = get(m, "pass_filenames") {
            assert!(p.is_bool(), "{what}: pass_filenames is a boolean");
        }
        // The entry is a skimlint command line that the binary accepts.
        let entry = string(m, "entry", &what);
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("skimlint"), "{what}: entry {entry}");
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_skimlint"))
            .args(words)
            .arg("--no-config")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: `{entry}` on an empty folder: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(ids.contains("skimlint"));
}

/// `action-validator` named by $ACTION_VALIDATOR, on PATH, or where .ci/run installs it.
fn action_validator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ACTION_VALIDATOR") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([manifest_dir().join("target/ci-tools/node_modules/.bin")])
        .map(|d| d.join("action-validator"))
        .find(|p| p.is_file())
}

#[test]
fn action_validator_accepts_the_action_and_the_workflows() {
    let Some(validator) = action_validator() else {
        eprintln!(
            "SKIPPED action-validator test: `action-validator` is not installed (npm install -g \
             @action-validator/cli, or run .ci/run); the YAML shape checks above still ran"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![
        manifest_dir().join("action.yml"),
        manifest_dir().join("docs/github-workflow.yml"),
    ];
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    for (i, block) in yaml_blocks(&readme).iter().enumerate() {
        if block.contains("\njobs:") || block.starts_with("jobs:") {
            // Not named action.yml: validated as a workflow.
            let p = tmp.path().join(format!("readme-{i}.yml"));
            std::fs::write(&p, block).unwrap();
            files.push(p);
        }
    }
    assert!(files.len() >= 3);
    for f in &files {
        let out = Command::new(&validator).arg(f).output().unwrap();
        assert!(
            out.status.success(),
            "action-validator rejects {}:\n{}{}",
            f.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

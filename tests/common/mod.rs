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

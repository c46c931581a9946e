//! Helpers shared by the integration tests: the built binary and the fixtures folder.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `skimlint` binary built by cargo, with colours off so output can be compared.
pub fn skimlint() -> Command {
    let mut c = Command::cargo_bin("skimlint").unwrap();
    c.env("NO_COLOR", "1");
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

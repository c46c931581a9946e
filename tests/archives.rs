//! Archives scanned in memory: zip, tar and tar.gz members go through the same pipeline as files,
//! nested archives are expanded to a limit, bombs and hostile names become warnings, and nothing
//! is ever written into the scanned tree.

mod common;
use common::{fixture, skimlint};
use std::io::{Cursor, Write};
use std::path::Path;

use predicates::prelude::*;
use skimlint::input::archive::ArchiveLimits;
use skimlint::scan::{scan_paths, ScanOptions};

/// Every file under `root`, as (relative `/` path, bytes), sorted.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *bytes).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn concise(dir: &Path, extra: &[&str]) -> (String, String, i32) {
    let out = skimlint()
        .current_dir(dir)
        .args(["check", ".", "--format", "concise"])
        .args(extra)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

/// Names and contents of every file under `dir`, to prove a scan wrote nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
}

const SHELL: &[u8] = b"<?php eval($_POST['c']);\n";

#[test]
fn zip_tar_and_tgz_members_are_reported_like_the_files_they_contain() {
    let files = tree(&fixture("magento2-infected"));
    let members: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let plain = skimlint()
        .current_dir(fixture("magento2-infected"))
        .args(["check", ".", "--format", "concise"])
        .output()
        .unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(plain.lines().count() >= 3, "{plain}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("theme.zip"), zip_of(&members)).unwrap();
    std::fs::write(dir.path().join("theme.tar"), tar_of(&members)).unwrap();
    std::fs::write(dir.path().join("theme.tgz"), gzip(&tar_of(&members))).unwrap();
    std::fs::write(dir.path().join("Theme.TAR.GZ"), gzip(&tar_of(&members))).unwrap();
    let before = snapshot(dir.path());
    let (out, err, code) = concise(dir.path(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "", "no warnings expected for well-formed archives");
    for archive in ["theme.zip", "theme.tar", "theme.tgz", "Theme.TAR.GZ"] {
        for line in plain.lines() {
            let expected = format!("{archive}!/{line}");
            assert!(out.contains(&expected), "missing {expected} in\n{out}");
        }
    }
    assert_eq!(out.lines().count(), 4 * plain.lines().count(), "{out}");
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the scan changed the scanned tree"
    );

    // Excerpts in the full format come from the member, read again in memory.
    let full = skimlint()
        .args(["check", "--format", "full"])
        .arg(dir.path().join("theme.zip"))
        .output()
        .unwrap();
    let text = String::from_utf8(full.stdout).unwrap();
    assert!(
        text.contains("theme.zip!/pub/media/catalog/loader.php"),
        "{text}"
    );
    assert!(
        text.contains("$f($_COOKIE[\"c\"]);"),
        "excerpt missing:\n{text}"
    );
}

#[test]
fn nested_archives_are_expanded_to_three_levels() {
    let l4 = zip_of(&[("l4.php", SHELL)]);
    let l3 = zip_of(&[("l3.php", SHELL), ("deeper.zip", &l4)]);
    let l2 = gzip(&tar_of(&[("l2.php", SHELL), ("l3.zip", &l3)]));
    let l1 = tar_of(&[("l1.php", SHELL), ("l2.tar.gz", &l2)]);
    let top = zip_of(&[("top.php", SHELL), ("inner/l1.tar", &l1)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upload.zip"), top).unwrap();
    let (out, err, code) = concise(dir.path(), &[]);
    assert_eq!(code, 1);
    for path in [
        "upload.zip!/top.php:1:7:",
        "upload.zip!/inner/l1.tar!/l1.php:1:7:",
        "upload.zip!/inner/l1.tar!/l2.tar.gz!/l2.php:1:7:",
        "upload.zip!/inner/l1.tar!/l2.tar.gz!/l3.zip!/l3.php:1:7:",
    ] {
        assert!(out.contains(path), "missing {path} in\n{out}");
    }
    assert!(!out.contains("l4.php"), "{out}");
    assert!(
        err.contains("upload.zip!/inner/l1.tar!/l2.tar.gz!/l3.zip!/deeper.zip: archive nested more than 3 levels deep; not expanded"),
        "{err}"
    );
}

#[test]
fn bombs_are_refused_with_warnings_and_the_scan_goes_on() {
    let zeros = vec![0u8; 40 << 20];
    let dir = tempfile::tempdir().unwrap();
    // Over the per-member limit (declared size), over the ratio guard, and a shell beside them.
    let bomb = zip_of(&[
        ("big.js", &zeros),
        ("ratio.js", &zeros[..4 << 20]),
        ("shell.php", SHELL),
    ]);
    assert!(bomb.len() < 200_000);
    std::fs::write(dir.path().join("bomb.zip"), bomb).unwrap();
    // A gzip stream that inflates far beyond the ratio guard.
    let gz = gzip(&tar_of(&[("shell.php", SHELL), ("zeros.js", &zeros)]));
    std::fs::write(dir.path().join("bomb.tgz"), gz).unwrap();
    let (out, err, code) = concise(dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("bomb.zip!/shell.php:1:7:"), "{out}");
    assert!(out.contains("bomb.tgz!/shell.php:1:7:"), "{out}");
    assert!(
        err.contains(
            "bomb.zip!/big.js: skipped: member of 41943040 bytes is over the 16777216-byte limit"
        ),
        "{err}"
    );
    assert!(
        err.contains("bomb.zip!/ratio.js: skipped:") && err.contains("compression-ratio guard"),
        "{err}"
    );
    assert!(
        err.contains("bomb.tgz: archive is damaged (the gzip stream inflates more than 200:1"),
        "{err}"
    );
}

#[test]
fn member_total_and_depth_limits_apply_through_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("f{i:02}.php")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), SHELL)).collect();
    std::fs::write(dir.path().join("many.zip"), zip_of(&members)).unwrap();
    let rules = skimlint::rules::load_builtin_and(&[]).unwrap();
    let options = ScanOptions {
        archive: ArchiveLimits {
            max_members: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let result = scan_paths(&[dir.path().to_path_buf()], &rules, &options);
    assert_eq!(result.files_scanned, 10);
    assert_eq!(result.findings.len(), 10);
    assert!(result
        .problems
        .iter()
        .any(|p| p.path == "many.zip" && p.message.contains("more than 10 archive entries")));
    assert_eq!(result.archives.len(), 1);
    assert_eq!(result.archives[0].files, 10);

    let options = ScanOptions {
        archive: ArchiveLimits {
            max_total_bytes: 100,
            ..Default::default()
        },
        ..Default::default()
    };
    let result = scan_paths(&[dir.path().to_path_buf()], &rules, &options);
    assert!(result.findings.len() < 10, "{}", result.findings.len());
    assert!(
        result.problems.iter().any(|p| p
            .message
            .contains("archive inflates to more than 100 bytes")),
        "{:?}",
        result.problems
    );
}

#[test]
fn hostile_member_names_are_normalised_and_never_used_as_paths() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("scan");
    std::fs::create_dir(&dir).unwrap();
    let zip = zip_of(&[
        ("../../escape.php", SHELL),
        ("/abs/root.php", SHELL),
        ("win\\path\\x.php", SHELL),
        ("ctl\u{1b}[31m.php", SHELL),
    ]);
    std::fs::write(dir.join("names.zip"), zip).unwrap();
    let tar = {
        // tar::Builder refuses `..`; write the name into the header bytes directly.
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..16].copy_from_slice(b"../../escape.php");
        h.set_size(SHELL.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&h, SHELL).unwrap();
        b.into_inner().unwrap()
    };
    std::fs::write(dir.join("names.tar"), tar).unwrap();
    let before = snapshot(outer.path());
    let (out, err, code) = concise(&dir, &[]);
    assert_eq!(code, 1);
    for shown in [
        "names.zip!/escape.php:1:7:",
        "names.zip!/abs/root.php:1:7:",
        "names.zip!/win/path/x.php:1:7:",
        "names.zip!/ctl\u{fffd}[31m.php:1:7:",
        "names.tar!/escape.php:1:7:",
    ] {
        assert!(out.contains(shown), "missing {shown} in\n{out}");
    }
    assert!(!out.contains('\u{1b}') && !err.contains('\u{1b}'));
    assert!(
        err.contains("hostile member name \"../../escape.php\""),
        "{err}"
    );
    assert_eq!(snapshot(outer.path()), before, "something was written");
}

#[test]
fn damaged_and_fake_archives_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // Named like an archive, but PHP: scanned as the file it is.
    std::fs::write(dir.path().join("fake.zip"), SHELL).unwrap();
    // A truncated tar.gz: what could be read is scanned.
    let tgz = gzip(&tar_of(&[("a.php", SHELL), ("b.js", &vec![b'x'; 300_000])]));
    std::fs::write(dir.path().join("cut.tgz"), &tgz[..tgz.len() / 2]).unwrap();
    // A zip whose central directory is gone.
    let zip = zip_of(&[("a.php", SHELL)]);
    std::fs::write(dir.path().join("broken.zip"), &zip[..zip.len() - 30]).unwrap();
    let (out, err, code) = concise(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("fake.zip:1:7: error[php/eval-of-request-data]"),
        "{out}"
    );
    assert!(out.contains("cut.tgz!/a.php:1:7:"), "{out}");
    assert!(err.contains("fake.zip: not a readable archive"), "{err}");
    assert!(
        err.contains("cut.tgz!/b.js: cannot read member (incomplete deflate stream); the rest was not scanned"),
        "{err}"
    );
    assert!(err.contains("broken.zip: not a readable archive"), "{err}");
}

#[test]
fn batch_review_prints_a_per_archive_summary_on_stderr_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-infected.zip"),
        zip_of(&[("x.php", SHELL), ("y.js", b"var a = 1;\n")]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-clean.tar"),
        tar_of(&[("ok.js", b"console.log(1);\n")]),
    )
    .unwrap();
    std::fs::write(dir.path().join("c-fake.zip"), b"just text").unwrap();
    let (out, err, _) = concise(dir.path(), &["--summary"]);
    assert!(
        !out.contains("archive"),
        "table leaked into the report:\n{out}"
    );
    let rows: Vec<Vec<&str>> = err
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        rows.contains(&vec![
            "archive", "files", "errors", "warnings", "notes", "problems"
        ]),
        "{err}"
    );
    assert!(
        rows.contains(&vec!["a-infected.zip", "2", "1", "0", "0", "0"]),
        "{err}"
    );
    assert!(
        rows.contains(&vec!["b-clean.tar", "1", "0", "0", "0", "0"]),
        "{err}"
    );
    assert!(
        rows.contains(&vec!["c-fake.zip", "1", "0", "0", "0", "1"]),
        "{err}"
    );
    assert!(
        rows.contains(&vec!["total", "(3", "archives)", "4", "1", "0", "0", "1"]),
        "{err}"
    );
    // Not a terminal: no progress bar drawing.
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    // Without --summary, machine formats print no table.
    let (_, err, _) = concise(dir.path(), &[]);
    assert!(!err.contains("problems"), "{err}");
    // The full format always shows it.
    skimlint()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "full"])
        .assert()
        .stderr(predicate::str::contains("total (3 archives)"));
}

#[test]
fn archive_output_is_deterministic_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..6 {
        let names: Vec<String> = (0..80).map(|j| format!("d{i}/f{j}.php")).collect();
        let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), SHELL)).collect();
        std::fs::write(dir.path().join(format!("a{i}.zip")), zip_of(&members)).unwrap();
    }
    let run = |threads: &str| {
        skimlint()
            .current_dir(dir.path())
            .args(["check", ".", "--format", "json", "--threads", threads])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let doc: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(doc["files_scanned"], 480);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 480);
}

#[test]
fn max_file_size_also_caps_archive_members() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.zip"), zip_of(&[("x.php", SHELL)])).unwrap();
    let (out, err, code) = concise(dir.path(), &["--max-file-size", "10"]);
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(
        err.contains("s.zip!/x.php: skipped: member of 25 bytes is over the 10-byte limit"),
        "{err}"
    );
}

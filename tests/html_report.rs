//! The `html` report: self-contained, escaped, and rendered by a real headless browser when one
//! is installed (`/usr/bin/chromium`; CI installs Debian's chromium, see .ci/run).

mod common;
use common::{fixture, skimlint};
use std::path::Path;
use std::process::Command as Process;

/// A scanned tree whose file names and contents try to inject markup into the report.
fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("x<img src=y onerror=alert(1)>.php");
    std::fs::write(
        &name,
        "<?php\n// </pre><script>document.title='pwned'</script>\n\
         eval($_POST['<img src=x onerror=\"document.title=1\">']);\n\
         $u = 'https://evil.example.invalid/x.js';\n",
    )
    .unwrap();
    dir
}

fn html_of(paths: &[&Path]) -> String {
    let out = skimlint()
        .args(["check", "--format", "html"])
        .args(paths)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn html_report_is_self_contained_grouped_and_escaped() {
    let hostile = hostile_tree();
    let html = html_of(&[
        &fixture("magento2-infected"),
        &fixture("woocommerce-infected"),
        hostile.path(),
    ]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // Nothing external and nothing executable, whatever the scanned files contain.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "raw script tag in report");
    assert!(!lower.contains("<img"), "raw img tag in report");
    assert!(!lower.contains("src=\"http") && !lower.contains("href=\"http"));
    assert!(!lower.contains("<link") && !lower.contains("@import"));
    assert!(html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(html.contains("x&lt;img src=y onerror=alert(1)&gt;.php"));
    // Grouped by file, then severity; excerpts, decoded layers and rule help.
    assert!(html.contains("<section class=\"file\""));
    assert!(html.contains("<h3 class=\"error\">2 errors</h3>"));
    assert!(html.contains("<h3 class=\"note\">1 note</h3>"));
    assert!(
        html.contains("<mark>$f($_COOKIE[&quot;c&quot;])</mark>"),
        "no marked excerpt"
    );
    assert!(html.contains("Decoded layers"));
    assert!(html.contains("scanned as markup"));
    assert!(html.contains("id=\"rule-php-eval-of-request-data\""));
    assert!(
        html.contains("<strong>Confirm:</strong>"),
        "rule help not rendered"
    );
}

#[test]
fn html_report_of_archive_members_has_excerpts_and_the_archive_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("shop/pay.php", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut w, b"<?php\n\neval($_REQUEST['k']);\n").unwrap();
    std::fs::write(dir.path().join("up.zip"), w.finish().unwrap().into_inner()).unwrap();
    let html = html_of(&[dir.path()]);
    assert!(html.contains("<table id=\"archives\">"));
    assert!(html.contains("<code>up.zip!/shop/pay.php</code>"));
    assert!(
        html.contains("<span class=\"ln\">3</span><mark>eval($_REQUEST[&#39;k&#39;])</mark>"),
        "{html}"
    );
}

#[test]
fn html_report_without_findings_says_so() {
    let out = skimlint()
        .args(["check", "--format", "html"])
        .arg(fixture("magento2-clean"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<p class=\"none\" id=\"no-findings\">No findings.</p>"));
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    Process::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

#[test]
fn html_report_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipped: {CHROMIUM} not installed (apt-get install -y chromium)");
        return;
    }
    let hostile = hostile_tree();
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.html");
    skimlint()
        .args(["check", "--format", "html", "-o"])
        .arg(&report)
        .arg(fixture("magento2-infected"))
        .arg(fixture("woocommerce-infected"))
        .arg(hostile.path())
        .assert()
        .code(1);
    let url = format!("file://{}", report.display());

    let png = work.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let shot = chromium(
        profile.path(),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
            &url,
        ],
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|_| {
        panic!(
            "no screenshot; chromium said:\n{}",
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // IHDR: width and height.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 2000));
    // A blank page compresses to a few kilobytes; a rendered report does not.
    assert!(
        bytes.len() > 40_000,
        "screenshot looks empty: {} bytes",
        bytes.len()
    );

    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(profile.path(), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<title>skimlint report</title>"), "{dom}");
    assert!(dom.contains("php/eval-of-request-data"));
    assert!(dom.contains("pub/media/catalog/loader.php"));
    assert!(dom.contains("Decoded layers"));
    // The hostile file's markup stayed text: no element was created from it, nothing ran.
    assert!(!dom.contains("pwned</title>"));
    assert!(!dom.to_lowercase().contains("<img"));
    assert!(dom.contains("x&lt;img src=y onerror=alert(1)&gt;.php"));
}

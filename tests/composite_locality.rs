//! Composites with `within` need their pieces close together: the same pieces spread over a
//! bundle (filler generated here, too big for a rule case) are not reported; together they are.

use skimlint::rules::load_builtin_and;
use skimlint::testing::rule_matches;

/// A comment of about `bytes` bytes standing in for a bundle's unrelated modules.
fn filler(bytes: usize) -> String {
    let line = "/* an unrelated module of the bundle */\n";
    line.repeat(bytes / line.len() + 1)
}

fn check(rule_id: &str, within: usize, pieces: &[&str]) {
    let rules = load_builtin_and(&[]).expect("built-in rules load");
    let index = rules
        .rules
        .iter()
        .position(|r| r.id() == rule_id)
        .expect("rule exists");
    assert_eq!(
        rules.rules[index].composite.as_ref().and_then(|c| c.within),
        Some(within),
        "{rule_id}: window"
    );
    let joined = |gap: &str| pieces.join(&format!("\n{gap}\n"));
    assert!(
        rule_matches(&rules, index, "bundle.js", &joined("")),
        "{rule_id}: pieces together"
    );
    // Inside the window: still one skimmer.
    let near = filler(within / (2 * pieces.len()));
    assert!(
        rule_matches(&rules, index, "bundle.js", &joined(&near)),
        "{rule_id}: pieces a little apart"
    );
    let far = filler(within + 1);
    assert!(
        !rule_matches(&rules, index, "bundle.js", &joined(&far)),
        "{rule_id}: pieces spread over a bundle"
    );
}

#[test]
fn input_harvest_exfiltration_needs_its_pieces_within_32_kib() {
    check(
        "js/input-harvest-exfiltration",
        32768,
        &[
            r##"jQuery("form.search").on("submit", function () { var d = jQuery("input, select").serialize(); localStorage.setItem("q", d); });"##,
            r##"function report(e) { fetch("/wp-json/errors", { method: "POST", body: String(e) }); }"##,
            r##"console.error(["Invalid render prop.", "https://base-ui.com/r/invalid-render-prop"].join("\n"));"##,
        ],
    );
}

#[test]
fn skimmer_behaviour_needs_its_pieces_within_64_kib() {
    check(
        "js/skimmer-behaviour",
        65536,
        &[
            r##"var cc = document.querySelector("#payment_cc_number"); cc.setAttribute("autocomplete", "cc-number");"##,
            r##"function ping(stats) { navigator.sendBeacon(cfg.collectUrl, btoa(JSON.stringify(stats))); }"##,
        ],
    );
}

#[test]
fn checkout_gated_loader_needs_its_pieces_within_64_kib() {
    check(
        "js/checkout-gated-loader",
        65536,
        &[
            r##"var onCheckout = /checkout\/onepage/.test(window.location.pathname);"##,
            r##"function addWidget(src) { var s = document.createElement("script"); s.src = src; document.head.appendChild(s); }"##,
            r##"var claims = JSON.parse(atob(token.split(".")[1]));"##,
        ],
    );
}

#[test]
fn a_zero_window_is_a_rule_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("zero.toml"),
        "id = \"js/zero-window\"\nseverity = \"warning\"\nlanguages = [\"javascript\"]\n\
         summary = \"s\"\nmessage = \"m\"\nhelp = \"h\"\n\
         [composite]\nall = [\"js/signal-network-send\"]\nwithin = 0\n",
    )
    .unwrap();
    let err = load_builtin_and(&[dir.path().to_path_buf()]).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("`within` must be greater than 0"), "{text}");
}

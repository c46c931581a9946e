//! Rules on text items (`script-src`, `injected-src`, `htaccess`) go through the same predicate
//! evaluator as rules on syntax (`engine::predicates::value_holds`): every value constraint
//! holds on them, and those that need a tree are rule load errors.

use skimlint::rules::load::{load_sources, RuleSource};
use skimlint::testing::rule_matches;

fn text_rule(target: &str, capture: &str, constraint: &str) -> RuleSource {
    RuleSource {
        path: "js/t.toml".into(),
        text: format!(
            "id = \"js/t\"\nseverity = \"warning\"\nlanguages = [\"{target}\"]\n\
             summary = \"s\"\nmessage = \"loads `{{src}}`\"\nhelp = \"h\"\n\
             [where.{capture}]\n{constraint}\n"
        ),
    }
}

/// Text items (script addresses, directive lines) go through the same evaluator as syntax
/// items: `entropy-above` and `decoded` were silently ignored on them before.
#[test]
fn text_rules_honour_entropy_and_provenance() {
    let set = load_sources(vec![text_rule("script-src", "src", "entropy-above = 4.5")]).unwrap();
    let page = |url: &str| format!("<html><script src=\"{url}\"></script></html>");
    assert!(rule_matches(
        &set,
        0,
        "a.html",
        &page("https://c.example/Zq9xK2wP7vLm3RtY8sNb.js")
    ));
    assert!(!rule_matches(
        &set,
        0,
        "a.html",
        &page("https://aaaa.example/aaaa.js")
    ));

    let set = load_sources(vec![text_rule("injected-src", "src", "decoded = true")]).unwrap();
    let inject = |src: &str| {
        format!(
            "var s = document.createElement('script'); s.src = {src}; \
             document.head.appendChild(s);"
        )
    };
    // `https://cdn.example.org/x.js` in base64.
    let hidden = inject("atob('aHR0cHM6Ly9jZG4uZXhhbXBsZS5vcmcveC5qcw==')");
    assert!(rule_matches(&set, 0, "a.js", &hidden));
    assert!(!rule_matches(
        &set,
        0,
        "a.js",
        &inject("'https://cdn.example.org/x.js'")
    ));

    let set = load_sources(vec![text_rule(
        "injected-src",
        "src",
        "decoded-by = [\"base64\"]",
    )])
    .unwrap();
    assert!(rule_matches(&set, 0, "a.js", &hidden));
}

/// Predicates that need a tree are rule load errors on text rules, at the key.
#[test]
fn tree_predicates_on_text_rules_are_load_errors() {
    for (target, capture, constraint, key) in [
        ("script-src", "src", "inside = [\"js/x\"]", "inside"),
        ("htaccess", "line", "tainted-by = [\"js/x\"]", "tainted-by"),
        (
            "injected-src",
            "src",
            "resolves-to = [\"eval\"]",
            "resolves-to",
        ),
    ] {
        let source = text_rule(target, capture, constraint);
        let at = source.text.find(&format!("\n{key}")).unwrap() + 1;
        let err = load_sources(vec![source]).unwrap_err();
        assert!(
            err.message
                .contains(&format!("`{key}` needs a syntax tree")),
            "{}",
            err.message
        );
        assert_eq!(
            err.span.map(|s| (s.offset(), s.len())),
            Some((at, key.len()))
        );
    }
}

/// A `decoded-by` label that no decoder produces is a load error, at the label.
#[test]
fn unknown_decoder_labels_are_load_errors() {
    let source = text_rule("script-src", "src", "decoded-by = [\"base64\", \"base46\"]");
    let at = source.text.find("\"base46\"").unwrap();
    let err = load_sources(vec![source]).unwrap_err();
    assert!(
        err.message.contains("unknown decoder `base46`"),
        "{}",
        err.message
    );
    assert_eq!(err.span.map(|s| (s.offset(), s.len())), Some((at, 8)));
}

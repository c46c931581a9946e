//! The merged per-language query (src/rules/merge.rs) must find exactly what one query per rule
//! finds: the JSON findings of scans with and without `SKIMLINT_PER_RULE_QUERIES=1` are
//! compared on the fixtures, the annotated rule tests and (when present) the shared corpus.

mod common;
use common::{json_findings, root};
use std::path::{Path, PathBuf};

fn findings(paths: &[PathBuf], per_rule: bool) -> serde_json::Value {
    json_findings(paths, |cmd| {
        if per_rule {
            cmd.env("SKIMLINT_PER_RULE_QUERIES", "1");
        }
    })
}

fn same_merged_and_per_rule(paths: &[PathBuf]) -> usize {
    let per_rule = findings(paths, true);
    let merged = findings(paths, false);
    assert_eq!(
        per_rule, merged,
        "merging the queries changed the findings for {paths:?}"
    );
    per_rule.as_array().map_or(0, Vec::len)
}

#[test]
fn merged_queries_find_the_same_on_fixtures_and_annotated_tests() {
    let n = same_merged_and_per_rule(&[root().join("fixtures"), root().join("tests/annotated")]);
    assert!(n > 0, "the fixtures have findings");
}

#[test]
fn merged_queries_find_the_same_on_the_shared_corpus() {
    let corpus = root().join("../shared/corpus");
    if !Path::new(&corpus).is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let n = same_merged_and_per_rule(&[corpus]);
    assert!(n > 0, "the corpus has findings");
}

#[test]
fn rules_sharing_a_pattern_judge_its_matches_by_their_own_constraints() {
    use skimlint::rules::load::{load_sources, RuleSource};
    let source = |id: &str, query: &str, extra: &str| RuleSource {
        path: format!("{id}.toml"),
        text: format!(
            "id = \"{id}\"\nseverity = \"warning\"\nlanguages = [\"javascript\"]\nsummary = \"s\"\n\
             message = \"m\"\nhelp = \"h\"\nquery = '''\n{query}\n'''\n{extra}"
        ),
    };
    let set = load_sources(vec![
        source(
            "js/a",
            "(call_expression function: (identifier) @f) @call",
            "",
        ),
        source(
            "js/b",
            "(call_expression\n  function: (identifier) @f) @call\n(new_expression) @call",
            "[where.f]\nmin-length = 3\n",
        ),
    ])
    .unwrap();
    let file = skimlint::input::source::SourceFile {
        display_path: "t.js".into(),
        disk_path: "t.js".into(),
        bytes: std::sync::Arc::new(b"go(1); run(2); new X();".to_vec()),
    };
    let (findings, _) = skimlint::scan::scan_source(&file, &set, &Default::default());
    let count = |id: &str| findings.iter().filter(|f| f.rule_id == id).count();
    assert_eq!(count("js/a"), 2, "go(1) and run(2)");
    assert_eq!(count("js/b"), 2, "run(2) and new X(); `go` is too short");
}

//! Every built-in rule's `[[case]]` examples: bad cases must match, good cases must not.

#[test]
fn every_rule_case_behaves() {
    let rules = skimlint::rules::load_builtin_and(&[]).expect("built-in rules load");
    let (failures, count) = skimlint::testing::run_cases(&rules);
    assert!(count > 50, "only {count} cases ran");
    let report: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} of {count} rule cases failed:\n{}",
        failures.len(),
        report.join("\n")
    );
}

#[test]
fn every_reported_rule_has_good_and_bad_cases_and_metadata() {
    let rules = skimlint::rules::load_builtin_and(&[]).unwrap();
    for r in rules.reported() {
        let m = &r.meta;
        assert!(
            m.cases.iter().any(|c| c.bad.is_some()),
            "{} has no bad case",
            m.id
        );
        assert!(
            m.cases.iter().any(|c| c.good.is_some()),
            "{} has no good case",
            m.id
        );
        assert!(
            m.security_severity.is_some(),
            "{} has no security-severity",
            m.id
        );
        assert!(
            !m.help.trim().is_empty() && !m.tags.is_empty() && !m.cwe.is_empty(),
            "{} lacks help/tags/cwe",
            m.id
        );
    }
}

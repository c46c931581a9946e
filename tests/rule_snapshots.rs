//! What each built-in rule reports on its own bad cases — message, line, column and decoded
//! layers — snapshotted with insta (one snapshot per rule under tests/snapshots/), so a change
//! to a rule's output is reviewed, not only whether it still matches.
//! Update after an intended change: `INSTA_UPDATE=always cargo test --release --test rule_snapshots`
//! (or `cargo insta review`), then read the diff.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use skimlint::fold::Limits;
use skimlint::input::source::SourceFile;
use skimlint::rules::Target;
use skimlint::scan::scan_source;

#[test]
fn rule_outputs_on_their_bad_cases() {
    let rules = skimlint::rules::load_builtin_and(&[]).expect("built-in rules load");
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for rule in rules.reported() {
            let id = &rule.meta.id;
            let mut out = String::new();
            for (i, case) in rule.meta.cases.iter().enumerate() {
                let Some(code) = &case.bad else { continue };
                let file = case
                    .file
                    .clone()
                    .unwrap_or_else(|| match rule.meta.languages.first() {
                        Some(Target::Php) => "case.php".to_string(),
                        _ => "case.js".to_string(),
                    });
                let source = SourceFile {
                    display_path: file.clone(),
                    disk_path: PathBuf::from(&file),
                    bytes: Arc::new(code.as_bytes().to_vec()),
                };
                let (findings, _) = scan_source(&source, &rules, &Limits::default());
                let _ = writeln!(out, "case {} ({file}):", i + 1);
                for f in findings.iter().filter(|f| &f.rule_id == id) {
                    let _ = write!(
                        out,
                        "  {}:{} {} {}",
                        f.location.start.line,
                        f.location.start.column,
                        f.severity.as_str(),
                        f.message
                    );
                    for layer in &f.layers {
                        let _ = write!(
                            out,
                            " [{} → {} at {}:{}]",
                            layer.decoders.join("+"),
                            layer.scanned_as,
                            layer.position.line,
                            layer.position.column
                        );
                    }
                    out.push('\n');
                }
            }
            insta::assert_snapshot!(id.replace('/', "__"), out);
        }
    });
}

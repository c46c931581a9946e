//! Rule loading: any text as a rule file must load or fail with a positioned error, never
//! panic; a rule that loads must run its own cases without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skimlint::rules::load::{load_sources, RuleSource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = RuleSource {
        path: "fuzz/rule.toml".into(),
        text: text.to_string(),
    };
    match load_sources(vec![source]) {
        Ok(set) => {
            let _ = skimlint::testing::run_cases(&set);
        }
        Err(e) => {
            let _ = e.position();
        }
    }
});

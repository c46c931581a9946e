//! Markup and template unit extraction: any bytes, any dialect. Units must stay inside the
//! file, blanked templates must keep every offset.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use skimlint::units::{self, classify, template};

const NAMES: &[&str] = &[
    "a.html", "a.liquid", "a.twig", "a.tpl", "a.hbs", "a.ejs", "a.phtml", "a.js", "noext",
];
const DIALECTS: &[template::Dialect] = &[
    template::Dialect::Html,
    template::Dialect::Liquid,
    template::Dialect::Twig,
    template::Dialect::Smarty,
    template::Dialect::Handlebars,
    template::Dialect::Ejs,
    template::Dialect::Php,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let bytes = Arc::new(rest.to_vec());
    let name = NAMES[pick as usize % NAMES.len()];
    let kind = classify::classify(Path::new(name), &bytes);
    let out = units::extract(kind, &bytes);
    for u in &out.units {
        assert_eq!(
            u.text.len(),
            bytes.len(),
            "a unit buffer must keep the file's offsets"
        );
        for r in u.ranges.iter().flatten() {
            assert!(r.start <= r.end && r.end <= u.text.len());
        }
    }
    for s in &out.script_srcs {
        assert!(s.span.end <= bytes.len());
    }
    let dialect = DIALECTS[pick as usize % DIALECTS.len()];
    let blanked = template::blank_tags(&bytes, dialect);
    assert_eq!(blanked.len(), bytes.len());
    for (a, b) in blanked.iter().zip(bytes.iter()) {
        assert!(a == b || *a == b' ', "blanking only writes spaces");
    }
});

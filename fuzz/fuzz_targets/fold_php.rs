//! The PHP folder and the byte decoders: every node folded under a budget; every decoder fed
//! the raw input.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use skimlint::fold::decoders::{self, Inflate};
use skimlint::fold::{walk_preorder, Budget, Folder, Limits};
use skimlint::lang::Lang;
use skimlint::parse;

fuzz_target!(|data: &[u8]| {
    let _ = decoders::base64(data);
    let _ = decoders::hex(data);
    let _ = decoders::uudecode(data);
    let _ = decoders::percent(data, true);
    let _ = decoders::rot13(data);
    let _ = decoders::entropy(data);
    for flavour in [Inflate::Raw, Inflate::Zlib, Inflate::Gzip] {
        if let Some((out, _)) = decoders::inflate_any(data, flavour, 1 << 20) {
            assert!(out.len() <= 1 << 20, "inflate must respect its cap");
        }
    }
    let Ok(tree) = parse::parse(Lang::Php, data, None, Duration::from_secs(5)) else {
        return;
    };
    let budget = Budget::new(Limits::default());
    let folder = Folder::new(Lang::Php, tree.root_node(), data, &budget);
    walk_preorder(tree.root_node(), |n| {
        let _ = folder.value(n);
        if n.kind() == "function_call_expression" {
            let _ = folder.callee(n);
        }
        true
    });
    let _ = folder.payload_candidates();
    let _ = folder.assignments();
});

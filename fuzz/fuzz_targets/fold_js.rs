//! The JavaScript folder: every node of any parse tree folded and named under a budget.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use skimlint::fold::{walk_preorder, Budget, Folder, Limits};
use skimlint::lang::Lang;
use skimlint::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(tree) = parse::parse(Lang::Javascript, data, None, Duration::from_secs(5)) else {
        return;
    };
    let budget = Budget::new(Limits::default());
    let folder = Folder::new(Lang::Javascript, tree.root_node(), data, &budget);
    walk_preorder(tree.root_node(), |n| {
        let _ = folder.value(n);
        if n.kind() == "call_expression" {
            let _ = folder.callee(n);
        }
        true
    });
    let _ = folder.payload_candidates();
    let _ = folder.assignments();
});

//! Unit tests of the JavaScript folder: escapes, decoders and their labels, the string-array
//! recogniser and callee naming.

use super::*;
use crate::fold::walk::preorder;
use crate::fold::Limits;
use crate::syntax::lang::Lang;
use crate::syntax::NodeExt;
use std::time::Duration;

/// Parses `src`, builds its folder and hands it the calls in document order.
fn with_calls<R>(src: &str, f: impl for<'t> FnOnce(&JsFolder<'t>, Vec<Node<'t>>) -> R) -> R {
    let tree = crate::syntax::parse::parse(
        Lang::Javascript,
        src.as_bytes(),
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    let budget = Budget::new(Limits::default());
    let folder = JsFolder::new(tree.root_node(), src.as_bytes(), &budget);
    let mut calls = Vec::new();
    preorder(tree.root_node(), |n| {
        if n.kind_name() == "call_expression" {
            calls.push(n);
        }
        true
    });
    f(&folder, calls)
}

/// The folded text and provenance of the argument of the last `sink(…)`.
fn sink_arg(src: &str) -> (Option<String>, Vec<&'static str>) {
    with_calls(src, |folder, calls| {
        let call = calls
            .into_iter()
            .rev()
            .find(|c| folder.text(c.field("function").unwrap()) == "sink")
            .expect("a sink call");
        let arg = call
            .field("arguments")
            .and_then(|a| a.named_child(0))
            .unwrap();
        let v = folder.value(arg);
        (
            v.as_ref()
                .and_then(|v| v.to_text())
                .map(|t| String::from_utf8_lossy(&t).into_owned()),
            v.map(|v| v.decoders).unwrap_or_default(),
        )
    })
}

/// The canonical name of the callee of the `i`-th call (document order).
fn callee(src: &str, i: usize) -> Option<String> {
    with_calls(src, |folder, calls| {
        folder.callee_name(calls.get(i)?.field("function")?)
    })
}

#[test]
fn string_escapes_spell_letters_without_provenance() {
    let (v, via) = sink_arg(r#"sink("\x65\u0076\u{61}l" + '\x28\x29');"#);
    assert_eq!(v.as_deref(), Some("eval()"));
    assert!(via.is_empty(), "{via:?}");
}

#[test]
fn char_codes_and_base64_decode_with_their_label() {
    let (v, via) = sink_arg("sink(String.fromCharCode(101, 118, 97, 108));");
    assert_eq!(v.as_deref(), Some("eval"));
    assert_eq!(via, ["fromCharCode"]);
    let (v, via) =
        sink_arg("var k = [101, 118, 97, 108]; sink(String.fromCharCode.apply(null, k));");
    assert_eq!(v.as_deref(), Some("eval"));
    assert_eq!(via, ["fromCharCode"]);
    let (v, via) = sink_arg("sink(atob('ZXZh' + 'bA=='));");
    assert_eq!(v.as_deref(), Some("eval"));
    assert_eq!(via, ["base64"]);
    // Decoders compose, innermost first.
    let (v, via) = sink_arg("sink(decodeURIComponent(atob('JTY1dmFs')));");
    assert_eq!(v.as_deref(), Some("eval"));
    assert_eq!(via, ["base64", "urldecode"]);
}

#[test]
fn rotated_string_array_is_read_through_its_accessor() {
    // Rotating once by `push(shift())` moves `log` to the end: item 0 is then `eval`. (A
    // global array counts from five strings.)
    let src = r#"
var _0xa = ['log', 'eval', 'hello', 'world', 'slice'];
(function (_0x1, _0x2) { var _0x3 = function (_0x4) { while (--_0x4) { _0x1['push'](_0x1['shift']()); } }; _0x3(++_0x2); }(_0xa, 0x1));
var _0xb = function (_0x1, _0x2) { _0x1 = _0x1 - 0x0; var _0x3 = _0xa[_0x1]; return _0x3; };
sink(_0xb('0x0'));"#;
    let (v, via) = sink_arg(src);
    assert_eq!(v.as_deref(), Some("eval"));
    assert_eq!(via, ["string-array"]);
}

#[test]
fn callee_names_follow_aliases() {
    assert_eq!(
        callee("window['ev' + 'al'](x);", 0).as_deref(),
        Some("eval")
    );
    assert_eq!(callee("var e = eval; e(x);", 0).as_deref(), Some("eval"));
    assert_eq!(callee("(0, eval)(x);", 0).as_deref(), Some("eval"));
    assert_eq!(
        callee("(function (q) { q.post(u, d); })(jQuery);", 1).as_deref(),
        Some("jQuery.post")
    );
    assert_eq!(
        callee("$('#pay').on('click', f);", 0).as_deref(),
        Some("$().on")
    );
}

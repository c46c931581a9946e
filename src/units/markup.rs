//! A linear-time scanner for the parts of HTML that hold JavaScript.
//!
//! Why not tree-sitter-html: measured here, 100k nested `<div>`s take it ~60 s, and reviewers scan
//! hostile input. Only three things matter to skimlint in markup: `<script>` bodies, `on*=`
//! handlers and `javascript:` URLs (plus where `<script src>` loads from). A single forward pass
//! over tags finds them all, never backtracks and never nests.

use std::ops::Range;
use std::sync::Arc;

use memchr::memmem;

use super::{FileUnits, ScriptSrc, Unit, UnitOrigin};
use crate::syntax::lang::Lang;

/// Cheap check before running the scanner on the HTML parts of a PHP file.
pub fn may_contain_script(bytes: &[u8]) -> bool {
    let lower = bytes.to_ascii_lowercase();
    memmem::find(&lower, b"<script").is_some()
        || memmem::find(&lower, b"javascript:").is_some()
        || memmem::find(&lower, b" on").is_some()
}

struct Attr {
    name: Range<usize>,
    value: Option<Range<usize>>,
}

/// Appends the JS units and script sources found in `text` to `out`.
pub fn extract_into(text: &Arc<Vec<u8>>, out: &mut FileUnits) {
    let first = out.units.len();
    extract_plain(text, out);
    decode_attribute_units(text, &mut out.units[first..]);
}

fn extract_plain(text: &Arc<Vec<u8>>, out: &mut FileUnits) {
    let b = text.as_slice();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'<', &b[i..]) {
        let lt = i + p;
        i = lt + 1;
        if b[i..].starts_with(b"!--") {
            i = memmem::find(&b[i..], b"-->").map_or(b.len(), |q| i + q + 3);
            continue;
        }
        let name_end = scan_while(b, i, |c| {
            c.is_ascii_alphanumeric() || c == b'-' || c == b':'
        });
        if name_end == i || !b[i].is_ascii_alphabetic() {
            continue;
        }
        let tag = b[i..name_end].to_ascii_lowercase();
        let (attrs, tag_end) = scan_attributes(b, name_end);
        i = tag_end;
        for attr in &attrs {
            handle_attribute(text, &tag, attr, out);
        }
        match tag.as_slice() {
            b"script" => {
                let body_end = find_close(b, i, b"</script");
                let src = attrs
                    .iter()
                    .find(|a| eq_ignore_case(&b[a.name.clone()], b"src"));
                if let Some(v) = src.and_then(|a| a.value.clone()) {
                    let url = String::from_utf8_lossy(&b[v.clone()]).trim().to_string();
                    out.script_srcs.push(ScriptSrc {
                        url,
                        span: v,
                        decoders: Vec::new(),
                    });
                } else if is_javascript_type(b, &attrs) && has_code(&b[i..body_end]) {
                    out.units
                        .push(js_unit(text, i..body_end, UnitOrigin::ScriptBlock));
                }
                i = body_end;
            }
            b"style" | b"textarea" | b"title" | b"xmp" => {
                let close = [b"</".as_slice(), &tag].concat();
                i = find_close(b, i, &close);
            }
            _ => {}
        }
    }
}

fn handle_attribute(text: &Arc<Vec<u8>>, _tag: &[u8], attr: &Attr, out: &mut FileUnits) {
    let b = text.as_slice();
    let Some(value) = attr.value.clone() else {
        return;
    };
    let name = b[attr.name.clone()].to_ascii_lowercase();
    if name.len() > 2 && name.starts_with(b"on") && name[2..].iter().all(u8::is_ascii_alphabetic) {
        if has_code(&b[value.clone()]) {
            out.units
                .push(js_unit(text, value, UnitOrigin::EventHandler));
        }
        return;
    }
    if matches!(
        name.as_slice(),
        b"href" | b"src" | b"action" | b"formaction" | b"data"
    ) {
        let start = scan_while(b, value.start, |c| c.is_ascii_whitespace()).min(value.end);
        let scheme = b"javascript:";
        let v = &b[start..value.end];
        if v.len() >= scheme.len() && eq_ignore_case(&v[..scheme.len()], scheme) {
            let code = start + scheme.len()..value.end;
            if has_code(&b[code.clone()]) {
                out.units
                    .push(js_unit(text, code, UnitOrigin::JavascriptUrl));
            }
        }
    }
}

/// Handlers and `javascript:` URLs are attribute values: their quotes are written `&quot;` or
/// `&#39;`, and other characters as entities too. One copy of the file (for all such units)
/// gets those values decoded in place so that no byte moves: outside strings an entity's
/// character is padded with spaces to the entity's length (quotes on their outer side), inside
/// strings with line continuations (`\` + newline), which add nothing to the string's value.
fn decode_attribute_units(text: &Arc<Vec<u8>>, units: &mut [Unit]) {
    let b = text.as_slice();
    let needs = |u: &Unit| {
        matches!(
            u.origin,
            UnitOrigin::EventHandler | UnitOrigin::JavascriptUrl
        ) && u.ranges.as_ref().is_some_and(|r| {
            r.iter()
                .any(|r| memchr::memchr(b'&', &b[r.clone()]).is_some())
        })
    };
    if !units.iter().any(needs) {
        return;
    }
    let mut copy = b.to_vec();
    for u in units.iter().filter(|u| needs(u)) {
        for r in u.ranges.iter().flatten() {
            decode_entities_in_place(&b[r.clone()], &mut copy[r.clone()]);
        }
    }
    let copy = Arc::new(copy);
    for u in units.iter_mut().filter(|u| needs(u)) {
        u.text = copy.clone();
    }
}

/// Decodes the character entities of `src` into `dst` (same length; see above).
fn decode_entities_in_place(src: &[u8], dst: &mut [u8]) {
    let mut quote: Option<u8> = None;
    // The previous character was a backslash escaping the next one inside a string.
    let mut escaped = false;
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let (ch, len) = if c == b'&' {
            match src[i..].iter().take(12).position(|&c| c == b';') {
                Some(end) => {
                    let decoded = crate::decode::bytes::html_entities(&src[i..=i + end]);
                    match decoded.as_slice() {
                        [one] if one.is_ascii() => (*one, end + 1),
                        _ => (c, 1),
                    }
                }
                None => (c, 1),
            }
        } else {
            (c, 1)
        };
        let slot = &mut dst[i..i + len];
        i += len;
        let in_string = quote.is_some();
        if std::mem::take(&mut escaped) {
            // `\&quot;` is an escaped quote: it stays next to its backslash.
            slot[0] = ch;
            pad_with_continuations(&mut slot[1..]);
            continue;
        }
        let is_quote = matches!(ch, b'"' | b'\'' | b'`');
        if is_quote && quote.is_none() {
            quote = Some(ch);
            slot.fill(b' ');
            slot[len - 1] = ch;
        } else if is_quote && quote == Some(ch) {
            quote = None;
            slot.fill(b' ');
            slot[0] = ch;
        } else if in_string {
            slot[0] = ch;
            pad_with_continuations(&mut slot[1..]);
            escaped = ch == b'\\';
        } else {
            slot.fill(b' ');
            slot[len - 1] = ch;
        }
        // A raw escape inside a string (`\x`, `\"`): the next character is not a delimiter.
        if escaped && i < src.len() && src[i] != b'&' {
            dst[i] = src[i];
            i += 1;
            escaped = false;
        }
    }
}

/// Fills `pad` with JavaScript line continuations (`\` LF, or `\` CR LF for an odd length),
/// which a string's value does not include. A single byte cannot be padded that way; it
/// becomes a space (no entity is shorter than four bytes, so it does not happen).
fn pad_with_continuations(pad: &mut [u8]) {
    let mut rest = pad;
    if rest.len() % 2 == 1 && rest.len() >= 3 {
        rest[..3].copy_from_slice(b"\\\r\n");
        rest = &mut rest[3..];
    }
    while rest.len() >= 2 {
        rest[..2].copy_from_slice(b"\\\n");
        rest = &mut rest[2..];
    }
    rest.fill(b' ');
}

fn js_unit(text: &Arc<Vec<u8>>, range: Range<usize>, origin: UnitOrigin) -> Unit {
    Unit {
        lang: Lang::Javascript,
        text: text.clone(),
        ranges: Some(vec![range]),
        origin,
        prefix: 0,
    }
}

fn has_code(body: &[u8]) -> bool {
    body.iter().any(|c| !c.is_ascii_whitespace())
}

/// `<script>` without a type, or with a JavaScript MIME type / `module`. JSON blocks
/// (`application/ld+json`, `text/x-magento-init`) and HTML templates are not JavaScript.
fn is_javascript_type(b: &[u8], attrs: &[Attr]) -> bool {
    let Some(ty) = attrs
        .iter()
        .find(|a| eq_ignore_case(&b[a.name.clone()], b"type"))
    else {
        return true;
    };
    let Some(v) = ty.value.clone() else {
        return true;
    };
    let v = String::from_utf8_lossy(&b[v]).trim().to_ascii_lowercase();
    v.is_empty()
        || v == "module"
        || v.contains("javascript")
        || v.contains("ecmascript")
        || v == "text/jscript"
        || v == "text/livescript"
}

/// Parses attributes from `i` (just after the tag name) to the end of the tag.
fn scan_attributes(b: &[u8], mut i: usize) -> (Vec<Attr>, usize) {
    let mut attrs = Vec::new();
    loop {
        i = scan_while(b, i, |c| c.is_ascii_whitespace() || c == b'/');
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let name_start = i;
        i = scan_while(b, i, |c| {
            !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/')
        });
        if i == name_start {
            i += 1; // a stray '=' or similar
            continue;
        }
        let name = name_start..i;
        let after_ws = scan_while(b, i, |c| c.is_ascii_whitespace());
        if after_ws < b.len() && b[after_ws] == b'=' {
            let v = scan_while(b, after_ws + 1, |c| c.is_ascii_whitespace());
            if v >= b.len() {
                attrs.push(Attr { name, value: None });
                return (attrs, b.len());
            }
            let (value, next) = match b[v] {
                q @ (b'"' | b'\'') => {
                    let end = memchr::memchr(q, &b[v + 1..]).map_or(b.len(), |p| v + 1 + p);
                    (v + 1..end, (end + 1).min(b.len()))
                }
                _ => {
                    let end = scan_while(b, v, |c| !c.is_ascii_whitespace() && c != b'>');
                    (v..end, end)
                }
            };
            attrs.push(Attr {
                name,
                value: Some(value),
            });
            i = next;
        } else {
            attrs.push(Attr { name, value: None });
            i = after_ws;
        }
    }
}

/// Offset of the closing tag `close` (case-insensitive) at or after `from`, or the end of input.
fn find_close(b: &[u8], from: usize, close: &[u8]) -> usize {
    let mut i = from;
    while let Some(p) = memmem::find(&b[i..], b"</") {
        let at = i + p;
        if b.len() - at >= close.len() && eq_ignore_case(&b[at..at + close.len()], close) {
            return at;
        }
        i = at + 2;
    }
    b.len()
}

fn scan_while(b: &[u8], mut i: usize, f: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && f(b[i]) {
        i += 1;
    }
    i
}

fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(src: &str) -> FileUnits {
        let mut out = FileUnits::default();
        extract_into(&Arc::new(src.as_bytes().to_vec()), &mut out);
        out
    }

    fn texts(src: &str) -> Vec<&str> {
        units(src)
            .units
            .iter()
            .map(|u| {
                let r = u.ranges.as_ref().unwrap()[0].clone();
                &src[r]
            })
            .collect()
    }

    #[test]
    fn finds_scripts_handlers_and_urls() {
        let src = r#"<p onclick="go()">x</p><SCRIPT>var a=1;</script>
<script src="https://cdn.example/x.js"></script><a href=" javascript:run()">y</a>
<script type="application/ld+json">{"a":1}</script><!-- <script>no()</script> -->"#;
        assert_eq!(texts(src), vec!["go()", "var a=1;", "run()"]);
        assert_eq!(units(src).script_srcs[0].url, "https://cdn.example/x.js");
    }

    #[test]
    fn handler_entities_are_decoded_in_place() {
        let src = r#"<img src="x" onerror="var s = document.createElement(&quot;script&quot;); s.src = &#39;https://a.example/x.js?a=1&amp;b=2&#39;;">"#;
        let u = units(src);
        assert_eq!(u.units.len(), 1);
        let unit = &u.units[0];
        let r = unit.ranges.as_ref().unwrap()[0].clone();
        let code = std::str::from_utf8(&unit.text[r.clone()]).unwrap();
        assert_eq!(code.len(), r.len());
        assert!(
            code.contains(r#"createElement(     "script"     )"#),
            "{code}"
        );
        // Inside a string the padding is line continuations, which the string's value drops.
        assert!(
            code.contains("'https://a.example/x.js?a=1&\\\n\\\nb=2'"),
            "{code}"
        );
        // The file's own bytes are untouched.
        assert_eq!(
            std::str::from_utf8(&src.as_bytes()[r.clone()])
                .unwrap()
                .len(),
            r.len()
        );
    }

    #[test]
    fn escaped_entity_quotes_stay_inside_their_string() {
        let src = r#"<img onerror="document.write(&quot;&lt;script src=\&quot;//x.example/a.js\&quot;&gt;&quot;)">"#;
        let u = units(src);
        let unit = &u.units[0];
        let r = unit.ranges.as_ref().unwrap()[0].clone();
        let code = std::str::from_utf8(&unit.text[r]).unwrap();
        let value: String = code
            .replace("\\\r\n", "")
            .replace("\\\n", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            value,
            r#"document.write( "<script src=\"//x.example/a.js\">" )"#
        );
    }

    #[test]
    fn unterminated_input_ends_cleanly() {
        assert_eq!(texts("<script>var a = 1"), vec!["var a = 1"]);
        assert!(texts("<a onclick='x").len() == 1);
        assert!(texts("<").is_empty());
    }
}

//! PHP literals: integer literals, single- and double-quoted string escapes, heredoc/nowdoc.

use crate::decode::bytes as decoders;

pub(super) fn parse_php_int(t: &str) -> Option<f64> {
    let t = t.replace('_', "").to_ascii_lowercase();
    let r = |s: &str, radix| i64::from_str_radix(s, radix).ok().map(|v| v as f64);
    if let Some(h) = t.strip_prefix("0x") {
        r(h, 16)
    } else if let Some(b) = t.strip_prefix("0b") {
        r(b, 2)
    } else if let Some(o) = t.strip_prefix("0o") {
        r(o, 8)
    } else if t.len() > 1 && t.starts_with('0') {
        r(&t[1..], 8)
    } else {
        t.parse().ok()
    }
}

pub(super) fn trim_heredoc(raw: &[u8]) -> Vec<u8> {
    raw.strip_suffix(b"\n").unwrap_or(raw).to_vec()
}

pub(super) fn unescape_single(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && matches!(raw.get(i + 1), Some(b'\\' | b'\'')) {
            out.push(raw[i + 1]);
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// Double-quoted escapes: `\n \t \r \v \e \f \\ \$ \"`, `\x` hex (1-2 digits), octal (1-3
/// digits), `\u{...}`. Unknown escapes stay as written, as in PHP.
pub fn unescape_double(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' || i + 1 >= raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = raw[i + 1];
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(11),
            b'e' => out.push(27),
            b'f' => out.push(12),
            b'\\' | b'$' | b'"' => out.push(e),
            b'x' | b'X' => {
                let digits: Vec<u8> = raw[i + 2..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .copied()
                    .collect();
                if digits.is_empty() {
                    out.extend_from_slice(&raw[i..i + 2]);
                } else {
                    out.push(
                        u8::from_str_radix(std::str::from_utf8(&digits).unwrap_or("0"), 16)
                            .unwrap_or(0),
                    );
                    i += digits.len();
                }
            }
            b'0'..=b'7' => {
                let digits: Vec<u8> = raw[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .copied()
                    .collect();
                let v = u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("0"), 8)
                    .unwrap_or(0);
                out.push((v & 0xff) as u8);
                i += digits.len() - 1;
            }
            b'u' if raw.get(i + 2) == Some(&b'{') => {
                let end = raw[i + 2..]
                    .iter()
                    .position(|&c| c == b'}')
                    .map(|p| i + 2 + p);
                match end.and_then(|e| {
                    u32::from_str_radix(std::str::from_utf8(&raw[i + 3..e]).ok()?, 16)
                        .ok()
                        .map(|v| (e, v))
                }) {
                    Some((end, v)) => {
                        decoders::push_char(&mut out, v);
                        i = end - 1;
                    }
                    None => out.extend_from_slice(&raw[i..i + 2]),
                }
            }
            _ => out.extend_from_slice(&raw[i..i + 2]),
        }
        i += 2;
    }
    out
}

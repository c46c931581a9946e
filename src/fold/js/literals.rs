//! JavaScript literals and string semantics: number literals, string escapes and the UTF-16
//! view of strings (`length`, `charAt`, `charCodeAt`).

use crate::decode::bytes as decoders;

pub fn parse_js_number(t: &str) -> Option<f64> {
    let t = t.replace('_', "");
    let lower = t.to_ascii_lowercase();
    let radix = |p: &str, r: u32| i64::from_str_radix(p, r).ok().map(|v| v as f64);
    if let Some(h) = lower.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return radix(o, 8);
    }
    if let Some(b) = lower.strip_prefix("0b") {
        return radix(b, 2);
    }
    if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit()) {
        return radix(&lower[1..], 8).or_else(|| lower.parse().ok());
    }
    lower.trim_end_matches('n').parse().ok()
}

/// Resolves every JavaScript escape form: `\xHH`, `\uHHHH`, `\u{H..}`, legacy octal, the single
/// character escapes and line continuations.
pub fn unescape_js(raw: &[u8]) -> Vec<u8> {
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
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\n' => {}
            b'\r' => {
                if raw.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'x' => match raw
                .get(i..i + 2)
                .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            {
                Some(v) => {
                    decoders::push_char(&mut out, v);
                    i += 2;
                }
                None => out.push(b'x'),
            },
            b'u' => {
                if raw.get(i) == Some(&b'{') {
                    let end = raw[i..].iter().position(|&c| c == b'}').map(|p| i + p);
                    if let Some(end) = end {
                        if let Some(v) = std::str::from_utf8(&raw[i + 1..end])
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                        {
                            decoders::push_char(&mut out, v);
                            i = end + 1;
                            continue;
                        }
                    }
                    out.push(b'u');
                } else if let Some(v) = raw
                    .get(i..i + 4)
                    .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
                {
                    i += 4;
                    // Surrogate pairs: combine `\uD83D\uDE00`.
                    if (0xD800..0xDC00).contains(&v) && raw.get(i..i + 2) == Some(b"\\u") {
                        if let Some(lo) = raw.get(i + 2..i + 6).and_then(|h| {
                            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                        }) {
                            if (0xDC00..0xE000).contains(&lo) {
                                decoders::push_char(
                                    &mut out,
                                    0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00),
                                );
                                i += 6;
                                continue;
                            }
                        }
                    }
                    decoders::push_char(&mut out, v);
                } else {
                    out.push(b'u');
                }
            }
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut n = 1;
                while n < 3
                    && i < raw.len()
                    && (b'0'..=b'7').contains(&raw[i])
                    && v * 8 + ((raw[i] - b'0') as u32) < 256
                {
                    v = v * 8 + (raw[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                decoders::push_char(&mut out, v);
            }
            other => out.push(other),
        }
    }
    out
}

/// The characters of a string (UTF-8 sequences kept whole; ASCII is the common case).
pub(super) fn js_chars(s: &[u8]) -> Vec<Vec<u8>> {
    if s.is_ascii() {
        return s.iter().map(|&c| vec![c]).collect();
    }
    String::from_utf8_lossy(s)
        .chars()
        .map(|c| c.to_string().into_bytes())
        .collect()
}

pub(super) fn js_len(s: &[u8]) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        String::from_utf8_lossy(s)
            .chars()
            .map(char::len_utf16)
            .sum()
    }
}

pub(super) fn js_char_at(s: &[u8], i: usize) -> Option<Vec<u8>> {
    if s.is_ascii() {
        return s.get(i).map(|&c| vec![c]);
    }
    String::from_utf8_lossy(s)
        .chars()
        .nth(i)
        .map(|c| c.to_string().into_bytes())
}

pub(super) fn js_code_at(s: &[u8], i: usize) -> Option<u32> {
    if s.is_ascii() {
        return s.get(i).map(|&c| c as u32);
    }
    String::from_utf8_lossy(s).chars().nth(i).map(|c| c as u32)
}

//! Pure byte-level decoders shared by the JavaScript and PHP folders. None of them executes
//! anything; the decompressors stop at a cap so an archive bomb in a string cannot exhaust memory.

use std::io::Read;

use base64::engine::general_purpose::{GeneralPurposeConfig, STANDARD_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose};
use base64::{alphabet, Engine};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const B64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const B64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Base64 the way PHP's `base64_decode` (non-strict) and browsers' `atob` accept it: whitespace
/// ignored, padding optional, URL-safe alphabet tolerated. Other junk characters are dropped as
/// PHP does.
pub fn base64(input: &[u8]) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = input
        .iter()
        .copied()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'))
        .collect();
    if cleaned.is_empty() {
        return Some(Vec::new());
    }
    let mut usable = cleaned.as_slice();
    if usable.len() % 4 == 1 {
        usable = &usable[..usable.len() - 1];
    }
    B64.decode(usable)
        .or_else(|_| B64URL.decode(usable))
        .or_else(|_| STANDARD_NO_PAD.decode(usable))
        .ok()
}

/// Is this plausibly a base64 payload (long, base64 alphabet only)?
pub fn looks_base64(input: &[u8], min_len: usize) -> bool {
    input.len() >= min_len
        && input
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'\n' | b'\r'))
}

pub fn hex(input: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = input
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

pub fn rot13(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&c| match c {
            b'a'..=b'z' => (c - b'a' + 13) % 26 + b'a',
            b'A'..=b'Z' => (c - b'A' + 13) % 26 + b'A',
            _ => c,
        })
        .collect()
}

pub fn reverse(input: &[u8]) -> Vec<u8> {
    input.iter().rev().copied().collect()
}

/// `%XX` decoding; with `plus_is_space` as PHP's `urldecode`, and `%uXXXX` as JS `unescape`.
pub fn percent(input: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if c == b'%' {
            if let Some(v) = hex_at(input, i + 1, 2) {
                out.push(v as u8);
                i += 3;
                continue;
            }
            if input.get(i + 1).is_some_and(|&u| u == b'u' || u == b'U') {
                if let Some(v) = hex_at(input, i + 2, 4) {
                    push_char(&mut out, v);
                    i += 6;
                    continue;
                }
            }
        }
        out.push(if plus_is_space && c == b'+' { b' ' } else { c });
        i += 1;
    }
    out
}

fn hex_at(input: &[u8], at: usize, len: usize) -> Option<u32> {
    let s = input.get(at..at + len)?;
    u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
}

pub fn push_char(out: &mut Vec<u8>, code: u32) {
    let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

/// Decompression flavours matching PHP's gzinflate / gzuncompress / gzdecode.
#[derive(Debug, Clone, Copy)]
pub enum Inflate {
    Raw,
    Zlib,
    Gzip,
}

/// Decompresses at most `cap` bytes. Returns the output and whether it was truncated.
pub fn inflate(input: &[u8], flavour: Inflate, cap: usize) -> Option<(Vec<u8>, bool)> {
    let reader: Box<dyn Read + '_> = match flavour {
        Inflate::Raw => Box::new(flate2::read::DeflateDecoder::new(input)),
        Inflate::Zlib => Box::new(flate2::read::ZlibDecoder::new(input)),
        Inflate::Gzip => Box::new(flate2::read::GzDecoder::new(input)),
    };
    let mut out = Vec::new();
    let mut limited = reader.take(cap as u64 + 1);
    match limited.read_to_end(&mut out) {
        Ok(_) => {}
        // A corrupt tail after useful output still yields what was decoded.
        Err(_) if !out.is_empty() => {}
        Err(_) => return None,
    }
    let truncated = out.len() > cap;
    out.truncate(cap);
    Some((out, truncated))
}

/// Any of the three, whichever recognises the data (attackers mix them up, PHP is strict).
pub fn inflate_any(input: &[u8], first: Inflate, cap: usize) -> Option<(Vec<u8>, bool)> {
    inflate(input, first, cap)
        .filter(|(o, _)| !o.is_empty())
        .or_else(|| inflate(input, Inflate::Zlib, cap).filter(|(o, _)| !o.is_empty()))
        .or_else(|| inflate(input, Inflate::Gzip, cap).filter(|(o, _)| !o.is_empty()))
        .or_else(|| inflate(input, Inflate::Raw, cap).filter(|(o, _)| !o.is_empty()))
}

/// PHP's convert_uudecode.
pub fn uudecode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for line in input.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let n = (line[0].wrapping_sub(32) & 63) as usize;
        if n == 0 {
            break;
        }
        let body: Vec<u8> = line[1..].iter().map(|c| c.wrapping_sub(32) & 63).collect();
        let mut bytes = Vec::new();
        for chunk in body.chunks(4) {
            let g = |i: usize| *chunk.get(i).unwrap_or(&0) as u32;
            let v = (g(0) << 18) | (g(1) << 12) | (g(2) << 6) | g(3);
            bytes.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        bytes.truncate(n);
        out.extend(bytes);
    }
    (!out.is_empty()).then_some(out)
}

/// HTML character references: `&#104;`, `&#x68;`, and the common named ones.
pub fn html_entities(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'&' {
            if let Some(end) = input[i..].iter().take(12).position(|&c| c == b';') {
                let body = &input[i + 1..i + end];
                let code = match body {
                    [b'#', b'x' | b'X', hex @ ..] => std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok()),
                    [b'#', dec @ ..] => std::str::from_utf8(dec).ok().and_then(|d| d.parse().ok()),
                    b"amp" => Some(38),
                    b"lt" => Some(60),
                    b"gt" => Some(62),
                    b"quot" => Some(34),
                    b"apos" => Some(39),
                    _ => None,
                };
                if let Some(c) = code {
                    push_char(&mut out, c);
                    i += end + 1;
                    continue;
                }
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// Shannon entropy in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_round_trip() {
        assert_eq!(base64(b"ZXZhbCgxKQ==").unwrap(), b"eval(1)");
        assert_eq!(base64(b"ZXZhbC\n gxKQ").unwrap(), b"eval(1)");
        assert_eq!(hex(b"6576616c").unwrap(), b"eval");
        assert_eq!(rot13(b"riny"), b"eval");
        assert_eq!(reverse(b"lave"), b"eval");
        assert_eq!(percent(b"%65v%u0061l+x", true), b"eval x");
        assert_eq!(uudecode(b"$979A;```\n`\n").unwrap(), b"eval");
        assert_eq!(html_entities(b"&#104;&#x74;tp&amp;"), b"http&");
    }

    #[test]
    fn inflate_stops_at_the_cap() {
        use flate2::write::DeflateEncoder;
        use std::io::Write;
        let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 1 << 20]).unwrap();
        let packed = e.finish().unwrap();
        let (out, truncated) = inflate(&packed, Inflate::Raw, 1000).unwrap();
        assert_eq!(out.len(), 1000);
        assert!(truncated);
    }
}

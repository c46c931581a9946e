//! The obfuscation axis: how an attacker hides a behaviour's strings and names, and how they
//! wrap the whole program. Each obfuscation is a `+`-joined list of steps: at most one literal
//! style first (how `«…»` and `⟨…⟩` are written), then `goto` (PHP), then wrappers, innermost
//! first. The techniques are the ones obfuscators and packers document (string arrays, escapes,
//! char codes, base64/gzip/rot13 layers, variable functions, `$GLOBALS` indirection, goto
//! flattening), not spellings taken from samples.

use base64::Engine as _;
use std::io::Write as _;

use super::spec::Language;

pub const JS: &[&str] = &[
    "plain",
    "hex",
    "unicode",
    "charcode",
    "concat",
    "reverse",
    "base64",
    "array",
    "eval-base64",
    "function-base64",
    "eval-charcode",
    "timeout-base64",
    "hex+eval-base64",
    "array+eval-base64",
    "concat+function-base64",
];

pub const PHP: &[&str] = &[
    "plain",
    "hex",
    "concat",
    "strrev",
    "base64",
    "rot13",
    "chr",
    "varfunc",
    "globals",
    "array",
    "goto",
    "eval-base64",
    "eval-gzinflate",
    "eval-rot13",
    "eval-strrev-base64",
    "create-function",
    "eval-gzuncompress-rot13-base64",
    "eval-hex2bin",
    "eval-pack",
    "eval-uudecode",
    "eval-implode",
    "hex+eval-gzinflate",
    "varfunc+goto",
    "goto+eval-base64",
    "base64+eval-gzinflate+eval-base64",
];

pub const CONFIG: &[&str] = &["plain"];

pub fn all(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::Javascript => JS,
        Language::Php => PHP,
        Language::Config => CONFIG,
    }
}

/// A tiny deterministic generator (SplitMix64): the matrix must be the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
    pub fn ident(&mut self, prefix: &str) -> String {
        format!("{prefix}{:04x}", self.next() & 0xffff)
    }
}

enum Piece {
    Code(String),
    Lit(String),
    Name(String),
}

fn pieces(code: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = code;
    loop {
        let lit = rest.find('«');
        let name = rest.find('⟨');
        let (at, open, close, is_lit) = match (lit, name) {
            (Some(l), Some(n)) if l < n => (l, '«', '»', true),
            (Some(l), None) => (l, '«', '»', true),
            (_, Some(n)) => (n, '⟨', '⟩', false),
            (None, None) => {
                out.push(Piece::Code(rest.to_string()));
                return out;
            }
        };
        out.push(Piece::Code(rest[..at].to_string()));
        let after = &rest[at + open.len_utf8()..];
        let end = after
            .find(close)
            .unwrap_or_else(|| panic!("unclosed {open} in {code}"));
        let inner = after[..end].to_string();
        out.push(if is_lit {
            Piece::Lit(inner)
        } else {
            Piece::Name(inner)
        });
        rest = &after[end + close.len_utf8()..];
    }
}

/// Renders a template (slots already filled) with one obfuscation.
pub fn render(lang: Language, code: &str, obfuscation: &str, rng: &mut Rng) -> String {
    let steps: Vec<&str> = obfuscation.split('+').collect();
    let (style, rest) = match steps.first() {
        Some(s) if is_literal_style(s) => (*s, &steps[1..]),
        _ => ("plain", &steps[..]),
    };
    let mut program = match lang {
        Language::Javascript => js_literals(code, style, rng),
        Language::Php => php_literals(code, style, rng),
        Language::Config => code.replace(['«', '»', '⟨', '⟩'], ""),
    };
    for step in rest {
        program = match (lang, *step) {
            (Language::Php, "goto") => php_goto(&program, rng),
            (Language::Javascript, w) => js_wrap(&program, w),
            (Language::Php, w) => php_wrap(&program, w),
            (Language::Config, w) => panic!("config takes no wrapper {w}"),
        };
    }
    program
}

fn is_literal_style(s: &str) -> bool {
    matches!(
        s,
        "plain"
            | "hex"
            | "unicode"
            | "charcode"
            | "concat"
            | "reverse"
            | "base64"
            | "array"
            | "strrev"
            | "rot13"
            | "chr"
            | "varfunc"
            | "globals"
    )
}

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

// ---------------------------------------------------------------- JavaScript

/// A double-quoted JavaScript string. `</` is written `<\/` (same value), as code meant for an
/// inline `<script>` must: a literal `</script>` would end the script element there.
fn js_quote(s: &str) -> String {
    let mut out = String::from("\"");
    let mut prev = ' ';
    for c in s.chars() {
        let was = std::mem::replace(&mut prev, c);
        match c {
            '/' if was == '<' => out.push_str("\\/"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn js_hex(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{:04x}", c as u32));
        }
    }
    out.push('"');
    out
}

fn js_literal(s: &str, style: &str, rng: &mut Rng, array: &mut Vec<String>, arr: &str) -> String {
    match style {
        "hex" => js_hex(s),
        "unicode" => {
            let mut out = String::from("\"");
            for u in s.encode_utf16() {
                out.push_str(&format!("\\u{u:04x}"));
            }
            out + "\""
        }
        "charcode" => {
            let codes: Vec<String> = s.encode_utf16().map(|u| u.to_string()).collect();
            format!("String.fromCharCode({})", codes.join(","))
        }
        "concat" => {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() < 2 {
                return js_quote(s);
            }
            let cut = 1 + rng.below(chars.len() - 1);
            let a: String = chars[..cut].iter().collect();
            let b: String = chars[cut..].iter().collect();
            format!("({} + {})", js_quote(&a), js_quote(&b))
        }
        "reverse" => {
            let r: String = s.chars().rev().collect();
            format!("{}.split(\"\").reverse().join(\"\")", js_quote(&r))
        }
        "base64" if s.is_ascii() => format!("atob({})", js_quote(&b64(s.as_bytes()))),
        "array" => {
            let i = array.len();
            array.push(js_hex(s));
            format!("{arr}[{i}]")
        }
        _ => js_quote(s),
    }
}

fn js_literals(code: &str, style: &str, rng: &mut Rng) -> String {
    let mut array = Vec::new();
    let arr = rng.ident("_0x");
    let mut out = String::new();
    for p in pieces(code) {
        match p {
            Piece::Code(c) => out.push_str(&c),
            Piece::Lit(s) => out.push_str(&js_literal(&s, style, rng, &mut array, &arr)),
            Piece::Name(n) if style == "plain" => {
                out.push('.');
                out.push_str(&n);
            }
            Piece::Name(n) => {
                out.push('[');
                out.push_str(&js_literal(&n, style, rng, &mut array, &arr));
                out.push(']');
            }
        }
    }
    if array.is_empty() {
        out
    } else {
        format!("var {arr} = [{}];\n{out}", array.join(", "))
    }
}

fn js_wrap(program: &str, wrapper: &str) -> String {
    match wrapper {
        "eval-base64" => format!("eval(atob({}));\n", js_quote(&b64(program.as_bytes()))),
        "function-base64" => format!(
            "(new Function(atob({})))();\n",
            js_quote(&b64(program.as_bytes()))
        ),
        "timeout-base64" => format!(
            "setTimeout(atob({}), 300);\n",
            js_quote(&b64(program.as_bytes()))
        ),
        "eval-charcode" => {
            let codes: Vec<String> = program.encode_utf16().map(|u| u.to_string()).collect();
            format!("eval(String.fromCharCode({}));\n", codes.join(","))
        }
        other => panic!("unknown JavaScript obfuscation step {other}"),
    }
}

// ---------------------------------------------------------------- PHP

fn php_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn php_hex(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        out.push_str(&format!("\\x{b:02x}"));
    }
    out + "\""
}

fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='m' | 'A'..='M' => (c as u8 + 13) as char,
            'n'..='z' | 'N'..='Z' => (c as u8 - 13) as char,
            _ => c,
        })
        .collect()
}

fn php_literal(s: &str, style: &str, rng: &mut Rng, array: &mut Vec<String>, arr: &str) -> String {
    match style {
        "hex" => php_hex(s),
        "concat" => {
            if s.len() < 2 || !s.is_ascii() {
                return php_quote(s);
            }
            let cut = 1 + rng.below(s.len() - 1);
            format!("({}.{})", php_quote(&s[..cut]), php_quote(&s[cut..]))
        }
        "strrev" if s.is_ascii() => {
            let r: String = s.chars().rev().collect();
            format!("strrev({})", php_quote(&r))
        }
        "base64" => format!("base64_decode({})", php_quote(&b64(s.as_bytes()))),
        "rot13" => format!("str_rot13({})", php_quote(&rot13(s))),
        "chr" if s.is_ascii() && !s.is_empty() => {
            let parts: Vec<String> = s.bytes().map(|b| format!("chr({b})")).collect();
            format!("({})", parts.join("."))
        }
        "array" => {
            let i = array.len();
            array.push(php_hex(s));
            format!("{arr}[{i}]")
        }
        _ => php_quote(s),
    }
}

fn php_literals(code: &str, style: &str, rng: &mut Rng) -> String {
    let mut array = Vec::new();
    let arr = format!("${}", rng.ident("_a"));
    let mut prelude = Vec::new();
    let mut out = String::new();
    // Literal style for the strings: variable functions and $GLOBALS keep literals plain.
    let lit_style = match style {
        "varfunc" | "globals" => "plain",
        s => s,
    };
    for p in pieces(code) {
        match p {
            Piece::Code(c) => out.push_str(&c),
            Piece::Lit(s) => out.push_str(&php_literal(&s, lit_style, rng, &mut array, &arr)),
            Piece::Name(n) if style == "plain" => out.push_str(&n),
            Piece::Name(n) if style == "globals" => {
                let key = rng.ident("_g");
                prelude.push(format!("$GLOBALS['{key}'] = {};", php_quote(&n)));
                out.push_str(&format!("$GLOBALS['{key}']"));
            }
            Piece::Name(n) => {
                let var = format!("${}", rng.ident("_f"));
                let value = php_literal(&n, lit_style, rng, &mut array, &arr);
                prelude.push(format!("{var} = {value};"));
                out.push_str(&var);
            }
        }
    }
    let mut head = String::new();
    if !array.is_empty() {
        head.push_str(&format!("{arr} = array({});\n", array.join(", ")));
    }
    for p in prelude {
        head.push_str(&p);
        head.push('\n');
    }
    head + &out
}

fn php_wrap(program: &str, wrapper: &str) -> String {
    match wrapper {
        "eval-base64" => format!(
            "eval(base64_decode({}));\n",
            php_quote(&b64(program.as_bytes()))
        ),
        "eval-gzinflate" => {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(program.as_bytes()).unwrap();
            let packed = e.finish().unwrap();
            format!(
                "eval(gzinflate(base64_decode({})));\n",
                php_quote(&b64(&packed))
            )
        }
        "eval-rot13" => format!("eval(str_rot13({}));\n", php_quote(&rot13(program))),
        "eval-strrev-base64" => {
            let r: String = b64(program.as_bytes()).chars().rev().collect();
            format!("eval(base64_decode(strrev({})));\n", php_quote(&r))
        }
        "create-function" => format!(
            "$_h = create_function('', base64_decode({}));\n$_h();\n",
            php_quote(&b64(program.as_bytes()))
        ),
        // `eval(gzuncompress(str_rot13(base64_decode(…))))`: the zlib stream, its letters
        // rotated, in base64.
        "eval-gzuncompress-rot13-base64" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(program.as_bytes()).unwrap();
            let rotated: Vec<u8> = e
                .finish()
                .unwrap()
                .into_iter()
                .map(|c| match c {
                    b'a'..=b'z' => (c - b'a' + 13) % 26 + b'a',
                    b'A'..=b'Z' => (c - b'A' + 13) % 26 + b'A',
                    _ => c,
                })
                .collect();
            format!(
                "eval(gzuncompress(str_rot13(base64_decode({}))));\n",
                php_quote(&b64(&rotated))
            )
        }
        "eval-hex2bin" => format!("eval(hex2bin({}));\n", php_quote(&hex_digits(program))),
        "eval-pack" => format!(
            "eval(pack({}, {}));\n",
            php_quote("H*"),
            php_quote(&hex_digits(program))
        ),
        "eval-uudecode" => format!(
            "eval(convert_uudecode({}));\n",
            php_quote(&uuencode(program.as_bytes()))
        ),
        // Pieces of the code in an array, imploded and run.
        "eval-implode" => {
            let chars: Vec<char> = program.chars().collect();
            let parts: Vec<String> = chars
                .chunks(7)
                .map(|c| php_quote(&c.iter().collect::<String>()))
                .collect();
            format!(
                "$_p = array({});\neval(implode('', $_p));\n",
                parts.join(", ")
            )
        }
        other => panic!("unknown PHP obfuscation step {other}"),
    }
}

fn hex_digits(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// PHP's `convert_uuencode`: lines of up to 45 bytes, a length character, then each 3 bytes
/// as 4 characters of 6 bits plus 32 (0 written as a backquote), and a final "`" line.
fn uuencode(data: &[u8]) -> String {
    let enc = |v: u8| if v == 0 { '`' } else { (v + 32) as char };
    let mut out = String::new();
    for line in data.chunks(45) {
        out.push(enc(line.len() as u8));
        for g in line.chunks(3) {
            let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
            out.push(enc(b[0] >> 2));
            out.push(enc(((b[0] & 3) << 4) | (b[1] >> 4)));
            out.push(enc(((b[1] & 15) << 2) | (b[2] >> 6)));
            out.push(enc(b[2] & 63));
        }
        out.push('\n');
    }
    out.push_str("`\n");
    out
}

/// Goto flattening: each top-level statement (a line starting in column 0, with the indented
/// lines after it) becomes a labelled block; blocks are shuffled and chained by `goto`.
fn php_goto(program: &str, rng: &mut Rng) -> String {
    let mut stmts: Vec<String> = Vec::new();
    for line in program.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let continues = line.starts_with([' ', '\t', '}', ')', ']']) && !stmts.is_empty();
        if continues {
            let last = stmts.last_mut().unwrap();
            last.push('\n');
            last.push_str(line);
        } else {
            stmts.push(line.to_string());
        }
    }
    if stmts.len() < 2 {
        return program.to_string();
    }
    let labels: Vec<String> = (0..=stmts.len())
        .map(|i| format!("{}{i}", rng.ident("L")))
        .collect();
    let mut order: Vec<usize> = (0..stmts.len()).collect();
    rng.shuffle(&mut order);
    let mut out = format!("goto {};\n", labels[0]);
    for i in order {
        out.push_str(&format!(
            "{}:\n{}\ngoto {};\n",
            labels[i],
            stmts[i],
            labels[i + 1]
        ));
    }
    out.push_str(&format!("{}:\n", labels[stmts.len()]));
    out
}

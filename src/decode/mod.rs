//! Decoders: the pure byte functions (`bytes`) and ONE table, [`DECODERS`], that every other
//! part reads:
//!
//! - the PHP folder folds a call of a row's `php` function of one string through its `decode`
//!   function (`fold_call`, and `array_map` callbacks), and treats calls of every row's `php`
//!   functions as payload candidates (`facts.rs`);
//! - the JavaScript folder does the same with `js` callee names (`builtin`, `facts.rs`);
//! - the prefilter sends a file holding any row's `words` to the full scan (`rules::prefilter`);
//! - the layer scan counts a decompressed payload as a thin layer (`engine::layers`);
//! - rule loading rejects a `decoded-by` label that no row produces (`rules::compile`).
//!
//! Adding a decoder is one row here plus its byte function in `bytes.rs` (and the label in
//! docs/rules.md's `decoded-by` list, which a test compares with this table).

pub mod bytes;

use bytes::Inflate;

/// A decoder of one string: its output and whether it stopped at `cap` bytes (decompressors).
pub type DecodeFn = fn(&[u8], usize) -> Option<(Vec<u8>, bool)>;

/// One way of decoding, as the folders see it.
#[derive(Debug)]
pub struct Decoder {
    /// The provenance label: what `decoded-by` in rules names and reports print in the layer
    /// chain. Several rows may share a label (`urldecode` and `rawurldecode`).
    pub label: &'static str,
    /// PHP functions (lower case) that decode this way; their calls are payload candidates.
    pub php: &'static [&'static str],
    /// JavaScript callee names that decode this way; their calls are payload candidates.
    pub js: &'static [&'static str],
    /// Case-insensitive regex fragments: a file whose bytes hold one is sent past the
    /// prefilter, since folding may produce what the bytes do not spell.
    pub words: &'static [&'static str],
    /// Does the output grow from a compressed input (gzip family)?
    pub decompresses: bool,
    /// The byte function for calls of one string argument; `None` when the folders handle the
    /// call themselves (other arguments first, arrays, or no call at all: literals, idioms).
    pub decode: Option<DecodeFn>,
}

const fn row(label: &'static str) -> Decoder {
    Decoder {
        label,
        php: &[],
        js: &[],
        words: &[],
        decompresses: false,
        decode: None,
    }
}

fn total(out: Vec<u8>) -> Option<(Vec<u8>, bool)> {
    Some((out, false))
}

/// Every decoder the folders know. Order does not matter.
pub static DECODERS: &[Decoder] = &[
    Decoder {
        php: &["base64_decode"],
        js: &["atob"],
        words: &["atob", "base64"],
        decode: Some(|s, _| bytes::base64(s).map(|o| (o, false))),
        ..row("base64")
    },
    Decoder {
        php: &["gzinflate"],
        words: &["gzinflate"],
        decompresses: true,
        decode: Some(|s, cap| bytes::inflate_any(s, Inflate::Raw, cap)),
        ..row("gzinflate")
    },
    Decoder {
        php: &["gzuncompress"],
        words: &["gzuncompress"],
        decompresses: true,
        decode: Some(|s, cap| bytes::inflate_any(s, Inflate::Zlib, cap)),
        ..row("gzuncompress")
    },
    Decoder {
        php: &["gzdecode"],
        words: &["gzdecode"],
        decompresses: true,
        decode: Some(|s, cap| bytes::inflate_any(s, Inflate::Gzip, cap)),
        ..row("gzdecode")
    },
    Decoder {
        php: &["str_rot13"],
        words: &["str_rot13"],
        decode: Some(|s, _| total(bytes::rot13(s))),
        ..row("rot13")
    },
    Decoder {
        php: &["strrev"],
        words: &["strrev"],
        decode: Some(|s, _| total(bytes::reverse(s))),
        ..row("strrev")
    },
    Decoder {
        php: &["hex2bin"],
        words: &["hex2bin"],
        decode: Some(|s, _| bytes::hex(s).map(|o| (o, false))),
        ..row("hex")
    },
    // `pack('H*', $hex)`: the format comes first (folded in `fold_call`).
    Decoder {
        php: &["pack"],
        words: &[r"\bpack\s*\("],
        ..row("hex")
    },
    Decoder {
        php: &["urldecode"],
        words: &["urldecode"],
        decode: Some(|s, _| total(bytes::percent(s, true))),
        ..row("urldecode")
    },
    Decoder {
        php: &["rawurldecode"],
        js: &["decodeURIComponent", "decodeURI"],
        words: &["rawurldecode", "decodeuri"],
        decode: Some(|s, _| total(bytes::percent(s, false))),
        ..row("urldecode")
    },
    Decoder {
        js: &["unescape"],
        words: &["unescape"],
        decode: Some(|s, _| total(bytes::percent(s, false))),
        ..row("unescape")
    },
    Decoder {
        php: &["convert_uudecode"],
        words: &["convert_uu"],
        decode: Some(|s, _| bytes::uudecode(s).map(|o| (o, false))),
        ..row("uudecode")
    },
    // Character codes: `String.fromCharCode(…)` / `fromCodePoint` (the folder's `builtin`).
    Decoder {
        js: &["String.fromCharCode"],
        words: &["fromcharcode", "fromcodepoint"],
        ..row("fromCharCode")
    },
    // PHP `chr(…)` and `array_map('chr', …)`: folded with the string functions; a lone `chr`
    // call is not a payload candidate.
    Decoder {
        words: &[r"\bchr\b"],
        ..row("chr")
    },
    Decoder {
        php: &["str_replace"],
        ..row("str_replace")
    },
    Decoder {
        php: &["strtr"],
        words: &[r"strtr\s*\("],
        ..row("strtr")
    },
    // Produced without a call of their own: HTML character references in JS strings, an
    // array's `.reverse()`, the Dean Edwards packer, obfuscator string arrays (and their RC4
    // accessor), the file's own pure helper functions, PHP `array_map` over a decoder.
    row("html-entities"),
    row("reverse"),
    row("packer"),
    row("string-array"),
    Decoder {
        words: &[r"\brc4\b"],
        ..row("rc4")
    },
    row("custom"),
    row("array_map"),
];

/// The row decoding a PHP call of one string argument, by lower-case function name.
pub fn php(name: &str) -> Option<&'static Decoder> {
    DECODERS.iter().find(|d| d.php.contains(&name))
}

/// The row decoding a JavaScript call of one string argument, by canonical callee name.
pub fn js(name: &str) -> Option<&'static Decoder> {
    DECODERS.iter().find(|d| d.js.contains(&name))
}

/// Is a call of this PHP function a payload candidate (its result may hide code)?
pub fn is_php_decoder(name: &str) -> bool {
    php(name).is_some()
}

/// Is a call of this JavaScript callee a payload candidate?
pub fn is_js_decoder(name: &str) -> bool {
    js(name).is_some()
}

/// Does a value with this provenance label come out of a decompressor?
pub fn decompresses(label: &str) -> bool {
    DECODERS.iter().any(|d| d.decompresses && d.label == label)
}

/// Every provenance label, in table order without repeats (`decoded-by` accepts these).
pub fn labels() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for d in DECODERS {
        if !out.contains(&d.label) {
            out.push(d.label);
        }
    }
    out
}

/// Every row's prefilter words, as one alternation.
pub fn words_pattern() -> String {
    DECODERS
        .iter()
        .flat_map(|d| d.words.iter().copied())
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_string_decoders_decode() {
        let run = |name: &str, input: &[u8]| (php(name).unwrap().decode.unwrap())(input, 1 << 20);
        assert_eq!(run("base64_decode", b"ZXZhbA==").unwrap().0, b"eval");
        assert_eq!(run("str_rot13", b"riny").unwrap().0, b"eval");
        assert_eq!(run("urldecode", b"a+b").unwrap().0, b"a b");
        assert_eq!(run("rawurldecode", b"a+b").unwrap().0, b"a+b");
        assert_eq!(js("decodeURI").unwrap().label, "urldecode");
        assert!(decompresses("gzinflate") && !decompresses("base64"));
        assert!(php("pack").unwrap().decode.is_none());
    }

    #[test]
    fn prefilter_words_compile() {
        let re = regex::bytes::Regex::new(&format!("(?i){}", words_pattern())).unwrap();
        assert!(re.is_match(b"x = ATOB(y)"));
        assert!(re.is_match(b"pack ('H*', $h)"));
        assert!(!re.is_match(b"package.json"));
    }

    /// Every label a folder attaches with `.via("…")` is a row of the table, and no row is a
    /// label nothing produces.
    #[test]
    fn folder_labels_are_table_rows() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push_str(&std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut text = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fold"),
            &mut text,
        );
        let used: Vec<&str> = text
            .split(".via(\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        let known = labels();
        for l in &used {
            assert!(known.contains(l), "`{l}` is attached but not in DECODERS");
        }
        for d in DECODERS.iter().filter(|d| d.decode.is_none()) {
            assert!(
                used.contains(&d.label)
                    || DECODERS
                        .iter()
                        .any(|o| o.label == d.label && o.decode.is_some()),
                "nothing produces `{}`",
                d.label
            );
        }
    }

    /// docs/rules.md lists exactly the table's labels under `decoded-by`.
    #[test]
    fn docs_list_every_label() {
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"),
        )
        .unwrap();
        let start = doc
            .find("`decoded-by = [")
            .expect("decoded-by in docs/rules.md");
        let list = &doc[start + 15..];
        let list = &list[..list.find(']').unwrap()];
        let mut listed: Vec<&str> = list
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .collect();
        let mut known = labels();
        listed.sort_unstable();
        known.sort_unstable();
        assert_eq!(listed, known);
    }
}

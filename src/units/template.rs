//! Template tags (`{{ }}`, `{% %}`, `<?php ?>`…) blanked to spaces of the same length.
//!
//! No maintained Rust grammars exist for Liquid, Twig or Smarty. Blanking the tags keeps every
//! byte offset (newlines are kept too), so the markup scanner and the JS parser see plain HTML and
//! JavaScript while positions stay those of the original file.

use memchr::memmem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Html,
    Liquid,
    Twig,
    Smarty,
    Handlebars,
    Ejs,
    /// The HTML parts of a PHP file: only PHP tags are blanked.
    Php,
    /// Markup stored inside string literals (SQL dumps, JSON templates): backslash-escaped
    /// quotes are undone in place (see `unescape_quotes`).
    Escaped,
}

impl Dialect {
    /// Pairs of (open, close) delimiters whose whole extent is blanked.
    fn delimiters(self) -> &'static [(&'static [u8], &'static [u8])] {
        const PHP: (&[u8], &[u8]) = (b"<?", b"?>");
        match self {
            Dialect::Php => &[PHP],
            Dialect::Escaped => &[],
            Dialect::Html => &[(b"{{", b"}}"), (b"{%", b"%}"), PHP],
            Dialect::Liquid | Dialect::Twig => {
                &[(b"{{", b"}}"), (b"{%", b"%}"), (b"{#", b"#}"), PHP]
            }
            Dialect::Smarty => &[
                (b"{*", b"*}"),
                (b"{$", b"}"),
                (b"{{", b"}}"),
                (b"{/", b"}"),
                PHP,
            ],
            Dialect::Handlebars => &[(b"{{", b"}}")],
            Dialect::Ejs => &[(b"<%", b"%>")],
        }
    }
}

/// Markup kept in SQL or JSON string literals has its quotes escaped (`<script src=\"…\">`,
/// `replace(\'/\', \'\')`), its line breaks written `\n`, its backslashes doubled (`\\x3c`)
/// and, from JSON encoders, its slashes `\/`. This undoes those escapes without moving the text
/// around them: each escape is shorter decoded, and the bytes saved become spaces, placed where
/// JavaScript ignores them. Outside a string they follow the character at once; inside a
/// string delimited by escaped quotes the string is written compactly and the spaces follow its
/// closing quote, so its value is exact. Every string's first character stays where it is in
/// the dump, and the whole has the dump's length, so positions are those of the dump.
pub fn unescape_quotes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    // The escaped quote that opened the JavaScript string being read.
    let mut open: Option<u8> = None;
    let mut r = 0;
    while r < bytes.len() {
        let pair = bytes.get(r + 1).map(|&n| (bytes[r], n));
        let (decoded, used): (&[u8], usize) = match pair {
            // `\\\"` is a JavaScript escaped quote: `\"`.
            Some((b'\\', b'\\'))
                if bytes.get(r + 2) == Some(&b'\\')
                    && matches!(bytes.get(r + 3), Some(b'"' | b'\'')) =>
            {
                (&bytes[r + 2..r + 4], 4)
            }
            Some((b'\\', b'\\')) => (b"\\", 2),
            Some((b'\\', q @ (b'"' | b'\''))) => {
                if open == Some(q) {
                    open = None;
                    (&bytes[r + 1..r + 2], 2)
                } else if open.is_none() {
                    // An opening quote keeps the string's first character where it was.
                    open = Some(q);
                    out.push(b' ');
                    (&bytes[r + 1..r + 2], 2)
                } else {
                    (&bytes[r + 1..r + 2], 2)
                }
            }
            Some((b'\\', b'/')) => (b"/", 2),
            Some((b'\\', b'n')) => (b"\n", 2),
            Some((b'\\', b'r')) => (b"\r", 2),
            Some((b'\\', b't')) => (b"\t", 2),
            _ => (&bytes[r..r + 1], 1),
        };
        if decoded == b"/" && open.is_none() && out.last() == Some(&b'<') {
            // A closing tag `<\/script>`: the space goes before it, not inside.
            out.pop();
            out.extend_from_slice(b" </");
        } else {
            out.extend_from_slice(decoded);
        }
        r += used;
        if open.is_none() && out.len() < r {
            out.resize(r, b' ');
        }
    }
    out.resize(bytes.len(), b' ');
    out
}

/// Is this a browser's *view-source* page saved as HTML (each source line in a
/// `<td class="line-content">`, the page's own markup shown as escaped text)?
pub fn is_view_source(bytes: &[u8]) -> bool {
    memmem::find(bytes, b"<td class=\"line-content\">").is_some()
        && memmem::find(bytes, b"class=\"html-tag\"").is_some()
}

/// The page a view-source dump shows, at the dump's own byte offsets: the dump's tags become
/// spaces (a row starts a new line), and each text run's entities are decoded and the result
/// right-aligned in the run's span (`&lt;script` → `   <script`), so the shown markup and its
/// scripts can be scanned while positions stay those of the file. Linear in the input.
pub fn unview_source(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let end = memchr::memchr(b'>', &bytes[i..]).map_or(bytes.len(), |p| i + p + 1);
            let row = bytes[i..end].starts_with(b"<tr");
            for b in &mut out[i..end] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
            if row {
                out[i] = b'\n';
            }
            i = end;
            continue;
        }
        let end = memchr::memchr(b'<', &bytes[i..]).map_or(bytes.len(), |p| i + p);
        let run = &bytes[i..end];
        if memchr::memchr(b'&', run).is_some() {
            let decoded = crate::decode::bytes::html_entities(run);
            if decoded.len() <= run.len() {
                let pad = run.len() - decoded.len();
                out[i..i + pad].fill(b' ');
                out[i + pad..end].copy_from_slice(&decoded);
            }
        }
        i = end;
    }
    out
}

/// Does the text contain any opening delimiter of the dialect?
pub fn has_tags(bytes: &[u8], dialect: Dialect) -> bool {
    dialect
        .delimiters()
        .iter()
        .any(|(open, _)| memmem::find(bytes, open).is_some())
}

/// Returns a copy of `bytes` with every complete template tag replaced by spaces (newlines kept).
/// An unterminated tag is left alone: blanking to the end of the file would hide what follows.
/// A PHP block left open at the end of the file is the exception: PHP itself runs to the end.
///
/// Linear in the input whatever it holds: the next position of each opening delimiter is
/// remembered and searched again only once passed, and a delimiter whose closing one does not
/// occur after some point cannot close later either, so it is searched for at most once more.
/// (Searching afresh at every step took 30 s for 1 MB of `{{`.)
pub fn blank_tags(bytes: &[u8], dialect: Dialect) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let delims = dialect.delimiters();
    let find_from = |needle: &[u8], from: usize| {
        memmem::find(&bytes[from.min(bytes.len())..], needle).map(|p| from + p)
    };
    // Per delimiter: the next opening at or after `i` (None: no more), or dead (cannot close).
    let mut next: Vec<Option<usize>> = delims.iter().map(|(open, _)| find_from(open, 0)).collect();
    let mut i = 0;
    while i < bytes.len() {
        for (k, (open, _)) in delims.iter().enumerate() {
            if next[k].is_some_and(|p| p < i) {
                next[k] = find_from(open, i);
            }
        }
        // The nearest opening delimiter of any kind (the first listed wins a tie).
        let Some((k, start)) = next
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.map(|p| (k, p)))
            .min_by_key(|&(k, p)| (p, k))
        else {
            break;
        };
        let (open, close) = delims[k];
        let body_from = start + open.len();
        let end = match find_from(close, body_from) {
            Some(p) => p + close.len(),
            None if open == b"<?" => bytes.len(),
            None => {
                // No closing delimiter anywhere after this opening: none later can close.
                next[k] = None;
                continue;
            }
        };
        for b in &mut out[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_escapes_are_undone_in_place() {
        let dump = br#"<script>\nvar a = \"\\x73rc\";\nvar b = \"x\\\"y\";\n<\/script>"#;
        let out = unescape_quotes(dump);
        assert_eq!(out.len(), dump.len());
        let text = String::from_utf8(out).unwrap();
        let squeezed: String = text.split(' ').collect();
        assert_eq!(
            squeezed,
            "<script>\nvara=\"\\x73rc\";\nvarb=\"x\\\"y\";\n</script>"
        );
        // Strings are exact: the padding follows their closing quote.
        assert!(text.contains(r#"var a =  "\x73rc"  ;"#), "{text}");
        assert!(text.contains(r#"var b =  "x\"y"   ;"#), "{text}");
    }

    #[test]
    fn tags_become_spaces_of_the_same_length() {
        let src = b"var a = '{{ x }}';\n{% if y %}b{% endif %}<?php echo 1; ?>";
        let out = blank_tags(src, Dialect::Liquid);
        assert_eq!(out.len(), src.len());
        assert_eq!(&out[..19], b"var a = '       ';\n");
        assert!(!out.contains(&b'{'));
        assert!(!out.contains(&b'?'));
    }

    #[test]
    fn unterminated_tags_are_kept() {
        let src = b"a {{ b c";
        assert_eq!(blank_tags(src, Dialect::Twig), src.to_vec());
        // An unclosed tag of one kind does not stop tags of another kind.
        let src = b"{* open {$x} {{ y }} {/if}";
        let mut want = b"{* open ".to_vec();
        want.resize(src.len(), b' ');
        assert_eq!(blank_tags(src, Dialect::Smarty), want);
    }

    #[test]
    fn many_unclosed_or_interleaved_tags_stay_linear() {
        // Each of these took tens of seconds when every step searched afresh; the test only
        // checks results (timing lives in scripts/hostile-bounds.sh).
        let open = b"{{".repeat(200_000);
        assert_eq!(blank_tags(&open, Dialect::Liquid), open);
        let tags = b"{{ x }}".repeat(50_000);
        assert!(blank_tags(&tags, Dialect::Smarty)
            .iter()
            .all(|&b| b == b' '));
    }
}

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
}

impl Dialect {
    /// Pairs of (open, close) delimiters whose whole extent is blanked.
    fn delimiters(self) -> &'static [(&'static [u8], &'static [u8])] {
        const PHP: (&[u8], &[u8]) = (b"<?", b"?>");
        match self {
            Dialect::Php => &[PHP],
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
pub fn blank_tags(bytes: &[u8], dialect: Dialect) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let delims = dialect.delimiters();
    let mut i = 0;
    while i < bytes.len() {
        // Find the nearest opening delimiter of any kind.
        let next = delims
            .iter()
            .filter_map(|(open, close)| {
                memmem::find(&bytes[i..], open).map(|p| (i + p, *open, *close))
            })
            .min_by_key(|(p, _, _)| *p);
        let Some((start, open, close)) = next else {
            break;
        };
        let body_from = start + open.len();
        let end = match memmem::find(&bytes[body_from..], close) {
            Some(p) => body_from + p + close.len(),
            None if open == b"<?" => bytes.len(),
            None => {
                i = body_from;
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
    }
}

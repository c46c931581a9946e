//! The languages skimlint parses, and the tree-sitter grammars behind them.

use serde::{Deserialize, Serialize};
use tree_sitter::Language;

/// A language whose syntax trees rules are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[serde(alias = "js")]
    Javascript,
    Php,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Javascript, Lang::Php];

    pub fn grammar(self) -> Language {
        match self {
            Lang::Javascript => tree_sitter_javascript::LANGUAGE.into(),
            // The full PHP grammar: `<?php` tags plus inline HTML as `text` nodes. Decoded PHP
            // payloads without an opening tag get one prepended, so one grammar serves both.
            Lang::Php => tree_sitter_php::LANGUAGE_PHP.into(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::Javascript => "javascript",
            Lang::Php => "php",
        }
    }
}

//! Languages and their tree-sitter parsers.

pub mod lang;
pub mod parse;

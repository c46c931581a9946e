//! Languages and their tree-sitter parsers.

pub mod lang;
pub mod node_ext;
pub mod parse;

pub use node_ext::NodeExt;

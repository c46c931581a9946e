//! A scanned file's bytes and the mapping from byte offsets to human positions.

use std::path::PathBuf;
use std::sync::Arc;

/// One file (or archive member) handed to the pipeline.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path shown in reports, relative to the scan root, `/`-separated.
    pub display_path: String,
    /// Where the bytes came from on disk (for diagnostics only; never written to).
    pub disk_path: PathBuf,
    pub bytes: Arc<Vec<u8>>,
}

/// A file that could not be scanned, or was scanned only in part (from reading onwards; the
/// finding model re-exports it as `finding::FileProblem`). Defined here, upstream of the
/// finding model, so that `input` depends on no later stage.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileProblem {
    pub path: String,
    pub message: String,
}

/// A 1-based line and column. Columns count UTF-16 code units, SARIF's default unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Byte offset → line/column lookups in O(log lines).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex { starts }
    }

    pub fn position(&self, text: &[u8], offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column = utf16_len(&text[start..offset]) + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The text of 1-based `line`, without its line terminator.
    pub fn line_text<'a>(&self, text: &'a [u8], line: usize) -> &'a [u8] {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return &[];
        };
        let end = self.starts.get(line).map_or(text.len(), |&e| e - 1);
        let slice = &text[start..end.max(start)];
        slice.strip_suffix(b"\r").unwrap_or(slice)
    }
}

/// Length in UTF-16 code units of possibly invalid UTF-8 (invalid bytes count as one unit each).
pub fn utf16_len(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(char::len_utf16)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_utf16_units() {
        let text = "ab\n€x\r\nz".as_bytes();
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(text, 3), Position { line: 2, column: 1 });
        // '€' is 3 bytes in UTF-8 but one UTF-16 unit.
        assert_eq!(idx.position(text, 6), Position { line: 2, column: 2 });
        assert_eq!(idx.line_text(text, 2), "€x".as_bytes());
        assert_eq!(
            idx.position(text, text.len()),
            Position { line: 3, column: 2 }
        );
    }
}

//! Stage 1: what is scanned. Paths walked (`discover`), archives opened in memory (`archive`,
//! which yields members and never calls back into the scan), files read safely (`read`), and a
//! file's bytes with its line index (`source`).

pub mod archive;
pub mod discover;
pub mod invalid_file;
pub mod read;
pub mod source;

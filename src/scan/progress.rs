//! Told about the scan's progress (the command line draws a bar from it).

/// Told about the scan's progress, one discovered path (a file or a whole archive) at a time.
/// Called from worker threads.
pub trait Progress: Sync {
    fn start(&self, _total: usize) {}
    fn advance(&self, _path: &str) {}
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

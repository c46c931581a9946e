//! The `skimlint` command line: see src/cli/.

mod cli;

/// glibc raises its mmap threshold each time a large block is freed, after which large blocks
/// come from per-thread heaps that keep their peak: two workers then held the memory of the
/// two largest files they had each seen. A fixed threshold returns large blocks at once.
fn limit_retained_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any worker thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

fn main() -> std::process::ExitCode {
    limit_retained_memory();
    // A panic is caught per file and reported; keep the default hook's noise off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    cli::run()
}

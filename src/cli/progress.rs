//! The terminal progress bar (indicatif, on stderr, only when stderr is a terminal).

use std::io::IsTerminal;

use skimlint::report;
use skimlint::scan::progress::Progress;

/// An indicatif progress bar on stderr.
pub struct TerminalProgress {
    bar: indicatif::ProgressBar,
}

impl TerminalProgress {
    /// A bar on stderr when stderr is a terminal; `None` otherwise (pipes, CI logs, files).
    pub fn if_terminal() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Some(TerminalProgress { bar })
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn advance(&self, path: &str) {
        self.bar.set_message(report::sanitize::terminal(path));
        self.bar.inc(1);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

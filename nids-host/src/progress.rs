//! The progress bar: on stderr, for files, only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over a file's bytes, hidden unless stderr is a terminal.
pub struct Progress(ProgressBar);

impl Progress {
    /// A bar for `total` bytes; hidden when `total` is `None` (not a file) or
    /// stderr is not a terminal.
    pub fn new(total: Option<u64>) -> Progress {
        match total {
            Some(total) if std::io::stderr().is_terminal() => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                ) {
                    bar.set_style(style);
                }
                Progress(bar)
            }
            _ => Progress(ProgressBar::hidden()),
        }
    }

    /// Bytes read so far.
    pub fn set(&self, position: u64) {
        self.0.set_position(position);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

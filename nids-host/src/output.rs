//! [`Output`]: lines to a writer, keeping the first write error.
//!
//! A command's handler writes from inside engine callbacks, which cannot return
//! errors; so the first error is kept, later lines are dropped, and the command
//! checks [`Output::error`] at the end (a broken pipe there means the reader went
//! away, which is not a failure).

use std::fmt;
use std::io::{self, Write};

/// A line writer that remembers its first error.
pub struct Output<W: Write> {
    /// Where lines go.
    pub w: W,
    /// The first write error; nothing is written after it.
    pub error: Option<io::Error>,
}

impl<W: Write> Output<W> {
    /// Lines to `w`.
    pub fn new(w: W) -> Self {
        Output { w, error: None }
    }

    /// Writes `line` and a newline, unless an earlier write failed.
    pub fn line(&mut self, line: fmt::Arguments<'_>) {
        if self.error.is_none() {
            if let Err(e) = self
                .w
                .write_fmt(line)
                .and_then(|()| self.w.write_all(b"\n"))
            {
                self.error = Some(e);
            }
        }
    }

    /// Writes `bytes` as they are, unless an earlier write failed.
    pub fn bytes(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.w.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    /// Flushes `w` (keeping a flush error like a write error), then returns the
    /// first error.
    pub fn finish(&mut self) -> Result<(), io::Error> {
        if self.error.is_none() {
            if let Err(e) = self.w.flush() {
                self.error = Some(e);
            }
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

//! [`Stdout`]: standard output, written record by record where someone may be
//! waiting for it.
//!
//! A terminal, a pipe or a live capture gets each line as soon as it is known
//! (Rust's standard output is line-buffered: one `write` per line); a regular
//! file is block-buffered (8 KiB per `write`), since nobody waits for its lines
//! before the run ends.

use std::fs::File;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::os::fd::AsFd;

/// Standard output, line- or block-buffered.
pub enum Stdout {
    /// One write per line.
    Lines(StdoutLock<'static>),
    /// Into a regular file: 8 KiB blocks.
    Blocks(BufWriter<StdoutLock<'static>>),
}

impl Stdout {
    /// Standard output: line by line when `live` or when it is not a regular
    /// file.
    pub fn new(live: bool) -> Stdout {
        let lock = io::stdout().lock();
        if !live && is_regular_file() {
            Stdout::Blocks(BufWriter::new(lock))
        } else {
            Stdout::Lines(lock)
        }
    }
}

/// Whether standard output is a regular file.
fn is_regular_file() -> bool {
    io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stdout::Lines(w) => w.write(buf),
            Stdout::Blocks(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stdout::Lines(w) => w.write_all(buf),
            Stdout::Blocks(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stdout::Lines(w) => w.flush(),
            Stdout::Blocks(w) => w.flush(),
        }
    }
}

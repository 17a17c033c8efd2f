//! Ctrl-C and SIGTERM: the run stops reading, reports the open streams (as
//! `exiting`) and exits with status 130; a second signal exits at once.
//!
//! A read that would wait for more input (standard input, a live interface)
//! is woken: standard input is read by a thread ([`Stop::stdin`]), and other
//! waits register a waker ([`Stop::on_stop`]). Standard input is still read
//! for [`GRACE`] after the signal, or to its end if that comes first: in
//! `tcpdump -w - | nids streams -`, Ctrl-C reaches both, and what tcpdump
//! writes as it exits is read.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long standard input is still read after Ctrl-C or SIGTERM.
pub const GRACE: Duration = Duration::from_millis(300);

/// Something to call when the run is stopped.
type Waker = Box<dyn Fn() + Send>;

/// Whether Ctrl-C or SIGTERM came. Cloning shares the flag.
#[derive(Clone)]
pub struct Stop {
    flag: Arc<AtomicBool>,
    wakers: Arc<Mutex<Vec<Waker>>>,
}

impl Stop {
    /// Installs the handler of SIGINT and SIGTERM (once per process).
    ///
    /// # Errors
    /// The handler cannot be installed.
    pub fn install() -> Result<Stop, ctrlc::Error> {
        let stop = Stop {
            flag: Arc::new(AtomicBool::new(false)),
            wakers: Arc::new(Mutex::new(Vec::new())),
        };
        let s = stop.clone();
        ctrlc::set_handler(move || {
            if s.flag.swap(true, Ordering::Relaxed) {
                std::process::exit(130);
            }
            if let Ok(w) = s.wakers.lock() {
                w.iter().for_each(|f| f());
            }
        })?;
        Ok(stop)
    }

    /// Whether the run was asked to stop.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Calls `f` (from the signal-handling thread) when the run is stopped.
    #[cfg_attr(not(feature = "libpcap"), allow(dead_code))]
    pub fn on_stop(&self, f: impl Fn() + Send + 'static) {
        if let Ok(mut w) = self.wakers.lock() {
            w.push(Box::new(f));
        }
    }

    /// Standard input as a reader that ends (as at the end of the input)
    /// [`GRACE`] after the run is stopped, even while no byte comes. A thread reads it in
    /// chunks of [`CHUNK`](nids_host::capture::CHUNK) bytes, at most two
    /// ahead: memory stays bounded.
    pub fn stdin(&self) -> Box<dyn Read + Send> {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(2);
        std::thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut chunk = vec![0u8; nids_host::capture::CHUNK];
                let r = match stdin.read(&mut chunk) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Ok(n) => {
                        chunk.truncate(n);
                        Ok(chunk)
                    }
                    Err(e) => Err(e),
                };
                let last = !matches!(&r, Ok(c) if !c.is_empty());
                if tx.send(r).is_err() || last {
                    return;
                }
            }
        });
        Box::new(Chunks {
            rx,
            chunk: Vec::new(),
            at: 0,
            stop: self.clone(),
            stopped: None,
        })
    }
}

/// The reading end of [`Stop::stdin`].
struct Chunks {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    stop: Stop,
    /// When the stop was first seen.
    stopped: Option<Instant>,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            let mut wait = Duration::from_millis(100);
            if self.stop.is_set() {
                let since = *self.stopped.get_or_insert_with(Instant::now);
                let left = GRACE.saturating_sub(since.elapsed());
                if left.is_zero() {
                    return Ok(0);
                }
                wait = wait.min(left);
            }
            match self.rx.recv_timeout(wait) {
                Ok(r) => {
                    self.chunk = r?;
                    self.at = 0;
                    if self.chunk.is_empty() {
                        return Ok(0);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

//! [`Driver`]: a capture file and the engine run over it, one packet at a time.
//!
//! The engine borrows its configuration (the checksum rules) and the packet
//! iterator borrows the file, so both live beside what they borrow in one
//! self-referential value ([`self_cell`], no `unsafe` here). The engine is built
//! when the first packet arrives: its link type picks the decoder.

use std::path::Path;

use managed::ManagedSlice;
use nids_core::ip::checksum::{Policy, Rule};
use nids_core::storage::Storage;
use nids_core::{Config, Handler, Instant, LinkType, Nids, Stats};
use nids_host::capture::{CaptureFile, Packets};
use self_cell::self_cell;

use crate::params::{Checksums, Settings};

/// Defragmentation host slots (libnids' default).
const HOSTS: usize = 256;
/// TCP storage (out-of-order segments; kept bytes live in Python-side buffers):
/// 48 MiB, as the `nids` command's 64 MiB split three quarters to one.
const TCP_STORAGE: usize = 48 << 20;
/// Fragment storage: 16 MiB.
const DEFRAG_STORAGE: usize = 16 << 20;

/// What the module keeps per stream: the bytes of each half that callbacks
/// kept with `discard` (libnids' `data` buffer, `count - offset` bytes).
#[derive(Debug, Default)]
pub struct Kept {
    /// Bytes the client received (server to client): `TcpStream.client.data`.
    pub client: Vec<u8>,
    /// Bytes the server received: `TcpStream.server.data`.
    pub server: Vec<u8>,
}

macro_rules! engines {
    ($($variant:ident = $slots:expr),* $(,)?) => {
        /// The engine, in one of a few sizes of stream table.
        enum Engine<'a> {
            $($variant(Box<Nids<'a, Kept, $slots, HOSTS>>),)*
        }

        /// The stream-slot counts built in; `n_tcp_streams` picks the smallest
        /// that holds it.
        const CLASSES: &[usize] = &[$($slots),*];

        impl<'a> Engine<'a> {
            fn build(
                slots: usize,
                link: LinkType,
                config: Config<'a>,
                storage: Storage<'a>,
            ) -> Result<Engine<'a>, nids_core::engine::Error> {
                $(if slots == $slots {
                    return Nids::boxed(link, config, storage).map(Engine::$variant);
                })*
                unreachable!("{slots} is one of CLASSES")
            }

            fn process<H: Handler<Kept>>(&mut self, ts: Instant, frame: &[u8], h: &mut H) {
                match self { $(Engine::$variant(e) => e.process(ts, frame, h),)* }
            }

            fn finish<H: Handler<Kept>>(&mut self, h: &mut H) {
                match self { $(Engine::$variant(e) => e.finish(h),)* }
            }

            fn stats(&self) -> &Stats {
                match self { $(Engine::$variant(e) => e.stats(),)* }
            }

            fn link_type(&self) -> LinkType {
                match self { $(Engine::$variant(e) => e.link_type(),)* }
            }
        }
    };
}

engines!(S1k = 1040, S16k = 16_384, S256k = 262_144, S1m = 1_048_576);

/// The smallest class with at least `n` slots.
fn class(n: usize) -> usize {
    CLASSES
        .iter()
        .copied()
        .find(|&c| c >= n)
        .unwrap_or(CLASSES[CLASSES.len() - 1])
}

/// What stays put while packets are read: the file and the settings.
struct Owner {
    file: CaptureFile,
    settings: Settings,
    rules: Vec<Rule>,
}

/// What borrows from the [`Owner`].
struct Running<'a> {
    packets: Packets<'a>,
    engine: Option<Engine<'a>>,
}

self_cell!(
    struct Cell {
        owner: Owner,
        #[not_covariant]
        dependent: Running,
    }
);

/// A handler the driver can feed: the engine's callbacks, plus a word before
/// each packet and a way to stop the loop.
pub trait PacketHandler: Handler<Kept> {
    /// A packet taken at `ts` is about to be processed.
    fn packet(&mut self, _ts: Instant) {}
    /// Whether the loop must stop (a callback raised).
    fn stopped(&self) -> bool;
    /// Stop the loop with `e` (unless an error is already pending).
    fn set_error(&mut self, e: pyo3::PyErr);
}

/// The outcome of [`Driver::step`].
#[derive(Debug)]
pub enum Step {
    /// One packet was processed.
    Packet,
    /// The capture has no more packets.
    End,
    /// The capture could not be read further (the message says why); the
    /// packets before were processed.
    Error(String),
}

/// A capture file and the engine over it.
pub struct Driver {
    cell: Cell,
    done: bool,
    finished: bool,
    packets: u64,
}

impl Driver {
    /// Opens `path` (pcap or pcapng) to run with `settings`.
    pub fn open(path: &Path, settings: Settings) -> Result<Driver, String> {
        let file = CaptureFile::open(path).map_err(|e| error_chain(&e))?;
        let rules = match &settings.checksums {
            Checksums::List(r) => r.clone(),
            Checksums::Off => Vec::new(),
        };
        let owner = Owner {
            file,
            settings,
            rules,
        };
        Ok(Driver {
            cell: Cell::new(owner, |o| Running {
                packets: o.file.packets(),
                engine: None,
            }),
            done: false,
            finished: false,
            packets: 0,
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.cell.borrow_owner().settings
    }

    /// The capture's name.
    pub fn path(&self) -> &Path {
        self.cell.borrow_owner().file.path()
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Whether the end of the capture (or a read error) was reached.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether [`Driver::finish`] ran.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The engine's counters (all zero before the first packet).
    pub fn stats(&self) -> Stats {
        self.cell.with_dependent(|_, r| {
            r.engine
                .as_ref()
                .map_or_else(Stats::new, |e| e.stats().clone())
        })
    }

    /// Reads and processes one packet.
    pub fn step<H: PacketHandler>(&mut self, h: &mut H) -> Step {
        if self.done || self.finished {
            return Step::End;
        }
        let step = self.cell.with_dependent_mut(|owner, r| {
            let p = match r.packets.next() {
                None => return Ok(None),
                Some(Err(e)) => return Err(error_chain(&e)),
                Some(Ok(p)) => p,
            };
            let link = LinkType(p.link_type);
            if r.engine.is_none() {
                let engine = Engine::build(
                    class(owner.settings.streams),
                    link,
                    config(owner),
                    storage(),
                )
                .map_err(|_| unsupported(&owner.file, link))?;
                r.engine = Some(engine);
            }
            let Some(engine) = r.engine.as_mut() else {
                unreachable!("built above")
            };
            if engine.link_type() != link {
                return Err(format!(
                    "{}: link type changes from {} to {link} (one link type per capture)",
                    owner.file.path().display(),
                    engine.link_type()
                ));
            }
            let ts = Instant::from_micros(p.ts_us);
            h.packet(ts);
            engine.process(ts, p.data, h);
            Ok(Some(()))
        });
        match step {
            Ok(Some(())) => {
                self.packets += 1;
                Step::Packet
            }
            Ok(None) => {
                self.done = true;
                Step::End
            }
            Err(e) => {
                self.done = true;
                Step::Error(e)
            }
        }
    }

    /// Ends every open stream with `Exiting` (once).
    pub fn finish<H: Handler<Kept>>(&mut self, h: &mut H) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.done = true;
        self.cell.with_dependent_mut(|_, r| {
            if let Some(e) = r.engine.as_mut() {
                e.finish(h);
            }
        });
    }
}

/// The engine configuration for `owner`'s settings.
fn config(owner: &Owner) -> Config<'_> {
    let s = &owner.settings;
    let mut c = Config::new();
    c.checksums = match s.checksums {
        Checksums::Off => Policy::Off,
        Checksums::List(_) if owner.rules.is_empty() => Policy::Verify,
        Checksums::List(_) => Policy::List(&owner.rules),
    };
    c.tcp.max_streams = s.max_streams(class(s.streams));
    c.tcp.flow_timeout = s.flow_timeout;
    c.tcp.midstream = s.midstream;
    c.scan = s.scan;
    c
}

fn storage() -> Storage<'static> {
    Storage::new(
        ManagedSlice::Owned(vec![0u8; TCP_STORAGE]),
        ManagedSlice::Owned(vec![0u8; DEFRAG_STORAGE]),
    )
}

fn unsupported(file: &CaptureFile, link: LinkType) -> String {
    format!(
        "{}: unsupported link type {link} (supported: Ethernet, raw IP, Linux SLL and SLL2, \
         BSD loopback)",
        file.path().display()
    )
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Reads packets while `more(packets read so far, handler)` holds and no
/// callback raised, checking for signals (Ctrl-C) every 1024 packets. Returns
/// the packets read and the read error that ended the capture, if any. Call it
/// without the GIL: callbacks take it back.
pub fn pump<H: PacketHandler>(
    d: &mut Driver,
    h: &mut H,
    mut more: impl FnMut(usize, &H) -> bool,
) -> (usize, Option<String>) {
    let mut n = 0;
    while !h.stopped() && more(n, h) {
        match d.step(h) {
            Step::Packet => {
                n += 1;
                if n % 1024 == 0 {
                    if let Err(e) = pyo3::Python::with_gil(|py| py.check_signals()) {
                        h.set_error(e);
                    }
                }
            }
            Step::End => break,
            Step::Error(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_class() {
        assert_eq!(class(0), 1040);
        assert_eq!(class(1040), 1040);
        assert_eq!(class(1041), 16_384);
        assert_eq!(class(usize::MAX), 1_048_576);
    }
}

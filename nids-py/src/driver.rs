//! [`Driver`]: a packet source (a capture file, or a live interface with the
//! `libpcap` feature) and the engine run over it: nids-host's
//! [`Session`], its stream table sized at run time.
//!
//! The engine borrows its configuration (the checksum rules), so the rules
//! live beside the session in one self-referential value ([`self_cell`], no
//! `unsafe` here).

use managed::ManagedSlice;
use nids_compat::HalfBuf;
use nids_core::ip::checksum::{Policy, Rule};
use nids_core::storage::Storage;
use nids_core::{Config, Handler, LinkType, Stats};
use nids_host::session::Session;
use self_cell::self_cell;

use crate::params::{Checksums, Settings};

/// TCP storage (out-of-order segments; kept bytes live in Python-side buffers):
/// 48 MiB, as the `nids` command's 64 MiB split three quarters to one.
pub(crate) const TCP_STORAGE: usize = 48 << 20;
/// Fragment storage: 16 MiB.
pub(crate) const DEFRAG_STORAGE: usize = 16 << 20;

/// What the module keeps per stream: each half's buffer (libnids' `data`,
/// with the bytes callbacks kept with `discard`), by nids-compat's rules.
#[derive(Debug, Default)]
pub struct Kept {
    /// Bytes the client received (server to client): `TcpStream.client.data`.
    pub client: HalfBuf,
    /// Bytes the server received: `TcpStream.server.data`.
    pub server: HalfBuf,
}

/// Where packets come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A capture file (pcap or pcapng).
    File(std::path::PathBuf),
    /// A live interface (the `libpcap` feature).
    #[cfg_attr(not(feature = "libpcap"), allow(dead_code))]
    Live {
        iface: String,
        promisc: bool,
        timeout_ms: i32,
    },
}

/// The session: one engine whose stream table is sized at run time from
/// `n_tcp_streams` (nids-host's `session::stream_slots`).
struct AnySession<'a>(Session<'a, Kept>);

impl<'a> AnySession<'a> {
    fn open(
        source: &Source,
        config: Config<'a>,
        storage: Storage<'a>,
    ) -> Result<AnySession<'a>, nids_host::run::Error> {
        match source {
            Source::File(path) => Session::open(path, config, storage),
            #[cfg(feature = "libpcap")]
            Source::Live {
                iface,
                promisc,
                timeout_ms,
            } => {
                let opts = nids_host::live::Options {
                    promisc: *promisc,
                    timeout_ms: *timeout_ms,
                    ..Default::default()
                };
                Session::live(iface, &opts, config, storage)
            }
            #[cfg(not(feature = "libpcap"))]
            Source::Live { .. } => unreachable!("refused by Driver::open"),
        }
        .map(AnySession)
    }

    fn next<H: Handler<Kept>>(&mut self, h: &mut H) -> Result<bool, nids_host::run::Error> {
        self.0.next(h)
    }

    fn finish<H: Handler<Kept>>(&mut self, h: &mut H) {
        self.0.finish(h)
    }

    fn stats(&self) -> Stats {
        self.0.stats()
    }

    fn packets_read(&self) -> u64 {
        self.0.packets_read()
    }

    fn advance<H: Handler<Kept>>(&mut self, now: nids_core::Instant, h: &mut H) {
        self.0.advance(now, h)
    }

    #[cfg(feature = "libpcap")]
    fn set_filter(&mut self, f: &str) -> Result<(), nids_host::run::Error> {
        self.0.set_filter(f)
    }

    #[cfg(feature = "libpcap")]
    fn live_fd(&mut self) -> Option<i32> {
        use std::os::fd::AsRawFd;
        self.0.live_source().map(|l| l.as_raw_fd())
    }

    /// Sends `frame` (of link type `link`) on a live interface of that
    /// link type; false if there is none.
    #[cfg(feature = "libpcap")]
    fn inject(&mut self, link: LinkType, frame: &[u8]) -> Result<bool, nids_host::run::Error> {
        match self.0.live_source() {
            Some(l) if l.link_type() == link => l.inject(frame).map(|()| true),
            _ => Ok(false),
        }
    }
}

/// What stays put while packets are read: the settings and the checksum rules
/// the engine borrows.
struct Owner {
    source: Source,
    settings: Settings,
    rules: Vec<Rule>,
}

self_cell!(
    struct Cell {
        owner: Owner,
        #[not_covariant]
        dependent: AnySession,
    }
);

/// A handler the driver can feed: the engine's callbacks, plus a way to stop
/// the loop and frames to send.
pub trait PacketHandler: Handler<Kept> {
    /// Whether the loop must stop (a callback raised).
    fn stopped(&self) -> bool;
    /// Stop the loop with `e` (unless an error is already pending).
    fn set_error(&mut self, e: pyo3::PyErr);
    /// After each step, with the packets read so far.
    fn stepped(&mut self, _packets: u64) {}
    /// Frames `kill()` asked to send since the last call (`Handler::transmit`).
    fn take_frames(&mut self) -> Vec<(LinkType, Vec<u8>)> {
        Vec::new()
    }
}

/// The outcome of [`Driver::step`].
#[derive(Debug)]
pub enum Step {
    /// One packet was processed.
    Packet,
    /// A live read timed out without a packet.
    Idle,
    /// The capture has no more packets.
    End,
    /// The capture could not be read further (the message says why); the
    /// packets before were processed.
    Error(String),
}

/// A packet source and the engine over it.
pub struct Driver {
    cell: Cell,
    done: bool,
    finished: bool,
}

impl Driver {
    /// Opens `source` to run with `settings`; `filter` is a BPF expression (the
    /// `libpcap` feature).
    pub fn open(
        source: Source,
        settings: Settings,
        filter: Option<&str>,
    ) -> Result<Driver, String> {
        #[cfg(not(feature = "libpcap"))]
        {
            if let Source::Live { iface, .. } = &source {
                return Err(format!(
                    "live capture (on {iface}) is not available: this nids module was built \
                     without the libpcap feature; read a capture file with \
                     nids.param(\"filename\", path)"
                ));
            }
            if let Some(f) = filter {
                return Err(format!(
                    "pcap_filter {f:?} needs libpcap: this nids module was built without the \
                     libpcap feature; set it to None and filter in the callbacks"
                ));
            }
        }
        let rules = rules(&settings);
        let owner = Owner {
            source,
            settings,
            rules,
        };
        let cell = Cell::try_new(owner, |o| {
            AnySession::open(&o.source, config(o), storage()).map_err(|e| error_chain(&e))
        })?;
        #[allow(unused_mut)]
        let mut d = Driver {
            cell,
            done: false,
            finished: false,
        };
        #[cfg(feature = "libpcap")]
        if let Some(f) = filter {
            d.cell
                .with_dependent_mut(|_, s| s.set_filter(f))
                .map_err(|e| error_chain(&e))?;
        }
        Ok(d)
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.cell.borrow_owner().settings
    }

    /// A descriptor of the live capture to poll (the `libpcap` feature).
    #[cfg(feature = "libpcap")]
    pub fn live_fd(&mut self) -> Option<i32> {
        self.cell.with_dependent_mut(|_, s| s.live_fd())
    }

    /// Where its packets come from.
    pub fn source(&self) -> &Source {
        &self.cell.borrow_owner().source
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.cell.with_dependent(|_, s| s.packets_read())
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
        self.cell.with_dependent(|_, s| s.stats())
    }

    /// Reads and processes one packet, then sends the frames `kill()` asked for
    /// (on a live interface; reading a file they go nowhere, as with libnids).
    pub fn step<H: PacketHandler>(&mut self, h: &mut H) -> Step {
        if self.done || self.finished {
            return Step::End;
        }
        let before = self.packets();
        let r = self.cell.with_dependent_mut(|_, s| {
            let r = s.next(h);
            #[cfg(feature = "libpcap")]
            for (link, frame) in h.take_frames() {
                // As libnids ignores libnet's errors, a failed send does not end
                // the capture: it is a RuntimeWarning.
                if let Err(e) = s.inject(link, &frame) {
                    let msg = format!("kill(): cannot send a RST frame: {}", error_chain(&e));
                    pyo3::Python::with_gil(|py| {
                        let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
                        let msg = std::ffi::CString::new(msg).unwrap_or_default();
                        if let Err(w) = pyo3::PyErr::warn(py, &category, &msg, 1) {
                            h.set_error(w);
                        }
                    });
                }
            }
            #[cfg(not(feature = "libpcap"))]
            drop(h.take_frames());
            r
        });
        match r {
            Ok(true) if self.packets() == before => Step::Idle,
            Ok(true) => Step::Packet,
            Ok(false) => {
                self.done = true;
                Step::End
            }
            Err(e) => {
                self.done = true;
                Step::Error(error_chain(&e))
            }
        }
    }

    /// Lets packet time run to `now` (if later than the last packet's) without
    /// a packet.
    pub fn advance<H: Handler<Kept>>(&mut self, now: nids_core::Instant, h: &mut H) {
        self.cell.with_dependent_mut(|_, s| s.advance(now, h));
    }

    /// Ends every open stream with `Exiting` (once).
    pub fn finish<H: Handler<Kept>>(&mut self, h: &mut H) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.done = true;
        self.cell.with_dependent_mut(|_, s| s.finish(h));
    }
}

/// The engine configuration for `owner`'s settings.
fn config(owner: &Owner) -> Config<'_> {
    engine_config(&owner.settings, &owner.rules)
}

/// The checksum rules of `settings`, for [`engine_config`] to borrow.
pub(crate) fn rules(settings: &Settings) -> Vec<Rule> {
    match &settings.checksums {
        Checksums::List(r) => r.clone(),
        Checksums::Off | Checksums::Auto => Vec::new(),
    }
}

/// The engine configuration for `s`, with its checksum `rules`.
pub(crate) fn engine_config<'r>(s: &Settings, rules: &'r [Rule]) -> Config<'r> {
    let mut c = Config::new();
    nids_host::keys::randomize(&mut c);
    c.checksums = match s.checksums {
        Checksums::Off => Policy::Off,
        Checksums::Auto => Policy::Auto,
        Checksums::List(_) if rules.is_empty() => Policy::Verify,
        Checksums::List(_) => Policy::List(rules),
    };
    c.tcp.max_streams = Some(s.max_streams());
    c.tcp.flow_timeout = s.flow_timeout;
    c.tcp.midstream = s.midstream;
    c.tcp.skip_gaps = s.skip_gaps;
    c.scan = s.scan;
    c.tunnels = if s.tunnels {
        nids_core::tunnel::Config::new()
    } else {
        nids_core::tunnel::Config::off()
    };
    c
}

fn storage<'a>() -> Storage<'a> {
    Storage::new(
        ManagedSlice::Owned(vec![0u8; TCP_STORAGE]),
        ManagedSlice::Owned(vec![0u8; DEFRAG_STORAGE]),
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
/// callback raised, checking for signals (Ctrl-C) every 1024 packets and at
/// every live read timeout (which ends the loop unless `idle_continues`). Returns
/// the packets read and the read error that ended the capture, if any. Call it
/// without the GIL: callbacks take it back.
pub fn pump<H: PacketHandler>(
    d: &mut Driver,
    h: &mut H,
    idle_continues: bool,
    mut more: impl FnMut(usize, &H) -> bool,
) -> (usize, Option<String>) {
    let mut n = 0;
    while !h.stopped() && more(n, h) {
        let step = d.step(h);
        h.stepped(d.packets());
        match step {
            Step::Packet => {
                n += 1;
                if n % 1024 == 0 {
                    if let Err(e) = pyo3::Python::with_gil(|py| py.check_signals()) {
                        h.set_error(e);
                    }
                }
            }
            Step::Idle => {
                if let Err(e) = pyo3::Python::with_gil(|py| py.check_signals()) {
                    h.set_error(e);
                }
                if !idle_continues {
                    break;
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
    use nids_host::session::stream_slots;

    /// Every engine the module builds gets its own random keys.
    #[test]
    fn test_each_engine_gets_random_keys() {
        let s = Settings::new();
        let (a, b) = (engine_config(&s, &[]), engine_config(&s, &[]));
        let fixed = Config::new();
        assert_ne!(a.hash_key, b.hash_key);
        assert_ne!(a.hash_key, fixed.hash_key);
        assert_ne!(a.defrag.seed, b.defrag.seed);
        assert_ne!(a.defrag.seed, fixed.defrag.seed);
    }

    #[test]
    fn test_n_tcp_streams_sizes_the_table_at_run_time() {
        // Any n, no classes: the table holds libnids' 3n/4 + 1 streams.
        let mut s = Settings::new();
        for (n, slots) in [(1, 1), (1040, 781), (1041, 781), (4_194_304, 3_145_729)] {
            s.streams = n;
            let c = engine_config(&s, &[]);
            assert_eq!(stream_slots(&c), slots, "n_tcp_streams {n}");
        }
    }
}

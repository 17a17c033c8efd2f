//! `nids.Capture(..., threads=N)`: the capture run by nids-host's sharded
//! engine ([`nids_host::shard`]) on a thread of its own, its events handed to
//! the iterator in one engine's order.
//!
//! Each shard queues events as [`Capture`](crate::capture) does, encoded as
//! bytes on its tape; the merge writes them in order into a bounded channel
//! (64 KiB pieces, at most [`DEPTH`] waiting), which `__next__` decodes. So
//! memory stays bounded whatever the capture's size, and closing the capture
//! stops the engines.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use nids_core::{Handler, Instant, Side, Stats, Stream, TcpEvent, TunnelId, Tuple};
use nids_host::capture::Input;
use nids_host::output::Output;
use nids_host::shard::{self, Held, Plan, Recorder};

use crate::capture::{Ev, Events};
use crate::driver::{self, Kept};
use crate::params::Settings;

/// Pieces of encoded events waiting in the channel.
const DEPTH: usize = 16;
/// Bytes per piece.
const PIECE: usize = 64 << 10;

/// What the engine thread sends.
enum Msg {
    /// Encoded events.
    Bytes(Vec<u8>),
    /// The end: the counters, and the read error if any.
    Done(Box<Stats>, Option<String>),
}

/// The sharded run behind a `Capture`.
pub struct Threaded {
    /// In a mutex only to make `Capture` `Sync`; reached through `&mut self`,
    /// so it is never locked.
    rx: Mutex<Receiver<Msg>>,
    buf: Vec<u8>,
    at: usize,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The counters, once the run is over.
    pub stats: Stats,
}

/// A shard's handler: [`Events`], its queue encoded onto the tape.
struct Rec {
    events: Events,
    tape: Vec<u8>,
}

impl Handler<Kept> for Rec {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Kept>) {
        self.events.tcp(s);
    }
    fn udp(&mut self, d: &nids_core::udp::Datagram<'_>) {
        self.events.udp(d);
    }
}

impl Recorder<Kept> for Rec {
    fn tape(&mut self) -> &mut Vec<u8> {
        for ev in self.events.queue.drain(..) {
            encode(&ev, &mut self.tape);
        }
        &mut self.tape
    }
}

/// Sends what is written, in pieces, to the iterator.
struct Sender(SyncSender<Msg>);

impl std::io::Write for Sender {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(Msg::Bytes(b.to_vec()))
            .map_err(|_| std::io::ErrorKind::BrokenPipe)?;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Threaded {
    /// Starts `threads` engines over `path` with `settings`; `events` says
    /// which events to queue (as the one-engine `Capture`); streams still open
    /// at the end end at `end_ts` if it is later than the last packet.
    ///
    /// # Errors
    /// The file cannot be opened or is not a capture of a supported link type.
    pub fn start(
        path: PathBuf,
        settings: Settings,
        events: impl Fn() -> Events + Send + 'static,
        threads: usize,
        end_ts: Option<Instant>,
    ) -> Result<Threaded, String> {
        // As the one-engine `Capture` (`Session::open`): a plain file is
        // mapped; `-`, pipes and gzip or zstd files are streamed.
        let input = Input::open(&path).map_err(|e| driver::error_chain(&e))?;
        let mut held = Held::new(vec![input]).map_err(|e| driver::error_chain(&e))?;
        let (tx, rx) = mpsc::sync_channel(DEPTH);
        let stop = Arc::new(AtomicBool::new(false));
        let halt = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let rules = driver::rules(&settings);
            let config = driver::engine_config(&settings, &rules);
            let plan = Plan {
                shards: threads,
                key: shard::random_key(),
                config,
                tcp_storage: driver::TCP_STORAGE,
                defrag_storage: driver::DEFRAG_STORAGE,
                end_ts,
            };
            let done = tx.clone();
            let mut out = Output::new(std::io::BufWriter::with_capacity(PIECE, Sender(tx)));
            let make = || Rec {
                events: events(),
                tape: Vec::new(),
            };
            let halt = || halt.load(Ordering::Relaxed);
            let frames = held.frames();
            let o = shard::run(frames, &plan, make, &mut out, &halt, &|_| {});
            let (stats, error) = (o.stats, o.read.err().map(|e| driver::error_chain(&e)));
            let _ = out.finish();
            drop(out);
            let _ = done.send(Msg::Done(Box::new(stats), error));
        });
        Ok(Threaded {
            rx: Mutex::new(rx),
            buf: Vec::new(),
            at: 0,
            stop,
            thread: Some(thread),
            stats: Stats::new(),
        })
    }

    /// The next event; `Ok(None)` at the end; `Err` with the read error after
    /// the events before it. Blocks (call it without the GIL).
    pub fn next(&mut self) -> Result<Option<Ev>, String> {
        loop {
            if let Some((ev, n)) = decode(&self.buf[self.at..]) {
                self.at += n;
                return Ok(Some(ev));
            }
            let rx = self.rx.get_mut().unwrap_or_else(|e| e.into_inner());
            match rx.recv() {
                Ok(Msg::Bytes(b)) => {
                    self.buf.drain(..self.at);
                    self.at = 0;
                    self.buf.extend_from_slice(&b);
                }
                Ok(Msg::Done(stats, error)) => {
                    self.stats = *stats;
                    self.join();
                    return error.map_or(Ok(None), Err);
                }
                Err(_) => {
                    self.join();
                    return Ok(None);
                }
            }
        }
    }

    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Threaded {
    /// Stops the engines (closing the capture early) and waits for them.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Let the engine thread's writes fail, so it ends.
        let (_, dead) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.rx, Mutex::new(dead)));
        self.join();
    }
}

// The encoding: a kind byte, the tuple, then the kind's fields, integers
// little-endian, byte strings length-prefixed.

fn put_u64(o: &mut Vec<u8>, v: u64) {
    o.extend_from_slice(&v.to_le_bytes());
}

fn put_tuple(o: &mut Vec<u8>, t: &Tuple) {
    for (a, p) in [(t.src, t.sport), (t.dst, t.dport)] {
        match a {
            IpAddr::V4(a) => {
                o.push(4);
                o.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                o.push(6);
                o.extend_from_slice(&a.octets());
            }
        }
        o.extend_from_slice(&p.to_le_bytes());
    }
    put_u64(o, t.tunnel.to_bits());
}

fn put_bytes(o: &mut Vec<u8>, b: &[u8]) {
    put_u64(o, b.len() as u64);
    o.extend_from_slice(b);
}

const END_REASONS: [TcpEvent; 4] = [
    TcpEvent::Close,
    TcpEvent::Reset,
    TcpEvent::TimedOut,
    TcpEvent::Exiting,
];

/// Appends `ev` to `o`.
fn encode(ev: &Ev, o: &mut Vec<u8>) {
    match ev {
        Ev::Start { tuple, ts } => {
            o.push(0);
            put_tuple(o, tuple);
            put_u64(o, ts.micros());
        }
        Ev::Data {
            tuple,
            side,
            data,
            urgent,
            ts,
        } => {
            o.push(1);
            put_tuple(o, tuple);
            o.push(u8::from(*side == Side::Server) | u8::from(*urgent) << 1);
            put_bytes(o, data);
            put_u64(o, ts.micros());
        }
        Ev::End {
            tuple,
            reason,
            c2s,
            s2c,
            first,
            ts,
        } => {
            o.push(2);
            put_tuple(o, tuple);
            let r = END_REASONS.iter().position(|r| r == reason).unwrap_or(3);
            o.push(r as u8);
            for v in [*c2s, *s2c, first.micros(), ts.micros()] {
                put_u64(o, v);
            }
        }
        Ev::Udp { tuple, payload, ts } => {
            o.push(3);
            put_tuple(o, tuple);
            put_bytes(o, payload);
            put_u64(o, ts.micros());
        }
    }
}

/// Reads what [`encode`] wrote.
struct Reader<'a>(&'a [u8], usize);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let b = self.0.get(self.1..self.1.checked_add(n)?)?;
        self.1 += n;
        Some(b)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
    fn ts(&mut self) -> Option<Instant> {
        self.u64().map(Instant::from_micros)
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n).map(<[u8]>::to_vec)
    }
    fn endpoint(&mut self) -> Option<(IpAddr, u16)> {
        let a = match self.u8()? {
            4 => IpAddr::from(<[u8; 4]>::try_from(self.take(4)?).ok()?),
            _ => IpAddr::from(<[u8; 16]>::try_from(self.take(16)?).ok()?),
        };
        let p = u16::from_le_bytes(self.take(2)?.try_into().ok()?);
        Some((a, p))
    }
    fn tuple(&mut self) -> Option<Tuple> {
        let (src, sport) = self.endpoint()?;
        let (dst, dport) = self.endpoint()?;
        let tunnel = TunnelId::from_bits(self.u64()?);
        Some(Tuple {
            src,
            sport,
            dst,
            dport,
            tunnel,
        })
    }
}

/// The first event encoded in `b` and its length, if `b` holds all of it.
fn decode(b: &[u8]) -> Option<(Ev, usize)> {
    let mut r = Reader(b, 0);
    let ev = match r.u8()? {
        0 => Ev::Start {
            tuple: r.tuple()?,
            ts: r.ts()?,
        },
        1 => {
            let tuple = r.tuple()?;
            let f = r.u8()?;
            Ev::Data {
                tuple,
                side: if f & 1 != 0 {
                    Side::Server
                } else {
                    Side::Client
                },
                urgent: f & 2 != 0,
                data: r.bytes()?,
                ts: r.ts()?,
            }
        }
        2 => Ev::End {
            tuple: r.tuple()?,
            reason: *END_REASONS.get(usize::from(r.u8()?))?,
            c2s: r.u64()?,
            s2c: r.u64()?,
            first: r.ts()?,
            ts: r.ts()?,
        },
        _ => Ev::Udp {
            tuple: r.tuple()?,
            payload: r.bytes()?,
            ts: r.ts()?,
        },
    };
    Some((ev, r.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_encode_decode() {
        let t = Tuple {
            src: "10.0.0.1".parse().unwrap(),
            sport: 1,
            dst: "2001:db8::2".parse().unwrap(),
            dport: 80,
            tunnel: TunnelId::from_bits(0x1234_5678),
        };
        let evs = [
            Ev::Start {
                tuple: t,
                ts: Instant::from_micros(5),
            },
            Ev::Data {
                tuple: t,
                side: Side::Client,
                data: b"abc".to_vec(),
                urgent: true,
                ts: Instant::from_micros(6),
            },
            Ev::End {
                tuple: t,
                reason: TcpEvent::Exiting,
                c2s: 3,
                s2c: 4,
                first: Instant::from_micros(5),
                ts: Instant::from_micros(7),
            },
            Ev::Udp {
                tuple: t,
                payload: vec![0; 3],
                ts: Instant::from_micros(8),
            },
        ];
        let mut b = Vec::new();
        for e in &evs {
            encode(e, &mut b);
        }
        let mut at = 0;
        for e in &evs {
            let (d, n) = decode(&b[at..]).unwrap();
            assert_eq!(format!("{d:?}"), format!("{e:?}"));
            at += n;
        }
        assert_eq!(at, b.len());
        assert!(decode(&b[..b.len() - 1]).is_some());
        assert!(decode(&b[at - 3..]).is_none());
    }
}

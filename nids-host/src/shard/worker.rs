//! One shard: an engine on its own thread, fed rounds of frames, recording
//! what its handler writes with the place each piece takes in one engine's
//! output.

use std::ops::Range;

use nids_core::scan::{Observation, Report};
use nids_core::{udp, Config, Handler, Instant, LinkType, Stats, Stream, Warning};

use super::{Batch, Data, Job, Recorder};
use crate::run::Engine;
use crate::session::stream_slots;

/// When a piece of output was written, in one engine's order: the index of the
/// frame being processed, then the phase (timeouts run before the frame,
/// [`Phase`]), then for stream ends outside a frame the number of the frame
/// that last touched the stream (idle timeouts end the least recently touched
/// first) or, at the end of input, that created it (streams end oldest first).
pub(crate) type Key = (u64, Phase, u64);

/// What the engine was doing when a handler wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Idle timeouts, before a frame (every shard runs them at the same frames).
    Timeouts,
    /// The frame itself (only its shard).
    Frame,
    /// The end of input: every stream ends, oldest first.
    Finish,
}

/// What a shard made of one round.
pub(crate) struct Done {
    /// Everything the handler wrote in the round.
    pub tape: Vec<u8>,
    /// The pieces of `tape`, in the order written, each with its key.
    pub pieces: Vec<(Key, Range<usize>)>,
    /// Packets for port-scan detection, with the index of their frame.
    pub probes: Vec<(u64, Instant, Observation)>,
    /// Where the reader was after the round (mapped file, offset).
    pub end: (usize, usize),
    /// The shard's last answer (after `finish`).
    pub last: bool,
}

/// The handler seen by a shard's engine: the command's handler, with every
/// callback's output tagged with its [`Key`].
struct Tagger<'h, H> {
    inner: &'h mut H,
    frame: u64,
    phase: Phase,
    /// Bytes of the tape already assigned to a piece.
    mark: usize,
    pieces: Vec<(Key, Range<usize>)>,
    probes: Vec<(u64, Instant, Observation)>,
}

impl<H> Tagger<'_, H> {
    /// The bytes written since the last mark become a piece with key `sub`.
    fn piece<U>(&mut self, sub: u64)
    where
        H: Recorder<U>,
    {
        let len = self.inner.tape().len();
        if len > self.mark {
            let sub = if self.phase == Phase::Frame { 0 } else { sub };
            self.pieces
                .push(((self.frame, self.phase, sub), self.mark..len));
            self.mark = len;
        }
    }
}

impl<U, H: Recorder<U>> Handler<U> for Tagger<'_, H> {
    fn ip_frag(&mut self, ts: Instant, packet: &[u8]) {
        self.inner.ip_frag(ts, packet);
        self.piece(0);
    }
    fn ip_filter(&mut self, ts: Instant, packet: &[u8]) -> bool {
        let pass = self.inner.ip_filter(ts, packet);
        self.piece(0);
        pass
    }
    fn ip(&mut self, ts: Instant, datagram: &nids_core::ip::Packet<'_>) {
        self.inner.ip(ts, datagram);
        self.piece(0);
    }
    fn udp(&mut self, datagram: &udp::Datagram<'_>) {
        self.inner.udp(datagram);
        self.piece(0);
    }
    fn tcp(&mut self, stream: &mut Stream<'_, '_, U>) {
        // Idle timeouts end the least recently touched streams first, the
        // end of input the oldest.
        let order = match self.phase {
            Phase::Timeouts => stream.last_frame(),
            _ => stream.created_frame(),
        };
        self.inner.tcp(stream);
        self.piece(order);
    }
    fn scan(&mut self, ts: Instant, report: &Report<'_>) {
        // The shards' detectors are off: reports come from the merge's.
        self.inner.scan(ts, report);
        self.piece(0);
    }
    fn scan_probe(&mut self, ts: Instant, probe: &Observation) {
        self.probes.push((self.frame, ts, *probe));
    }
    fn transmit(&mut self, link: LinkType, frame: &[u8]) {
        self.inner.transmit(link, frame);
    }
    fn warning(&mut self, ts: Instant, warning: Warning, packet: &[u8]) {
        self.inner.warning(ts, warning, packet);
        self.piece(0);
    }
}

/// How a shard's engine is built.
pub(crate) struct Build<'c> {
    pub config: Config<'c>,
    pub tcp_storage: usize,
    pub defrag_storage: usize,
}

/// Runs one shard: rounds from `jobs` until [`Job::Finish`], each answered on
/// `done`. The engine is built for the first round's link type. Returns the
/// handler and the engine's counters.
pub(crate) fn run<U, H: Recorder<U>>(
    build: &Build<'_>,
    mut h: H,
    jobs: std::sync::mpsc::Receiver<Job<'_>>,
    done: std::sync::mpsc::SyncSender<Done>,
) -> (H, Stats) {
    let mut memory = vec![0u8; build.tcp_storage + build.defrag_storage];
    let (tcp, defrag) = memory.split_at_mut(build.tcp_storage);
    let mut storage = Some(nids_core::Storage::new(tcp, defrag));
    let mut config = build.config;
    // Reports come from one detector that sees every shard's probes.
    config.scan.num_ports = 0;
    let mut engine: Option<Box<Engine<'_, U>>> = None;
    for job in jobs {
        let link = match &job {
            Job::Round(b) => b.link,
            Job::Finish { .. } => LinkType::ETHERNET,
        };
        if engine.is_none() {
            // The reader refuses unsupported link types: this cannot fail.
            engine = storage
                .take()
                .and_then(|st| Engine::heap_boxed(link, config, stream_slots(&config), st).ok());
        }
        let Some(e) = engine.as_mut() else { break };
        let mut t = Tagger {
            inner: &mut h,
            frame: 0,
            phase: Phase::Frame,
            mark: 0,
            pieces: Vec::new(),
            probes: Vec::new(),
        };
        let (end, last) = match job {
            Job::Round(b) => {
                feed(e, &b, &mut t);
                (b.end, false)
            }
            Job::Finish { now } => {
                t.frame = u64::MAX;
                t.phase = Phase::Timeouts;
                e.advance(now, &mut t);
                t.phase = Phase::Finish;
                e.finish(&mut t);
                ((0, 0), true)
            }
        };
        let (pieces, probes) = (t.pieces, t.probes);
        let tape = std::mem::take(h.tape());
        let d = Done {
            tape,
            pieces,
            probes,
            end,
            last,
        };
        if done.send(d).is_err() || last {
            break;
        }
    }
    let stats = engine.map_or_else(Stats::new, |e| e.stats().clone());
    (h, stats)
}

/// Runs a round's frames and timeouts through `e`, in the capture's order.
fn feed<U, H: Recorder<U>>(e: &mut Engine<'_, U>, b: &Batch<'_>, t: &mut Tagger<'_, H>) {
    let mut ticks = b.ticks.iter().peekable();
    for f in &b.frames {
        while let Some(&&(at, now)) = ticks.peek() {
            if at > f.index {
                break;
            }
            timeouts(e, at, now, t);
            ticks.next();
        }
        let data = match f.data {
            Data::Mapped(d) => d,
            Data::Arena(ref r) => b.arena.get(r.clone()).unwrap_or(&[]),
        };
        t.frame = f.index;
        t.phase = Phase::Frame;
        e.set_frame_number(f.index);
        e.process_as(f.ts, f.link, data, t);
    }
    for &(at, now) in ticks {
        timeouts(e, at, now, t);
    }
}

/// Lets the engine's time run to `now` before frame `at` (every shard does, so
/// idle streams end at the same frame as in one engine).
fn timeouts<U, H: Recorder<U>>(
    e: &mut Engine<'_, U>,
    at: u64,
    now: Instant,
    t: &mut Tagger<'_, H>,
) {
    t.frame = at;
    t.phase = Phase::Timeouts;
    e.advance(now, t);
}

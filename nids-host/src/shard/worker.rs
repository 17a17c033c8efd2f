//! One shard: an engine on its own thread, fed rounds of frames, recording
//! what its handler writes with the place each piece takes in one engine's
//! output.

use std::ops::Range;

use nids_core::link::{self, L3};
use nids_core::scan::{self, Observation, Report};
use nids_core::{udp, Config, Handler, Instant, LinkType, Stats, Stream, Warning};

use nids_core::engine::EXPIRY_INTERVAL;

use super::{Batch, Data, Frames, Job, Read, Recorder, Shard, ShardKey, ROUND_BYTES, ROUND_FRAMES};
use crate::run::Engine;
use crate::run::Error;
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
struct Tagger<H> {
    inner: H,
    frame: u64,
    phase: Phase,
    /// Bytes of the tape already assigned to a piece.
    mark: usize,
    pieces: Vec<(Key, Range<usize>)>,
    probes: Vec<(u64, Instant, Observation)>,
    /// The merge's detector settings: only the probes it looks at are kept.
    scan: scan::Config,
}

impl<H> Tagger<H> {
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

impl<U, H: Recorder<U>> Handler<U> for Tagger<H> {
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
        // The merge's detector would ignore the others (UDP while UDP scan
        // detection is off, everything while detection is off).
        if self.scan.looks_at(probe) {
            self.probes.push((self.frame, ts, *probe));
        }
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

/// One shard's engine (built at its first frame, for that frame's link type)
/// and its tagged handler.
pub(crate) struct State<'m, U, H> {
    /// The run's link type (its first frame's), to build the engine with.
    pub(crate) link: LinkType,
    engine: Option<Box<Engine<'m, U>>>,
    storage: Option<nids_core::Storage<'m>>,
    config: Config<'m>,
    t: Tagger<H>,
}

impl<'m, U, H: Recorder<U>> State<'m, U, H> {
    /// A shard with handler `h` and `memory` for its storage (split as `build`
    /// says). The engine's own scan detector is off: reports come from one
    /// detector in the merge that sees every shard's probes.
    pub(crate) fn new(build: &Build<'m>, h: H, memory: &'m mut [u8]) -> Self {
        let (tcp, defrag) = memory.split_at_mut(build.tcp_storage.min(memory.len()));
        let mut config = build.config;
        config.scan.num_ports = 0;
        State {
            link: LinkType::ETHERNET,
            engine: None,
            storage: Some(nids_core::Storage::new(tcp, defrag)),
            config,
            t: Tagger {
                inner: h,
                frame: 0,
                phase: Phase::Frame,
                mark: 0,
                pieces: Vec::new(),
                probes: Vec::new(),
                scan: build.config.scan,
            },
        }
    }

    /// The engine, built for the run's link type if not yet (the readers
    /// refuse unsupported link types before any frame, so building cannot
    /// fail).
    fn build(&mut self) {
        if self.engine.is_none() {
            let (config, link) = (self.config, self.link);
            self.engine = self
                .storage
                .take()
                .and_then(|st| Engine::heap_boxed(link, config, stream_slots(&config), st).ok());
        }
    }

    /// Frame number `index` of the capture, whose link header decodes to `l3`.
    pub(crate) fn frame(
        &mut self,
        index: u64,
        (ts, link, data): (Instant, LinkType, &[u8]),
        l3: Result<L3<'_>, link::Drop>,
    ) {
        self.build();
        let Some(e) = self.engine.as_deref_mut() else {
            return;
        };
        self.t.frame = index;
        self.t.phase = Phase::Frame;
        e.set_frame_number(index);
        e.process_decoded(ts, link, data, l3, &mut self.t);
    }

    /// Lets the engine's time run to `now` before frame `at` (every shard
    /// does, so idle streams end at the same frame as in one engine).
    pub(crate) fn timeouts(&mut self, at: u64, now: Instant) {
        self.build();
        let Some(e) = self.engine.as_deref_mut() else {
            return;
        };
        self.t.frame = at;
        self.t.phase = Phase::Timeouts;
        e.advance(now, &mut self.t);
    }

    /// What the handler wrote since the last answer, and the probes.
    fn answer(&mut self, end: (usize, usize), last: bool) -> Done {
        self.t.mark = 0;
        Done {
            tape: std::mem::take(self.t.inner.tape()),
            pieces: std::mem::take(&mut self.t.pieces),
            probes: std::mem::take(&mut self.t.probes),
            end,
            last,
        }
    }

    /// The answer to a round that ended at `end` (file, offset).
    pub(crate) fn round(&mut self, end: (usize, usize)) -> Done {
        self.answer(end, false)
    }

    /// The end of input: time runs to `now`, then every stream ends. The
    /// shard's last answer.
    pub(crate) fn finish(&mut self, now: Instant) -> Done {
        self.build();
        if let Some(e) = self.engine.as_deref_mut() {
            self.t.frame = u64::MAX;
            self.t.phase = Phase::Timeouts;
            e.advance(now, &mut self.t);
            self.t.phase = Phase::Finish;
            e.finish(&mut self.t);
        }
        self.answer((0, 0), true)
    }

    /// The handler and the engine's counters.
    pub(crate) fn into_parts(self) -> (H, Stats) {
        let stats = self.engine.map_or_else(Stats::new, |e| e.stats().clone());
        (self.t.inner, stats)
    }
}

/// Runs one shard: rounds from `jobs` until [`Job::Finish`], each answered on
/// `done`. The engine is built for the first round's link type. Returns the
/// handler and the engine's counters.
pub(crate) fn run<U, H: Recorder<U>>(
    build: &Build<'_>,
    h: H,
    jobs: std::sync::mpsc::Receiver<Job<'_>>,
    done: std::sync::mpsc::SyncSender<Done>,
) -> (H, Stats) {
    let mut memory = vec![0u8; build.tcp_storage + build.defrag_storage];
    let mut st = State::new(build, h, &mut memory);
    for job in jobs {
        let d = match job {
            Job::Round(b) => {
                st.link = b.link;
                feed(&mut st, &b);
                st.round(b.end)
            }
            Job::Finish { now } => st.finish(now),
        };
        let last = d.last;
        if done.send(d).is_err() || last {
            break;
        }
    }
    st.into_parts()
}

/// Runs a round's frames and timeouts through the shard, in the capture's
/// order.
fn feed<U, H: Recorder<U>>(st: &mut State<'_, U, H>, b: &Batch<'_>) {
    let mut ticks = b.ticks.iter().peekable();
    for f in &b.frames {
        while let Some(&&(at, now)) = ticks.peek() {
            if at > f.index {
                break;
            }
            st.timeouts(at, now);
            ticks.next();
        }
        let data = match f.data {
            Data::Mapped(d) => d,
            Data::Arena(ref r) => b.arena.get(r.clone()).unwrap_or(&[]),
        };
        st.frame(f.index, (f.ts, f.link, data), f.l3.of(f.link, data));
    }
    for &(at, now) in ticks {
        st.timeouts(at, now);
    }
}

/// Where a walking shard stands among all of them, for a stop (Ctrl-C) to
/// end every shard after the same round.
#[derive(Default)]
pub(crate) struct Stopper {
    /// The furthest round any shard has finished, and the round every shard
    /// ends after, once a stop is seen.
    state: std::sync::Mutex<(u64, Option<u64>)>,
}

impl Stopper {
    /// Whether the shard that just finished round `r` ends now. A stop seen
    /// ends every shard after the round following the furthest one a shard
    /// has finished: a shard may be in that round, none is past it (each
    /// calls this after every round), and the others catch up to it. O(1),
    /// one lock.
    fn ends_after(&self, r: u64, stop: &(dyn Fn() -> bool + Sync)) -> bool {
        let Ok(mut g) = self.state.lock() else {
            return true;
        };
        g.0 = g.0.max(r);
        if g.1.is_none() && stop() {
            g.1 = Some(g.0 + 1);
        }
        g.1.is_some_and(|end| r >= end)
    }
}

/// The shards of the IPv4 TCP address pairs seen last, so that a walking
/// shard, which places every frame of the capture, hashes each pair about
/// once rather than once per frame. Only TCP over IPv4: its shard is the
/// [`ShardKey`] of its address pair alone (no tunnel, no quoted packet), so
/// the memo gives what [`ShardKey::shard_decoded`] gives. Direct-mapped: a
/// miss costs one hash, as without it. 16 KiB.
struct Memo {
    slots: Box<[(u64, Shard); MEMO]>,
}

const MEMO: usize = 1024;

impl Memo {
    fn new() -> Self {
        // `Unkeyed` never comes from a TCP pair: an empty slot matches nothing.
        Memo {
            slots: Box::new([(0, Shard::Unkeyed); MEMO]),
        }
    }

    /// [`ShardKey::shard_decoded`] of `l3`, by `key`.
    fn shard(&mut self, key: &ShardKey, l3: Result<L3<'_>, link::Drop>) -> Shard {
        let pair = match l3 {
            Ok(L3::V4(p)) if p.len() >= 20 && p[0] >> 4 == 4 && p[9] == 6 => p.get(12..20),
            _ => None,
        };
        let Some(pair) = pair.and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
            return key.shard_decoded(l3);
        };
        let k = u64::from_ne_bytes(pair);
        let i = (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % MEMO;
        match self.slots.get(i) {
            Some(&(at, s)) if at == k && s != Shard::Unkeyed => s,
            _ => {
                let s = key.shard_decoded(l3);
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = (k, s);
                }
                s
            }
        }
    }
}

/// A walking shard: shard `me` of `key.shards()`.
pub(crate) struct Walker<'w> {
    pub me: usize,
    pub key: ShardKey,
    /// When the input ends, if later than its last packet.
    pub end_ts: Instant,
    pub stopper: &'w Stopper,
    pub stop: &'w (dyn Fn() -> bool + Sync),
    /// Told the bytes read after each round (by shard 0 only).
    pub progress: &'w (dyn Fn(u64) + Sync),
}

/// What a walking shard read.
pub(crate) struct Walked<H> {
    pub handler: H,
    pub stats: Stats,
    /// The read error, if the input could not be read to its end.
    pub read: Result<(), Error>,
    /// Frames this shard processed.
    pub frames: u64,
    /// Of them, frames with no IP address pair (shard 0 only).
    pub unkeyed: u64,
}

/// Runs shard `w.me` over its own walk of the whole input: every shard reads
/// every record (in place, in a mapped file), keeps the timeout schedule and
/// the rounds of one engine, and processes the frames whose IP pair hashes to
/// it, decoding each frame's link header once. Rounds end at the same frames
/// in every shard (a count of frames and bytes), each answered on `done` as
/// from a reader-fed shard; then the end of input.
pub(crate) fn walk<'f, U, H: Recorder<U>>(
    build: &Build<'_>,
    h: H,
    mut frames: impl Frames<'f>,
    w: &Walker<'_>,
    done: &std::sync::mpsc::SyncSender<Done>,
) -> Walked<H> {
    let mut memory = vec![0u8; build.tcp_storage + build.defrag_storage];
    let mut st = State::new(build, h, &mut memory);
    let (mut mine, mut unkeyed) = (0u64, 0u64);
    let mut link: Option<LinkType> = None;
    let mut index = 0u64;
    // The engine's timeout schedule (`Nids::process_as` runs them when packet
    // time reaches `next_expiry`) and its latest packet time.
    let mut next_expiry = Instant::ZERO;
    let mut latest = Instant::ZERO;
    let (mut in_round, mut bytes, mut round) = (0usize, 0usize, 0u64);
    let mut gone = false;
    let mut memo = Memo::new();
    let read = loop {
        let frame = match frames.read() {
            Ok(Read::End) => break Ok(()),
            Err(e) => break Err(e),
            Ok(Read::Idle(now)) => {
                if now >= next_expiry {
                    next_expiry = now + EXPIRY_INTERVAL;
                }
                latest = latest.max(now);
                st.timeouts(index, now);
                in_round = ROUND_FRAMES;
                None
            }
            Ok(Read::Skipped) => None,
            Ok(Read::Lasting(f) | Read::Passing(f)) => Some(f),
        };
        if let Some(f) = frame {
            if link.is_none() {
                if !f.link.is_supported() {
                    // As one engine: a first frame of an unsupported link type
                    // is an error.
                    let link = f.link;
                    break Err(Error::LinkType {
                        path: frames.name(),
                        link,
                    });
                }
                link = Some(f.link);
                st.link = f.link;
            }
            if f.ts >= next_expiry {
                next_expiry = f.ts + EXPIRY_INTERVAL;
                st.timeouts(index, f.ts);
            }
            latest = latest.max(f.ts);
            let l3 = link::decode(f.link, f.data);
            let shard = memo.shard(&w.key, l3);
            if shard.index() == w.me {
                mine += 1;
                unkeyed += u64::from(shard == Shard::Unkeyed);
                st.frame(index, (f.ts, f.link, f.data), l3);
            }
            index += 1;
            in_round += 1;
            bytes += f.data.len();
        }
        if in_round >= ROUND_FRAMES || bytes >= ROUND_BYTES {
            if done.send(st.round(frames.position())).is_err() {
                gone = true;
                break Ok(());
            }
            if w.me == 0 {
                (w.progress)(frames.progress());
            }
            (in_round, bytes) = (0, 0);
            round += 1;
            if w.stopper.ends_after(round, w.stop) {
                break Ok(());
            }
        }
    };
    if !gone {
        // The last round, then the end: time runs to the latest packet's.
        let _ = done
            .send(st.round(frames.position()))
            .and_then(|()| done.send(st.finish(latest.max(w.end_ts))));
    }
    if w.me == 0 {
        (w.progress)(frames.progress());
    }
    let (handler, stats) = st.into_parts();
    Walked {
        handler,
        stats,
        read,
        frames: mine,
        unkeyed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo gives the shard key's answer for every frame, whatever it
    /// remembers: TCP and UDP over IPv4 (colliding slots included), ICMP
    /// errors, IPv6, non-IP.
    #[test]
    fn test_memo_gives_the_keys_answer() {
        let key = ShardKey::new(*b"0123456789abcdef", 3);
        let mut memo = Memo::new();
        let mut frames = Vec::new();
        for i in 0..4000u32 {
            let proto = [6u8, 6, 17, 1][i as usize % 4];
            let mut p = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, proto, 0, 0];
            let a = (i % 700).to_be_bytes();
            p.extend_from_slice(&[10, a[2], a[3], 1]);
            p.extend_from_slice(&[10, 9, a[3], 2]);
            if proto == 1 {
                // A port unreachable quoting another pair.
                p.extend_from_slice(&[3, 3, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]);
                p.extend_from_slice(&[0, 0, 172, 16, 0, a[3], 172, 16, 1, 1]);
            }
            p.resize(p.len().max(40), 0);
            if i % 2 == 1 {
                // The reply: addresses swapped.
                let (src, dst) = (p[12..16].to_vec(), p[16..20].to_vec());
                p[12..16].copy_from_slice(&dst);
                p[16..20].copy_from_slice(&src);
            }
            frames.push(p);
        }
        frames.push(vec![0x60; 48]);
        frames.push(vec![0x45, 0]);
        for _ in 0..2 {
            for f in &frames {
                let l3 = link::decode(LinkType::RAW, f);
                assert_eq!(memo.shard(&key, l3), key.shard_decoded(l3), "{f:?}");
            }
        }
    }

    /// Two shards, one ahead: a stop seen by the one behind ends both after
    /// the same round, the one the shard ahead may be in.
    #[test]
    fn test_stop_ends_every_shard_after_the_same_round() {
        let s = Stopper::default();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let seen = || stop.load(std::sync::atomic::Ordering::Relaxed);
        // Shard A finishes rounds 1 to 3 and works on round 4.
        for r in 1..=3 {
            assert!(!s.ends_after(r, &seen));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Shard B, at round 1, sees the stop: both end after round 4.
        let b: Vec<bool> = (1..=4).map(|r| s.ends_after(r, &seen)).collect();
        assert_eq!(b, [false, false, false, true]);
        assert!(s.ends_after(4, &seen), "shard A ends after round 4 too");
    }
}

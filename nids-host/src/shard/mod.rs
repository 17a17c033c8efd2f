//! Several engines on several threads, with the answers of one.
//!
//! # How
//!
//! Each frame goes to one of N shards by a keyed hash of its IP address pair
//! that is the same both ways ([`ShardKey`]): both directions of a stream,
//! every fragment of a datagram and the ICMP errors about them meet in one
//! shard. Each shard is an engine of its own, on its own thread, with its own
//! storage. Frames are handled in rounds (a few thousand frames, or a few MiB,
//! at a time); every shard answers every round, so there is one channel
//! message per shard per round, not per frame.
//!
//! Over mapped files ([`run_walking`]) there is no reader: every shard walks
//! the records itself, in place, and processes the frames that hash to it
//! (rounds end at the same frames in every shard). Over streams and libpcap
//! captures ([`run`]) one reader thread reads the frames and gives each round
//! every shard one batch (borrowed slices of a mapped file, copies of passing
//! frames) with the link decode it made. Live af-packet capture
//! ([`run_rings`], Linux) has one kernel ring per shard, spread by the
//! kernel's fanout hash, and no reader either.
//!
//! # The same answers
//!
//! The merge (the calling thread) takes every shard's answer to a round and
//! writes what the handlers wrote in the order one engine would have:
//!
//! * every piece of output is tagged with the index of the frame being
//!   processed; stream ends at an idle timeout with the number of the frame
//!   that last touched the stream, as one engine ends the least recently
//!   touched first ([`nids_core::Stream::last_frame`]), and at the end of input
//!   with the number of the frame that created it, as one engine ends them
//!   oldest first ([`nids_core::Stream::created_frame`]);
//! * idle timeouts run in every shard at the frames where one engine would run
//!   them (the reader keeps the engine's schedule), and at the end every shard's
//!   time is brought to the capture's latest before `finish()`;
//! * port-scan detection is a stage of its own: the shards' detectors are off,
//!   and every packet they would have counted ([`nids_core::Handler::scan_probe`])
//!   goes, in frame order, to one detector in the merge, so a scanner whose
//!   probes hash to different shards is seen whole;
//! * [`nids_core::Stats`] are the sum of the shards' ([`nids_core::Stats::merge`])
//!   and the merge's scan counters.
//!
//! Limits are per shard: each shard has the stream slots, `--streams` limit
//! and storage of one engine, so N shards hold up to N times as many. Output
//! is the same as one engine's as long as one engine would not have hit a
//! limit (hitting one is warned and counted either way).
//!
//! Frames with no IP pair go to shard 0 ([`Shard::Unkeyed`]) and are counted
//! ([`Outcome::unkeyed`]).

mod frames;
mod key;
mod merge;
mod recorders;
#[cfg(target_os = "linux")]
mod rings;
pub mod split;

mod worker;

use std::ops::Range;
use std::sync::mpsc::{self, SyncSender};
use std::time::Instant as WallClock;

use nids_core::engine::EXPIRY_INTERVAL;
use nids_core::link::{self, L3};
use nids_core::{Config, Handler, Instant, LinkType, Stats};

pub use frames::{FileFrames, Frame, Frames, Held, Read};
pub use key::{Shard, ShardKey};
#[cfg(target_os = "linux")]
pub use rings::{run_rings, Kernel};

use crate::capture::CaptureFile;
use crate::output::Output;
use crate::run::Error;

/// A command's handler, run in a shard: what it writes goes to a tape (a byte
/// buffer) that the merge takes after every round and puts in order.
pub trait Recorder<U>: Handler<U> + Send {
    /// The bytes written since the tape was last taken.
    fn tape(&mut self) -> &mut Vec<u8>;
}

/// `--threads auto`: the number of cores this process may use.
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How the shards are built.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'c> {
    /// How many shards (engines, threads).
    pub shards: usize,
    /// The shard hash's secret key.
    pub key: [u8; 16],
    /// Every engine's settings.
    pub config: Config<'c>,
    /// Bytes of TCP storage per shard.
    pub tcp_storage: usize,
    /// Bytes of fragment storage per shard.
    pub defrag_storage: usize,
    /// When the input ends, if later than its last packet: packet time runs
    /// to it before open streams end (for a file of `nids split`'s, the whole
    /// capture's end).
    pub end_ts: Option<Instant>,
}

/// What a sharded run gave.
pub struct Outcome<H> {
    /// The counters of all engines, as one.
    pub stats: Stats,
    /// Each shard's handler, in shard order, then the merge's (which got the
    /// port-scan reports).
    pub handlers: Vec<H>,
    /// The read error, if the source could not be read to its end (the
    /// streams are reported anyway).
    pub read: Result<(), Error>,
    /// Frames given to each shard.
    pub frames: Vec<u64>,
    /// Frames with no IP address pair (given to shard 0).
    pub unkeyed: u64,
    /// CPU time of each thread, where the system tells it (Linux).
    pub cpu: Cpu,
}

/// CPU time of the threads of a sharded run (`None` where the system does
/// not tell it: read from `/proc/thread-self/schedstat` on Linux).
#[derive(Debug, Clone, Default)]
pub struct Cpu {
    /// The reader: reading, hashing, batching.
    pub reader: Option<std::time::Duration>,
    /// Each shard's engine.
    pub shards: Vec<Option<std::time::Duration>>,
    /// The merge (the calling thread, from the start of the run).
    pub merge: Option<std::time::Duration>,
}

/// A secret shard key for one run, from the operating system's randomness
/// ([`crate::keys::random_hash_key`]). O(1).
pub fn random_key() -> [u8; 16] {
    let (a, b) = crate::keys::random_hash_key();
    (u128::from(a) << 64 | u128::from(b)).to_le_bytes()
}

/// CPU time of the calling thread so far (Linux), in nanoseconds.
pub fn thread_cpu() -> Option<std::time::Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

/// A frame of a round: its index in the capture and where its bytes are.
struct Framed<'f> {
    index: u64,
    ts: Instant,
    link: LinkType,
    data: Data<'f>,
    l3: Decoded,
}

/// What the reader's link decode ([`nids_core::link::decode`]) found in a
/// frame, as a place in it, so the shard does not decode it again.
#[derive(Debug, Clone)]
enum Decoded {
    V4(Range<usize>),
    V6(Range<usize>),
    Drop(link::Drop),
}

impl Decoded {
    /// `l3`, found in `frame`.
    fn new(frame: &[u8], l3: Result<L3<'_>, link::Drop>) -> Self {
        let at = |b: &[u8]| {
            // `l3` lies in `frame`: its offset is the distance of the pointers.
            let start = (b.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
            start..start.wrapping_add(b.len())
        };
        match l3 {
            Ok(L3::V4(b)) => Decoded::V4(at(b)),
            Ok(L3::V6(b)) => Decoded::V6(at(b)),
            Err(d) => Decoded::Drop(d),
        }
    }

    /// The decode, over the frame's bytes `data` (wherever they are now);
    /// decoded again if the place is not in `data` (it always is).
    fn of<'d>(&self, link: LinkType, data: &'d [u8]) -> Result<L3<'d>, link::Drop> {
        let found = match self {
            Decoded::V4(r) => data.get(r.clone()).map(|b| Ok(L3::V4(b))),
            Decoded::V6(r) => data.get(r.clone()).map(|b| Ok(L3::V6(b))),
            Decoded::Drop(d) => Some(Err(*d)),
        };
        found.unwrap_or_else(|| link::decode(link, data))
    }
}

/// Where a frame's bytes are.
enum Data<'f> {
    /// In the mapped file.
    Mapped(&'f [u8]),
    /// In the batch's arena (copied from a passing frame).
    Arena(Range<usize>),
}

/// One shard's share of a round.
struct Batch<'f> {
    /// The run's link type (the first frame's), to build the engine.
    link: LinkType,
    frames: Vec<Framed<'f>>,
    arena: Vec<u8>,
    /// Timeouts to run before frame `.0` at time `.1`, in frame order.
    ticks: Vec<(u64, Instant)>,
    /// Where the reader was after the round ([`Frames::position`]).
    end: (usize, usize),
}

/// What the reader sends a shard.
enum Job<'f> {
    Round(Batch<'f>),
    /// End of input: time runs to `now`, then every stream ends.
    Finish {
        now: Instant,
    },
}

/// Most frames in a round.
const ROUND_FRAMES: usize = 4096;
/// Most bytes of frames in a round (the mapped pages of a round stay until
/// every shard is done with it; smaller rounds cost more CPU in all).
const ROUND_BYTES: usize = 4 << 20;
/// Longest a live round waits before it is handed on.
const ROUND_WAIT: std::time::Duration = std::time::Duration::from_millis(100);
/// Rounds in flight per shard.
const DEPTH: usize = 4;

/// Runs `frames` through `plan.shards` engines, each with the stream slots
/// `plan.config` asks for ([`crate::session::stream_slots`], sized at run time)
/// and a handler from `make` (called once per shard, then once for the
/// merge), writing what they write to `out` in one engine's order. `stop`
/// ends the read early when it says so (Ctrl-C); `progress` is told the bytes
/// read after each round.
///
/// Costs: `plan.shards` engines and their storage, a reader thread and one
/// thread per shard; memory for a few rounds (of at most 4096 frames or 4 MiB)
/// per shard.
pub fn run<'f, U, H, W>(
    frames: impl Frames<'f>,
    plan: &Plan<'_>,
    mut make: impl FnMut() -> H,
    out: &mut Output<W>,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Outcome<H>
where
    H: Recorder<U>,
    W: std::io::Write,
{
    let n = plan.shards.max(1);
    let files = frames.files();
    let build = worker::Build {
        config: plan.config,
        tcp_storage: plan.tcp_storage,
        defrag_storage: plan.defrag_storage,
    };
    let merge_start = thread_cpu();
    std::thread::scope(|sc| {
        let mut jobs = Vec::with_capacity(n);
        let mut dones = Vec::with_capacity(n);
        let mut shards = Vec::with_capacity(n);
        for _ in 0..n {
            let (jtx, jrx) = mpsc::sync_channel::<Job<'f>>(DEPTH);
            let (dtx, drx) = mpsc::sync_channel(DEPTH);
            let h = make();
            let build = &build;
            shards.push(sc.spawn(move || {
                let r = worker::run::<U, H>(build, h, jrx, dtx);
                (r, thread_cpu())
            }));
            jobs.push(jtx);
            dones.push(drx);
        }
        let key = ShardKey::new(plan.key, n);
        let end = plan.end_ts.unwrap_or(Instant::ZERO);
        let reader = sc.spawn(move || {
            let r = read(frames, (key, end), jobs, stop, progress);
            (r, thread_cpu())
        });
        let merged = merge::run(&plan.config, make(), dones, out, &files);
        let mut cpu = Cpu {
            merge: thread_cpu()
                .zip(merge_start)
                .map(|(now, start)| now.saturating_sub(start)),
            ..Cpu::default()
        };
        let ((read, counts), reader_cpu) = reader
            .join()
            .unwrap_or_else(|_| ((Ok(()), Counts::new(n)), None));
        cpu.reader = reader_cpu;
        let mut stats = merged.stats;
        let mut handlers = Vec::with_capacity(n + 1);
        for s in shards {
            if let Ok(((h, st), c)) = s.join() {
                stats.merge(&st);
                handlers.push(h);
                cpu.shards.push(c);
            }
        }
        handlers.push(merged.central);
        Outcome {
            stats,
            handlers,
            read,
            frames: counts.frames,
            unkeyed: counts.unkeyed,
            cpu,
        }
    })
}

/// [`run`] without a reader thread, for captures that every shard can read
/// in place at once (mapped files: [`Held::walk`]): each shard walks the whole
/// input itself (`walk` gives each its own walk), decodes each frame's link
/// header, hashes its IP pair and processes only the frames that are its own.
/// The serial stage left is the merge; the records are walked N times (a few
/// bytes of each frame's first cache lines), no frame is copied or queued.
/// Same output as [`run`] and as one engine. `files` are the mapped files, in
/// reading order (their pages are given back as rounds end).
///
/// Costs: as [`run`], less the reader thread and the rounds' frame lists; per
/// frame and shard, one record step, one link decode and one hash.
pub fn run_walking<'f, U, H, W, F>(
    walk: impl Fn() -> F + Sync,
    files: &[&'f CaptureFile],
    plan: &Plan<'_>,
    mut make: impl FnMut() -> H,
    out: &mut Output<W>,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Outcome<H>
where
    H: Recorder<U>,
    W: std::io::Write,
    F: Frames<'f>,
{
    let n = plan.shards.max(1);
    let build = worker::Build {
        config: plan.config,
        tcp_storage: plan.tcp_storage,
        defrag_storage: plan.defrag_storage,
    };
    let merge_start = thread_cpu();
    let stopper = worker::Stopper::default();
    let key = ShardKey::new(plan.key, n);
    let end_ts = plan.end_ts.unwrap_or(Instant::ZERO);
    std::thread::scope(|sc| {
        let mut dones = Vec::with_capacity(n);
        let mut shards = Vec::with_capacity(n);
        for me in 0..n {
            let (dtx, drx) = mpsc::sync_channel(DEPTH);
            let h = make();
            let (build, walk, stopper) = (&build, &walk, &stopper);
            shards.push(sc.spawn(move || {
                let w = worker::Walker {
                    me,
                    key,
                    end_ts,
                    stopper,
                    stop,
                    progress,
                };
                let r = worker::walk::<U, H>(build, h, walk(), &w, &dtx);
                (r, thread_cpu())
            }));
            dones.push(drx);
        }
        let merged = merge::run(&plan.config, make(), dones, out, files);
        let mut cpu = Cpu {
            merge: thread_cpu()
                .zip(merge_start)
                .map(|(now, start)| now.saturating_sub(start)),
            ..Cpu::default()
        };
        let mut stats = merged.stats;
        let mut handlers = Vec::with_capacity(n + 1);
        let mut counts = Counts::new(n);
        let mut read = Ok(());
        for (i, s) in shards.into_iter().enumerate() {
            if let Ok((w, c)) = s.join() {
                stats.merge(&w.stats);
                handlers.push(w.handler);
                cpu.shards.push(c);
                counts.frames[i] = w.frames;
                counts.unkeyed += w.unkeyed;
                // Every shard read the same input: shard 0's error is theirs.
                if i == 0 {
                    read = w.read;
                }
            }
        }
        handlers.push(merged.central);
        Outcome {
            stats,
            handlers,
            read,
            frames: counts.frames,
            unkeyed: counts.unkeyed,
            cpu,
        }
    })
}

/// Frames per shard, and those without an IP pair.
struct Counts {
    frames: Vec<u64>,
    unkeyed: u64,
}

impl Counts {
    fn new(n: usize) -> Self {
        Counts {
            frames: vec![0; n],
            unkeyed: 0,
        }
    }
}

/// The reader: frames into rounds, rounds to the shards, then `Finish`.
fn read<'f>(
    mut frames: impl Frames<'f>,
    (key, end_ts): (ShardKey, Instant),
    jobs: Vec<SyncSender<Job<'f>>>,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> (Result<(), Error>, Counts) {
    let n = jobs.len();
    let mut counts = Counts::new(n);
    let mut link: Option<LinkType> = None;
    let mut index = 0u64;
    // The engine's timeout schedule (`Nids::process_as` runs them when packet
    // time reaches `next_expiry`) and its latest packet time.
    let mut next_expiry = Instant::ZERO;
    let mut latest = Instant::ZERO;
    // A batch sized like the one it follows, so a round's frames are not
    // pushed into a vector growing from nothing.
    let fresh = |link, frames: usize| Batch {
        link,
        frames: Vec::with_capacity(frames),
        arena: Vec::new(),
        ticks: Vec::new(),
        end: (0, 0),
    };
    let mut batches: Vec<Batch<'f>> = (0..n).map(|_| fresh(LinkType::ETHERNET, 0)).collect();
    let (mut in_round, mut bytes, mut since) = (0usize, 0usize, WallClock::now());
    let result = loop {
        if stop() {
            break Ok(());
        }
        let (frame, lasting) = match frames.read() {
            Ok(Read::End) => break Ok(()),
            Err(e) => break Err(e),
            Ok(Read::Idle(now)) => {
                if now >= next_expiry {
                    next_expiry = now + EXPIRY_INTERVAL;
                }
                latest = latest.max(now);
                for b in &mut batches {
                    b.ticks.push((index, now));
                }
                in_round = ROUND_FRAMES; // hand on what there is
                (None, false)
            }
            Ok(Read::Skipped) => (None, false),
            Ok(Read::Lasting(f)) => (Some((f, Data::Mapped(f.data))), true),
            Ok(Read::Passing(f)) => (Some((f, Data::Arena(0..0))), false),
        };
        if let Some((f, data)) = frame {
            if link.is_none() && !f.link.is_supported() {
                // As one engine: a first frame of an unsupported link type is an error.
                let link = f.link;
                break Err(Error::LinkType {
                    path: frames.name(),
                    link,
                });
            }
            link.get_or_insert(f.link);
            if f.ts >= next_expiry {
                next_expiry = f.ts + EXPIRY_INTERVAL;
                for b in &mut batches {
                    b.ticks.push((index, f.ts));
                }
            }
            latest = latest.max(f.ts);
            let l3 = link::decode(f.link, f.data);
            let shard = key.shard_decoded(l3);
            let l3 = Decoded::new(f.data, l3);
            if shard == Shard::Unkeyed {
                counts.unkeyed += 1;
            }
            let i = shard.index();
            counts.frames[i] += 1;
            let b = &mut batches[i];
            let data = match data {
                Data::Arena(_) if !lasting => {
                    let at = b.arena.len();
                    b.arena.extend_from_slice(f.data);
                    Data::Arena(at..b.arena.len())
                }
                d => d,
            };
            b.frames.push(Framed {
                index,
                ts: f.ts,
                link: f.link,
                data,
                l3,
            });
            index += 1;
            in_round += 1;
            bytes += f.data.len();
        }
        let full = in_round >= ROUND_FRAMES || bytes >= ROUND_BYTES;
        // Passing frames (a pipe, live) wait at most `ROUND_WAIT`, and none
        // waits for input that may be slow to come.
        let late = !lasting && (since.elapsed() >= ROUND_WAIT || (in_round > 0 && !frames.ready()));
        if full || late {
            let end = frames.position();
            let l = link.unwrap_or(LinkType::ETHERNET);
            for (b, tx) in batches.iter_mut().zip(&jobs) {
                let mut next = fresh(l, b.frames.len());
                std::mem::swap(b, &mut next);
                next.link = l;
                next.end = end;
                if tx.send(Job::Round(next)).is_err() {
                    break;
                }
            }
            progress(frames.progress());
            (in_round, bytes, since) = (0, 0, WallClock::now());
        }
    };
    // The last round, then the end: every shard's time to the latest packet's.
    let end = frames.position();
    let l = link.unwrap_or(LinkType::ETHERNET);
    for (b, tx) in batches.into_iter().zip(&jobs) {
        let mut b = b;
        b.link = l;
        b.end = end;
        let _ = tx.send(Job::Round(b));
        let _ = tx.send(Job::Finish {
            now: latest.max(end_ts),
        });
    }
    progress(frames.progress());
    (result, counts)
}

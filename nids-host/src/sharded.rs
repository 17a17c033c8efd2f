//! `--threads N` (N > 1): N engines ([`nids_host::shard`]) behind the commands
//! of [`crate::app`], with the same output as one; and `nids split`.

use std::io::Write;
use std::path::Path;

use nids_host::capture::CaptureFile;
use nids_host::output::Output;
use nids_host::shard::{self, split, FileFrames, Frames, Held, Plan, Recorder, ShardKey};

use crate::app::{self, Outcome, Result, Run, Source, Status};
use crate::config;
use crate::progress::Progress;
use crate::stop::Stop;

/// `nids split`: `capture` into `shards` files in `dir`.
pub fn split(capture: &Path, shards: u64, dir: &Path, key: Option<u128>) -> Result<Status> {
    let file = CaptureFile::open(capture)?;
    let key = key.map_or(split::DEFAULT_KEY, u128::to_le_bytes);
    let shards = usize::try_from(shards)?;
    split::split(&file, ShardKey::new(key, shards), dir)?;
    Ok(Status::Success)
}

/// Runs the input through `threads` engines, with a handler from `make` for
/// each and one for the merge; what they write goes to `out` in one engine's
/// order. Returns the outcome and the handlers.
pub(crate) fn drive<U, H: Recorder<U>, W: Write>(
    run: Run,
    threads: usize,
    make: impl FnMut() -> H,
    out: &mut Output<W>,
) -> Result<(Outcome, Vec<H>)> {
    let Run {
        source,
        settings,
        filter,
        stop,
        stdin,
    } = run;
    let plan = Plan {
        shards: threads,
        key: random_key(),
        config: settings.engine,
        tcp_storage: settings.tcp_storage,
        defrag_storage: config::DEFRAG_STORAGE,
        end_ts: None,
    };
    // Standard input ends by itself after a stop (`stop::GRACE`): read it to
    // its end, as one engine does.
    let halt = || stop.is_set() && !stdin;
    let outcome = match source {
        Source::Files(files) => {
            let mut held = Held::new(files)?;
            if held.walkable() && std::env::var_os("NIDS_SHARD_READER").is_none() {
                // Every shard reads the mapped files itself: no reader thread.
                let files = held.walk().files();
                let walk = || {
                    #[allow(unused_mut)]
                    let mut frames = FileFrames::mapped(&files);
                    #[cfg(feature = "libpcap")]
                    if let Some(f) = filter.as_deref() {
                        // Compiled (and found valid) before the shards start.
                        let _ = frames.set_filter(f);
                    }
                    frames
                };
                #[cfg(feature = "libpcap")]
                if let Some(f) = filter.as_deref() {
                    held.walk().set_filter(f)?;
                }
                let bar = Progress::new(held.walk().total());
                let o = shard::run_walking(walk, &files, &plan, make, out, &halt, &|at| {
                    bar.set(at);
                });
                bar.finish();
                let o = report(o, &stop);
                if let Some(hint) = app::checksum_hint(&o.0.stats, settings.engine.checksums) {
                    eprintln!("nids: {hint}");
                }
                return Ok(o);
            }
            #[allow(unused_mut)]
            let mut frames = held.frames();
            #[cfg(feature = "libpcap")]
            if let Some(f) = filter.as_deref() {
                frames.set_filter(f)?;
            }
            #[cfg(not(feature = "libpcap"))]
            let _ = filter;
            let bar = Progress::new(frames.total());
            let o = run_shards(frames, &plan, make, out, &stop, &halt, &|at| {
                bar.set(at);
            });
            bar.finish();
            o
        }
        #[cfg(target_os = "linux")]
        Source::AfPacket(iface, prog, opts) => {
            // One ring per engine, in a fanout group of this process's own.
            let group = (std::process::id() & 0xffff) as u16;
            let rings = (0..threads)
                .map(|_| {
                    nids_host::afpacket::Ring::open(&iface, &opts, Some(group), prog.as_deref())
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let (o, kernel) = shard::run_rings(rings, &plan, make, out, &halt);
            eprintln!(
                "nids: af-packet on {iface}: {} packets received by the kernel, {} dropped (rings full)",
                kernel.packets, kernel.drops
            );
            let mut o = report(o, &stop);
            o.0.kernel = Some((kernel.packets, kernel.drops));
            o
        }
        #[cfg(feature = "libpcap")]
        Source::Live(iface, opts) => {
            let mut live = nids_host::live::Live::open(&iface, &opts)?;
            if let Some(f) = filter.as_deref() {
                live.set_filter(f)?;
            }
            let breakloop = live.breakloop_handle();
            stop.on_stop(move || breakloop.breakloop());
            run_shards(live, &plan, make, out, &stop, &halt, &|_| {})
        }
    };
    if let Some(hint) = app::checksum_hint(&outcome.0.stats, settings.engine.checksums) {
        eprintln!("nids: {hint}");
    }
    Ok(outcome)
}

/// [`shard::run`], and the outcome as the commands take it.
fn run_shards<'f, U, H: Recorder<U>, W: Write>(
    frames: impl Frames<'f>,
    plan: &Plan<'_>,
    make: impl FnMut() -> H,
    out: &mut Output<W>,
    stop: &Stop,
    halt: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> (Outcome, Vec<H>) {
    report(shard::run(frames, plan, make, out, halt, progress), stop)
}

/// The outcome of a sharded run as the commands take it; with
/// `NIDS_SHARD_REPORT` set, the frames and CPU time of each thread on stderr.
fn report<U, H: Recorder<U>>(o: shard::Outcome<H>, stop: &Stop) -> (Outcome, Vec<H>) {
    if std::env::var_os("NIDS_SHARD_REPORT").is_some() {
        eprintln!(
            "nids: {} shards: frames {:?}, {} without an IP pair (to shard 0)",
            o.frames.len(),
            o.frames,
            o.unkeyed
        );
        let ms = |d: Option<std::time::Duration>| d.map_or(-1.0, |d| d.as_secs_f64() * 1e3);
        let shards: Vec<String> = o
            .cpu
            .shards
            .iter()
            .map(|&d| format!("{:.1}", ms(d)))
            .collect();
        eprintln!(
            "nids: cpu ms: reader {:.1}, shards [{}], merge {:.1}",
            ms(o.cpu.reader),
            shards.join(", "),
            ms(o.cpu.merge)
        );
    }
    let interrupted = stop.is_set();
    let outcome = Outcome {
        stats: o.stats,
        read: o.read.map_err(Into::into),
        interrupted,
        kernel: None,
    };
    (outcome, o.handlers)
}

/// A shard key for this run: `NIDS_SHARD_KEY` (32 hex digits) if set, for
/// reproducible shard assignment, else a random one.
fn random_key() -> [u8; 16] {
    std::env::var("NIDS_SHARD_KEY")
        .ok()
        .and_then(|s| u128::from_str_radix(&s, 16).ok())
        .map_or_else(shard::random_key, u128::to_le_bytes)
}

//! The commands with `--threads N` (N > 1): the same output as with one
//! engine, from N engines ([`nids_host::shard`]).

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant as WallClock;

use nids_host::capture::CaptureFile;
use nids_host::dump::Dumper;
use nids_host::grep;
use nids_host::output::Output;
use nids_host::scan;
use nids_host::shard::{self, split, Frames, Held, Plan, Recorder, ShardKey};
use nids_host::streams::StreamPrinter;

use crate::app::{self, BadRegex, GrepOpts, Outcome, Result, Run, Source, Status};
use crate::cli::Command;
use crate::config;
use crate::progress::Progress;
use crate::stdout::Stdout;
use crate::stop::Stop;

/// Whether the command asks for more than one engine.
pub fn wanted(c: &Command) -> bool {
    match c {
        Command::Streams { input, .. }
        | Command::Dump { input, .. }
        | Command::Grep { input, .. }
        | Command::Scan { input, .. }
        | Command::Stats { input } => input.common.threads > 1,
        Command::Split { .. } => false,
    }
}

/// `nids split`: `capture` into `shards` files in `dir`.
pub fn split(capture: &Path, shards: u64, dir: &Path, key: Option<u128>) -> Result<Status> {
    let file = CaptureFile::open(capture)?;
    let key = key.map_or(split::DEFAULT_KEY, u128::to_le_bytes);
    let shards = usize::try_from(shards)?;
    split::split(&file, ShardKey::new(key, shards), dir)?;
    Ok(Status::Success)
}

/// Runs a command with `--threads` engines; `stop` is Ctrl-C and SIGTERM.
pub fn run(command: Command, stop: &Stop) -> Result<Status> {
    match command {
        Command::Streams { input, json, udp } => {
            let run = app::open(&input, stop)?;
            let mut out = Output::new(Stdout::new(run.is_live()));
            let (outcome, _) = drive(
                run,
                input.common.threads,
                || StreamPrinter::new(Vec::new(), json, udp),
                &mut out,
            )?;
            app::finish(&mut out, outcome)
        }
        Command::Dump { input, output } => {
            // The input first: a bad one leaves no directory behind.
            let run = app::open(&input, stop)?;
            let index = Dumper::create(&output)?;
            let mut out = Output::new(index.index);
            let (outcome, dumpers) = drive(
                run,
                input.common.threads,
                || Dumper::with_index(&output, Vec::new()),
                &mut out,
            )?;
            for d in dumpers {
                d.finish()?;
            }
            out.finish().map_err(|source| nids_host::dump::Error {
                path: output.join(nids_host::dump::INDEX),
                source,
            })?;
            app::status(outcome)
        }
        Command::Grep {
            pattern,
            input,
            json,
            max_count,
            ignore_case,
            count,
            files_with_matches,
            window,
            kill,
        } => {
            let re = grep::pattern_with(&pattern, ignore_case)
                .map_err(|e| BadRegex(pattern.clone(), e))?;
            let run = app::open(&input, stop)?;
            let live = run.is_live();
            if kill && live {
                return Err("--kill on a live interface needs --threads 1".into());
            }
            let o = GrepOpts {
                json,
                max_count,
                count,
                files_with_matches,
                window,
                kill,
            };
            let make = || app::grepper(re.clone(), Vec::new(), &o, live);
            let mut out = Output::new(Stdout::new(live));
            let (outcome, greppers) = drive(run, input.common.threads, make, &mut out)?;
            let matches: u64 = greppers.iter().map(|g| g.matches).sum();
            let status = app::finish(&mut out, outcome)?;
            Ok(if matches == 0 && status == Status::Success {
                Status::NoMatch
            } else {
                status
            })
        }
        Command::Scan {
            input,
            json,
            udp_scans,
        } => {
            let mut run = app::open(&input, stop)?;
            run.settings.engine.scan.udp = udp_scans;
            let mut out = Output::new(Stdout::new(run.is_live()));
            let (outcome, _) = drive::<(), _, _>(
                run,
                input.common.threads,
                || scan::Printer::new(Vec::new(), json),
                &mut out,
            )?;
            app::finish(&mut out, outcome)
        }
        Command::Split {
            capture,
            shards,
            output,
            key,
        } => split(&capture, shards, &output, key),
        Command::Stats { input } => {
            let run = app::open(&input, stop)?;
            let start = WallClock::now();
            let mut sink = Output::new(io::sink());
            let (outcome, printers) = drive(
                run,
                input.common.threads,
                || StreamPrinter::counting(Vec::new()),
                &mut sink,
            )?;
            let secs = start.elapsed().as_secs_f64();
            let streams = printers.iter().map(|p| p.streams).sum();
            let mut out = Output::new(Stdout::new(false));
            app::print_stats(&mut out, &outcome.stats, streams, secs);
            app::finish(&mut out, outcome)
        }
    }
}

/// Runs the input through `threads` engines, with a handler from `make` for
/// each and one for the merge; what they write goes to `out` in one engine's
/// order. Returns the outcome and the handlers.
fn drive<U, H: Recorder<U>, W: Write>(
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
    let o = shard::run(frames, plan, make, out, halt, progress);
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

//! The merge: the shards' output of each round put in one engine's order, and
//! port-scan detection over every shard's probes.

use std::io::Write;
use std::sync::mpsc::Receiver;

use nids_core::engine::{scan_key, SCAN_PORTS};
use nids_core::scan::Detector;
use nids_core::{Config, Stats, Warning};

use super::worker::{Done, Key, Phase};
use super::Recorder;
use crate::capture::CaptureFile;
use crate::output::Output;

/// The scan detector's table size: the engine's default `SCAN_HOSTS`.
pub(super) const SCAN_HOSTS: usize = 256;

/// What the merge gives back: the central handler (which got the scan
/// reports) and the counters that belong to no shard (scans).
pub(crate) struct Merged<H> {
    pub central: H,
    pub stats: Stats,
}

/// Merges rounds from every shard (in shard order on `done`) into `out` until
/// every shard has finished; releases the pages of the files' rounds done.
pub(crate) fn run<U, H: Recorder<U>, W: Write>(
    config: &Config<'_>,
    mut central: H,
    done: Vec<Receiver<Done>>,
    out: &mut Output<W>,
    files: &[&CaptureFile],
) -> Merged<H> {
    let mut scan = Box::new(Detector::<SCAN_HOSTS, SCAN_PORTS>::with_config(
        scan_key(config.hash_key),
        config.scan,
    ));
    let mut stats = Stats::new();
    let mut released = (0, 0);
    loop {
        let mut round = Vec::with_capacity(done.len());
        for rx in &done {
            match rx.recv() {
                Ok(d) => round.push(d),
                // A shard ended: the run is over.
                Err(_) => return Merged { central, stats },
            }
        }
        let end = round.iter().map(|d| d.end).max().unwrap_or((0, 0));
        let finished = round.iter().any(|d| d.last);
        let reports = detect(&mut scan, &mut stats, &mut central, &round);
        write(out, &reports, &round);
        release(files, &mut released, end);
        if finished {
            return Merged { central, stats };
        }
    }
}

/// Gives back the pages of `files` read up to `end` (file, offset), from
/// `released` on: the files before `end`'s whole.
fn release(files: &[&CaptureFile], released: &mut (usize, usize), end: (usize, usize)) {
    while released.0 < end.0 {
        if let Some(f) = files.get(released.0) {
            f.release(released.1, f.len());
        }
        *released = (released.0 + 1, 0);
    }
    if end.1 > released.1 {
        if let Some(f) = files.get(released.0) {
            f.release(released.1, end.1);
        }
        released.1 = end.1;
    }
}

/// Feeds the round's probes to the detector in frame order; the central
/// handler's reports are returned as a round of their own.
pub(super) fn detect<U, H: Recorder<U>>(
    scan: &mut Detector<SCAN_HOSTS, SCAN_PORTS>,
    stats: &mut Stats,
    central: &mut H,
    round: &[Done],
) -> Done {
    let mut probes: Vec<_> = round.iter().flat_map(|d| d.probes.iter()).collect();
    probes.sort_by_key(|p| p.0);
    let mut pieces = Vec::new();
    let mut mark = 0;
    for &&(frame, ts, o) in &probes {
        let reused = scan.stats().reused;
        if let Some(r) = scan.observe(ts, &o) {
            stats.scans = stats.scans.saturating_add(1);
            central.scan(ts, &r);
            let len = central.tape().len();
            if len > mark {
                pieces.push(((frame, Phase::Frame, 0), mark..len));
                mark = len;
            }
        }
        if scan.stats().reused != reused {
            let w = &mut stats.warnings[Warning::ScanTableFull as usize];
            *w = w.saturating_add(1);
        }
    }
    Done {
        tape: std::mem::take(central.tape()),
        pieces,
        probes: Vec::new(),
        end: (0, 0),
        last: false,
    }
}

/// Writes every piece of the round in key order; among equal keys the scan
/// reports first, then the shards in order (only one shard writes while a
/// frame is processed, and a report comes before its frame's stream events).
pub(super) fn write<W: Write>(out: &mut Output<W>, reports: &Done, round: &[Done]) {
    let mut all: Vec<(Key, &[u8])> = std::iter::once(reports)
        .chain(round)
        .flat_map(|d| {
            d.pieces
                .iter()
                .map(|(k, r)| (*k, d.tape.get(r.clone()).unwrap_or(&[])))
        })
        .collect();
    // Stable: each shard's pieces are already in key order.
    all.sort_by_key(|p| p.0);
    for (_, bytes) in all {
        out.bytes(bytes);
    }
}

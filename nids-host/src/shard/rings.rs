//! Live capture on N engines without a reader thread: one `AF_PACKET` ring
//! per engine, in one kernel fanout group ([`crate::afpacket`]).
//!
//! Each shard thread reads its own ring and runs its own engine; after every
//! block it hands what its handler wrote, and its port-scan probes, to the
//! calling thread, which runs the one scan detector and writes. A live
//! capture has no order between rings: each stream's events are in order
//! (a stream lives in one ring), and the pieces of different shards are
//! written as their blocks come.

use std::sync::mpsc;

use nids_core::engine::scan_key;
use nids_core::engine::SCAN_PORTS;
use nids_core::link;
use nids_core::scan::Detector;
use nids_core::Stats;

use super::merge::{detect, write, SCAN_HOSTS};
use super::worker::{self, State};
use super::{thread_cpu, Cpu, Outcome, Plan, Recorder};
use crate::afpacket::Ring;
use crate::output::Output;

/// How long a read waits for a block before the engine's time moves to the
/// wall clock (idle timeouts on a quiet link) and a stop is looked at.
const POLL_MS: i32 = 100;

/// What a live sharded run gave, beyond [`Outcome`]: the kernel's counters
/// over all rings.
pub struct Kernel {
    /// Packets the kernel received for the rings.
    pub packets: u64,
    /// Of them, dropped because a ring was full.
    pub drops: u64,
}

/// Runs one engine per ring of `rings`, each on its own thread, until `stop`
/// says so; then every stream ends (`Exiting`). Handlers from `make` (one per
/// ring, then one for the scan reports). Returns the outcome and the kernel's
/// counters.
pub fn run_rings<U, H, W>(
    rings: Vec<Ring>,
    plan: &Plan<'_>,
    mut make: impl FnMut() -> H,
    out: &mut Output<W>,
    stop: &(dyn Fn() -> bool + Sync),
) -> (Outcome<H>, Kernel)
where
    H: Recorder<U>,
    W: std::io::Write,
{
    let n = rings.len();
    let build = worker::Build {
        config: plan.config,
        tcp_storage: plan.tcp_storage,
        defrag_storage: plan.defrag_storage,
    };
    let merge_start = thread_cpu();
    std::thread::scope(|sc| {
        let (tx, rx) = mpsc::sync_channel(4 * n.max(1));
        let mut shards = Vec::with_capacity(n);
        for mut ring in rings {
            let h = make();
            let (build, tx) = (&build, tx.clone());
            shards.push(sc.spawn(move || {
                let mut memory = vec![0u8; build.tcp_storage + build.defrag_storage];
                let mut st = State::new(build, h, &mut memory);
                st.link = ring.link_type();
                let link = ring.link_type();
                let mut index = 0u64;
                let mut frames = 0u64;
                let mut read = Ok(());
                while !stop() {
                    let got = ring.read_block(POLL_MS, |ts, data| {
                        let l3 = link::decode(link, data);
                        st.frame(index, (ts, link, data), l3);
                        index += 1;
                    });
                    match got {
                        Ok(0) => st.timeouts(index, crate::afpacket::now()),
                        Ok(k) => frames += k as u64,
                        Err(e) => {
                            read = Err(e);
                            break;
                        }
                    }
                    if tx.send(st.round((0, 0))).is_err() {
                        break;
                    }
                }
                let _ = tx.send(st.finish(crate::afpacket::now()));
                let kernel = ring.stats();
                let (h, stats) = st.into_parts();
                ((h, stats, frames, kernel, read), thread_cpu())
            }));
        }
        drop(tx);
        let mut scan = Box::new(Detector::<SCAN_HOSTS, SCAN_PORTS>::with_config(
            scan_key(plan.config.hash_key),
            plan.config.scan,
        ));
        let mut central = make();
        let mut stats = Stats::new();
        for d in rx {
            let one = [d];
            let reports = detect(&mut scan, &mut stats, &mut central, &one);
            write(out, &reports, &one);
        }
        let mut cpu = Cpu {
            merge: thread_cpu()
                .zip(merge_start)
                .map(|(now, start)| now.saturating_sub(start)),
            ..Cpu::default()
        };
        let mut handlers = Vec::with_capacity(n + 1);
        let mut counts = Vec::with_capacity(n);
        let mut kernel = Kernel {
            packets: 0,
            drops: 0,
        };
        let mut read = Ok(());
        for s in shards {
            if let Ok(((h, st, frames, (p, d), r), c)) = s.join() {
                stats.merge(&st);
                handlers.push(h);
                cpu.shards.push(c);
                counts.push(frames);
                kernel.packets += p;
                kernel.drops += d;
                if let Err(e) = r {
                    read = Err(e.into());
                }
            }
        }
        handlers.push(central);
        let o = Outcome {
            stats,
            handlers,
            read,
            frames: counts,
            unkeyed: 0,
            cpu,
        };
        (o, kernel)
    })
}

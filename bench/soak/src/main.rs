//! The TCP model soak (issue 22): simulated connections (two TCP endpoints, a
//! lossy reordering path, a tap; `nids-tcpsim`) checked against nids-core for
//! a set time on every core, from a fresh random seed each run.
//!
//! ```text
//! bench/soak.sh [--seconds 60] [--threads N] [--max-bytes 20000] [--seed S]
//! ```
//!
//! Prints the connections checked, the mismatches (each with its seed, so
//! `cargo run -p nids-tcpsim --example trace -- SEED MAX_BYTES` replays it),
//! frames, and the cost per segment of the engine and of the simulator. Exit
//! status 1 on any mismatch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nids_tcpsim::{check, Scenario};

struct Totals {
    conns: AtomicU64,
    frames: AtomicU64,
    sent: AtomicU64,
    bytes: AtomicU64,
    sim_ns: AtomicU64,
    engine_ns: AtomicU64,
    bad: Mutex<Vec<(u64, String)>>,
}

fn arg(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    let v = args.get(i + 1).and_then(|v| v.parse().ok());
    if v.is_none() {
        eprintln!("{name} takes a number");
        std::process::exit(2);
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs = arg(&args, "--seconds").unwrap_or(60);
    let threads = arg(&args, "--threads")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64));
    let max = arg(&args, "--max-bytes").unwrap_or(20_000);
    let base = arg(&args, "--seed").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        t.as_nanos() as u64 ^ u64::from(std::process::id()) << 32
    });
    println!("soak: {secs} s on {threads} threads, bytes capped at {max}, seeds from {base}");
    let totals = Arc::new(Totals {
        conns: AtomicU64::new(0),
        frames: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        sim_ns: AtomicU64::new(0),
        engine_ns: AtomicU64::new(0),
        bad: Mutex::new(Vec::new()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (totals, stop) = (totals.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let seed = base.wrapping_add(i.wrapping_mul(threads)).wrapping_add(t);
                    i += 1;
                    match check(&Scenario::from_seed(seed).capped(max)) {
                        Ok(c) => {
                            totals.frames.fetch_add(c.frames, Ordering::Relaxed);
                            totals.sent.fetch_add(c.sent, Ordering::Relaxed);
                            totals.bytes.fetch_add(c.delivered, Ordering::Relaxed);
                            totals.sim_ns.fetch_add(c.sim_ns, Ordering::Relaxed);
                            totals.engine_ns.fetch_add(c.engine_ns, Ordering::Relaxed);
                        }
                        Err(m) => totals.bad.lock().unwrap().push((seed, m.what)),
                    }
                    totals.conns.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let wall = start.elapsed().as_secs_f64();
    let n = totals.conns.load(Ordering::Relaxed);
    let frames = totals.frames.load(Ordering::Relaxed).max(1);
    let bad = totals.bad.lock().unwrap();
    println!("connections checked  {n}");
    println!("mismatches           {}", bad.len());
    println!("frames (segments)    {frames}");
    println!(
        "bytes delivered      {}",
        totals.bytes.load(Ordering::Relaxed)
    );
    println!("connections/s        {:.0}", n as f64 / wall);
    println!(
        "engine ns/segment    {:.0}",
        totals.engine_ns.load(Ordering::Relaxed) as f64 / frames as f64
    );
    println!(
        "simulator ns/segment {:.0}",
        totals.sim_ns.load(Ordering::Relaxed) as f64 / frames as f64
    );
    for (seed, what) in bad.iter().take(20) {
        println!("MISMATCH seed {seed} (--max-bytes {max}): {what}");
    }
    if !bad.is_empty() {
        std::process::exit(1);
    }
}

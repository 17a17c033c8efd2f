//! Out-of-order floods: one established stream, N one-byte segments each behind
//! its own hole, then the holes filled in reverse order (2N segments, every one
//! of them out of order when it arrives). Prints, for N = 1,000, 20,000 and
//! 100,000, the cost per segment of each phase, the storage at its peak, and the
//! bytes delivered; the cost per segment must stay flat as N grows.
//!
//! `cargo bench -p nids-core --features test-util --bench ooo_flood [-- N...]`
//!
//! Two storage sizes: enough for every hole to be filled within storage (all
//! 2N bytes delivered; the per-half `max_queue` lifted), and a fixed 4 MiB
//! with the defaults (storage full: segments dropped and counted as
//! `tcp.storage_full`/`tcp.queue_full`, the cost still flat).

use std::hint::black_box;
use std::time::Instant as Clock;

use nids_core::tcp::segment::flags::{ACK, SYN};
use nids_core::test_util::{tcp4, tcp4_opts};
use nids_core::{Config, Handler, Instant, LinkType, Nids, Stream, TcpEvent, Warning};

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];
const CI: u32 = 1000;
const SI: u32 = 5000;

/// Counts the bytes delivered.
#[derive(Default)]
struct Count(u64);
impl Handler for Count {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        if s.event() == TcpEvent::JustEstablished {
            s.client_mut().collect = true;
            s.server_mut().collect = true;
        }
        self.0 += s.new_data().len() as u64;
        black_box(s.new_data());
    }
}

/// The frames of the flood with `n` holes: handshake, then `n` one-byte
/// segments at odd offsets, then the holes (even offsets) in reverse order.
/// Frames, each a `Vec`.
type Frames = Vec<Vec<u8>>;

fn frames(n: u32) -> (Frames, Frames, Frames) {
    let ws = [1u8, 3, 3, 9]; // window scale 9: 32 MiB windows
    let hs = vec![
        tcp4_opts(C, 40000, S, 80, CI, 0, SYN, 0, &ws, b""),
        tcp4_opts(S, 80, C, 40000, SI, CI + 1, SYN | ACK, 0, &ws, b""),
        tcp4(C, 40000, S, 80, CI + 1, SI + 1, ACK, b""),
        tcp4(S, 80, C, 40000, SI + 1, CI + 1, ACK, b""),
    ];
    let seg = |off: u32, b: u8| tcp4(C, 40000, S, 80, CI + 1 + off, SI + 1, ACK, &[b]);
    let ahead = (0..n).map(|i| seg(2 * i + 1, b'b')).collect();
    let fill = (0..n).rev().map(|i| seg(2 * i, b'a')).collect();
    (hs, ahead, fill)
}

struct Run {
    ahead_ns: f64,
    fill_ns: f64,
    peak: u32,
    total: u32,
    delivered: u64,
    dropped: u64,
    left: u32,
}

fn run(n: u32, storage: usize, ample: bool) -> Run {
    let (hs, ahead, fill) = frames(n);
    let mut mem = vec![0u8; storage];
    // Fault the storage in before timing: a page is mapped once per run, not
    // once per segment (the engine itself touches storage only as it uses it).
    for page in mem.chunks_mut(4096) {
        page[0] = 1;
    }
    let mut config = Config::new();
    if ample {
        // the storage is the only bound (the 32 MiB per half holds N = 65,535)
        config.tcp.max_queue = usize::MAX;
    }
    let storage = nids_core::Storage::new(&mut mem[..], &mut [][..]);
    let mut nids = Nids::<(), 1040, 256>::boxed(LinkType::ETHERNET, config, storage).unwrap();
    let mut h = Count::default();
    let ts = Instant::from_secs_micros(1, 0);
    for f in &hs {
        nids.process(ts, f, &mut h);
    }
    let t0 = Clock::now();
    for f in &ahead {
        nids.process(ts, f, &mut h);
    }
    let t1 = Clock::now();
    // Every fill but the last adds a waiting segment: the queue is largest just
    // before the last one, which makes everything in order.
    let (last, rest) = fill.split_last().unwrap();
    for f in rest {
        nids.process(ts, f, &mut h);
    }
    let (peak, total) = nids.tcp_storage();
    nids.process(ts, last, &mut h);
    let t2 = Clock::now();
    let left = nids.tcp_storage().0;
    nids.finish(&mut h);
    let st = nids.stats();
    Run {
        ahead_ns: (t1 - t0).as_nanos() as f64 / f64::from(n),
        fill_ns: (t2 - t1).as_nanos() as f64 / f64::from(n),
        peak,
        total,
        delivered: h.0,
        dropped: st.warning(Warning::TcpStorageFull) + st.warning(Warning::TcpQueueFull),
        left,
    }
}

fn best(n: u32, storage: usize, ample: bool) -> Run {
    let reps = if n >= 100_000 { 2 } else { 3 };
    let mut best = run(n, storage, ample);
    for _ in 1..reps {
        let r = run(n, storage, ample);
        if r.ahead_ns + r.fill_ns < best.ahead_ns + best.fill_ns {
            best = r;
        }
    }
    best
}

fn main() {
    let ns: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let ns = if ns.is_empty() {
        vec![1_000, 20_000, 100_000]
    } else {
        ns
    };
    println!(
        "{:>8} {:>9} {:>12} {:>12} {:>14} {:>10} {:>10}",
        "N", "storage", "ahead ns/seg", "fill ns/seg", "blocks peak/all", "delivered", "dropped"
    );
    for &n in &ns {
        // room for 2N small blocks (a quarter of the storage is small blocks)
        let ample = (2 * n as usize * 256) * 4 + (1 << 20);
        for (label, storage) in [("ample", ample), ("4 MiB", 4 << 20)] {
            let r = best(n, storage, label == "ample");
            println!(
                "{:>8} {:>9} {:>12.0} {:>12.0} {:>14} {:>10} {:>10}",
                n,
                label,
                r.ahead_ns,
                r.fill_ns,
                format!("{}/{}", r.peak, r.total),
                r.delivered,
                r.dropped
            );
            assert!(r.peak <= r.total, "storage bounded");
            if label == "ample" {
                assert_eq!(r.delivered, 2 * u64::from(n), "every byte delivered");
                assert_eq!(r.left, 0, "nothing left waiting");
            }
        }
    }
}

//! The stream table is sized at run time and touched only as streams arrive:
//! an engine of any number of slots (`nids --streams N`, nids-py's
//! `n_tcp_streams`) reserves memory linear in N and keeps resident only what
//! the streams really open use.
//!
//! One test in its own process (this file), so the resident-set figures it
//! reads from `/proc/self/status` are this engine's alone. It prints the
//! figures per slot for three values of N.

use std::path::Path;

use nids_core::{Config, Handler, Plan, StreamSlot};
use nids_host::session::Session;

/// Counts streams that closed.
struct Closed(usize);

impl Handler<()> for Closed {
    fn tcp(&mut self, s: &mut nids_core::Stream<'_, '_, ()>) {
        match s.event() {
            nids_core::TcpEvent::JustEstablished => s.client_mut().collect = true,
            nids_core::TcpEvent::Close => self.0 += 1,
            _ => {}
        }
    }
}

/// `VmSize` and `VmRSS` of this process, in bytes.
fn vm() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<usize>().ok())
            .unwrap()
            * 1024
    };
    (field("VmSize:"), field("VmRSS:"))
}

#[test]
#[cfg(target_os = "linux")]
fn test_streams_reserved_linear_resident_as_used() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/crafted/many.pcap");
    let mut storage = vec![0u8; 1 << 20];
    let slot = std::mem::size_of::<StreamSlot<()>>() + 4;
    let (size0, rss0) = vm();
    for n in [65_536usize, 1_048_576, 4_194_304] {
        let mut c = Config::new();
        c.tcp.max_streams = Some(n);
        let mut s = Session::<()>::open(&cap, c, &mut storage[..]).unwrap();
        let mut h = Closed(0);
        s.run(&mut h).unwrap();
        assert_eq!(h.0, 2000, "every stream of many.pcap closes");
        assert_eq!(s.engine().map(|e| e.stream_slots()), Some(n));
        let (size, rss) = vm();
        let reserved = size.saturating_sub(size0);
        let resident = rss.saturating_sub(rss0);
        let plan = Plan {
            streams: n,
            tcp_bytes: 0,
            defrag_bytes: 0,
        };
        println!(
            "--streams {n:>9}: table {:>5} MiB reserved ({:.1} bytes/slot), \
             resident +{:.1} MiB ({:.2} bytes/slot) for the capture's 2000 streams",
            plan.table_bytes::<()>() >> 20,
            reserved as f64 / n as f64,
            resident as f64 / (1 << 20) as f64,
            resident as f64 / n as f64,
        );
        assert!(
            reserved >= n * (slot - 4),
            "the table is reserved for all {n} slots"
        );
        // Resident: the 2000 streams' entries, the bucket pages their lookups
        // touched (at most one 4 KiB page per stream) and the capture's pages;
        // never the whole table (4,194,304 slots would be over 1 GiB).
        let bound = 2000 * (slot + 4096) + (24 << 20);
        assert!(
            resident < bound,
            "resident +{resident} bytes for {n} slots (bound {bound})"
        );
    }
}

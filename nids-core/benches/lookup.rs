//! Stream lookup with many open streams: every packet goes to a different
//! stream (round robin over all of them), so the cost is the table lookup (hash,
//! bucket walk, cache misses on the slots) plus the least TCP work: each packet is
//! the client's pure ACK at exactly the expected sequence number, accepted by the
//! window check and changing nothing, so the same frames can be replayed.
//!
//! `cargo bench -p nids-core --features test-util --bench lookup`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nids_core::tcp::segment::flags::{ACK, SYN};
use nids_core::test_util::tcp4;
use nids_core::{Config, Handler, Instant, LinkType, Nids, Stream, TcpEvent};

/// Collects both halves of every stream.
struct Collect;
impl Handler for Collect {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        if s.event() == TcpEvent::JustEstablished {
            s.client_mut().collect = true;
            s.server_mut().collect = true;
        }
        black_box(s.new_data());
    }
}

const S: [u8; 4] = [10, 0, 0, 2];

/// Client `i`'s address and port: distinct addresses, a few ports each.
fn client(i: u32) -> ([u8; 4], u16) {
    (
        [10, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8],
        1024 + (i % 7) as u16,
    )
}

/// Open `n` streams in `e`; returns one replayable pure ACK per stream.
fn open<const N: usize>(e: &mut Nids<'_, (), N, 16>, n: u32) -> Vec<Vec<u8>> {
    let mut acks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (c, cp) = client(i);
        e.process(
            Instant::ZERO,
            &tcp4(c, cp, S, 80, 100, 0, SYN, b""),
            &mut Collect,
        );
        e.process(
            Instant::ZERO,
            &tcp4(S, 80, c, cp, 500, 101, SYN | ACK, b""),
            &mut Collect,
        );
        let ack = tcp4(c, cp, S, 80, 101, 501, ACK, b"");
        e.process(Instant::ZERO, &ack, &mut Collect);
        acks.push(ack);
    }
    assert_eq!(e.streams(), n as usize, "all streams open");
    acks
}

fn bench<const N: usize>(c: &mut Criterion, n: u32) {
    let mut g = c.benchmark_group("lookup");
    let mut mem = vec![0u8; 1 << 20];
    let mut cfg = Config::new();
    cfg.tcp.max_streams = Some(n as usize);
    let mut e = Nids::<(), N, 16>::boxed(LinkType::ETHERNET, cfg, &mut mem[..]).unwrap();
    let acks = open(&mut e, n);
    // Visit the streams in a scrambled order, as a sensor sees them.
    let mut order: Vec<usize> = (0..n as usize).collect();
    let mut x = 0x9e37_79b9u32;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        order.swap(i, x as usize % (i + 1));
    }
    let before = e.stats().tcp_out_of_window;
    g.throughput(Throughput::Elements(u64::from(n)));
    g.bench_function(format!("pure_ack_{n}_streams_of_{N}_slots"), |b| {
        b.iter(|| {
            for &i in &order {
                e.process(Instant::ZERO, &acks[i], &mut Collect);
            }
        })
    });
    assert_eq!(e.streams(), n as usize, "no stream ended");
    assert_eq!(e.stats().tcp_out_of_window, before, "every ACK accepted");
    g.finish();
}

fn lookup(c: &mut Criterion) {
    bench::<1040>(c, 781); // libnids' default table: 781 streams at once
    bench::<16384>(c, 12_000);
}

criterion_group!(benches, lookup);
criterion_main!(benches);

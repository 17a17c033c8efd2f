//! Micro-benchmarks of the engine's small fixed tables: the port-scan
//! detector's per-source probe sets (a `heapless::Vec` each) and the automatic
//! checksum policy's table of offloading senders (an array of options: a
//! `heapless::Vec` there measured 2-3 times slower on a full table's lookup).
//!
//! `cargo bench -p nids-core --bench tables`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nids_core::ip::checksum::{Offload, OFFLOAD_SOURCES};
use nids_core::scan::Detector;
use nids_core::Instant;

fn v4(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, a, b))
}

/// 64 sources each sweeping 40 ports (a report every 11 new targets), then
/// the same SYNs again (refreshes within the window): libnids' sizes.
fn scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("scan");
    let probes: Vec<(IpAddr, u16)> = (0..2u16)
        .flat_map(|_| (0..40u16).flat_map(|p| (0..64u8).map(move |s| (v4(1, s), 1000 + p))))
        .collect();
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("syn_sweep_64_sources", |b| {
        let dst = v4(2, 1);
        b.iter(|| {
            let mut d = Box::new(Detector::<256, 11>::new([7; 16]));
            let mut reports = 0;
            for (i, (src, port)) in probes.iter().enumerate() {
                let now = Instant::from_micros(i as u64);
                reports += usize::from(d.tcp(now, *src, dst, *port, 0x02).is_some());
            }
            black_box(reports)
        })
    });
    g.finish();
}

/// The usual case: two offloading senders known, lookups for every packet
/// (most from other senders); then a full table of offloading senders: lookups
/// of confirmed senders, of unknown ones, and suspects that replace the oldest
/// entry.
fn offload(c: &mut Criterion) {
    let mut g = c.benchmark_group("offload");
    let mut two = Offload::new();
    for i in 0..2 {
        two.suspect(Instant::ZERO, v4(3, i), v4(4, 1));
        two.answered(Instant::ZERO, v4(4, 1), v4(3, i));
    }
    let lookups: Vec<IpAddr> = (0..64u8).map(|i| v4(3, i % 32)).collect();
    g.throughput(Throughput::Elements(lookups.len() as u64));
    g.bench_function("confirmed_two_senders", |b| {
        b.iter(|| lookups.iter().filter(|a| two.confirmed(**a)).count())
    });
    let mut table = Offload::new();
    for i in 0..OFFLOAD_SOURCES as u8 {
        let now = Instant::from_micros(u64::from(i));
        table.suspect(now, v4(3, i), v4(4, 1));
        table.answered(now, v4(4, 1), v4(3, i));
    }
    g.bench_function("confirmed_full_table", |b| {
        b.iter(|| lookups.iter().filter(|a| table.confirmed(**a)).count())
    });
    g.bench_function("suspect_full_table", |b| {
        b.iter(|| {
            let mut t = table.clone();
            for (i, a) in lookups.iter().enumerate() {
                let now = Instant::from_micros(100 + i as u64);
                black_box(t.suspect(now, v4(5, i as u8), *a));
            }
            t
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = scan, offload
}
criterion_main!(benches);

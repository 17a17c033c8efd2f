//! Issue 13: a real transfer whose data reaches the receiver far ahead of its
//! next expected byte (`tests/data/real/reorder-ahead.pcap`, made by
//! `make-reorder.sh`: two Linux stacks, a user-space bridge holding back every
//! 40th data segment for 25 ms; the receiver answers with SACKs and duplicate
//! ACKs, the sender retransmits). `nids streams` must deliver exactly what an
//! unbounded reassembler does, with and without `--skip-gaps`.

use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_host::streams::StreamPrinter;
use nids_tests::data;
use nids_tests::ideal::{hex, reference};
use serde_json::Value;

fn nids_streams(config: nids_core::Config<'static>) -> Vec<Value> {
    let file = CaptureFile::open(&data("real/reorder-ahead.pcap")).unwrap();
    let mut p = StreamPrinter::new(Vec::new(), true, false);
    run_file(&file, config, &mut p).unwrap();
    String::from_utf8(p.out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reorder_ahead_equals_unbounded_reassembler() {
    let dirs = reference(&data("real/reorder-ahead.pcap"));
    // the transfer: 100 bytes up, 300,000 down
    let (key, down) = dirs
        .iter()
        .max_by_key(|(_, d)| d.bytes.len())
        .expect("a stream");
    assert_eq!(down.bytes.len(), 300_000);
    assert!(
        down.max_ahead >= 200_000,
        "data must reach at least 200 KB past the next expected byte: {}",
        down.max_ahead
    );
    let up = &dirs[&(key.2, key.3, key.0, key.1)];
    // both stacks reacted: the receiver sent SACKs and duplicate ACKs, the
    // sender retransmitted
    assert!(
        up.sacks > 0 && up.dup_acks > 0,
        "sacks {} dup acks {}",
        up.sacks,
        up.dup_acks
    );
    assert!(down.repeats > 0, "no retransmission");
    for skip_gaps in [false, true] {
        let mut config = nids_core::Config::new();
        config.tcp.skip_gaps = skip_gaps;
        let streams = nids_streams(config);
        assert_eq!(streams.len(), 1, "{streams:?}");
        let s = &streams[0];
        let (s2c, c2s) = if skip_gaps {
            (down.all(), up.all())
        } else {
            (down.in_order(), up.in_order())
        };
        assert_eq!(s["s2c_bytes"], s2c.len(), "skip_gaps {skip_gaps}");
        assert_eq!(s["s2c_sha256"], hex(&s2c), "skip_gaps {skip_gaps}");
        assert_eq!(s["c2s_bytes"], c2s.len());
        assert_eq!(s["c2s_sha256"], hex(&c2s));
    }
}

/// The capture does exercise the limit: with libnids' 64 KiB per half, bytes
/// are lost.
#[test]
fn reorder_ahead_needs_more_than_64k() {
    let mut config = nids_core::Config::new();
    config.tcp.max_queue = 64 << 10;
    let streams = nids_streams(config);
    assert!(streams[0]["s2c_bytes"].as_u64().unwrap() < 300_000);
}

//! Every TCP stream of the crafted captures, compared with what libnids 1.26
//! reports (`tests/libnids/streams.c`, kept as `<capture>.libnids.jsonl`).
//!
//! Where nids-rs deliberately differs from libnids (its defects, listed in
//! shared/reference/libnids-behaviour.md §9 and in the crate docs), the stream
//! is named below with the reason and the values nids-rs must give instead.

use std::collections::BTreeMap;

use nids_tests::{data, streams_json};
use serde_json::Value;

/// (capture, client port, reason, expected end, c2s bytes, s2c bytes) where
/// nids-rs is meant to differ from libnids.
const DIFFERENCES: &[(&str, u64, &str, &str, u64, u64)] = &[
    // libnids closes on the ACK that does not cover the FIN; we close on the next.
    (
        "close-variants",
        49003,
        "a FIN counts as acknowledged only when the ACK covers it",
        "close",
        4,
        4,
    ),
    (
        "early-data",
        47001,
        "server data before the 3rd ACK is kept, not dropped",
        "close",
        9,
        35,
    ),
    (
        "early-data",
        47002,
        "server data before the 3rd ACK is kept, not dropped",
        "close",
        9,
        35,
    ),
    (
        "early-data",
        47003,
        "early server data does not destroy the pending stream",
        "close",
        9,
        35,
    ),
    (
        "early-data",
        47005,
        "server data before the 3rd ACK is kept, not dropped",
        "close",
        16,
        20,
    ),
    (
        "portreuse",
        44004,
        "a stream replaced after tcp_flow_timeout is ended to the handler",
        "timeout",
        9,
        9,
    ),
];

fn key(v: &Value) -> (String, u64, String, u64, String) {
    (
        v["src"].as_str().unwrap().to_owned(),
        v["sport"].as_u64().unwrap(),
        v["dst"].as_str().unwrap().to_owned(),
        v["dport"].as_u64().unwrap(),
        v["first_ts"].to_string(),
    )
}

fn by_key(lines: &[String]) -> BTreeMap<(String, u64, String, u64, String), Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (key(&v), v))
        .collect()
}

fn check(name: &str, libnids_file: &str) {
    let ours = by_key(&streams_json(&data(&format!("crafted/{name}.pcap")), false));
    let text = std::fs::read_to_string(data(&format!("crafted/{libnids_file}"))).unwrap();
    let theirs = by_key(&text.lines().map(str::to_owned).collect::<Vec<_>>());
    let mut keys: Vec<_> = ours.keys().chain(theirs.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (a, b) = (ours.get(&k), theirs.get(&k));
        if a == b {
            continue;
        }
        let diff = DIFFERENCES.iter().find(|d| d.0 == name && d.1 == k.1);
        let Some((_, _, why, end, c2s, s2c)) = diff else {
            panic!("{name}: stream {k:?} differs from libnids:\n ours:    {a:?}\n libnids: {b:?}");
        };
        let a = a.unwrap_or_else(|| panic!("{name}: {k:?} missing ({why})"));
        assert_eq!(a["end"], *end, "{name} {k:?}: {why}");
        assert_eq!(a["c2s_bytes"], *c2s, "{name} {k:?}: {why}");
        assert_eq!(a["s2c_bytes"], *s2c, "{name} {k:?}: {why}");
    }
}

#[test]
fn reorder() {
    check("reorder", "reorder.pcap.libnids.jsonl");
}

#[test]
fn duplicates() {
    check("duplicates", "duplicates.pcap.libnids.jsonl");
}

#[test]
fn seqwrap() {
    check("seqwrap", "seqwrap.pcap.libnids.jsonl");
}

#[test]
fn portreuse() {
    check("portreuse", "portreuse.pcap.libnids.jsonl");
}

#[test]
fn many_2000_streams_default_table() {
    check("many", "many.pcap.libnids.jsonl");
}

#[test]
fn urgent() {
    check("urgent", "urgent.pcap.libnids.jsonl");
}

#[test]
fn early_data() {
    check("early-data", "early-data.pcap.libnids.jsonl");
}

#[test]
fn resets() {
    check("resets", "resets.pcap.libnids.jsonl");
}

#[test]
fn close_variants() {
    check("close-variants", "close-variants.pcap.libnids.jsonl");
}

#[test]
fn overlap_novak_sturges() {
    check("overlap", "overlap.pcap.libnids.jsonl");
}

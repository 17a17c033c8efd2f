//! `nids stats --json`: one JSON object whose counters are those `nids stats`
//! prints as text, with every warning code, and the first and last packets'
//! times under the `ts`/`last_ts` every nids JSON record uses.

use std::path::{Path, PathBuf};
use std::process::Command;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

fn nids(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn test_stats_json_matches_the_text() {
    let file = capture("real/frag.pcap");
    let file = file.to_str().unwrap();
    let json = nids(&["stats", "--json", file]);
    assert_eq!(json.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "stats");
    let text = nids(&["stats", file]);
    let field = |name: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {text}"));
        line[name.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    for (text_name, key) in [
        ("frames", "frames"),
        ("bytes", "bytes"),
        ("fragments", "fragments"),
        ("udp datagrams", "udp"),
        ("tcp segments", "tcp_segments"),
        ("tcp bytes", "tcp_bytes"),
    ] {
        assert_eq!(v[key].as_u64(), Some(field(text_name)), "{key}");
    }
    assert!(v["fragments"].as_u64().unwrap() > 0);
    assert_eq!(v["streams"].as_u64(), v["tcp_streams"].as_u64());
    // Every warning code, zeros included, so the keys are the same every run.
    let w = v["warnings"].as_object().unwrap();
    assert_eq!(w.len(), nids_core::Warning::COUNT);
    assert!(w.contains_key("tcp.storage_full"));
    let (ts, last) = (v["ts"].as_f64().unwrap(), v["last_ts"].as_f64().unwrap());
    assert!(ts > 1.0e9 && last >= ts);
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn test_stats_json_without_packets() {
    // A capture with no IP packet at all: null times.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pcap");
    let mut header = Vec::new();
    for (v, n) in [
        (0xa1b2_c3d4u32, 4),
        (0x0004_0002, 4),
        (0, 4),
        (0, 4),
        (65535, 4),
        (1, 4),
    ] {
        header.extend_from_slice(&u32::to_le_bytes(v)[..n]);
    }
    std::fs::write(&empty, &header).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&nids(&["stats", "--json", empty.to_str().unwrap()])).unwrap();
    assert_eq!(v["frames"], 0);
    assert!(v["ts"].is_null() && v["last_ts"].is_null());
}

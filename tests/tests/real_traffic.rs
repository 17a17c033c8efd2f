//! The engine over captures of real traffic between two network namespaces
//! (tests/data/real, made by make-captures.sh; oracles made by tshark with
//! make-expected.py).

use nids_core::ip::{Packet, Version};
use nids_core::scan::{Kind, Report};
use nids_core::{Config, Handler, Instant};
use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_tests::{data, streams_json};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn lines(rel: &str) -> Vec<Value> {
    std::fs::read_to_string(data(rel))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Issue 2: every unfragmented UDP datagram the engine reports equals what
/// tshark reports, in order (IPv4 and IPv6, 0 to 1472 bytes, both directions).
#[test]
fn udp_datagrams_equal_tshark() {
    let ours: Vec<Value> = streams_json(&data("real/udp.pcap"), true)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "udp")
        .collect();
    let want = lines("real/udp.expected.jsonl");
    assert_eq!(ours.len(), want.len());
    assert_eq!(want.len(), 92);
    for (o, w) in ours.iter().zip(&want) {
        for k in ["src", "sport", "dst", "dport", "bytes", "sha256"] {
            assert_eq!(o[k], w[k], "{k} of {w}");
        }
    }
}

/// Records every whole datagram given to `Handler::ip`.
#[derive(Default)]
struct Datagrams(Vec<Value>);

impl Handler for Datagrams {
    fn ip(&mut self, _ts: Instant, p: &Packet<'_>) {
        let id = match p.version {
            Version::V4 => Value::from(u16::from_be_bytes([p.bytes[4], p.bytes[5]])),
            Version::V6 => Value::Null,
        };
        self.0.push(serde_json::json!({
            "src": p.src.to_string(), "dst": p.dst.to_string(), "proto": p.protocol, "id": id,
            "bytes": p.payload().len(), "sha256": hex(p.payload()),
        }));
    }
}

/// Issue 4: every datagram tshark reassembles (UDP up to 65,535 bytes over IPv4
/// and IPv6, TCP segments in IPv4 fragments re-fragmented by a router) is
/// reassembled to the same bytes, and nothing else is.
#[test]
fn reassembled_datagrams_equal_tshark() {
    let file = CaptureFile::open(&data("real/frag.pcap")).unwrap();
    let mut h = Datagrams::default();
    let stats = run_file(&file, Config::new(), &mut h).unwrap();
    let want = lines("real/frag.expected.jsonl");
    assert_eq!(want.len(), 22);
    for w in &want {
        let found = h.0.iter().any(|o| {
            o["src"] == w["src"]
                && o["dst"] == w["dst"]
                && o["proto"] == w["proto"]
                && o["bytes"] == w["bytes"]
                && o["sha256"] == w["sha256"]
                && (o["id"].is_null() || o["id"] == w["id"])
        });
        assert!(
            found,
            "datagram {w} not reassembled; {:?}",
            stats.nonzero_warnings().collect::<Vec<_>>()
        );
    }
    assert_eq!(stats.reassembled, 22);
    assert_eq!(
        stats.total_warnings(),
        0,
        "{:?}",
        stats.nonzero_warnings().collect::<Vec<_>>()
    );
}

/// Collects scan reports: (source, kind, number of targets).
#[derive(Default)]
struct Scans(Vec<(String, Kind, usize)>);

impl Handler for Scans {
    fn scan(&mut self, _ts: Instant, r: &Report<'_>) {
        self.0.push((r.src.to_string(), r.kind, r.probes.len()));
    }
}

fn scans(name: &str) -> Vec<(String, Kind, usize)> {
    let file = CaptureFile::open(&data(&format!("real/{name}"))).unwrap();
    let mut h = Scans::default();
    run_file(&file, Config::new(), &mut h).unwrap();
    h.0
}

/// Issue 5: real nmap scans (SYN of 200 ports, FIN, NULL and XMAS of 30) are
/// reported, by the scanner's address, with their kind.
#[test]
fn nmap_scans_reported_with_kind() {
    for (file, kind) in [
        ("nmap-syn.pcap", Kind::Syn),
        ("nmap-fin.pcap", Kind::Fin),
        ("nmap-null.pcap", Kind::Null),
        ("nmap-xmas.pcap", Kind::Xmas),
    ] {
        let got = scans(file);
        assert!(!got.is_empty(), "{file}: no report");
        for (src, k, n) in &got {
            assert_eq!(src, "10.77.1.2", "{file}");
            assert_eq!(*k, kind, "{file}");
            assert_eq!(*n, 11, "{file}: a report lists the num_ports + 1 targets");
        }
    }
    // 200 distinct ports: one report per 11 new targets within the window.
    assert_eq!(scans("nmap-syn.pcap").len(), 200 / 11);
}

/// The ordinary HTTP client of http.pcap (10 connections) is not a scanner.
#[test]
fn http_client_not_reported_as_scan() {
    assert!(scans("http.pcap").is_empty());
}

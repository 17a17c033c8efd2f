//! Captures from outside that showed a defect (`tests/data/regressions/`, each
//! described in its README): every stream equals the unbounded reassembler.

use nids_tests::ideal::{hex, reference};
use nids_tests::{data, streams_json_with};
use serde_json::Value;

/// Every TCP stream of `capture` equals the unbounded reassembler, bytes and
/// SHA-256 per direction, with and without `skip_gaps`.
fn equals_unbounded(capture: &str) -> Vec<Value> {
    let path = data(capture);
    let dirs = reference(&path);
    let mut last = Vec::new();
    for skip_gaps in [false, true] {
        let mut config = nids_core::Config::new();
        config.tcp.skip_gaps = skip_gaps;
        let (lines, _) = streams_json_with(&path, false, config);
        let streams: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!streams.is_empty(), "{capture}: no stream");
        for s in &streams {
            let key = |a: &str, p: &str| -> ([u8; 4], u16) {
                let ip: std::net::Ipv4Addr = s[a].as_str().unwrap().parse().unwrap();
                (ip.octets(), s[p].as_u64().unwrap() as u16)
            };
            let (c, cp) = key("src", "sport");
            let (sv, sp) = key("dst", "dport");
            for (dir, k) in [("c2s", (c, cp, sv, sp)), ("s2c", (sv, sp, c, cp))] {
                let want = dirs[&k].in_order();
                assert_eq!(
                    s[format!("{dir}_bytes")],
                    want.len(),
                    "{capture} {dir} skip_gaps {skip_gaps}"
                );
                assert_eq!(s[format!("{dir}_sha256")], hex(&want), "{capture} {dir}");
            }
        }
        last = streams;
    }
    last
}

#[test]
fn reorder_refill_gives_every_byte() {
    let streams = equals_unbounded("regressions/reorder-refill.pcap");
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["s2c_bytes"], 597_685);
    assert_eq!(streams[0]["c2s_bytes"], 84);
}

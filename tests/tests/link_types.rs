//! Issue 18: every supported link type, over a capture of its own
//! (tests/data/links, made by make.py and make-netns.sh). The TCP streams and UDP
//! datagrams nids reports equal tshark's view of the same capture, and for the
//! link types libnids 1.26 reads, its TCP streams equal libnids' (expected files
//! made by make-expected.sh).

use std::collections::BTreeSet;

use nids_core::LinkType;
use nids_tests::{data, file_lines, projected, streams_json, TSHARK_KEYS};
use serde_json::Value;

fn captures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data("links"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    v.sort();
    v
}

fn link_type(name: &str) -> u32 {
    let b = std::fs::read(data(&format!("links/{name}"))).unwrap();
    u32::from_le_bytes(b[20..24].try_into().unwrap())
}

#[test]
fn every_supported_link_type_has_a_capture() {
    let covered: BTreeSet<u32> = captures().iter().map(|c| link_type(c)).collect();
    for n in 0..1024 {
        let l = LinkType(n);
        // 12 and 14 are platform values of LINKTYPE_RAW (101): same decoder.
        if l.is_supported() && n != 12 && n != 14 {
            assert!(covered.contains(&n), "no capture of link type {l}");
        }
    }
}

#[test]
fn streams_and_datagrams_equal_tshark() {
    let mut checked = 0;
    for c in captures() {
        let tshark = data(&format!("links/{c}.tshark.jsonl"));
        if c == "slip-bare.pcap" {
            // tshark 4.0 reads no LINKTYPE_SLIP; the bare form is libnids' reading
            continue;
        }
        let want = projected(&file_lines(&tshark), TSHARK_KEYS);
        let ours = projected(
            &streams_json(&data(&format!("links/{c}")), true),
            TSHARK_KEYS,
        );
        assert_eq!(ours, want, "{c}: nids and tshark differ");
        assert!(want.len() >= 2, "{c}: too little traffic");
        checked += 1;
    }
    assert!(checked >= 20, "{checked} captures");
}

/// Captures of link types libnids reads whose streams it misses, and why.
const LIBNIDS_MISSES: &[(&str, &str)] = &[
    (
        "slip.pcap",
        "libnids reads SLIP at offset 0, not behind libpcap's 16-byte BSD/OS header",
    ),
    (
        "eth-mpls.pcap",
        "libnids reads only EtherType 0x0800 (and one 802.1Q tag) on Ethernet",
    ),
    (
        "eth-pbb.pcap",
        "libnids reads only EtherType 0x0800 on Ethernet",
    ),
    (
        "eth-pppoe.pcap",
        "libnids reads only EtherType 0x0800 on Ethernet",
    ),
];

#[test]
fn tcp_streams_equal_libnids_where_libnids_reads_the_link_type() {
    let keys = &[
        "src",
        "sport",
        "dst",
        "dport",
        "end",
        "c2s_bytes",
        "c2s_sha256",
        "s2c_bytes",
        "s2c_sha256",
    ];
    let mut checked = 0;
    for c in captures() {
        let lt = LinkType(link_type(&c));
        let file = data(&format!("links/{c}.libnids.jsonl"));
        assert_eq!(
            file.exists(),
            lt.libnids_reads(),
            "{c}: libnids reads {lt}?"
        );
        if !file.exists() {
            continue;
        }
        let theirs = projected(&file_lines(&file), keys);
        let v4: Vec<String> = streams_json(&data(&format!("links/{c}")), false)
            .into_iter()
            .filter(|l| {
                serde_json::from_str::<Value>(l).unwrap()["src"]
                    .as_str()
                    .is_some_and(|s| !s.contains(':'))
            }) // libnids has no IPv6
            .collect();
        let ours = projected(&v4, keys);
        if let Some((_, why)) = LIBNIDS_MISSES.iter().find(|(n, _)| *n == c) {
            assert!(theirs.is_empty(), "{c}: {why}");
            assert_eq!(ours.len(), 1, "{c}: {why}");
            continue;
        }
        assert_eq!(ours, theirs, "{c}: nids and libnids differ");
        assert!(!theirs.is_empty(), "{c}");
        checked += 1;
    }
    assert!(checked >= 11, "{checked} captures");
}

//! Issue 24: checksums as captures on offloading hosts, loopbacks and virtual
//! NICs show them (tests/data/offload, made by make.py). Under `Policy::Auto`
//! each capture gives the stream the unbounded reassembler over tshark
//! (`shared/tools/ideal.py`, kept as `*.ideal.jsonl`) gives, and counts what it
//! accepted unverified; under `Policy::Verify` the unfilled checksums are
//! refused, warned and counted, as libnids does.

use nids_core::ip::checksum::Policy;
use nids_core::{Config, Stats, Warning};
use nids_tests::{data, file_lines, projected, streams_json_with, TSHARK_KEYS};

fn run(name: &str, checksums: Policy<'static>) -> (Vec<String>, Stats) {
    let mut c = Config::new();
    c.checksums = checksums;
    streams_json_with(&data(&format!("offload/{name}.pcap")), false, c)
}

/// TSHARK_KEYS and how the stream ended.
fn keys() -> Vec<&'static str> {
    let mut k = TSHARK_KEYS.to_vec();
    k.push("end");
    k
}

fn ideal(name: &str) -> std::collections::BTreeSet<String> {
    projected(
        &file_lines(&data(&format!("offload/{name}.pcap.ideal.jsonl"))),
        &keys(),
    )
}

#[test]
fn auto_equals_the_ideal_reassembler() {
    for name in [
        "ip-zero",
        "tso",
        "vxlan-lco",
        "vxlan6-zero",
        "geneve-rewritten",
    ] {
        let (ours, stats) = run(name, Policy::Auto);
        let want = ideal(name);
        assert_eq!(want.len(), 1, "{name}");
        assert_eq!(projected(&ours, &keys()), want, "{name}");
        if name != "vxlan6-zero" {
            assert!(stats.checksum_offload_accepted > 0, "{name}: counted");
        }
    }
}

/// macOS loopback: zero IPv4 header checksums are accepted under `auto`; a
/// header checksum that is wrong but not zero is still refused and warned.
#[test]
fn zero_ipv4_header_checksums() {
    let (_, auto) = run("ip-zero", Policy::Auto);
    assert_eq!(
        auto.warning(Warning::Ipv4BadChecksum),
        1,
        "the plainly bad one"
    );
    assert_eq!(auto.tcp_segments, 10);
    // 10 headers and 10 TCP checksums, every one unfilled
    assert_eq!(auto.checksum_offload_accepted, 20);
    let (ours, verify) = run("ip-zero", Policy::Verify);
    assert!(ours.is_empty(), "{ours:?}");
    assert_eq!(verify.warning(Warning::Ipv4BadChecksum), 11);
    assert_eq!(verify.checksum_offload_accepted, 0);
}

/// A TSO super-segment (IPv4 total length and header checksum 0): read to
/// the end of the frame under `auto`, refused under `verify`.
#[test]
fn tso_super_segment() {
    let (ours, verify) = run("tso", Policy::Verify);
    assert_eq!(verify.warning(Warning::Ipv4BadChecksum), 1);
    assert!(
        ours.iter().all(|l| !l.contains("\"end\":\"close\"")),
        "{ours:?}"
    );
    let (ours, auto) = run("tso", Policy::Auto);
    assert_eq!(auto.total_warnings(), 0);
    assert!(ours[0].contains("\"s2c_bytes\":3105"), "{ours:?}");
}

/// A tunnel's outer UDP checksum: computed on the encapsulating host as if the
/// inner checksum were filled (local checksum offload), or left stale by a
/// rewrite of the outer header: decoded under `auto` only, where the inner
/// packet's own checksum vouches for it; zero over IPv6 (RFC 6935): decoded
/// under every policy.
#[test]
fn tunnel_outer_checksums() {
    let (ours, verify) = run("vxlan-lco", Policy::Verify);
    assert!(
        ours.iter().all(|l| !l.contains("\"end\":\"close\"")),
        "{ours:?}"
    );
    assert!(verify.warning(Warning::UdpBadChecksum) > 0, "warned");
    let (_, auto) = run("vxlan-lco", Policy::Auto);
    assert_eq!(auto.total_warnings(), 0);
    assert_eq!(auto.decapsulated, 10);
    // outer addresses rewritten after the fact, the inner packets intact:
    // their own checksums vouch for them under `auto`
    let (ours, verify) = run("geneve-rewritten", Policy::Verify);
    assert!(ours.is_empty(), "{ours:?}");
    assert_eq!(verify.warning(Warning::UdpBadChecksum), 10);
    let (_, auto) = run("geneve-rewritten", Policy::Auto);
    assert_eq!((auto.decapsulated, auto.total_warnings()), (10, 0));
    assert_eq!(auto.checksum_offload_accepted, 10);
    for p in [Policy::Verify, Policy::Auto] {
        let (ours, st) = run("vxlan6-zero", p);
        assert_eq!(projected(&ours, &keys()), ideal("vxlan6-zero"), "{p:?}");
        assert_eq!((st.decapsulated, st.total_warnings()), (10, 0), "{p:?}");
    }
}

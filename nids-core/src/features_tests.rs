//! The cargo features of `nids-core`, off and on: a packet that needs a part
//! of the engine left out of the build is dropped, counted and warned
//! ([`Warning::FeatureDisabled`]), never parsed as something else; with the
//! feature on, the same packet goes through.
//!
//! Each `*_off` test runs only in a build without its feature, each `*_on`
//! test only in one with it: `cargo test -p nids-core --no-default-features
//! --features F --lib feature` (the CI runs them with every feature off, with
//! only the `link-*` ones off, and in the default build).

use std::vec::Vec;

use crate::test_util::{fragments_v4, ipv4_eth, tcp4, udp4};
use crate::{scan, udp, Config, Handler, Instant, LinkType, Nids, Warning};

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

#[derive(Default)]
struct Seen {
    udp: Vec<Vec<u8>>,
    ip: usize,
    probes: usize,
    scans: usize,
    warnings: Vec<Warning>,
}

impl Handler for Seen {
    fn udp(&mut self, d: &udp::Datagram<'_>) {
        self.udp.push(d.payload.to_vec());
    }
    fn ip(&mut self, _: Instant, _: &crate::ip::Packet<'_>) {
        self.ip += 1;
    }
    fn scan_probe(&mut self, _: Instant, _: &scan::Observation) {
        self.probes += 1;
    }
    fn scan(&mut self, _: Instant, _: &scan::Report<'_>) {
        self.scans += 1;
    }
    fn warning(&mut self, _: Instant, w: Warning, _: &[u8]) {
        self.warnings.push(w);
    }
}

/// Feed `frames` to a fresh Ethernet engine; its stats and what the handler saw.
fn run(frames: &[Vec<u8>]) -> (crate::Stats, Seen) {
    let mut mem = std::vec![0u8; 1 << 20];
    let mut n = Nids::<(), 16, 8>::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut h = Seen::default();
    for (i, f) in frames.iter().enumerate() {
        n.process(Instant::from_micros(1 + i as u64), f, &mut h);
    }
    (n.stats().clone(), h)
}

/// An Ethernet frame with an IPv6 TCP SYN from `2001:db8::1` to `2001:db8::2`.
fn tcp6_syn() -> Vec<u8> {
    let mut f = std::vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
    f.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, 6, 64]);
    for last in [1u8, 2] {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = last;
        f.extend_from_slice(&a);
    }
    f.extend_from_slice(&[
        0x04, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
    ]);
    f.extend_from_slice(&[0, 0, 0, 0]);
    f
}

/// A UDP datagram of 3,000 bytes in three IPv4 fragments.
fn fragmented_udp() -> Vec<Vec<u8>> {
    let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    fragments_v4(A, B, 17, 9, &udp4(A, 5000, B, 53, &payload), &[1480, 2960])
}

/// An IPv4 packet in GRE (protocol 0x0800, no key) in IPv4, and one in VXLAN.
fn tunnelled() -> Vec<Vec<u8>> {
    let inner = ipv4_eth(
        [192, 168, 0, 1],
        [192, 168, 0, 2],
        17,
        &udp4([192, 168, 0, 1], 1, [192, 168, 0, 2], 2, b"in"),
    );
    let mut gre = std::vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(&inner[14..]);
    let mut vxlan = std::vec![0x08, 0, 0, 0, 0, 0, 7, 0];
    vxlan.extend_from_slice(&inner);
    std::vec![
        ipv4_eth(A, B, 47, &gre),
        ipv4_eth(A, B, 17, &udp4(A, 40000, B, 4789, &vxlan)),
    ]
}

/// A plain UDP datagram (always delivered, whatever the features).
fn plain_udp() -> Vec<u8> {
    ipv4_eth(A, B, 17, &udp4(A, 5000, B, 53, b"plain"))
}

/// SYNs from one source to 20 ports of one host: a scan (libnids' default
/// threshold is 10 ports).
fn syn_sweep() -> Vec<Vec<u8>> {
    (0..20u16)
        .map(|p| tcp4(A, 40000, B, 1000 + p, 1, 0, 0x02, b""))
        .collect()
}

fn disabled(s: &crate::Stats) -> u64 {
    s.warning(Warning::FeatureDisabled)
}

#[cfg(not(feature = "ipv6"))]
#[test]
fn test_feature_ipv6_off() {
    let (s, h) = run(&[tcp6_syn(), plain_udp()]);
    assert_eq!(disabled(&s), 1);
    assert_eq!(h.warnings, [Warning::FeatureDisabled]);
    assert_eq!((s.ipv6, s.ipv4, s.datagrams, s.tcp_segments), (0, 1, 1, 0));
    assert_eq!(h.udp, [b"plain".to_vec()]);
}

#[cfg(feature = "ipv6")]
#[test]
fn test_feature_ipv6_on() {
    // (the segment's checksum is left at zero: warned as such, after parsing)
    let (s, h) = run(&[tcp6_syn()]);
    assert_eq!((disabled(&s), s.ipv6, s.datagrams), (0, 1, 1));
    assert_eq!(h.warnings, [Warning::TcpBadChecksum]);
}

#[cfg(not(feature = "defrag"))]
#[test]
fn test_feature_defrag_off() {
    let mut frames = fragmented_udp();
    frames.push(plain_udp());
    let (s, h) = run(&frames);
    assert_eq!(disabled(&s), 3);
    assert_eq!(h.warnings, [Warning::FeatureDisabled; 3]);
    assert_eq!((s.fragments, s.reassembled, s.udp), (3, 0, 1));
    assert_eq!(h.udp, [b"plain".to_vec()]);
}

#[cfg(feature = "defrag")]
#[test]
fn test_feature_defrag_on() {
    let (s, h) = run(&fragmented_udp());
    assert_eq!((disabled(&s), s.fragments, s.reassembled), (0, 3, 1));
    assert_eq!(h.udp.len(), 1);
    assert_eq!(h.udp[0].len(), 3000);
}

#[cfg(not(feature = "tunnels"))]
#[test]
fn test_feature_tunnels_off() {
    let mut frames = tunnelled();
    frames.push(plain_udp());
    let (s, h) = run(&frames);
    // Neither the GRE packet (not counted as another protocol) nor the VXLAN
    // datagram (not delivered as UDP) is taken for what it is not.
    assert_eq!(disabled(&s), 2);
    assert_eq!(h.warnings, [Warning::FeatureDisabled; 2]);
    assert_eq!(
        (s.decapsulated, s.inner_packets, s.other_protocol),
        (0, 0, 0)
    );
    assert_eq!((s.datagrams, h.ip), (1, 1));
    assert_eq!(h.udp, [b"plain".to_vec()]);
}

#[cfg(feature = "tunnels")]
#[test]
fn test_feature_tunnels_on() {
    let (s, h) = run(&tunnelled());
    assert_eq!((disabled(&s), s.decapsulated, s.inner_packets), (0, 2, 2));
    assert_eq!(h.udp, [b"in".to_vec(), b"in".to_vec()]);
}

#[cfg(not(feature = "scan"))]
#[test]
fn test_feature_scan_off() {
    let (s, h) = run(&syn_sweep());
    assert_eq!((h.probes, h.scans, s.scans), (20, 0, 0));
    assert_eq!(s.tcp_segments, 20);
    // (20 SYNs in 16 slots: the table's own warnings, nothing of the scan's)
    assert!(h.warnings.iter().all(|w| *w == Warning::TcpTooManyStreams));
}

#[cfg(feature = "scan")]
#[test]
fn test_feature_scan_on() {
    let (s, h) = run(&syn_sweep());
    assert_eq!((h.probes, h.scans, s.scans), (20, 1, 1));
}

/// A link type left out of the build is refused at construction and warned
/// as unsupported when a frame of it comes through `process_as`.
#[cfg(not(feature = "link-cooked"))]
#[test]
fn test_feature_link_cooked_off() {
    let mut mem = std::vec![0u8; 1 << 16];
    assert!(!LinkType::LINUX_SLL.is_supported());
    assert!(LinkType::ETHERNET.is_supported());
    assert_eq!(
        Nids::<(), 16, 8>::new(LinkType::LINUX_SLL, Config::new(), &mut mem[..]).err(),
        Some(crate::Error::UnsupportedLinkType(LinkType::LINUX_SLL))
    );
    let mut n = Nids::<(), 16, 8>::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut h = Seen::default();
    let mut sll = std::vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&plain_udp()[14..]);
    n.process_as(Instant::from_micros(1), LinkType::LINUX_SLL, &sll, &mut h);
    assert_eq!(h.warnings, [Warning::LinkUnsupported]);
    assert_eq!((n.stats().datagrams, n.stats().udp), (0, 0));
}

#[cfg(feature = "link-cooked")]
#[test]
fn test_feature_link_cooked_on() {
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = Nids::<(), 16, 8>::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut h = Seen::default();
    let mut sll = std::vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&plain_udp()[14..]);
    n.process_as(Instant::from_micros(1), LinkType::LINUX_SLL, &sll, &mut h);
    assert!(h.warnings.is_empty());
    assert_eq!(h.udp, [b"plain".to_vec()]);
}

/// The same for a raw-IP capture (feature `link-raw`).
#[cfg(not(feature = "link-raw"))]
#[test]
fn test_feature_link_raw_off() {
    let mut mem = std::vec![0u8; 1 << 16];
    assert_eq!(
        Nids::<(), 16, 8>::new(LinkType::RAW, Config::new(), &mut mem[..]).err(),
        Some(crate::Error::UnsupportedLinkType(LinkType::RAW))
    );
}

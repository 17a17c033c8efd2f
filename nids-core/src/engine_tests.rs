//! Engine-level tests: the stages working together on hand-built frames.

use std::vec::Vec;

use crate::test_util::{fragments_v4, ipv4_eth, udp4, Recorder};
use crate::{udp, Config, Handler, Instant, LinkType, Nids, Warning};

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

#[derive(Default)]
struct Udp {
    got: Vec<Vec<u8>>,
    warnings: Vec<Warning>,
}

impl Handler for Udp {
    fn udp(&mut self, d: &udp::Datagram<'_>) {
        self.got.push(d.payload.to_vec());
    }
    fn warning(&mut self, _: Instant, w: Warning, _: &[u8]) {
        self.warnings.push(w);
    }
}

fn engine(mem: &mut [u8]) -> Nids<'_, (), 16, 8> {
    Nids::new(LinkType::ETHERNET, Config::new(), mem).unwrap()
}

#[test]
fn test_fragmented_udp_reassembled() {
    let payload: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
    let l4 = udp4(A, 5000, B, 53, &payload);
    let mut frames = fragments_v4(A, B, 17, 77, &l4, &[1480, 2960]);
    frames.reverse();
    let mut mem = std::vec![0u8; 1 << 20];
    let mut n = engine(&mut mem);
    let mut h = Udp::default();
    for f in &frames {
        n.process(Instant::ZERO, f, &mut h);
    }
    assert_eq!(h.got, [payload]);
    assert_eq!(n.stats().fragments, 3);
    assert_eq!(n.stats().reassembled, 1);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
}

#[test]
fn test_unfragmented_udp() {
    let frame = ipv4_eth(A, B, 17, &udp4(A, 1, B, 2, b"plain"));
    let mut mem = std::vec![0u8; 1 << 20];
    let mut n = engine(&mut mem);
    let mut h = Udp::default();
    n.process(Instant::ZERO, &frame, &mut h);
    assert_eq!(h.got, [b"plain".to_vec()]);
}

#[test]
fn test_fragment_timeout_on_packet_time() {
    let l4 = udp4(A, 5000, B, 53, &[1; 100]);
    let frames = fragments_v4(A, B, 17, 9, &l4, &[56]);
    let mut mem = std::vec![0u8; 1 << 20];
    let mut n = engine(&mut mem);
    let mut h = Udp::default();
    n.process(Instant::from_secs_micros(100, 0), &frames[0], &mut h);
    n.process(Instant::from_secs_micros(131, 0), &frames[1], &mut h);
    assert!(
        h.got.is_empty(),
        "the first fragment expired after 30 s of packet time"
    );
    assert_eq!(n.stats().warning(Warning::DefragTimeout), 1);
}

#[test]
fn test_tcp_segment_in_fragments() {
    use crate::tcp::segment::flags::{ACK, PSH, SYN};
    use crate::test_util::tcp4;
    let mut rec = Recorder::default();
    let mut mem = std::vec![0u8; 1 << 20];
    let mut n = engine(&mut mem);
    let body: Vec<u8> = (0..2000u32).map(|i| i as u8).collect();
    let seg = tcp4(A, 4000, B, 80, 101, 501, ACK | PSH, &body);
    let l4 = seg[34..].to_vec();
    let mut frames = std::vec![
        tcp4(A, 4000, B, 80, 100, 0, SYN, b""),
        tcp4(B, 80, A, 4000, 500, 101, SYN | ACK, b""),
        tcp4(A, 4000, B, 80, 101, 501, ACK, b""),
    ];
    frames.extend(fragments_v4(A, B, 6, 1234, &l4, &[1000]));
    for f in &frames {
        n.process(Instant::ZERO, f, &mut rec);
    }
    n.finish(&mut rec);
    assert_eq!(rec.only().c2s, body);
}

/// Every IPv4 and IPv6 drop reason, through the engine on a raw-IP link: the
/// packet is dropped and its own counter counts it once.
#[test]
fn test_every_ip_drop_reason_is_counted() {
    use crate::ip::v4::tests::packet as v4;
    use crate::ip::v6::tests::packet as v6;
    let fix = |b: &mut Vec<u8>| {
        let hl = usize::from(b[0] & 0x0f) * 4;
        b[10] = 0;
        b[11] = 0;
        let c = !(crate::ip::checksum::sum(&b[..hl.min(b.len())]) as u16);
        b[10..12].copy_from_slice(&c.to_be_bytes());
    };
    let mut cases: Vec<(Vec<u8>, Warning)> = Vec::new();
    cases.push((std::vec![0x45; 19], Warning::Ipv4Truncated));
    let mut b = v4(&[], b"x");
    b[0] = 0x55;
    cases.push((b, Warning::Ipv4BadVersion));
    let mut b = v4(&[], b"x");
    b[0] = 0x44;
    cases.push((b, Warning::Ipv4BadHeaderLen));
    let mut b = v4(&[], b"x");
    b[10] ^= 1;
    cases.push((b, Warning::Ipv4BadChecksum));
    let mut b = v4(&[], b"x");
    b[2..4].copy_from_slice(&19u16.to_be_bytes());
    fix(&mut b);
    cases.push((b, Warning::Ipv4BadTotalLen));
    cases.push((v4(&[], &[7; 100])[..60].to_vec(), Warning::Ipv4Truncated));
    cases.push((
        v4(&[131, 7, 4, 10, 0, 0, 9, 0], b"x"),
        Warning::Ipv4SourceRoute,
    ));
    cases.push((v4(&[7, 1, 0, 0], b"x"), Warning::Ipv4BadOptions));
    cases.push((std::vec![0x60; 39], Warning::Ipv6Truncated));
    let mut b = v6(17, &[], b"x");
    b[0] = 0x70;
    cases.push((b, Warning::Ipv6BadVersion));
    let mut b = v6(0, &[17, 0, 1, 4, 0, 0, 0, 0], b"x");
    b[4] = 0;
    b[5] = 0;
    cases.push((b, Warning::Ipv6Jumbogram));
    cases.push((
        v6(60, &[17, 4, 0, 0, 0, 0, 0, 0], b""),
        Warning::Ipv6ExtTruncated,
    ));
    cases.push((
        v6(60, &[60, 0, 1, 4, 0, 0, 0, 0].repeat(9), b""),
        Warning::Ipv6TooManyExt,
    ));
    cases.push((
        v6(60, &[0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0], b"x"),
        Warning::Ipv6HopByHopNotFirst,
    ));
    let mut rh = std::vec![17, 2, 0, 1];
    rh.extend_from_slice(&[0; 20]);
    cases.push((v6(43, &rh, b"x"), Warning::Ipv6SourceRoute));
    cases.push((
        v6(
            44,
            &[44, 0, 0, 0, 0, 0, 0, 1, 17, 0, 0, 0, 0, 0, 0, 2],
            b"x",
        ),
        Warning::Ipv6BadFragment,
    ));
    for (bytes, want) in cases {
        // The link type says the version, so a wrong version nibble reaches IP.
        let link = if want.code().starts_with("ip.v4") {
            LinkType::IPV4
        } else {
            LinkType::IPV6
        };
        let mut mem = std::vec![0u8; 1 << 16];
        let mut n: Nids<'_, (), 16, 8> = Nids::new(link, Config::new(), &mut mem[..]).unwrap();
        let mut h = Udp::default();
        n.process(Instant::ZERO, &bytes, &mut h);
        assert_eq!(h.warnings, [want]);
        assert_eq!(n.stats().warning(want), 1, "{want}");
        assert_eq!(n.stats().total_warnings(), 1);
        assert_eq!(
            n.stats().ipv4 + n.stats().ipv6,
            0,
            "{want}: dropped before counting as valid"
        );
    }
}

#[test]
fn test_link_drops_counted() {
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut h = Udp::default();
    let mut arp = std::vec![0xffu8; 12];
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    n.process(Instant::ZERO, &arp, &mut h);
    n.process(Instant::ZERO, &[0u8; 10], &mut h);
    assert_eq!(n.stats().non_ip, 1, "non-IP frames are counted, not warned");
    assert_eq!(n.stats().warning(Warning::LinkTruncated), 1);
    assert_eq!(h.warnings, [Warning::LinkTruncated]);
}

#[test]
fn test_unsupported_link_type_refused() {
    let mut mem = std::vec![0u8; 64];
    let e = Nids::<(), 4, 4>::new(LinkType(7), Config::new(), &mut mem[..])
        .err()
        .unwrap();
    assert_eq!(e.to_string(), "unsupported link type 7");
}

#[test]
fn test_udp_scan_option() {
    #[derive(Default)]
    struct Scans(Vec<crate::scan::Kind>);
    impl Handler for Scans {
        fn scan(&mut self, _: Instant, r: &crate::scan::Report<'_>) {
            self.0.push(r.kind);
        }
    }
    for enabled in [false, true] {
        let mut config = Config::new();
        config.scan.udp = enabled;
        let mut mem = std::vec![0u8; 1 << 16];
        let mut n: Nids<'_, (), 16, 8> =
            Nids::new(LinkType::ETHERNET, config, &mut mem[..]).unwrap();
        let mut h = Scans::default();
        for port in 1..=20u16 {
            let f = ipv4_eth(A, B, 17, &udp4(A, 40000, B, port, b""));
            n.process(Instant::from_micros(u64::from(port) * 1000), &f, &mut h);
        }
        let want: &[crate::scan::Kind] = if enabled {
            &[crate::scan::Kind::Udp]
        } else {
            &[]
        };
        assert_eq!(h.0, want);
    }
}

#[test]
fn test_two_handlers_see_the_same_streams() {
    use crate::tcp::segment::flags::{ACK, PSH, SYN};
    use crate::test_util::tcp4;
    let frames = std::vec![
        tcp4(A, 4000, B, 80, 100, 0, SYN, b""),
        tcp4(B, 80, A, 4000, 500, 101, SYN | ACK, b""),
        tcp4(A, 4000, B, 80, 101, 501, ACK | PSH, b"hello"),
    ];
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut both = (Recorder::default(), Recorder::default());
    for f in &frames {
        n.process(Instant::ZERO, f, &mut both);
    }
    n.finish(&mut both);
    assert_eq!(both.0.only().c2s, b"hello");
    assert_eq!(both.0.only(), both.1.only());
}

#[test]
fn test_udp_checksum_rules() {
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut h = Udp::default();
    // IPv4 with a zero checksum: "no checksum", accepted.
    let mut u = udp4(A, 1, B, 2, b"nochk");
    u[6] = 0;
    u[7] = 0;
    n.process(Instant::ZERO, &ipv4_eth(A, B, 17, &u), &mut h);
    // A wrong checksum: dropped.
    let mut u = udp4(A, 1, B, 2, b"bad");
    u[6] ^= 0x55;
    n.process(Instant::ZERO, &ipv4_eth(A, B, 17, &u), &mut h);
    // A length field past the IP payload: dropped.
    let mut u = udp4(A, 1, B, 2, b"long");
    u[5] = 200;
    n.process(Instant::ZERO, &ipv4_eth(A, B, 17, &u), &mut h);
    assert_eq!(h.got, [b"nochk".to_vec()]);
    assert_eq!(h.warnings, [Warning::UdpBadChecksum, Warning::UdpBadHeader]);
    // IPv6 with a zero checksum: refused (RFC 8200).
    let mut l4 = std::vec![0, 1, 0, 2, 0, 9, 0, 0, b'x'];
    l4[5] = 9;
    let ip6 = crate::ip::v6::tests::packet(17, &[], &l4);
    let mut n6: Nids<'_, (), 16, 8> =
        Nids::new(LinkType::IPV6, Config::new(), &mut mem[..]).unwrap();
    let mut h6 = Udp::default();
    n6.process(Instant::ZERO, &ip6, &mut h6);
    assert!(h6.got.is_empty());
    assert_eq!(h6.warnings, [Warning::UdpV6ZeroChecksum]);
}

#[test]
fn test_ip_filter_and_hooks_order() {
    #[derive(Default)]
    struct Hooks(Vec<&'static str>);
    impl Handler for Hooks {
        fn ip_frag(&mut self, _: Instant, _: &[u8]) {
            self.0.push("ip_frag");
        }
        fn ip_filter(&mut self, _: Instant, p: &[u8]) -> bool {
            self.0.push("ip_filter");
            p[19] != 9 // drop packets to 10.0.0.9
        }
        fn ip(&mut self, _: Instant, d: &crate::ip::Packet<'_>) {
            assert_eq!(d.bytes.len(), 20 + 8 + 2, "the real datagram length");
            self.0.push("ip");
        }
        fn udp(&mut self, _: &udp::Datagram<'_>) {
            self.0.push("udp");
        }
    }
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut h = Hooks::default();
    let mut padded = ipv4_eth(A, B, 17, &udp4(A, 1, B, 2, b"ok"));
    padded.resize(60, 0); // Ethernet padding is not part of the datagram
    n.process(Instant::ZERO, &padded, &mut h);
    let c = [10, 0, 0, 9];
    n.process(
        Instant::ZERO,
        &ipv4_eth(A, c, 17, &udp4(A, 1, c, 2, b"no")),
        &mut h,
    );
    assert_eq!(
        h.0,
        ["ip_frag", "ip_filter", "ip", "udp", "ip_frag", "ip_filter"]
    );
    assert_eq!(n.stats().filtered, 1);
}

#[test]
fn test_scan_table_full_is_warned() {
    use crate::tcp::segment::flags::SYN;
    use crate::test_util::tcp4;
    let mut mem = std::vec![0u8; 1 << 16];
    // Two scan entries; three sources probing within the window.
    let mut n: Nids<'_, (), 16, 8, 2> =
        Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut h = Udp::default();
    for i in 0..3u8 {
        let f = tcp4([10, 0, 1, i], 999, B, 22, 1, 0, SYN, b"");
        n.process(Instant::from_micros(u64::from(i)), &f, &mut h);
    }
    assert_eq!(n.stats().warning(Warning::ScanTableFull), 1);
    assert!(h.warnings.contains(&Warning::ScanTableFull));
}

/// The same traffic through the three kinds of stream-table memory (owned
/// arrays, the heap, a borrowed `VecView`) gives the same events; a table of
/// 4 slots holds 3 streams at once (libnids' 3n/4+1 rule) however it is made.
#[test]
fn test_memory_kinds_agree() {
    use crate::memory::{Borrowed, Tables};
    use crate::test_util::{tcp4, Recorder};
    use crate::Engine;
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    let mut frames = Vec::new();
    for port in 1000..1006u16 {
        let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        frames.push(tcp4(c, port, s, 80, 100, 0, SYN, b""));
        frames.push(tcp4(s, 80, c, port, 500, 101, SYN | ACK, b""));
        frames.push(tcp4(c, port, s, 80, 101, 501, ACK, b""));
        frames.push(tcp4(c, port, s, 80, 101, 501, ACK, b"hello"));
    }
    fn run<M: crate::memory::Memory<()>>(
        e: &mut Engine<'_, (), M, 8, 0>,
        frames: &[Vec<u8>],
    ) -> std::string::String {
        let mut rec = Recorder::default();
        for (i, f) in frames.iter().enumerate() {
            e.process(Instant::from_micros(i as u64 + 1), f, &mut rec);
        }
        e.finish(&mut rec);
        assert_eq!(e.stream_slots(), 4);
        assert_eq!(e.stats().warning(Warning::TcpTooManyStreams), 2);
        std::format!("{:?}", rec.streams)
    }
    let mut mem = [0u8; 1 << 16];
    let owned = run(
        &mut Nids::<(), 4, 8, 0>::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap(),
        &frames,
    );
    let mut mem = [0u8; 1 << 16];
    let tables = Tables::<(), crate::memory::Heap>::heap(4);
    let heap = run(
        &mut Engine::with_tables(LinkType::ETHERNET, Config::new(), tables, &mut mem[..]).unwrap(),
        &frames,
    );
    let mut mem = [0u8; 1 << 16];
    let mut entries = heapless::Vec::<crate::StreamSlot<()>, 4>::new();
    let mut buckets = [0u32; 4];
    let tables = Tables::<(), Borrowed<'_>> {
        entries: entries.as_mut_view(),
        buckets: &mut buckets[..],
    };
    let borrowed = run(
        &mut Engine::with_tables(LinkType::ETHERNET, Config::new(), tables, &mut mem[..]).unwrap(),
        &frames,
    );
    assert_eq!(owned, heap);
    assert_eq!(owned, borrowed);
    assert!(
        owned.contains("hello") || owned.contains("104, 101, 108"),
        "{owned}"
    );
}

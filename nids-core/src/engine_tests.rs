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

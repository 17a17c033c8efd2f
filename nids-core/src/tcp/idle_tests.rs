//! Idle expiry: streams in order of last use, and a clock that a frame stamped
//! in the future cannot stop.

use std::vec::Vec;

use crate::tcp::segment::flags::{ACK, SYN};
use crate::test_util::{tcp4, Recorder};
use crate::{Config, Duration, Instant, LinkType, Nids};

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];

fn handshake(cp: u16) -> Vec<Vec<u8>> {
    std::vec![
        tcp4(C, cp, S, 80, 10, 0, SYN, b""),
        tcp4(S, 80, C, cp, 20, 11, SYN | ACK, b""),
        tcp4(C, cp, S, 80, 11, 21, ACK, b""),
    ]
}

fn data(cp: u16, rel: u32) -> Vec<u8> {
    tcp4(C, cp, S, 80, 11 + rel, 21, ACK, b"x")
}

fn at(s: u64) -> Instant {
    Instant::from_secs_micros(s, 0)
}

type Engine<'a> = Nids<'a, (), 64, 4>;

fn engine(mem: &mut [u8]) -> Engine<'_> {
    let mut config = Config::new();
    config.tcp.idle_timeout = Duration::from_secs(10);
    Nids::new(LinkType::ETHERNET, config, mem).unwrap()
}

#[test]
fn test_idle_streams_expire_in_last_use_order() {
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut rec = Recorder::default();
    // 40 streams; the even ones stay busy, the odd ones fall silent.
    for cp in 0..40u16 {
        for f in handshake(2000 + cp) {
            n.process(at(100), &f, &mut rec);
        }
    }
    for s in 101..130u64 {
        for cp in (0..40u16).step_by(2) {
            n.process(at(s), &data(2000 + cp, (s - 100) as u32), &mut rec);
        }
    }
    assert_eq!(n.streams(), 20, "the 20 silent streams timed out");
    for (k, seen) in &rec.streams {
        let cp: u16 = k
            .split(':')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let timed_out = seen.events.contains(&"timeout");
        assert_eq!(timed_out, cp % 2 == 1, "{k}");
    }
}

#[test]
fn test_far_future_frame_does_not_stop_expiry() {
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n = engine(&mut mem);
    let mut rec = Recorder::default();
    for f in handshake(3000) {
        n.process(at(100), &f, &mut rec);
    }
    for f in handshake(3001) {
        n.process(at(100), &f, &mut rec);
    }
    // One frame of stream 3001 stamped 30 years ahead, then time goes on normally.
    n.process(at(1_000_000_000), &data(3001, 1), &mut rec);
    assert_eq!(n.streams(), 2, "the odd frame ends nothing by itself");
    for s in 101..140u64 {
        n.process(
            at(s),
            &tcp4([10, 0, 0, 9], 9, S, 80, 1, 0, SYN, b""),
            &mut rec,
        );
    }
    let timeouts: usize = rec
        .streams
        .iter()
        .filter(|(_, s)| s.events.contains(&"timeout"))
        .count();
    assert_eq!(
        timeouts, 2,
        "both streams still time out: {:?}",
        rec.streams
    );
}

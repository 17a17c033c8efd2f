//! Out-of-order floods, the window limit and storage shared between streams,
//! through the whole engine.

use std::vec::Vec;

use crate::tcp::segment::flags::{ACK, SYN};
use crate::test_util::{tcp4, tcp4_opts, tcp4_window, Recorder};
use crate::{Config, Instant, LinkType, Nids, Warning};

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];
const CI: u32 = 1000;
const SI: u32 = 5000;

/// Handshake with window scaling (shift 7 both ways: windows of 8 MiB).
fn handshake(cp: u16) -> Vec<Vec<u8>> {
    let ws = [1u8, 3, 3, 7];
    std::vec![
        tcp4_opts(C, cp, S, 80, CI, 0, SYN, 0, &ws, b""),
        tcp4_opts(S, 80, C, cp, SI, CI + 1, SYN | ACK, 0, &ws, b""),
        tcp4(C, cp, S, 80, CI + 1, SI + 1, ACK, b""),
        tcp4(S, 80, C, cp, SI + 1, CI + 1, ACK, b""),
    ]
}

/// Client data at relative offset `rel` (0 = first byte).
fn c(cp: u16, rel: u32, data: &[u8]) -> Vec<u8> {
    tcp4(C, cp, S, 80, CI + 1 + rel, SI + 1, ACK, data)
}

type Engine<'a> = Nids<'a, (), 16, 4>;

/// One stream; `n` one-byte segments each behind its own hole (odd offsets),
/// then the holes filled in reverse order. Returns the client bytes delivered,
/// the most storage in use at any time, the storage in all, and the warnings.
fn flood(n: u32, storage: usize) -> (Vec<u8>, u32, u32, crate::Stats) {
    let mut mem = std::vec![0u8; storage];
    let mut e: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    let ts = Instant::from_micros(1_000_000);
    for f in handshake(4000) {
        e.process(ts, &f, &mut rec);
    }
    let mut peak = 0;
    for i in 0..n {
        e.process(ts, &c(4000, 2 * i + 1, &[1]), &mut rec);
        peak = peak.max(e.tcp_storage().0);
    }
    for i in (0..n).rev() {
        e.process(ts, &c(4000, 2 * i, &[0]), &mut rec);
        peak = peak.max(e.tcp_storage().0);
    }
    let total = e.tcp_storage().1;
    assert_eq!(e.tcp_storage().0, 0, "nothing left waiting");
    e.finish(&mut rec);
    (rec.only().c2s.clone(), peak, total, e.stats().clone())
}

#[test]
fn test_flood_of_one_byte_segments_all_delivered() {
    for n in [1_000u32, 20_000] {
        let (got, peak, total, st) = flood(n, 64 << 20);
        assert_eq!(got.len(), 2 * n as usize, "N = {n}: every byte delivered");
        assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 2) as u8));
        assert_eq!(st.warning(Warning::TcpStorageFull), 0);
        // Each waiting segment holds one small block: 2N - 1 at the peak.
        assert_eq!(peak, 2 * n - 1, "N = {n}");
        assert!(peak <= total);
    }
}

#[test]
fn test_flood_beyond_storage_stays_bounded() {
    // 1 MiB: 384 large and 1,024 small blocks, far fewer than 40,000 segments.
    let (got, peak, total, st) = flood(20_000, 1 << 20);
    assert!(peak <= total);
    assert!(st.warning(Warning::TcpStorageFull) > 0);
    assert!(!got.is_empty() && got.len() < 40_000);
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 2) as u8));
}

#[test]
fn test_window_limits_what_is_queued() {
    let cp = 4001;
    let mut f = std::vec![
        tcp4(C, cp, S, 80, CI, 0, SYN, b""),
        // the server advertises a window of 1,000 bytes from its SYN-ACK on
        // (a window's right edge never moves back: see the next test)
        tcp4_window(S, 80, C, cp, SI, CI + 1, SYN | ACK, 1000, 0, &[], b""),
        tcp4(C, cp, S, 80, CI + 1, SI + 1, ACK, b""),
        tcp4_window(S, 80, C, cp, SI + 1, CI + 1, ACK, 1000, 0, &[], b""),
    ];
    // out of order: 900..1100 crosses the window's end at 1,000
    f.push(c(cp, 900, &[b'x'; 200]));
    f.push(c(cp, 0, &[b'a'; 900]));
    let mut mem = std::vec![0u8; 1 << 20];
    let mut e: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    for fr in &f {
        e.process(Instant::from_micros(1_000_000), fr, &mut rec);
    }
    e.finish(&mut rec);
    assert_eq!(e.stats().warning(Warning::TcpBeyondWindow), 1);
    assert_eq!(
        rec.only().c2s.len(),
        1100,
        "a segment that starts inside the window is queued whole (the window seen may be stale)"
    );
}

#[test]
fn test_full_storage_is_shared_between_streams() {
    // Stream A fills the storage with out-of-order data; stream B's out-of-order
    // data then takes storage from A's far end, and B loses nothing.
    let mut mem = std::vec![0u8; 256 * 1024];
    let mut e: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    let ts = Instant::from_micros(1_000_000);
    for cp in [4002u16, 4003] {
        for f in handshake(cp) {
            e.process(ts, &f, &mut rec);
        }
    }
    for i in 0..200u32 {
        e.process(ts, &c(4002, 1 + 1000 * i, &[b'a'; 1000]), &mut rec);
    }
    assert!(
        e.stats().warning(Warning::TcpStorageFull) > 0,
        "A alone fills it"
    );
    for i in 0..20u32 {
        e.process(ts, &c(4003, 1 + 1000 * i, &[b'b'; 1000]), &mut rec);
    }
    assert!(e.stats().warning(Warning::TcpQueueReclaimed) > 0);
    e.process(ts, &c(4003, 0, b"B"), &mut rec);
    e.process(ts, &c(4002, 0, b"A"), &mut rec);
    e.finish(&mut rec);
    let b = &rec
        .streams
        .iter()
        .find(|(k, _)| k.contains(":4003"))
        .unwrap()
        .1;
    assert_eq!(b.c2s.len(), 1 + 20 * 1000, "B got all its bytes");
    let a = &rec
        .streams
        .iter()
        .find(|(k, _)| k.contains(":4002"))
        .unwrap()
        .1;
    assert!(a.c2s.len() > 1 + 20 * 1000, "A kept the start of its data");
    assert_eq!(e.tcp_storage().0, 0);
}

#[test]
fn test_fin_ahead_takes_no_storage() {
    let cp = 4004;
    let mut mem = std::vec![0u8; 1 << 20];
    let mut e: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    for f in handshake(cp) {
        e.process(Instant::from_micros(1_000_000), &f, &mut rec);
    }
    let fin = tcp4(
        C,
        cp,
        S,
        80,
        CI + 1 + 10,
        SI + 1,
        ACK | crate::tcp::segment::flags::FIN,
        b"",
    );
    e.process(Instant::from_micros(1_000_000), &fin, &mut rec);
    assert_eq!(e.tcp_storage().0, 0);
    e.process(
        Instant::from_micros(1_000_000),
        &c(cp, 0, &[b'z'; 10]),
        &mut rec,
    );
    e.finish(&mut rec);
    assert_eq!(rec.only().c2s.len(), 10);
}

#[test]
fn test_old_ack_delayed_on_the_path_does_not_shrink_the_window() {
    // The server's ACKs open its window to 64 KiB; an older ACK with a 1,000
    // byte window, delayed on the path, is seen last. The client rightly sends
    // past 1,000 bytes: nothing may be refused.
    let cp = 4002;
    let mut f = std::vec![
        tcp4(C, cp, S, 80, CI, 0, SYN, b""),
        tcp4_window(S, 80, C, cp, SI, CI + 1, SYN | ACK, 1000, 0, &[], b""),
        tcp4(C, cp, S, 80, CI + 1, SI + 1, ACK, b""),
        tcp4_window(S, 80, C, cp, SI + 1, CI + 1, ACK, 2000, 0, &[], b""),
        c(cp, 0, &[b'a'; 900]),
        tcp4_window(S, 80, C, cp, SI + 1, CI + 901, ACK, 65535, 0, &[], b""),
        // the delayed old ACK
        tcp4_window(S, 80, C, cp, SI + 1, CI + 1, ACK, 1000, 0, &[], b""),
    ];
    f.push(c(cp, 2000, &[b'c'; 1000]));
    f.push(c(cp, 900, &[b'b'; 1100]));
    let mut mem = std::vec![0u8; 1 << 20];
    let mut e: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    for fr in &f {
        e.process(Instant::from_micros(1_000_000), fr, &mut rec);
    }
    e.finish(&mut rec);
    assert_eq!(e.stats().tcp_out_of_window, 0);
    assert_eq!(e.stats().warning(Warning::TcpBeyondWindow), 0);
    assert_eq!(rec.only().c2s.len(), 3000);
}

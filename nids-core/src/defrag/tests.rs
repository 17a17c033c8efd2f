//! Tests of [`Defrag`]: in-order, reverse and random order, duplicates, IPv4 and
//! IPv6, one Sturges/Novak test per overlap policy, libnids' bugs, limits, and a
//! proptest that any fragmentation reassembles exactly.

use super::*;
use crate::ip::{v4, v6};
use proptest::prelude::*;
use std::vec::Vec;

const PROTO_UDP: u8 = 17;

/// An IPv4 packet 10.0.0.1 -> 10.0.0.2, UDP, id `id`, fragment offset `off`
/// (bytes), MF `more`, extra header `opts`, with a correct header checksum.
fn v4_packet(id: u16, off: usize, more: bool, df: bool, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    let hl = 20 + opts.len();
    let total = hl + payload.len();
    let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 } | if df { 0x4000 } else { 0 };
    let mut b = std::vec![0x40 | (hl / 4) as u8, 0];
    b.extend_from_slice(&(total as u16).to_be_bytes());
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&fo.to_be_bytes());
    b.extend_from_slice(&[64, PROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    b.extend_from_slice(opts);
    let c = !(checksum::sum(&b[..hl]) as u16);
    b[10..12].copy_from_slice(&c.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn v4_frag(id: u16, off: usize, more: bool, payload: &[u8]) -> Vec<u8> {
    v4_packet(id, off, more, false, &[], payload)
}

/// An 8-byte destination options header naming `next`.
const DEST_OPTS: u8 = 60;
const FRAGMENT: u8 = 44;

/// An IPv6 packet fd00::1 -> fd00::2: optionally a destination options header,
/// then a fragment header (id, offset, M) naming UDP, then `payload`. With
/// `frag = None`, the whole datagram (no fragment header).
fn v6_packet(frag: Option<(u32, usize, bool)>, dest_opts: bool, payload: &[u8]) -> Vec<u8> {
    let mut ext = Vec::new();
    let after_opts = if frag.is_some() { FRAGMENT } else { PROTO_UDP };
    let first = if dest_opts {
        ext.extend_from_slice(&[after_opts, 0, 1, 4, 0, 0, 0, 0]);
        DEST_OPTS
    } else {
        after_opts
    };
    if let Some((id, off, more)) = frag {
        let fo = off as u16 | u16::from(more);
        ext.push(PROTO_UDP);
        ext.push(0);
        ext.extend_from_slice(&fo.to_be_bytes());
        ext.extend_from_slice(&id.to_be_bytes());
    }
    let plen = ext.len() + payload.len();
    let mut b = std::vec![0x60, 0, 0, 0, (plen >> 8) as u8, plen as u8, first, 64];
    b.extend_from_slice(&"fd00::1".parse::<core::net::Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(&"fd00::2".parse::<core::net::Ipv6Addr>().unwrap().octets());
    b.extend_from_slice(&ext);
    b.extend_from_slice(payload);
    b
}

fn v6_frag(id: u32, off: usize, more: bool, payload: &[u8]) -> Vec<u8> {
    v6_packet(Some((id, off, more)), false, payload)
}

fn parse(b: &[u8]) -> Packet<'_> {
    match b[0] >> 4 {
        4 => v4::parse(b, |_| true).unwrap(),
        _ => v6::parse(b).unwrap(),
    }
}

/// A reassembler with its own storage.
struct Rig {
    d: Defrag<'static, 16>,
    warnings: Vec<Warning>,
}

impl Rig {
    fn new(config: Config, slots: usize) -> Rig {
        let len = Defrag::<16>::storage_for(&config, slots);
        let mem: &'static mut [u8] = std::vec![0xa5u8; len].leak();
        Rig {
            d: Defrag::new(mem, config),
            warnings: Vec::new(),
        }
    }

    fn default() -> Rig {
        Rig::new(Config::new(), 8)
    }

    fn policy(p: Policy) -> Rig {
        Rig::new(
            Config {
                policy: p,
                ..Config::new()
            },
            4,
        )
    }

    /// Feed one packet at `t` seconds; the whole datagram if it completed.
    fn feed_at(&mut self, t: u64, b: &[u8]) -> Option<Vec<u8>> {
        let p = parse(b);
        let w = &mut self.warnings;
        self.d
            .insert(Instant::from_micros(t * 1_000_000), &p, &mut |x| w.push(x))
            .map(|s| s.to_vec())
    }

    fn feed(&mut self, b: &[u8]) -> Option<Vec<u8>> {
        self.feed_at(0, b)
    }

    fn count(&self, w: Warning) -> usize {
        self.warnings.iter().filter(|x| **x == w).count()
    }
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Cut `payload` into fragments of `size` bytes (a multiple of 8).
fn cuts(payload: &[u8], size: usize) -> Vec<(usize, bool, Vec<u8>)> {
    payload
        .chunks(size)
        .enumerate()
        .map(|(i, c)| (i * size, (i + 1) * size < payload.len(), c.to_vec()))
        .collect()
}

fn check_v4(out: &[u8], payload: &[u8]) {
    let p = v4::parse(out, |_| true).expect("valid IPv4, checksum included");
    assert_eq!(p.fragment, None);
    assert_eq!(p.payload(), payload);
    assert_eq!(out, &v4_packet(0x1234, 0, false, false, &[], payload)[..]);
}

// ---- basic reassembly ---------------------------------------------------------

#[test]
fn test_v4_in_order() {
    let payload = data(100);
    let mut r = Rig::default();
    let f = cuts(&payload, 32);
    for (i, (off, more, c)) in f.iter().enumerate() {
        let out = r.feed(&v4_frag(0x1234, *off, *more, c));
        assert_eq!(out.is_some(), i == f.len() - 1);
        if let Some(out) = out {
            check_v4(&out, &payload);
        }
    }
    assert!(r.warnings.is_empty());
    assert_eq!(r.d.stats().reassembled, 1);
    assert_eq!(r.d.stats().fragments, 4);
    assert_eq!(r.d.pending(), 0);
}

#[test]
fn test_v4_reverse() {
    let payload = data(1000);
    let mut r = Rig::default();
    let mut out = None;
    for (off, more, c) in cuts(&payload, 96).iter().rev() {
        assert!(out.is_none());
        out = r.feed(&v4_frag(0x1234, *off, *more, c));
    }
    check_v4(&out.unwrap(), &payload);
    assert!(r.warnings.is_empty());
}

#[test]
fn test_v4_random_order() {
    let payload = data(3000);
    let mut f = cuts(&payload, 64);
    let mut seed = 12345u64;
    for i in (1..f.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        f.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let mut r = Rig::default();
    let outs: Vec<_> = f
        .iter()
        .filter_map(|(off, more, c)| r.feed(&v4_frag(0x1234, *off, *more, c)))
        .collect();
    assert_eq!(outs.len(), 1);
    check_v4(&outs[0], &payload);
}

#[test]
fn test_duplicates() {
    let payload = data(64);
    let mut r = Rig::default();
    let f = cuts(&payload, 16);
    assert!(r.feed(&v4_frag(0x1234, f[0].0, true, &f[0].2)).is_none());
    assert!(r.feed(&v4_frag(0x1234, f[0].0, true, &f[0].2)).is_none());
    assert!(r.feed(&v4_frag(0x1234, f[2].0, true, &f[2].2)).is_none());
    assert!(r.feed(&v4_frag(0x1234, f[3].0, false, &f[3].2)).is_none());
    assert!(r.feed(&v4_frag(0x1234, f[3].0, false, &f[3].2)).is_none());
    let out = r.feed(&v4_frag(0x1234, f[1].0, true, &f[1].2)).unwrap();
    check_v4(&out, &payload);
    assert_eq!(r.count(Warning::DefragOverlap), 2, "one per duplicate");
    assert_eq!(r.d.stats().overlaps, 2);
}

#[test]
fn test_v4_header_rebuilt() {
    // Offset-0 fragment with options and DF; later fragments without options.
    let opts = [7, 7, 4, 0, 0, 0, 0, 0]; // record route, room for one address
    let payload = data(48);
    let mut r = Rig::default();
    assert!(r
        .feed(&v4_frag(0x1234, 24, false, &payload[24..]))
        .is_none());
    let first = v4_packet(0x1234, 0, true, true, &opts, &payload[..24]);
    let out = r.feed(&first).unwrap();
    let p = v4::parse(&out, |_| true).expect("checksum correct");
    assert_eq!(p.header_len, 28);
    assert_eq!(&out[20..28], &opts, "options unchanged");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]) as usize, 28 + 48);
    assert_eq!(out[6] & 0xe0, 0x40, "DF kept, MF cleared");
    assert_eq!(out[6] & 0x1f, 0, "offset cleared");
    assert_eq!(out[7], 0);
    assert_eq!(checksum::sum(&out[..28]), 0xffff);
    assert_eq!(p.payload(), &payload[..]);
}

#[test]
fn test_v6_reassembly() {
    let payload = data(500);
    let mut r = Rig::default();
    let f = cuts(&payload, 128);
    let mut out = None;
    for (off, more, c) in f.iter().rev() {
        assert!(out.is_none());
        out = r.feed(&v6_packet(Some((0xdead_beef, *off, *more)), true, c));
    }
    let out = out.unwrap();
    assert_eq!(
        out,
        v6_packet(None, true, &payload),
        "fragment header removed"
    );
    let p = v6::parse(&out).unwrap();
    assert_eq!((p.protocol, p.fragment), (PROTO_UDP, None));
    assert_eq!(p.payload(), &payload[..]);
    assert_eq!(out[40], PROTO_UDP, "the destination options now name UDP");
}

#[test]
fn test_v6_plain() {
    let payload = data(80);
    let mut r = Rig::default();
    assert!(r.feed(&v6_frag(7, 40, false, &payload[40..])).is_none());
    let out = r.feed(&v6_frag(7, 0, true, &payload[..40])).unwrap();
    assert_eq!(out, v6_packet(None, false, &payload));
    assert_eq!(out[6], PROTO_UDP);
}

#[test]
fn test_keys_kept_apart() {
    let payload = data(32);
    let mut r = Rig::default();
    assert!(r.feed(&v4_frag(1, 0, true, &payload[..16])).is_none());
    assert!(r.feed(&v4_frag(2, 16, false, &payload[16..])).is_none());
    assert!(r.feed(&v6_frag(1, 16, false, &payload[16..])).is_none());
    assert_eq!(r.d.pending(), 3);
    assert!(r.feed(&v4_frag(1, 16, false, &payload[16..])).is_some());
    assert_eq!(r.d.pending(), 2);
}

// ---- overlap policies: Sturges/Novak ----------------------------------------------

/// The vector of overlap-policies.md: (letter, offset, blocks of 8 bytes, more).
const STURGES: [(u8, usize, usize, bool); 17] = [
    (b'A', 0, 3, true),
    (b'B', 32, 2, true),
    (b'C', 48, 3, true),
    (b'D', 80, 1, true),
    (b'E', 104, 2, true),
    (b'F', 120, 3, true),
    (b'G', 144, 2, true),
    (b'H', 160, 2, true),
    (b'I', 176, 1, true),
    (b'J', 8, 4, true),
    (b'K', 48, 3, true),
    (b'L', 72, 3, true),
    (b'M', 96, 3, true),
    (b'N', 128, 1, true),
    (b'O', 152, 1, true),
    (b'P', 160, 1, true),
    (b'Q', 176, 2, false),
];

fn sturges(policy: Policy, v6: bool, skip: Option<u8>) -> (Option<Vec<u8>>, usize) {
    let mut r = Rig::policy(policy);
    let mut out = None;
    for &(l, off, blocks, more) in STURGES.iter().filter(|f| Some(f.0) != skip) {
        assert!(out.is_none(), "{policy:?}: delivered before the end");
        let c = std::vec![l; blocks * 8];
        out = if v6 {
            r.feed(&v6_frag(0x5a5a, off, more, &c))
        } else {
            r.feed(&v4_frag(0x5a5a, off, more, &c))
        };
    }
    let payload = out.map(|o| {
        let p = parse(&o);
        assert_eq!(p.fragment, None);
        p.payload().to_vec()
    });
    (payload, r.count(Warning::DefragOverlap))
}

fn blocks(s: &str) -> Vec<u8> {
    s.bytes().flat_map(|b| [b; 8]).collect()
}

fn check_sturges(policy: Policy, want: &str) {
    for v6 in [false, true] {
        let (got, overlaps) = sturges(policy, v6, None);
        let got = got.unwrap_or_else(|| panic!("{policy:?} v6={v6}: not delivered"));
        let letters: String = got.chunks(8).map(|c| c[0] as char).collect();
        assert_eq!(letters, want, "{policy:?} v6={v6}");
        assert_eq!(got, blocks(want));
        assert_eq!(overlaps, 8, "J..Q each overlap once");
    }
}

#[test]
fn test_policy_bsd() {
    check_sturges(Policy::Bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ");
}

#[test]
fn test_policy_linux() {
    check_sturges(Policy::Linux, "AAAJJBKKKLLLMMMFFFGGPHQQ");
}

#[test]
fn test_policy_windows() {
    check_sturges(Policy::Windows, "AAAJBBCCCLLLMEEFFFGGHHIQ");
}

#[test]
fn test_policy_solaris() {
    check_sturges(Policy::Solaris, "AAAJBBCCCLLLMMMFFFGGHHIQ");
}

#[test]
fn test_policy_first() {
    check_sturges(Policy::First, "AAAJBBCCCLDLMEEFFFGGHHIQ");
}

#[test]
fn test_policy_last() {
    check_sturges(Policy::Last, "AJJJJBKKKLLLMMMFNFGOPHQQ");
}

#[test]
fn test_policy_bsd_right() {
    // No published vector; follows Snort 3's bsd-right insertion rules.
    check_sturges(Policy::BsdRight, "AJJJBBKKKLLLMMMFFFGGHHQQ");
}

#[test]
fn test_policy_linux20() {
    // N lies wholly inside F: libnids never delivers; we drop N and deliver.
    check_sturges(Policy::Linux20, "AAAJJBKKKLLLMMMFFFGGPHQQ");
}

#[test]
fn test_default_matches_libnids_without_n() {
    // libnids 1.26, measured: without N the vector gives Linux's result.
    assert_eq!(Config::new().policy, Policy::Linux20);
    for v6 in [false, true] {
        let (got, overlaps) = sturges(Policy::default(), v6, Some(b'N'));
        assert_eq!(got.unwrap(), blocks("AAAJJBKKKLLLMMMFFFGGPHQQ"));
        assert_eq!(overlaps, 7);
    }
}

#[test]
fn test_linux20_compares_current_start() {
    // X@0+16, Y@8+16 (loses 8..16, holds 16..24), Z@16+8: Linux 2.0 trims Y in
    // place, so Z starts at Y's current start and wins; Linux looks at Y's
    // original start (8) and keeps Y.
    let run = |p: Policy| {
        let mut r = Rig::policy(p);
        r.feed(&v4_frag(9, 0, true, &[b'X'; 16]));
        r.feed(&v4_frag(9, 8, true, &[b'Y'; 16]));
        r.feed(&v4_frag(9, 16, true, &[b'Z'; 8]));
        let out = r.feed(&v4_frag(9, 24, false, &[b'E'; 8])).unwrap();
        parse(&out).payload().to_vec()
    };
    assert_eq!(run(Policy::Linux20), blocks("XXZE"));
    assert_eq!(run(Policy::Linux), blocks("XXYE"));
}

#[test]
fn test_wedge_delivered() {
    // A@0+24, C@24+16, X@8+8 (inside A), D@40+8 last: libnids never delivers.
    for v6 in [false, true] {
        let mut r = Rig::default();
        let frag = |off, more, c: &[u8]| {
            if v6 {
                v6_frag(3, off, more, c)
            } else {
                v4_frag(3, off, more, c)
            }
        };
        assert!(r.feed(&frag(0, true, &[b'A'; 24])).is_none());
        assert!(r.feed(&frag(24, true, &[b'C'; 16])).is_none());
        assert!(r.feed(&frag(8, true, &[b'X'; 8])).is_none());
        let out = r.feed(&frag(40, false, &[b'D'; 8])).expect("delivered");
        assert_eq!(parse(&out).payload(), &blocks("AAACCD")[..]);
        assert_eq!(r.warnings, [Warning::DefragOverlap]);
    }
}

// ---- limits -------------------------------------------------------------------

fn small() -> Config {
    Config {
        max_datagram: 1500,
        max_fragments: 16,
        ..Config::new()
    }
}

#[test]
fn test_sizes() {
    // The struct: fixed part plus 4 bytes per host slot (up to alignment).
    let fixed = core::mem::size_of::<Defrag<'static, 2>>() - 8;
    assert_eq!(
        core::mem::size_of::<Defrag<'static, 258>>(),
        fixed + 4 * 258
    );
    assert!(fixed <= 208, "{fixed}");
    std::println!("Defrag fixed part: {fixed} bytes");
    let c = Config::new();
    // The payload area holds an IPv6 datagram's full 65,535-byte payload.
    assert_eq!(Defrag::<1>::slot_size_for(&c), 88 + 128 * 8 + 128 + 65_535);
    let s = small();
    assert_eq!(Defrag::<1>::slot_size_for(&s), 88 + 16 * 8 + 128 + 1480);
    assert_eq!(Defrag::<1>::storage_for(&s, 3), 16 * 8 + 3 * 1824);
    let mut mem = std::vec![0u8; Defrag::<1>::storage_for(&s, 3) + 1823];
    assert_eq!(Defrag::<1>::new(&mut mem[..], s).capacity(), 3);
    // An IPv6-sized limit: 65,535 bytes of payload.
    let big = Config {
        max_datagram: usize::MAX,
        ..Config::new()
    };
    assert_eq!(big.clamped().max_datagram, MAX_DATAGRAM_LIMIT);
    assert_eq!(Defrag::<1>::slot_size_for(&big), 88 + 1024 + 128 + 65_535);
}

#[test]
fn test_flood_evicts_oldest_within_storage() {
    let mut r = Rig::new(small(), 8);
    let cap = r.d.capacity();
    assert_eq!(cap, 8);
    for id in 0..100_000u32 {
        let b = v4_frag(
            (id % 65_536) as u16,
            8 * (id as usize / 65_536 + 1),
            true,
            &[1; 8],
        );
        // vary the source so ids never repeat a key
        let mut b = b;
        b[12] = (id >> 16) as u8 + 1;
        let c = !(checksum::sum(&{
            let mut h = b[..20].to_vec();
            h[10] = 0;
            h[11] = 0;
            h
        }) as u16);
        b[10..12].copy_from_slice(&c.to_be_bytes());
        assert!(r.feed_at(u64::from(id) / 1000, &b).is_none());
        assert!(r.d.pending() <= cap);
    }
    assert_eq!(r.d.pending(), cap);
    assert_eq!(r.d.stats().evicted, 100_000 - cap as u64);
    assert_eq!(r.count(Warning::DefragEvicted), 100_000 - cap);
    assert_eq!(r.d.stats().fragments, 100_000);
}

#[test]
fn test_evicts_oldest_not_newest() {
    let payload = data(32);
    let mut r = Rig::new(small(), 2);
    r.feed(&v4_frag(1, 0, true, &payload[..16]));
    r.feed(&v4_frag(2, 0, true, &payload[..16]));
    // A fragment for 1 makes 2 the oldest.
    r.feed(&v4_frag(1, 24, false, &payload[24..]));
    r.feed(&v4_frag(3, 0, true, &payload[..16])); // evicts 2
    assert_eq!(r.warnings, [Warning::DefragEvicted]);
    assert!(r.feed(&v4_frag(1, 16, true, &payload[16..24])).is_some());
    // 2 lost its first fragment: its last alone does not complete it.
    assert!(r.feed(&v4_frag(2, 16, false, &payload[16..])).is_none());
    // libnids evicts the newest (3); we kept it.
    assert!(r.feed(&v4_frag(3, 16, false, &payload[16..])).is_some());
    assert_eq!(r.d.stats().evicted, 1);
}

#[test]
fn test_host_limit() {
    let c = Config {
        max_host_bytes: 2 * (HOST_OVERHEAD + 16),
        ..small()
    };
    let mut r = Rig::new(c, 8);
    let payload = data(32);
    for id in 1..=3 {
        r.feed(&v4_frag(id, 0, true, &payload[..16]));
    }
    // Charged 3 × 184 > 368 when the 4th fragment arrives: 1 is dropped, then 2
    // (down to 3/4 of the limit).
    assert!(r.warnings.is_empty());
    r.feed(&v4_frag(4, 0, true, &payload[..16]));
    assert_eq!(r.count(Warning::DefragEvicted), 2);
    assert!(r.feed(&v4_frag(3, 16, false, &payload[16..])).is_some());
    assert!(r.feed(&v4_frag(1, 16, false, &payload[16..])).is_none());
    assert_eq!(r.count(Warning::DefragEvicted), 2);
    // Another host is not affected by this host's limit.
    let mut other = v6_frag(1, 0, true, &payload[..16]);
    other[39] = 9;
    assert!(r.feed(&other).is_none());
}

#[test]
fn test_timeout_on_packet_time() {
    let payload = data(48);
    let mut r = Rig::default();
    r.feed_at(0, &v4_frag(1, 0, true, &payload[..16]));
    r.feed_at(20, &v4_frag(1, 16, true, &payload[16..32])); // restarts the timer
    r.feed_at(45, &v4_frag(2, 0, true, &payload[..16]));
    assert!(r.warnings.is_empty(), "20 + 30 > 45");
    assert!(r
        .feed_at(50, &v4_frag(1, 32, false, &payload[32..]))
        .is_some());
    // 2 times out at 75 s; `expire` notices without a packet.
    r.d.expire(Instant::from_micros(75_000_000), &mut |w| {
        r.warnings.push(w)
    });
    assert!(r.warnings.is_empty());
    r.d.expire(Instant::from_micros(75_000_001), &mut |w| {
        r.warnings.push(w)
    });
    assert_eq!(r.warnings, [Warning::DefragTimeout]);
    assert_eq!(r.d.pending(), 0);
    assert_eq!(r.d.stats().timeouts, 1);
    // Time never runs backwards: an early timestamp touches at the clock (100).
    r.feed_at(100, &v4_frag(5, 0, true, &payload[..16]));
    r.feed_at(1, &v4_frag(5, 16, true, &payload[16..32]));
    r.feed_at(129, &v4_frag(6, 0, true, &payload[..16]));
    assert_eq!(r.count(Warning::DefragTimeout), 1);
    r.feed_at(131, &v4_frag(6, 16, true, &payload[16..32]));
    assert_eq!(r.count(Warning::DefragTimeout), 2);
}

#[test]
fn test_unfragmented_replaces_queue() {
    let payload = data(32);
    let mut r = Rig::default();
    r.d.unfragmented(&parse(&v4_frag(1, 0, false, &payload))); // nothing pending
    r.feed(&v4_frag(1, 0, true, &payload[..16]));
    r.feed(&v4_frag(2, 0, true, &payload[..16]));
    r.d.unfragmented(&parse(&v4_frag(1, 0, false, &payload)));
    assert_eq!((r.d.pending(), r.d.stats().replaced), (1, 1));
    assert!(r.feed(&v4_frag(1, 16, false, &payload[16..])).is_none());
    // IPv6 packets without a fragment header have no id: nothing matches.
    r.d.unfragmented(&parse(&v6_packet(None, false, &payload)));
    assert!(r.warnings.is_empty());
}

#[test]
fn test_second_last_fragment_invalid() {
    let mut r = Rig::default();
    r.feed(&v4_frag(1, 16, false, &[2; 16]));
    r.feed(&v4_frag(1, 16, false, &[2; 16])); // the same last fragment again: fine
    assert!(r.warnings.iter().all(|w| *w == Warning::DefragOverlap));
    r.warnings.clear();
    assert!(r.feed(&v4_frag(1, 24, false, &[3; 16])).is_none());
    assert_eq!(r.warnings, [Warning::DefragInvalid]);
    assert_eq!(r.d.pending(), 0, "datagram dropped");
}

#[test]
fn test_data_past_end_invalid() {
    let mut r = Rig::default();
    r.feed(&v4_frag(1, 16, false, &[2; 16]));
    assert!(r.feed(&v4_frag(1, 24, true, &[3; 16])).is_none());
    assert_eq!(r.warnings, [Warning::DefragInvalid]);
    assert_eq!(r.d.pending(), 0);
    // A last fragment ending before data already held.
    r.feed(&v4_frag(2, 32, true, &[2; 16]));
    r.feed(&v4_frag(2, 16, false, &[2; 8]));
    assert_eq!(r.count(Warning::DefragInvalid), 2);
    assert_eq!(r.d.pending(), 0);
}

#[test]
fn test_unaligned_more_fragment_dropped() {
    let payload = data(40);
    let mut r = Rig::default();
    r.feed(&v4_frag(1, 0, true, &payload[..13]));
    assert_eq!(r.warnings, [Warning::DefragInvalid]);
    assert_eq!(r.d.pending(), 0, "fragment dropped before a queue was made");
    r.feed(&v4_frag(1, 0, true, &payload[..16]));
    r.feed(&v4_frag(1, 16, true, &payload[16..21]));
    assert_eq!(r.d.pending(), 1, "queue kept");
    assert!(r.feed(&v4_frag(1, 16, false, &payload[16..])).is_some());
}

#[test]
fn test_oversized() {
    let mut r = Rig::default();
    r.feed(&v4_frag(1, 0, true, &[0; 16]));
    // 65,528 + 8 bytes of payload after a 20-byte header: 65,556 > 65,535.
    assert!(r.feed(&v4_frag(1, 65_528, false, &[0; 8])).is_none());
    assert_eq!(r.warnings, [Warning::DefragOversized]);
    assert_eq!(r.d.pending(), 1, "queue kept");
    // The largest datagram fits: 65,515 bytes of payload.
    let payload = data(65_515);
    let mut r = Rig::new(Config::new(), 1);
    let mut out = None;
    for (off, more, c) in cuts(&payload, 1480) {
        out = r.feed(&v4_frag(0x1234, off, more, &c));
    }
    check_v4(&out.unwrap(), &payload);
    // With a smaller limit, a whole datagram over it (long header) is dropped.
    let c = Config {
        max_datagram: 100,
        ..Config::new()
    };
    let mut r = Rig::new(c, 1);
    r.feed(&v4_frag(1, 72, false, &[0; 8]));
    r.feed(&v4_packet(1, 0, true, false, &[1; 40], &[0; 72]));
    assert_eq!(r.warnings, [Warning::DefragOversized]);
    assert_eq!(r.d.pending(), 0);
}

#[test]
fn test_v6_header_too_long() {
    let c = Config {
        max_header: 60,
        ..Config::new()
    };
    let mut r = Rig::new(c, 1);
    let mut b = v6_packet(Some((1, 0, true)), true, &[0; 8]);
    // Grow the destination options header to 24 bytes.
    b[41] = 2;
    b.splice(48..48, [1, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let plen = (b.len() - 40) as u16;
    b[4..6].copy_from_slice(&plen.to_be_bytes());
    assert!(r.feed(&b).is_none());
    assert_eq!(r.warnings, [Warning::DefragOversized]);
}

#[test]
fn test_too_many_pieces() {
    let c = Config {
        max_fragments: 4,
        ..small()
    };
    let mut r = Rig::new(c, 2);
    for i in 0..4 {
        r.feed(&v4_frag(1, i * 16, true, &[i as u8; 8]));
    }
    assert!(r.warnings.is_empty());
    r.feed(&v4_frag(1, 72, true, &[9; 8]));
    assert_eq!(r.warnings, [Warning::DefragNoMemory]);
    assert_eq!(r.d.pending(), 0, "datagram dropped");
}

#[test]
fn test_no_storage() {
    let mut mem = [0u8; 100];
    let mut d = Defrag::<4>::new(&mut mem[..], Config::new());
    assert_eq!(d.capacity(), 0);
    let b = v4_frag(1, 0, true, &[0; 8]);
    let mut w = Vec::new();
    assert!(d
        .insert(Instant::ZERO, &parse(&b), &mut |x| w.push(x))
        .is_none());
    assert_eq!(w, [Warning::DefragNoMemory]);
    assert_eq!(d.stats().no_memory, 1);
}

#[test]
fn test_not_a_fragment_ignored() {
    let mut r = Rig::default();
    assert!(r.feed(&v4_frag(1, 0, false, &[0; 8])).is_none());
    assert_eq!(r.d.stats().fragments, 0);
}

#[test]
fn test_zero_length_fragments() {
    let payload = data(24);
    let mut r = Rig::default();
    // A header-only offset-0 fragment, then the data, then an empty last one.
    r.feed(&v4_frag(1, 0, true, &[]));
    r.feed(&v4_frag(1, 0, true, &payload[..8]));
    r.feed(&v4_frag(1, 8, true, &payload[8..]));
    let out = r.feed(&v4_frag(1, 24, false, &[])).unwrap();
    assert_eq!(parse(&out).payload(), &payload[..]);
    assert!(r.warnings.is_empty());
}

// ---- libnids' memory bugs (behaviour §3.5) -----------------------------------------

#[test]
fn test_short_fragments_no_overread() {
    // libnids copies ihl + 8 bytes of every offset-0 fragment, reading past a
    // shorter one. Here the header is taken from the fragment's own bytes.
    let mut r = Rig::default();
    assert!(r.feed(&v4_frag(1, 8, false, &[5, 6, 7])).is_none());
    let b = v4_frag(1, 0, true, &[]);
    assert_eq!(b.len(), 20, "a fragment with no payload at all");
    assert!(r.feed(&b).is_none());
    let out = r.feed(&v4_frag(1, 0, true, &[1; 8])).unwrap();
    assert_eq!(parse(&out).payload(), &[1, 1, 1, 1, 1, 1, 1, 1, 5, 6, 7]);
    // IPv6: a 3-byte last fragment.
    assert!(r.feed(&v6_frag(1, 8, false, &[5, 6, 7])).is_none());
    let out = r.feed(&v6_frag(1, 0, true, &[1; 8])).unwrap();
    assert_eq!(parse(&out).payload().len(), 11);
}

#[test]
fn test_recreate_clean() {
    // libnids leaks queues on exit and a later init expires stale ones against
    // the new table. Here a new reassembler over the same (dirty) storage, or a
    // cleared one, knows nothing of the old datagrams.
    let config = small();
    let mut mem = std::vec![0u8; Defrag::<4>::storage_for(&config, 2)];
    let payload = data(32);
    let mut w = Vec::new();
    {
        let mut d = Defrag::<4>::new(&mut mem[..], config);
        d.insert(
            Instant::ZERO,
            &parse(&v4_frag(1, 0, true, &payload[..16])),
            &mut |x| w.push(x),
        );
        assert_eq!(d.pending(), 1);
    }
    let mut d = Defrag::<4>::new(&mut mem[..], config);
    assert_eq!(d.pending(), 0);
    let late = Instant::from_micros(1_000_000_000);
    d.expire(late, &mut |x| w.push(x));
    assert!(d
        .insert(
            late,
            &parse(&v4_frag(1, 16, false, &payload[16..])),
            &mut |x| w.push(x)
        )
        .is_none());
    assert!(w.is_empty(), "no stale timeout");
    d.clear();
    assert_eq!(d.pending(), 0);
    assert!(d
        .insert(
            late,
            &parse(&v4_frag(1, 0, true, &payload[..16])),
            &mut |x| w.push(x)
        )
        .is_none());
    assert!(d
        .insert(
            late,
            &parse(&v4_frag(1, 16, false, &payload[16..])),
            &mut |x| w.push(x)
        )
        .is_some());
}

#[test]
fn test_const_and_static_construction() {
    static D: std::sync::Mutex<Defrag<'static, 256>> =
        std::sync::Mutex::new(Defrag::new_borrowed(&mut [], Config::new()));
    let mut d = D.lock().unwrap();
    assert_eq!(d.capacity(), 0);
    let mem: &'static mut [u8] = std::vec![0u8; Defrag::<256>::storage_for(&small(), 2)].leak();
    let mut d2 = Defrag::<256>::new(mem, small());
    core::mem::swap(&mut *d, &mut d2);
    assert_eq!(d.capacity(), 2);
}

// ---- proptest ------------------------------------------------------------------

/// Any datagram, cut at any 8-byte multiples, delivered in any order with any
/// duplicates, reassembles to exactly the unfragmented packet.
fn fragment_plan() -> impl Strategy<Value = (Vec<u8>, Vec<usize>, Vec<usize>, bool)> {
    (9usize..1200, any::<bool>()).prop_flat_map(|(len, v6)| {
        let payload = proptest::collection::vec(any::<u8>(), len);
        let blocks = len.div_ceil(8);
        let cuts = proptest::collection::vec(1..blocks.max(2), 0..12);
        let order = proptest::collection::vec(any::<usize>(), 1..40);
        (payload, cuts, order, Just(v6))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn prop_any_fragmentation_reassembles((payload, cuts, order, v6) in fragment_plan(), policy in 0usize..8) {
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c * 8).filter(|&c| c < payload.len()).collect();
        bounds.push(0);
        bounds.push(8); // at least two fragments: a lone one is not a fragment
        bounds.push(payload.len());
        bounds.sort_unstable();
        bounds.dedup();
        let frags: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        // Every fragment at least once (in a shuffled order), plus duplicates.
        let mut seq: Vec<usize> = (0..frags.len()).collect();
        for (i, o) in order.iter().enumerate() {
            if i < seq.len() {
                let j = o % seq.len();
                seq.swap(i, j);
            } else {
                let at = o % (seq.len() + 1);
                seq.insert(at, o % frags.len());
            }
        }
        let mut r = Rig::policy(Policy::ALL[policy]);
        let mut outs = Vec::new();
        for &k in &seq {
            let (s, e) = frags[k];
            let more = e < payload.len();
            let b = if v6 {
                v6_packet(Some((0x1234, s, more)), true, &payload[s..e])
            } else {
                v4_frag(0x1234, s, more, &payload[s..e])
            };
            if let Some(out) = r.feed(&b) {
                outs.push(out);
            }
        }
        // Fragments after delivery start a new datagram that never completes
        // (its pieces are a subset), unless every fragment is repeated.
        prop_assert!(!outs.is_empty());
        let want = if v6 {
            v6_packet(None, true, &payload)
        } else {
            v4_packet(0x1234, 0, false, false, &[], &payload)
        };
        prop_assert_eq!(&outs[0], &want);
        for o in &outs {
            prop_assert_eq!(o, &want);
        }
        prop_assert!(r.warnings.iter().all(|w| *w == Warning::DefragOverlap));
    }

    /// Hostile input never panics and never exceeds the storage.
    #[test]
    fn prop_hostile_never_panics(ops in proptest::collection::vec((any::<u8>(), 0usize..70_000, any::<bool>(), 0usize..300, 0u64..100), 1..60), policy in 0usize..8) {
        let mut r = Rig::new(Config { policy: Policy::ALL[policy], max_fragments: 8, ..small() }, 3);
        for (id, off, more, len, t) in ops {
            let off = off & !7 & 0xfff8;
            let b = if id & 1 == 0 {
                v4_frag(u16::from(id % 4), off, more, &std::vec![id; len])
            } else {
                v6_frag(u32::from(id % 4), off, more, &std::vec![id; len])
            };
            if let Some(out) = r.feed_at(t, &b) {
                let p = parse(&out);
                prop_assert_eq!(p.fragment, None);
            }
            prop_assert!(r.d.pending() <= r.d.capacity());
        }
    }
}

//! A sequence of fragments (IPv4 and IPv6, a few sources, destinations and ids)
//! straight into `nids_core::defrag::Defrag`, with small storage and limits.
//!
//! Invariants: no panic; a returned datagram parses as a whole IP packet (IPv4
//! header checksum correct), its addresses, id, protocol, header length and
//! length are those of fragments given for its key, it is no longer than
//! `max_datagram`, and each payload byte is one that a fragment of its key put
//! at that offset (with "consistent" content, exactly the byte every fragment
//! carries there, whatever the overlap policy); counters match the calls and
//! the warnings; `pending() <= capacity()`; after the timeout nothing is pending.
#![no_main]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nids_core::defrag::{Config, Defrag, Policy};
use nids_core::ip::{self, Version};
use nids_core::{Duration, Instant, Warning};
use nids_fuzz::build;

const HOSTS: usize = 4;

#[derive(Arbitrary, Debug)]
struct Input {
    policy: u8,
    max_datagram: u16,
    max_header: u8,
    max_fragments: u8,
    max_host_bytes: u16,
    timeout_s: u8,
    slots: u8,
    extra: u16,
    consistent: bool,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Frag {
        v6: bool,
        src: u8,
        dst: u8,
        id: u8,
        offset: u16,
        len: u16,
        more: bool,
        /// IPv4: option bytes; IPv6: extension headers before the fragment header.
        hdr: u8,
        dt_ms: u16,
    },
    Whole {
        v6: bool,
        src: u8,
        dst: u8,
        id: u8,
    },
    Expire {
        dt_ms: u16,
    },
    Clear,
}

const POLICIES: [Policy; 8] = [
    Policy::Linux20,
    Policy::First,
    Policy::Last,
    Policy::Bsd,
    Policy::BsdRight,
    Policy::Linux,
    Policy::Windows,
    Policy::Solaris,
];

type Key = (bool, u8, u8, u8);

fn addr(v6: bool, i: u8) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0xfd00,
            0,
            0,
            0,
            0,
            0,
            0,
            u16::from(i % 3) + 1,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, i % 3 + 1))
    }
}

fn proto(k: &Key) -> u8 {
    [6, 17, 59][usize::from(k.3) % 3]
}

fn byte(k: &Key, at: usize) -> u8 {
    (at as u8).wrapping_mul(31) ^ (at >> 8) as u8 ^ k.1.wrapping_mul(17) ^ k.2.wrapping_mul(5) ^ k.3
}

#[derive(Default)]
struct Seen {
    /// (start, end, xor) of every fragment given.
    pieces: Vec<(usize, usize, u8)>,
    /// Header lengths of offset-0 fragments.
    header_lens: Vec<usize>,
    /// Ends given by last fragments.
    ends: Vec<usize>,
}

fuzz_target!(|input: Input| {
    let cfg = Config {
        policy: POLICIES[usize::from(input.policy) % POLICIES.len()],
        timeout: Duration::from_secs(u64::from(input.timeout_s % 60) + 1),
        max_datagram: 68 + usize::from(input.max_datagram) % 3000,
        max_header: if input.max_header & 1 == 0 { 60 } else { 128 },
        max_fragments: usize::from(input.max_fragments % 16) + 1,
        max_host_bytes: 200 + usize::from(input.max_host_bytes) % 8000,
        ..Config::new()
    };
    let size = Defrag::<HOSTS>::storage_for(&cfg, usize::from(input.slots % 5))
        + usize::from(input.extra) % Defrag::<HOSTS>::slot_size_for(&cfg);
    let mut memory = vec![0u8; size];
    let mut d = Defrag::<HOSTS>::new(&mut memory[..], cfg);
    let ccfg = *d.config();
    let cap = d.capacity();
    assert!(cap <= usize::from(input.slots % 5));

    let mut now = 1_000_000u64;
    let mut seen: HashMap<Key, Seen> = HashMap::new();
    let mut warned: HashMap<Warning, u64> = HashMap::new();
    let mut inserts = 0u64;
    let mut returned = 0u64;
    let mut serial = 0u8;
    for op in input.ops.iter().take(300) {
        let mut warn = |w: Warning| *warned.entry(w).or_default() += 1;
        match *op {
            Op::Frag {
                v6,
                src,
                dst,
                id,
                offset,
                len,
                more,
                hdr,
                dt_ms,
            } => {
                now += u64::from(dt_ms) * 1000;
                let k: Key = (v6, src % 3, dst % 3, id % 4);
                let offset = if offset & 0x8000 != 0 {
                    usize::from(offset & 0x1fff) * 8
                } else {
                    usize::from(offset % 64) * 8
                };
                let len = if len & 0x8000 != 0 {
                    usize::from(len & 0x3fff)
                } else {
                    usize::from(len % 600)
                };
                serial = serial.wrapping_add(1).max(1);
                let xor = if input.consistent { 0 } else { serial };
                let data: Vec<u8> = (offset..offset + len).map(|i| byte(&k, i) ^ xor).collect();
                let (s, t) = (addr(v6, k.1), addr(v6, k.2 + 1));
                let packet = if v6 {
                    // extension headers before the fragment header
                    let mut ext = Vec::new();
                    let mut first = 44u8;
                    let chain: &[u8] = match hdr % 4 {
                        0 => &[],
                        1 => &[0],
                        2 => &[60],
                        _ => &[0, 60],
                    };
                    if let Some(&f) = chain.first() {
                        first = f;
                    }
                    for (j, _) in chain.iter().enumerate() {
                        let next = chain.get(j + 1).copied().unwrap_or(44);
                        ext.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
                    }
                    let mut rest = ext;
                    rest.extend_from_slice(&[proto(&k), 0]);
                    let field = (((offset / 8) as u16) << 3) | u16::from(more);
                    rest.extend_from_slice(&field.to_be_bytes());
                    rest.extend_from_slice(&u32::from(k.3).to_be_bytes());
                    rest.extend_from_slice(&data);
                    let (IpAddr::V6(s6), IpAddr::V6(t6)) = (s, t) else {
                        unreachable!()
                    };
                    build::ipv6(s6.octets(), t6.octets(), first, &rest)
                } else {
                    let opts = vec![1u8; usize::from(hdr % 41)];
                    let field = ((offset / 8) as u16 & 0x1fff) | if more { 0x2000 } else { 0 };
                    let (IpAddr::V4(s4), IpAddr::V4(t4)) = (s, t) else {
                        unreachable!()
                    };
                    build::ipv4(
                        s4.octets(),
                        t4.octets(),
                        proto(&k),
                        u16::from(k.3),
                        field,
                        &opts,
                        &data,
                    )
                };
                let p = match if v6 {
                    ip::v6::parse(&packet)
                } else {
                    ip::v4::parse(&packet, |_| true)
                } {
                    Ok(p) => p,
                    Err(_) => continue, // too long for one packet
                };
                let Some(f) = p.fragment else { continue };
                inserts += 1;
                let entry = seen.entry(k).or_default();
                let plen = p.payload().len();
                entry.pieces.push((f.offset, f.offset + plen, xor));
                if f.offset == 0 {
                    entry.header_lens.push(f.unfragmentable_len);
                }
                if !f.more {
                    entry.ends.push(f.offset + plen);
                }
                if let Some(whole) = d.insert(Instant::from_micros(now), &p, &mut warn) {
                    returned += 1;
                    check_whole(&k, whole, &seen[&k], &ccfg, s, t);
                }
            }
            Op::Whole { v6, src, dst, id } => {
                let k: Key = (v6, src % 3, dst % 3, id % 4);
                let (s, t) = (addr(v6, k.1), addr(v6, k.2 + 1));
                let packet = match (s, t) {
                    (IpAddr::V4(s4), IpAddr::V4(t4)) => build::ipv4(
                        s4.octets(),
                        t4.octets(),
                        proto(&k),
                        u16::from(k.3),
                        0x4000,
                        &[],
                        &[1, 2, 3],
                    ),
                    (IpAddr::V6(s6), IpAddr::V6(t6)) => {
                        // an atomic fragment: offset 0, no more fragments
                        let mut rest = vec![proto(&k), 0, 0, 0];
                        rest.extend_from_slice(&u32::from(k.3).to_be_bytes());
                        rest.extend_from_slice(&[1, 2, 3]);
                        build::ipv6(s6.octets(), t6.octets(), 44, &rest)
                    }
                    _ => unreachable!(),
                };
                let p = if v6 {
                    ip::v6::parse(&packet)
                } else {
                    ip::v4::parse(&packet, |_| true)
                }
                .expect("a whole packet");
                assert!(p.fragment.is_none());
                let before = d.stats().replaced;
                let pending = d.pending();
                d.unfragmented(&p);
                assert!(d.stats().replaced - before <= 1);
                assert_eq!(
                    d.pending() + (d.stats().replaced - before) as usize,
                    pending
                );
            }
            Op::Expire { dt_ms } => {
                now += u64::from(dt_ms) * 1000;
                d.expire(Instant::from_micros(now), &mut warn);
            }
            Op::Clear => {
                d.clear();
                assert_eq!(d.pending(), 0);
            }
        }
        assert!(d.pending() <= d.capacity(), "more pending than slots");
        check_stats(&d, inserts, returned, &warned);
    }
    // Past the timeout nothing is left.
    now += ccfg.timeout.micros() + 1;
    let mut warn = |w: Warning| *warned.entry(w).or_default() += 1;
    d.expire(Instant::from_micros(now), &mut warn);
    assert_eq!(d.pending(), 0, "datagrams pending past the timeout");
    check_stats(&d, inserts, returned, &warned);
});

fn check_stats(d: &Defrag<'_, HOSTS>, inserts: u64, returned: u64, warned: &HashMap<Warning, u64>) {
    let s = d.stats();
    let w = |x| warned.get(&x).copied().unwrap_or(0);
    assert_eq!(s.fragments, inserts, "fragments counter");
    assert_eq!(s.reassembled, returned, "reassembled counter");
    assert_eq!(s.overlaps, w(Warning::DefragOverlap));
    assert_eq!(s.oversized, w(Warning::DefragOversized));
    assert_eq!(s.invalid, w(Warning::DefragInvalid));
    assert_eq!(s.timeouts, w(Warning::DefragTimeout));
    assert_eq!(s.evicted, w(Warning::DefragEvicted));
    assert_eq!(s.no_memory, w(Warning::DefragNoMemory));
    let total: u64 = warned.values().sum();
    assert_eq!(
        total,
        s.overlaps + s.oversized + s.invalid + s.timeouts + s.evicted + s.no_memory,
        "a warning that is not defrag's"
    );
}

fn check_whole(k: &Key, whole: &[u8], seen: &Seen, cfg: &Config, s: IpAddr, t: IpAddr) {
    let p = match k.0 {
        false => ip::v4::parse(whole, |_| true),
        true => ip::v6::parse(whole),
    }
    .unwrap_or_else(|w| panic!("reassembled datagram does not parse: {w:?}"));
    assert!(p.fragment.is_none(), "reassembled datagram is a fragment");
    assert_eq!(p.bytes.len(), whole.len(), "length field != bytes returned");
    assert!(whole.len() <= cfg.max_datagram, "longer than max_datagram");
    assert_eq!((p.src, p.dst), (s, t), "addresses");
    assert_eq!(p.protocol, proto(k), "protocol");
    if p.version == Version::V4 {
        assert_eq!(
            u16::from_be_bytes([whole[4], whole[5]]),
            u16::from(k.3),
            "id"
        );
    }
    assert!(
        seen.header_lens.contains(&p.header_len),
        "header of no offset-0 fragment"
    );
    let payload = p.payload();
    assert!(
        seen.ends.contains(&payload.len()),
        "length of no last fragment"
    );
    for (i, &b) in payload.iter().enumerate() {
        let ok = seen
            .pieces
            .iter()
            .any(|&(a, e, x)| a <= i && i < e && b == byte(k, i) ^ x);
        assert!(ok, "byte {i} of the datagram came from no fragment");
    }
}

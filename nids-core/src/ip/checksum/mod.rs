//! Internet checksums: the arithmetic here; the policy ([`Policy`], in
//! `policy.rs`) and the table of offloading senders ([`Offload`], in
//! `offload.rs`) beside it.
//!
//! The sum runs four bytes at a time into a 64-bit accumulator and folds once at
//! the end (RFC 1071), so it costs about one add per four bytes.

use core::net::IpAddr;

mod offload;
mod policy;

pub use offload::{Offload, OFFLOAD_SOURCES};
pub use policy::{Net, Policy, Rule};

/// The 16-bit one's complement sum of `data` (not complemented), as a big-endian
/// value. An odd last byte is padded with a zero byte.
///
/// Sixteen bytes per loop turn (four word loads and adds into a 64-bit
/// accumulator, whose carries are folded at the end), then whole words, then
/// the last 1-3 bytes without a `memcpy` call: on a Cortex-M3 about 0.9
/// instructions per byte (1.25 a word at a time, issue 27).
pub fn sum(data: &[u8]) -> u32 {
    let word = |w: &[u8]| u64::from(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
    let mut acc: u64 = 0;
    let mut blocks = data.chunks_exact(16);
    for b in &mut blocks {
        acc += word(&b[0..4]) + word(&b[4..8]) + word(&b[8..12]) + word(&b[12..16]);
    }
    let mut words = blocks.remainder().chunks_exact(4);
    for w in &mut words {
        acc += word(w);
    }
    let tail = match *words.remainder() {
        [a] => [a, 0, 0, 0],
        [a, b] => [a, b, 0, 0],
        [a, b, c] => [a, b, c, 0],
        _ => [0; 4],
    };
    acc += u64::from(u32::from_ne_bytes(tail));
    // Fold the native-order sum to 16 bits, then to big-endian order: the one's
    // complement sum commutes with byte swapping (RFC 1071 §2(B)).
    let folded = fold(acc);
    u32::from(u16::from_be(folded as u16))
}

fn fold(mut acc: u64) -> u32 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u32
}

/// One's complement addition of two partial sums.
pub fn combine(a: u32, b: u32) -> u32 {
    fold(u64::from(a) + u64::from(b))
}

/// The partial sum of the TCP/UDP pseudo-header for `src`, `dst`, the protocol and
/// the upper-layer length. IPv4 and IPv6 addresses must not be mixed.
pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: u32) -> u32 {
    let mut acc = u64::from(protocol) + u64::from(len >> 16) + u64::from(len & 0xffff);
    let mut add = |b: &[u8]| {
        for pair in b.chunks_exact(2) {
            acc += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
        }
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        // Mixed families never reach here; sum them as IPv6 (v4-mapped) anyway.
        (s, d) => {
            add(&v6_octets(s));
            add(&v6_octets(d));
        }
    }
    fold(acc)
}

/// The 16 bytes of `a` (IPv4 as v4-mapped IPv6).
pub(crate) fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// Whether `data` (an upper-layer header and payload, checksum field included)
/// sums with the pseudo-header to all ones, i.e. its checksum is right.
pub fn verify(pseudo: u32, data: &[u8]) -> bool {
    combine(pseudo, sum(data)) == 0xffff
}

/// Whether a checksum field holds what a sender with transmit checksum offload
/// leaves there before the NIC fills it in: the plain pseudo-header sum (Linux
/// `CHECKSUM_PARTIAL`). A capture taken on such a sender shows every outgoing
/// TCP and UDP packet this way; a corrupted packet matches it with probability
/// 2⁻¹⁶.
pub fn is_offload_signature(pseudo: u32, field: u16) -> bool {
    let p = pseudo as u16;
    field == p || (p == 0xffff && field == 0) || (p == 0 && field == 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Instant;
    use core::net::{Ipv4Addr, Ipv6Addr};

    /// The reference sum: 16-bit big-endian words, one at a time.
    fn slow_sum(data: &[u8]) -> u32 {
        let mut acc: u64 = 0;
        for pair in data.chunks(2) {
            let hi = pair[0];
            let lo = pair.get(1).copied().unwrap_or(0);
            acc += u64::from(u16::from_be_bytes([hi, lo]));
        }
        fold(acc)
    }

    #[test]
    fn test_sum_matches_reference() {
        let data: std::vec::Vec<u8> = (0..1001u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(sum(&data[..len]), slow_sum(&data[..len]), "len {len}");
        }
    }

    #[test]
    fn test_ipv4_header_checksum() {
        // IPv4 header from RFC 1071 style example (checksum 0xb861 filled in).
        let hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(sum(&hdr), 0xffff);
    }

    #[test]
    fn test_net_contains() {
        let n = Net::new(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)), 16);
        assert!(n.contains(IpAddr::V4(Ipv4Addr::new(10, 1, 200, 3))));
        assert!(!n.contains(IpAddr::V4(Ipv4Addr::new(10, 2, 0, 3))));
        assert!(!n.contains(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        let n = Net::new(IpAddr::V6("fd00::".parse().unwrap()), 9);
        assert!(n.contains(IpAddr::V6("fd7f::1".parse().unwrap())));
        assert!(!n.contains(IpAddr::V6("fd80::1".parse().unwrap())));
        let all = Net::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        assert!(all.contains(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))));
    }

    #[test]
    fn test_list_first_match_wins() {
        let rules = [
            Rule {
                net: Net::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 32),
                verify: true,
            },
            Rule {
                net: Net::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
                verify: false,
            },
        ];
        let p = Policy::List(&rules);
        assert!(p.verifies(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
        assert!(!p.verifies(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))));
        assert!(p.verifies(IpAddr::V4(Ipv4Addr::new(11, 0, 0, 2))));
    }

    #[test]
    fn test_offload_confirm() {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let mut o = Offload::new();
        o.suspect(Instant::ZERO, a, b);
        assert!(!o.confirmed(a));
        o.answered(Instant::ZERO, a, b); // a -> b is not an answer to a
        assert!(!o.confirmed(a));
        o.answered(Instant::ZERO, b, a);
        assert!(o.confirmed(a));
        assert!(!o.confirmed(b));
    }

    #[test]
    fn test_offload_table_bounded() {
        let mut o = Offload::new();
        let mut forgotten = 0;
        for i in 0..1000u32 {
            forgotten += usize::from(o.suspect(
                Instant::from_micros(i.into()),
                IpAddr::V4(Ipv4Addr::from(i)),
                IpAddr::V4(Ipv4Addr::from(0)),
            ));
        }
        assert_eq!(
            forgotten,
            1000 - OFFLOAD_SOURCES,
            "each one past the table forgets one"
        );
        assert_eq!(o.entries.iter().flatten().count(), OFFLOAD_SOURCES);
        assert!(o
            .entries
            .iter()
            .flatten()
            .all(|e| e.seen.micros() >= 1000 - OFFLOAD_SOURCES as u64));
    }
}

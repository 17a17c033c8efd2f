//! [`ShardKey`]: which shard a frame goes to, by a keyed hash of its IP
//! address pair that is the same both ways.
//!
//! The link layer is decoded by nids-core ([`nids_core::link::decode`]), so
//! every link type and encapsulation the engine reads is sharded the same way.
//! The key is the unordered pair {source, destination} of the IP header: no
//! ports, so every fragment of a datagram (only the first carries ports) goes
//! where the datagram goes, and both directions of a stream go together. ICMP
//! errors (destination unreachable, time exceeded, …) are sharded by the pair
//! of the packet they quote, so a router's error reaches the shard that holds
//! the stream it is about, as in one engine.
//!
//! Tunnels (GRE, VXLAN, GTP-U, IP-in-IP, ...) are sharded by their outer IP
//! pair, the one this decode sees: every flow inside one tunnel goes to the
//! same shard, which keeps each inner flow whole (and its outer fragments with
//! it), at the cost of not spreading one busy tunnel over several shards. This
//! mirrors the engine's tunnel identity ([`nids_core::tunnel`], "Tunnel
//! identity"): a flow's key holds the unordered endpoint pair of every hop and
//! no per-direction identifier (GTP-U TEID, GRE key, ERSPAN session, MPLS
//! label), so both halves of a tunnelled connection, whatever ids they carry,
//! have the same outermost pair and reach the same shard; and one flow never
//! spans two outer pairs, so no flow is split between shards.
//!
//! Frames with no IP pair (ARP, LLDP, truncated or malformed headers) go to
//! shard 0 ([`Shard::Unkeyed`]): the engine counts or warns them there.

use core::hash::Hasher;

use nids_core::link::{self, LinkType, L3};
use siphasher::sip::SipHasher13;

/// Where a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shard {
    /// By the hash of its IP address pair.
    Keyed(usize),
    /// Shard 0: the frame has no IP address pair.
    Unkeyed,
}

impl Shard {
    /// The shard's index.
    pub fn index(self) -> usize {
        match self {
            Shard::Keyed(i) => i,
            Shard::Unkeyed => 0,
        }
    }
}

/// A keyed, symmetric hash of IP address pairs onto `shards` shards.
/// Costs one link decode and one SipHash-1-3 of at most 33 bytes per frame.
#[derive(Debug, Clone, Copy)]
pub struct ShardKey {
    key: (u64, u64),
    shards: usize,
}

impl ShardKey {
    /// Frames onto `shards` shards (at least 1), hashed under the secret
    /// 128-bit `key` (pick it at random: whoever knows it can aim many flows
    /// at one shard).
    pub fn new(key: [u8; 16], shards: usize) -> Self {
        let mut k0 = [0u8; 8];
        let mut k1 = [0u8; 8];
        k0.copy_from_slice(&key[..8]);
        k1.copy_from_slice(&key[8..]);
        ShardKey {
            key: (u64::from_le_bytes(k0), u64::from_le_bytes(k1)),
            shards: shards.max(1),
        }
    }

    /// How many shards.
    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The shard of a frame of link type `link`.
    pub fn shard(&self, link: LinkType, frame: &[u8]) -> Shard {
        self.shard_decoded(link::decode(link, frame))
    }

    /// The shard of a frame whose link header is decoded already (`l3`, the
    /// result of [`link::decode`]), so the engine it goes to can be given the
    /// same decode ([`nids_core::Nids::process_decoded`]).
    pub fn shard_decoded(&self, l3: Result<L3<'_>, link::Drop>) -> Shard {
        let Some((a, b)) = l3.ok().and_then(pair) else {
            return Shard::Unkeyed;
        };
        // Both are 4 or 16 bytes: compared as big-endian numbers, which orders
        // them as the slices would, without a memcmp call per frame.
        let (lo, hi) = if be(a) <= be(b) { (a, b) } else { (b, a) };
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        // The length tells IPv4 from IPv6 pairs.
        h.write_u8(lo.len() as u8);
        h.write(lo);
        h.write(hi);
        let n = u64::try_from(self.shards).unwrap_or(u64::MAX);
        Shard::Keyed(usize::try_from(h.finish() % n).unwrap_or(0))
    }
}

/// An address of at most 16 bytes as a big-endian number.
fn be(a: &[u8]) -> u128 {
    a.iter().fold(0, |n, &b| (n << 8) | u128::from(b))
}

const ICMP: u8 = 1;
const ICMPV6: u8 = 58;

/// The address pair of an IP packet, or of the packet an ICMP error quotes.
fn pair(l3: L3<'_>) -> Option<(&[u8], &[u8])> {
    let (outer, inner) = match l3 {
        L3::V4(p) => v4(p)?,
        L3::V6(p) => v6(p)?,
    };
    // The quoted header's pair, when it is complete.
    Some(
        inner
            .and_then(|q| match q.first()? >> 4 {
                4 => v4(q).map(|(p, _)| p),
                6 => v6(q).map(|(p, _)| p),
                _ => None,
            })
            .unwrap_or(outer),
    )
}

type Pair<'a> = (&'a [u8], &'a [u8]);

/// An IPv4 header's pair, and the packet quoted if it is an unfragmented ICMP
/// error.
fn v4(p: &[u8]) -> Option<(Pair<'_>, Option<&[u8]>)> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return None;
    }
    let pair = (p.get(12..16)?, p.get(16..20)?);
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let fragmented = u16::from_be_bytes([p[6], p[7]]) & 0x3fff != 0;
    let quoted = (p[9] == ICMP && !fragmented)
        .then(|| p.get(ihl..))
        .flatten()
        .filter(|icmp| matches!(icmp.first(), Some(3 | 4 | 5 | 11 | 12)))
        .and_then(|icmp| icmp.get(8..));
    Some((pair, quoted))
}

/// An IPv6 header's pair, and the packet quoted if it is an ICMPv6 error right
/// after the fixed header.
fn v6(p: &[u8]) -> Option<(Pair<'_>, Option<&[u8]>)> {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return None;
    }
    let pair = (p.get(8..24)?, p.get(24..40)?);
    let quoted = (p[6] == ICMPV6)
        .then(|| p.get(40..))
        .flatten()
        .filter(|icmp| matches!(icmp.first(), Some(1..=4)))
        .and_then(|icmp| icmp.get(8..));
    Some((pair, quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_packet(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn test_symmetric_and_spread() {
        let k = ShardKey::new([9; 16], 4);
        let mut seen = [0u32; 4];
        for i in 0..64u8 {
            let ab = v4_packet([10, 0, 0, i], [10, 0, 1, 1], 6, &[]);
            let ba = v4_packet([10, 0, 1, 1], [10, 0, 0, i], 6, &[]);
            let s = k.shard(LinkType::RAW, &ab);
            assert_eq!(s, k.shard(LinkType::RAW, &ba));
            seen[s.index()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    /// Both halves of a GTP-U connection (uplink and downlink TEIDs differ,
    /// outer addresses swapped) reach one shard, as they are one flow in the
    /// engine; the same inner connection through other endpoints may not.
    #[test]
    fn test_tunnel_halves_meet() {
        let inner_up = v4_packet([10, 30, 0, 1], [10, 30, 0, 2], 6, &[0; 20]);
        let inner_down = v4_packet([10, 30, 0, 2], [10, 30, 0, 1], 6, &[0; 20]);
        let gtpu = |src, dst, teid: u32, inner: &[u8]| {
            let mut udp = vec![0x08, 0x68, 0x08, 0x68, 0, 0, 0, 0];
            udp.extend_from_slice(&[0x30, 255, 0, inner.len() as u8]);
            udp.extend_from_slice(&teid.to_be_bytes());
            udp.extend_from_slice(inner);
            v4_packet(src, dst, 17, &udp)
        };
        let (a, b) = ([192, 0, 2, 11], [192, 0, 2, 12]);
        for shards in [2, 3, 7, 16] {
            for seed in 0..8 {
                let k = ShardKey::new([seed; 16], shards);
                let up = k.shard(LinkType::RAW, &gtpu(a, b, 0x1001, &inner_up));
                let down = k.shard(LinkType::RAW, &gtpu(b, a, 0x2002, &inner_down));
                assert_eq!(up, down, "{shards} shards, seed {seed}");
            }
        }
        // other endpoints: another key, spread over the shards
        let k = ShardKey::new([5; 16], 16);
        let seen: std::collections::HashSet<usize> = (0..32u8)
            .map(|n| {
                k.shard(LinkType::RAW, &gtpu([192, 0, 2, n], b, 1, &inner_up))
                    .index()
            })
            .collect();
        assert!(seen.len() > 1);
    }

    #[test]
    fn test_icmp_error_follows_quoted_pair() {
        let k = ShardKey::new([3; 16], 8);
        let inner = v4_packet([10, 0, 0, 1], [10, 0, 0, 2], 17, &[0; 8]);
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&inner);
        let from_router = v4_packet([192, 0, 2, 1], [10, 0, 0, 1], 1, &icmp);
        assert_eq!(
            k.shard(LinkType::RAW, &from_router),
            k.shard(LinkType::RAW, &inner)
        );
    }

    #[test]
    fn test_be_orders_as_the_bytes() {
        let addrs: [&[u8]; 6] = [
            &[10, 0, 0, 1],
            &[10, 0, 0, 255],
            &[255, 0, 0, 0],
            &[0, 255, 255, 255],
            &[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            &[0xfd, 0x76, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 2],
        ];
        for a in addrs {
            for b in addrs.iter().filter(|b| b.len() == a.len()) {
                assert_eq!(be(a).cmp(&be(b)), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn test_not_ip_goes_to_shard_0() {
        let k = ShardKey::new([1; 16], 3);
        let mut arp = vec![0u8; 42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assert_eq!(k.shard(LinkType::ETHERNET, &arp), Shard::Unkeyed);
        assert_eq!(k.shard(LinkType::RAW, &[0x45, 0]), Shard::Unkeyed);
    }
}

//! [`TunnelId`]: the tunnel context of a flow, in 8 bytes.

use core::fmt;
use core::net::IpAddr;

/// What kind of encapsulation a tunnel hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum Kind {
    /// GRE (RFC 2784/2890), PPTP's enhanced GRE, transparent Ethernet
    /// bridging; GRE in UDP (RFC 8086) too.
    Gre = 1,
    /// ERSPAN types I, II and III (inside GRE).
    Erspan = 2,
    /// VXLAN (RFC 7348).
    Vxlan = 3,
    /// Geneve (RFC 8926).
    Geneve = 4,
    /// GTP-U (3GPP TS 29.281).
    Gtpu = 5,
    /// IPv4 in IPv4 (IP protocol 4).
    Ip4in4 = 6,
    /// Teredo (RFC 4380): IPv6 in UDP.
    Teredo = 7,
    /// An MPLS label stack inside GRE or UDP (RFC 4023, RFC 7510).
    Mpls = 8,
    /// IPv6 in IPv4 (IP protocol 41: 6in4, 6to4, ISATAP).
    Ip6in4 = 9,
    /// IPv4 in IPv6.
    Ip4in6 = 10,
    /// IPv6 in IPv6.
    Ip6in6 = 11,
    /// AYIYA ("anything in anything", UDP 5072): IPv6 or IPv4 in UDP.
    Ayiya = 12,
}

impl Kind {
    const ALL: [Kind; 12] = [
        Kind::Gre,
        Kind::Erspan,
        Kind::Vxlan,
        Kind::Geneve,
        Kind::Gtpu,
        Kind::Ip4in4,
        Kind::Teredo,
        Kind::Mpls,
        Kind::Ip6in4,
        Kind::Ip4in6,
        Kind::Ip6in6,
        Kind::Ayiya,
    ];

    /// The name used in tunnel paths (`"vxlan"`, `"6in4"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Gre => "gre",
            Kind::Erspan => "erspan",
            Kind::Vxlan => "vxlan",
            Kind::Geneve => "geneve",
            Kind::Gtpu => "gtpu",
            Kind::Ip4in4 => "4in4",
            Kind::Teredo => "teredo",
            Kind::Mpls => "mpls",
            Kind::Ip6in4 => "6in4",
            Kind::Ip4in6 => "4in6",
            Kind::Ip6in6 => "6in6",
            Kind::Ayiya => "ayiya",
        }
    }

    /// Whether this encapsulation's identifier names a virtual network for
    /// both directions of a connection (the VNI of VXLAN and Geneve), so that
    /// it belongs in the flow key. The identifiers of the other kinds are
    /// chosen per direction (GTP-U TEIDs, GRE keys, ERSPAN sessions) and would
    /// split a connection in two.
    pub const fn names_network(self) -> bool {
        matches!(self, Kind::Vxlan | Kind::Geneve)
    }

    fn from_nibble(n: u64) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| *k as u64 == n)
    }
}

/// One level of encapsulation, as its decoder read it: its kind and the
/// identifier its header carries, if any (VXLAN and Geneve VNI, GRE key, PPTP
/// call id, GTP-U TEID, ERSPAN session). Only a VNI, which names a virtual
/// network for both directions, becomes part of a [`TunnelId`]; the others are
/// chosen per direction and are left out of it ([`Kind::names_network`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Hop {
    /// The encapsulation.
    pub kind: Kind,
    /// Its tenant or session identifier, if it has one.
    pub id: Option<u32>,
}

/// The most nested encapsulations decoded in one packet; a packet nested deeper
/// is delivered at that depth with [`crate::Warning::TunnelTooDeep`].
pub const MAX_DEPTH: usize = 4;

const KINDS_SHIFT: u32 = 32;
const KINDS_MASK: u64 = 0xffff << KINDS_SHIFT;
const KEYED_SHIFT: u32 = 48;
const HASH_SHIFT: u32 = 51;

/// The splitmix64 finaliser: every input bit moves every output bit.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of the unordered pair `{a, b}`: the same for `(a, b)` and `(b, a)`.
fn endpoints(a: IpAddr, b: IpAddr) -> u64 {
    let n = |x: IpAddr| match x {
        IpAddr::V4(v) => u128::from(u32::from(v)) | (1 << 127),
        IpAddr::V6(v) => u128::from(v),
    };
    let (a, b) = (n(a), n(b));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    [lo as u64, (lo >> 64) as u64, hi as u64, (hi >> 64) as u64]
        .iter()
        .fold(0x243f_6a88_85a3_08d3, |h, w| mix(h ^ w))
}

/// The tunnel context of a packet or flow, the same for both directions of a
/// connection: the kinds of up to [`MAX_DEPTH`] encapsulations, outermost
/// first; for each, the unordered pair of its outer endpoints (hashed); and,
/// for the innermost hop whose protocol names a virtual network for both
/// directions (VXLAN, Geneve), its VNI exactly. Per-direction identifiers
/// (GTP-U TEIDs, GRE keys and PPTP call ids, ERSPAN sessions, MPLS labels,
/// Geneve options) are not part of it, so the two halves of a connection
/// meet; outer VNIs and endpoint pairs are kept as a hash (45 bits without a
/// VNI, 13 with one). Part of every [`crate::Tuple`] and defragmentation key:
/// two tenants reusing the same addresses in two VNIs, or in two tunnels
/// between different endpoints, get different flows. [`TunnelId::NONE`]
/// outside tunnels. 8 bytes; building and comparing are O(1).
///
/// ```
/// use core::net::{IpAddr, Ipv4Addr};
/// use nids_core::tunnel::{Hop, Kind, TunnelId};
///
/// let (enb, sgw) = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
/// // GTP-U: each direction has its own TEID; the flow is one.
/// let up = TunnelId::NONE.push(Hop { kind: Kind::Gtpu, id: Some(0x1001) }, enb, sgw);
/// let down = TunnelId::NONE.push(Hop { kind: Kind::Gtpu, id: Some(0x2002) }, sgw, enb);
/// assert_eq!(up, down);
/// assert_eq!(up.unwrap().to_string(), "gtpu");
/// // VXLAN: the VNI names the network for both directions; it stays apart.
/// let a = TunnelId::NONE.push(Hop { kind: Kind::Vxlan, id: Some(100) }, enb, sgw);
/// let b = TunnelId::NONE.push(Hop { kind: Kind::Vxlan, id: Some(200) }, sgw, enb);
/// assert_ne!(a, b);
/// assert_eq!(a.unwrap().to_string(), "vxlan:100");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TunnelId(u64);

impl TunnelId {
    /// Not tunnelled.
    pub const NONE: TunnelId = TunnelId(0);

    /// Whether the packet came through no tunnel.
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The raw 64 bits (for keys kept as bytes).
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// From [`TunnelId::to_bits`].
    pub const fn from_bits(b: u64) -> TunnelId {
        TunnelId(b)
    }

    /// How many encapsulations.
    pub fn depth(self) -> usize {
        (0..MAX_DEPTH)
            .take_while(|i| (self.0 >> (KINDS_SHIFT + 4 * *i as u32)) & 0xf != 0)
            .count()
    }

    /// The innermost encapsulation, if any. O(1).
    pub fn innermost(self) -> Option<Kind> {
        let d = self.depth();
        (d > 0)
            .then(|| Kind::from_nibble((self.0 >> (KINDS_SHIFT + 4 * (d as u32 - 1))) & 0xf))
            .flatten()
    }

    /// This context with one more (inner) hop, found in a packet from `src` to
    /// `dst` (the outer addresses, taken unordered), or `None` past
    /// [`MAX_DEPTH`]. The hop's identifier is kept only if its kind
    /// [names a network](Kind::names_network).
    pub fn push(self, hop: Hop, src: IpAddr, dst: IpAddr) -> Option<TunnelId> {
        let d = self.depth();
        if d == MAX_DEPTH {
            return None;
        }
        let kinds = (self.0 & KINDS_MASK) | ((hop.kind as u64) << (KINDS_SHIFT + 4 * d as u32));
        let keyed = (self.0 >> KEYED_SHIFT) & 0x7;
        // everything known so far but the kinds, with this hop's endpoints
        let h = mix((self.0 & !KINDS_MASK) ^ mix(endpoints(src, dst) ^ hop.kind as u64));
        let top = h & (0x1fff << HASH_SHIFT);
        let b = match hop.id.filter(|_| hop.kind.names_network()) {
            Some(vni) => u64::from(vni) | ((d as u64 + 1) << KEYED_SHIFT) | top,
            None if keyed != 0 => (self.0 & 0xffff_ffff) | (keyed << KEYED_SHIFT) | top,
            None => (h & 0xffff_ffff) | top,
        };
        Some(TunnelId(b | kinds))
    }

    /// The hops, outermost first; only the innermost hop that names a network
    /// shows its identifier.
    pub fn hops(self) -> impl Iterator<Item = Hop> {
        let keyed = ((self.0 >> KEYED_SHIFT) & 0x7) as usize;
        (0..self.depth()).filter_map(move |i| {
            Some(Hop {
                kind: Kind::from_nibble((self.0 >> (KINDS_SHIFT + 4 * i as u32)) & 0xf)?,
                id: (keyed == i + 1).then_some(self.0 as u32),
            })
        })
    }
}

impl fmt::Display for Hop {
    /// `vxlan:42`, or `4in4` for a hop without identifier.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "{}:{id}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

impl fmt::Display for TunnelId {
    /// The hops joined by `/`, outermost first (`gre/vxlan:42`); empty for
    /// [`TunnelId::NONE`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, h) in self.hops().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use std::string::ToString;

    fn hop(kind: Kind, id: Option<u32>) -> Hop {
        Hop { kind, id }
    }

    fn v4(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    const A: u8 = 1;
    const B: u8 = 2;

    fn one(kind: Kind, id: Option<u32>, src: u8, dst: u8) -> TunnelId {
        TunnelId::NONE
            .push(hop(kind, id), v4(src), v4(dst))
            .unwrap()
    }

    #[test]
    fn test_network_ids_exact() {
        let a = one(Kind::Vxlan, Some(42), A, B);
        let b = one(Kind::Vxlan, Some(43), A, B);
        let c = one(Kind::Geneve, Some(42), A, B);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, one(Kind::Vxlan, Some(42), B, A), "both directions");
        assert_eq!(a.to_string(), "vxlan:42");
        assert_eq!(c.to_string(), "geneve:42");
        assert_eq!(a.depth(), 1);
        assert!(TunnelId::NONE.is_none() && !a.is_none());
    }

    /// Identifiers chosen per direction are left out: both halves of a
    /// connection get one id, told apart only by their endpoints.
    #[test]
    fn test_per_direction_ids_left_out() {
        for kind in [Kind::Gtpu, Kind::Gre, Kind::Erspan, Kind::Mpls] {
            assert!(!kind.names_network());
            let up = one(kind, Some(0x1001), A, B);
            let down = one(kind, Some(0x2002), B, A);
            assert_eq!(up, down, "{kind:?}");
            assert_eq!(up, one(kind, None, A, B), "{kind:?}");
            assert_eq!(up.to_string(), kind.name());
            assert_ne!(up, one(kind, Some(0x1001), A, 3), "other endpoints");
            assert_ne!(up, one(Kind::Ip4in4, None, A, B), "other kind");
        }
        let t = one(Kind::Gtpu, Some(u32::MAX), A, B);
        assert_eq!(t.hops().next(), Some(hop(Kind::Gtpu, None)));
        // IPv6 endpoints, unordered too
        let x = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let y = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        let g = |s, d| TunnelId::NONE.push(hop(Kind::Gre, Some(7)), s, d);
        assert_eq!(g(x, y), g(y, x));
        assert_ne!(g(x, y), g(x, x));
    }

    #[test]
    fn test_nested_keeps_inner_vni_and_hashes_outer() {
        let gre = |k, dst| one(Kind::Gre, Some(k), A, dst);
        let vx = |t: TunnelId, s, d| t.push(hop(Kind::Vxlan, Some(42)), v4(s), v4(d)).unwrap();
        let a = vx(gre(1, B), 10, 11);
        assert_eq!(a, vx(gre(2, B), 11, 10), "outer GRE keys differ: one flow");
        assert_ne!(a, vx(gre(1, 3), 10, 11), "outer endpoints differ");
        assert_eq!(a.to_string(), "gre/vxlan:42");
        let c = a.push(hop(Kind::Ip4in4, None), v4(5), v4(6)).unwrap();
        assert_eq!(c.to_string(), "gre/vxlan:42/4in4");
        assert_eq!(c.depth(), 3);
        assert_eq!(c.innermost(), Some(Kind::Ip4in4));
        assert_eq!(TunnelId::NONE.innermost(), None);
        // an outer VNI is kept (hashed) under an inner one
        let two = |outer| {
            one(Kind::Vxlan, Some(outer), A, B)
                .push(hop(Kind::Geneve, Some(9)), v4(7), v4(8))
                .unwrap()
        };
        assert_ne!(two(1), two(2));
        assert_eq!(two(1).to_string(), "vxlan/geneve:9");
    }

    #[test]
    fn test_depth_bounded() {
        let mut t = TunnelId::NONE;
        for _ in 0..MAX_DEPTH {
            t = t.push(hop(Kind::Ip6in6, None), v4(A), v4(B)).unwrap();
        }
        assert_eq!(t.push(hop(Kind::Ip6in6, None), v4(A), v4(B)), None);
        assert_eq!(t.to_string(), "6in6/6in6/6in6/6in6");
    }
}

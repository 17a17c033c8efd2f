//! [`TunnelId`]: the tunnel context of a flow, in 8 bytes.

use core::fmt;

/// What kind of encapsulation a tunnel hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum Kind {
    /// GRE (RFC 2784/2890), PPTP's enhanced GRE, transparent Ethernet bridging.
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
}

impl Kind {
    const ALL: [Kind; 11] = [
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
        }
    }

    fn from_nibble(n: u64) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| *k as u64 == n)
    }
}

/// One level of encapsulation: its kind and, where the encapsulation names a
/// tenant or session (VXLAN and Geneve VNI, GRE key, PPTP call id, GTP-U TEID,
/// ERSPAN session), that identifier.
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
const KEYED_SHIFT: u32 = 48;
const HASH_SHIFT: u32 = 51;

/// The tunnel context of a packet or flow: the kinds of up to [`MAX_DEPTH`]
/// encapsulations, outermost first, and the identifier of the innermost one that
/// has one (VNI, GRE key, TEID, …), exactly; identifiers of outer hops only as a
/// 13-bit hash. Part of every [`crate::Tuple`] and defragmentation key, so two
/// tenants reusing the same addresses get different flows.
/// [`TunnelId::NONE`] outside tunnels. 8 bytes; building and comparing are O(1).
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

    /// This context with one more (inner) hop, or `None` past [`MAX_DEPTH`].
    pub fn push(self, hop: Hop) -> Option<TunnelId> {
        let d = self.depth();
        if d == MAX_DEPTH {
            return None;
        }
        let mut b = self.0 | ((hop.kind as u64) << (KINDS_SHIFT + 4 * d as u32));
        if let Some(id) = hop.id {
            if (b >> KEYED_SHIFT) & 0x7 != 0 {
                // the outer identifier moves into the hash
                let old = (b & 0xffff_ffff) ^ (b >> HASH_SHIFT);
                let h = (old.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 51) & 0x1fff;
                b = (b & !(0x1fff << HASH_SHIFT)) | (h << HASH_SHIFT);
            }
            b = (b & !0xffff_ffff & !(0x7 << KEYED_SHIFT))
                | u64::from(id)
                | ((d as u64 + 1) << KEYED_SHIFT);
        }
        Some(TunnelId(b))
    }

    /// The hops, outermost first; only the innermost hop with an identifier
    /// shows it.
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
    use std::string::ToString;

    fn hop(kind: Kind, id: Option<u32>) -> Hop {
        Hop { kind, id }
    }

    #[test]
    fn test_single_hop_exact() {
        let a = TunnelId::NONE.push(hop(Kind::Vxlan, Some(42))).unwrap();
        let b = TunnelId::NONE.push(hop(Kind::Vxlan, Some(43))).unwrap();
        let c = TunnelId::NONE.push(hop(Kind::Geneve, Some(42))).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "vxlan:42");
        assert_eq!(a.depth(), 1);
        assert!(TunnelId::NONE.is_none() && !a.is_none());
        let t = TunnelId::NONE
            .push(hop(Kind::Gtpu, Some(u32::MAX)))
            .unwrap();
        assert_eq!(t.to_string(), "gtpu:4294967295");
    }

    #[test]
    fn test_nested_keeps_inner_id_and_hashes_outer() {
        let gre = |k| TunnelId::NONE.push(hop(Kind::Gre, Some(k))).unwrap();
        let a = gre(1).push(hop(Kind::Vxlan, Some(42))).unwrap();
        let b = gre(2).push(hop(Kind::Vxlan, Some(42))).unwrap();
        assert_ne!(a, b, "outer keys differ");
        assert_eq!(a.to_string(), "gre/vxlan:42");
        let c = a.push(hop(Kind::Ip4in4, None)).unwrap();
        assert_eq!(c.to_string(), "gre/vxlan:42/4in4");
        assert_eq!(c.depth(), 3);
    }

    #[test]
    fn test_depth_bounded() {
        let mut t = TunnelId::NONE;
        for _ in 0..MAX_DEPTH {
            t = t.push(hop(Kind::Ip6in6, None)).unwrap();
        }
        assert_eq!(t.push(hop(Kind::Ip6in6, None)), None);
        assert_eq!(t.to_string(), "6in6/6in6/6in6/6in6");
    }
}

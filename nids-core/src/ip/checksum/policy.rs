//! The checksum policy: which packets have their checksums verified
//! ([`Policy`], libnids' `nids_register_chksum_ctl` rules).

use core::net::IpAddr;

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length in bits (0 = everything of that family).
    pub prefix: u8,
}

impl Net {
    /// The network `addr/prefix`.
    pub const fn new(addr: IpAddr, prefix: u8) -> Net {
        Net { addr, prefix }
    }

    /// Whether `a` lies in this network (always false across families).
    pub fn contains(&self, a: IpAddr) -> bool {
        fn prefix_eq(x: &[u8], y: &[u8], bits: u32) -> bool {
            let full = (bits / 8) as usize;
            let rem = bits % 8;
            if full > x.len() {
                return x == y;
            }
            if x[..full] != y[..full] {
                return false;
            }
            rem == 0 || {
                let mask = 0xffu8 << (8 - rem);
                (x[full] & mask) == (y[full] & mask)
            }
        }
        match (self.addr, a) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix_eq(&n.octets(), &a.octets(), self.prefix.min(32).into())
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                prefix_eq(&n.octets(), &a.octets(), self.prefix.min(128).into())
            }
            _ => false,
        }
    }
}

/// One entry of a checksum control list: packets whose **source** lies in `net`
/// are verified or not, as `verify` says (libnids' `nids_chksum_ctl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The source network the rule matches.
    pub net: Net,
    /// Whether matching packets have their checksums verified.
    pub verify: bool,
}

/// Which checksums the engine verifies: the IPv4 header's, TCP's and UDP's.
/// ICMP checksums are always verified (as libnids does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy<'a> {
    /// Verify every checksum (libnids' default).
    #[default]
    Verify,
    /// Verify none.
    Off,
    /// libnids' `nids_register_chksum_ctl`: the first rule whose network contains
    /// the packet's source decides; with no match, verify. IPv4 and IPv6 rules may
    /// be mixed.
    List(&'a [Rule]),
    /// Verify, but detect senders with transmit checksum offload, whose packets
    /// reach a capture on the sending host before the NIC fills the checksum in:
    ///
    /// 1. A TCP or UDP packet whose checksum is wrong but holds the offload
    ///    signature ([`super::is_offload_signature`]) is accepted, counted in
    ///    `Stats::checksum_offload_accepted`, and its source is remembered.
    /// 2. When the peer answers (a packet with a correct checksum from the
    ///    remembered source's destination back to it), the source is confirmed:
    ///    from then on its TCP and UDP checksums are not verified at all (TSO
    ///    super-segments and other offloaded shapes included).
    ///
    /// 3. An IPv4 header whose checksum field is zero (or all ones) was left
    ///    unfilled (macOS loopback, some virtual NICs) and is accepted; a zero
    ///    total length (a TCP segmentation offload super-packet) is read as
    ///    "to the end of the capture" ([`crate::ip::v4::HeaderCheck::Offload`]).
    ///    Both are counted in `Stats::checksum_offload_accepted` when the
    ///    header does not verify; any other wrong header checksum is refused.
    /// 4. A tunnel's outer UDP checksum is judged by 1 and 2; one that fails
    ///    while the packet inside vouches for itself (its TCP or UDP checksum
    ///    right, or unfilled: local checksum offload computes the outer sum as
    ///    if the NIC had filled the inner one) is accepted too, and counted.
    ///
    /// The table of remembered sources holds [`super::OFFLOAD_SOURCES`] entries;
    /// when full, the least recently seen one is forgotten
    /// ([`crate::Warning::ChecksumOffloadTableFull`]).
    Auto,
}

impl Policy<'_> {
    /// How the IPv4 header checksum of a packet from `src` is treated.
    pub fn header_check(&self, src: IpAddr) -> crate::ip::v4::HeaderCheck {
        match self {
            Policy::Auto => crate::ip::v4::HeaderCheck::Offload,
            _ => self.verifies(src).into(),
        }
    }

    /// Whether checksums of a packet from `src` are to be verified, before the
    /// automatic policy's per-source state is consulted.
    pub fn verifies(&self, src: IpAddr) -> bool {
        match self {
            Policy::Verify | Policy::Auto => true,
            Policy::Off => false,
            Policy::List(rules) => rules
                .iter()
                .find(|r| r.net.contains(src))
                .is_none_or(|r| r.verify),
        }
    }
}

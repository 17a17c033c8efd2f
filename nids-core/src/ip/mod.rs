//! The IP layer: validation of IPv4 and IPv6 packets, and the checksum policy.
//!
//! [`v4::parse`] and [`v6::parse`] check a packet as libnids does (and more, for
//! IPv6), never modify it, and return a [`Packet`]: a borrowed view with the fields
//! the later stages need, or the [`Warning`] that explains the drop.

pub mod checksum;
pub mod v4;
pub mod v6;

use core::net::IpAddr;

use crate::event::Warning;
use crate::tunnel::TunnelId;

/// IP protocol numbers used by the engine.
pub mod protocol {
    /// ICMP (IPv4).
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv4 in IP.
    pub const IPIP: u8 = 4;
    /// IPv6 in IP.
    pub const IPV6: u8 = 41;
    /// GRE.
    pub const GRE: u8 = 47;
}

/// Which IP version a packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// Where a fragment belongs in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fragment {
    /// The identification field (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: usize,
    /// Whether more fragments follow (MF / M flag).
    pub more: bool,
    /// IPv6 only: the index in the packet of the next-header byte that names the
    /// fragment header (the fixed header's, or the previous extension header's).
    /// A reassembled datagram has the fragment header removed and this byte set
    /// to the fragment header's own next header. 0 for IPv4.
    pub next_header_at: usize,
    /// IPv6 only: length of the unfragmentable part (fixed header and the
    /// extension headers before the fragment header). For IPv4, the header length.
    pub unfragmentable_len: usize,
}

/// A validated IP packet (or fragment), borrowed from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// IPv4 or IPv6.
    pub version: Version,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The upper-layer protocol (for an IPv6 fragment: the fragment header's next
    /// header).
    pub protocol: u8,
    /// The whole packet, trimmed to its stated length (link padding removed).
    pub bytes: &'a [u8],
    /// Where the upper-layer payload starts: the IPv4 header length, or the IPv6
    /// fixed header plus the extension headers walked.
    pub header_len: usize,
    /// `Some` if this packet is a fragment (not an atomic one).
    pub fragment: Option<Fragment>,
    /// The tunnels the packet was found in ([`TunnelId::NONE`] for an outer
    /// packet; the engine sets it when it decapsulates).
    pub tunnel: TunnelId,
}

impl<'a> Packet<'a> {
    /// The upper-layer bytes: the transport header and its payload (for a
    /// fragment, this fragment's share of them).
    pub fn payload(&self) -> &'a [u8] {
        self.bytes.get(self.header_len..).unwrap_or(&[])
    }
}

/// Parse an L3 packet handed over by the link layer. `verify_header_checksum`
/// applies to IPv4 only (IPv6 has no header checksum): a `bool`, or a
/// [`v4::HeaderCheck`].
pub fn parse<C: Into<v4::HeaderCheck>>(
    l3: crate::link::L3<'_>,
    verify_header_checksum: impl FnOnce(IpAddr) -> C,
) -> Result<Packet<'_>, Warning> {
    match l3 {
        crate::link::L3::V4(b) => v4::parse(b, verify_header_checksum),
        #[cfg(feature = "ipv6")]
        crate::link::L3::V6(b) => v6::parse(b),
        // IPv6 left out of this build (feature `ipv6`): never parsed.
        #[cfg(not(feature = "ipv6"))]
        crate::link::L3::V6(_) => Err(Warning::FeatureDisabled),
    }
}

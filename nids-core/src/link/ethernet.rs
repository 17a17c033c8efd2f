//! Ethernet II and what an EtherType can lead through before IP: stacked
//! 802.1Q/802.1ad tags, 802.1ah provider backbone bridging (PBB), PPPoE sessions
//! and MPLS label stacks.

use super::{mpls, ppp, Drop, L3, MAX_VLAN_TAGS};
use crate::event::Warning;

/// IPv4.
pub const IPV4: u16 = 0x0800;
/// IPv6.
pub const IPV6: u16 = 0x86dd;
/// 802.1Q customer VLAN tag.
pub const VLAN: u16 = 0x8100;
/// 802.1ad service VLAN tag.
pub const QINQ: u16 = 0x88a8;
/// The pre-standard QinQ tag.
pub const QINQ_OLD: u16 = 0x9100;
/// 802.1ah backbone service instance tag (PBB, "MAC-in-MAC").
pub const PBB: u16 = 0x88e7;
/// PPPoE session stage.
pub const PPPOE_SESSION: u16 = 0x8864;
/// MPLS unicast.
pub const MPLS: u16 = 0x8847;
/// MPLS multicast.
pub const MPLS_MC: u16 = 0x8848;
/// Transparent Ethernet bridging (an Ethernet frame follows; GRE uses it).
pub const TEB: u16 = 0x6558;

/// Length of an Ethernet II header.
pub const HEADER_LEN: usize = 14;

/// An Ethernet II frame (destination, source, EtherType) to its IP packet.
pub fn decode(frame: &[u8]) -> Result<L3<'_>, Drop> {
    let [.., hi, lo] = *frame
        .get(..HEADER_LEN)
        .ok_or(Drop::Bad(Warning::LinkTruncated))?
    else {
        return Err(Drop::Bad(Warning::LinkTruncated));
    };
    by_ethertype(u16::from_be_bytes([hi, lo]), &frame[HEADER_LEN..])
}

/// Follow an EtherType to IPv4 or IPv6 through up to [`MAX_VLAN_TAGS`] VLAN and
/// PBB tags (an I-TAG counts as one and carries a whole customer Ethernet
/// header), a PPPoE session header, or an MPLS label stack. Costs a few
/// comparisons per tag; nothing is copied.
pub fn by_ethertype(mut ethertype: u16, mut rest: &[u8]) -> Result<L3<'_>, Drop> {
    let mut tags = 0;
    loop {
        let skip = match ethertype {
            IPV4 => return Ok(L3::V4(rest)),
            IPV6 => return Ok(L3::V6(rest)),
            PPPOE_SESSION => return ppp::pppoe(rest),
            MPLS | MPLS_MC => return mpls::decode(rest),
            // TCI, then the next EtherType
            VLAN | QINQ | QINQ_OLD => 4,
            // I-TAG (flags and I-SID), customer destination and source, EtherType
            PBB => 4 + 12 + 2,
            _ => return Err(Drop::NotIp),
        };
        if tags == MAX_VLAN_TAGS {
            return Err(Drop::Bad(Warning::LinkTooManyTags));
        }
        let (Some(&hi), Some(&lo)) = (rest.get(skip - 2), rest.get(skip - 1)) else {
            return Err(Drop::Bad(Warning::LinkTruncated));
        };
        ethertype = u16::from_be_bytes([hi, lo]);
        rest = &rest[skip..];
        tags += 1;
    }
}

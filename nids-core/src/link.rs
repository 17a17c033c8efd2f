//! Link layers: from a captured frame to its IPv4 or IPv6 packet.
//!
//! Supported: Ethernet II with stacked 802.1Q/802.1ad tags, Linux "cooked" SLL and
//! SLL2, raw IP (`LINKTYPE_RAW`, `_IPV4`, `_IPV6`), and BSD/Linux loopback
//! (`LINKTYPE_NULL` in either byte order, `LINKTYPE_LOOP` in network order) with the
//! IPv6 address-family values of Linux, FreeBSD, OpenBSD/NetBSD and macOS.
//! **Not supported:** 802.11, radiotap, PPP, token ring, FDDI (libnids reads some of
//! these); such link types are refused when the engine is built.
//!
//! Decoding costs a few comparisons per frame and borrows the frame: nothing is
//! copied.

use core::fmt;

use smoltcp::wire::{EthernetFrame, EthernetProtocol};

use crate::event::Warning;

/// A pcap `LINKTYPE_*` value: an open set, with constants for the supported ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with optional 802.1Q/802.1ad tags).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP, old BSD value of `DLT_RAW`.
    pub const RAW_BSD: LinkType = LinkType(12);
    /// Raw IP, OpenBSD value of `DLT_RAW`.
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6 (the version nibble decides).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Whether [`decode`] understands this link type.
    pub const fn is_supported(self) -> bool {
        matches!(self.0, 0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276)
    }

    /// The usual name (`"ETHERNET"`, `"LINUX_SLL2"`, …), if it is a supported type.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            12 | 14 | 101 => "RAW",
            108 => "LOOP",
            113 => "LINUX_SLL",
            228 => "IPV4",
            229 => "IPV6",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The most 802.1Q/802.1ad tags [`decode`] walks through before giving up with
/// [`Warning::LinkTooManyTags`].
pub const MAX_VLAN_TAGS: usize = 4;

/// The network-layer packet found in a frame: the bytes from the IP header to the
/// end of the frame (trailing padding included; the IP layer trims it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3<'a> {
    /// An IPv4 packet (by the link layer's say-so: the IP layer checks the version).
    V4(&'a [u8]),
    /// An IPv6 packet.
    V6(&'a [u8]),
}

impl<'a> L3<'a> {
    /// The packet bytes.
    pub const fn bytes(&self) -> &'a [u8] {
        match self {
            L3::V4(b) | L3::V6(b) => b,
        }
    }
}

/// Why [`decode`] found no IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Drop {
    /// Not IP (ARP, LLDP, 802.3 LLC, another protocol): counted in
    /// [`crate::Stats::non_ip`], not warned.
    NotIp,
    /// A malformed link header: warned and counted.
    Bad(Warning),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;

/// Find the IP packet in `frame`, captured with link type `link`.
///
/// An unsupported link type gives [`Drop::NotIp`]; the engine refuses such link
/// types at construction, so it never calls this with one.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<L3<'_>, Drop> {
    match link {
        LinkType::ETHERNET => ethernet(frame),
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => raw(frame),
        LinkType::IPV4 => Ok(L3::V4(frame)),
        LinkType::IPV6 => Ok(L3::V6(frame)),
        LinkType::NULL => loopback(frame, false),
        LinkType::LOOP => loopback(frame, true),
        LinkType::LINUX_SLL => sll(frame),
        LinkType::LINUX_SLL2 => sll2(frame),
        _ => Err(Drop::NotIp),
    }
}

fn ethernet(frame: &[u8]) -> Result<L3<'_>, Drop> {
    let eth = EthernetFrame::new_checked(frame).map_err(|_| Drop::Bad(Warning::LinkTruncated))?;
    let ethertype: u16 = EthernetProtocol::into(eth.ethertype());
    by_ethertype(ethertype, &frame[EthernetFrame::<&[u8]>::header_len()..])
}

/// Follow an EtherType through up to [`MAX_VLAN_TAGS`] VLAN tags (each 4 bytes:
/// TCI, then the next EtherType) to IPv4 or IPv6.
fn by_ethertype(mut ethertype: u16, mut rest: &[u8]) -> Result<L3<'_>, Drop> {
    let mut tags = 0;
    loop {
        match ethertype {
            ETHERTYPE_IPV4 => return Ok(L3::V4(rest)),
            ETHERTYPE_IPV6 => return Ok(L3::V6(rest)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                if tags == MAX_VLAN_TAGS {
                    return Err(Drop::Bad(Warning::LinkTooManyTags));
                }
                let [_, _, hi, lo, ..] = *rest else {
                    return Err(Drop::Bad(Warning::LinkTruncated));
                };
                ethertype = u16::from_be_bytes([hi, lo]);
                rest = &rest[4..];
                tags += 1;
            }
            _ => return Err(Drop::NotIp),
        }
    }
}

fn raw(frame: &[u8]) -> Result<L3<'_>, Drop> {
    match frame.first().map(|b| b >> 4) {
        Some(4) => Ok(L3::V4(frame)),
        Some(6) => Ok(L3::V6(frame)),
        Some(_) => Err(Drop::NotIp),
        None => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

/// Address families of IPv6 on loopback captures: Linux, OpenBSD/NetBSD/BSD/OS,
/// FreeBSD/DragonFly, macOS/iOS.
const AF_INET6: [u32; 4] = [10, 24, 28, 30];
const AF_INET: u32 = 2;

fn loopback(frame: &[u8], network_order: bool) -> Result<L3<'_>, Drop> {
    let [a, b, c, d, ..] = *frame else {
        return Err(Drop::Bad(Warning::LinkTruncated));
    };
    let be = u32::from_be_bytes([a, b, c, d]);
    let le = u32::from_le_bytes([a, b, c, d]);
    // LINKTYPE_NULL is in the capturing host's byte order, which the file does not
    // say: accept either (the values are small, so the two readings never clash).
    let family = |af: u32| {
        if network_order {
            be == af
        } else {
            be == af || le == af
        }
    };
    let rest = &frame[4..];
    if family(AF_INET) {
        Ok(L3::V4(rest))
    } else if AF_INET6.iter().any(|af| family(*af)) {
        Ok(L3::V6(rest))
    } else {
        Err(Drop::NotIp)
    }
}

fn sll(frame: &[u8]) -> Result<L3<'_>, Drop> {
    // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2)
    if frame.len() < 16 {
        return Err(Drop::Bad(Warning::LinkTruncated));
    }
    by_ethertype(u16::from_be_bytes([frame[14], frame[15]]), &frame[16..])
}

fn sll2(frame: &[u8]) -> Result<L3<'_>, Drop> {
    // protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
    // address length (1), address (8)
    if frame.len() < 20 {
        return Err(Drop::Bad(Warning::LinkTruncated));
    }
    by_ethertype(u16::from_be_bytes([frame[0], frame[1]]), &frame[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: [u8; 4] = [0x45, 0, 0, 20];
    const IP6: [u8; 4] = [0x60, 0, 0, 0];

    fn eth(ethertype: u16, rest: &[u8]) -> std::vec::Vec<u8> {
        let mut f = std::vec![0xff; 12];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn test_ethernet_ipv4_ipv6() {
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x0800, &IP4)),
            Ok(L3::V4(&IP4[..]))
        );
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x86dd, &IP6)),
            Ok(L3::V6(&IP6[..]))
        );
    }

    #[test]
    fn test_ethernet_non_ip() {
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x0806, &[0; 28])),
            Err(Drop::NotIp)
        );
        // 802.3 length field, LLC follows
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x0040, &[0; 28])),
            Err(Drop::NotIp)
        );
    }

    #[test]
    fn test_ethernet_truncated() {
        assert_eq!(
            decode(LinkType::ETHERNET, &[0; 13]),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
        assert_eq!(
            decode(LinkType::ETHERNET, &[]),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
    }

    #[test]
    fn test_vlan_stack() {
        // 802.1ad outer, 802.1Q inner, then IPv6: the inner EtherType is honoured.
        let mut rest = std::vec![0x00, 0x64, 0x81, 0x00, 0x00, 0x0a, 0x86, 0xdd];
        rest.extend_from_slice(&IP6);
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x88a8, &rest)),
            Ok(L3::V6(&IP6[..]))
        );
        // VLAN around ARP is not IP (libnids sends it to the IP layer).
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x8100, &[0, 1, 0x08, 0x06, 0, 0])),
            Err(Drop::NotIp)
        );
    }

    #[test]
    fn test_vlan_truncated_tag() {
        assert_eq!(
            decode(LinkType::ETHERNET, &eth(0x8100, &[0, 1, 0x08])),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
    }

    /// A frame whose first EtherType is 802.1Q followed by `tags - 1` more tags,
    /// then IPv4.
    fn tagged(tags: usize) -> std::vec::Vec<u8> {
        let mut rest = std::vec::Vec::new();
        for i in 0..tags {
            let next: u16 = if i + 1 == tags { 0x0800 } else { 0x8100 };
            rest.extend_from_slice(&[0, 1]);
            rest.extend_from_slice(&next.to_be_bytes());
        }
        rest.extend_from_slice(&IP4);
        eth(0x8100, &rest)
    }

    #[test]
    fn test_vlan_too_many_tags() {
        assert_eq!(
            decode(LinkType::ETHERNET, &tagged(MAX_VLAN_TAGS)),
            Ok(L3::V4(&IP4[..]))
        );
        assert_eq!(
            decode(LinkType::ETHERNET, &tagged(MAX_VLAN_TAGS + 1)),
            Err(Drop::Bad(Warning::LinkTooManyTags))
        );
    }

    #[test]
    fn test_raw() {
        for lt in [LinkType::RAW, LinkType::RAW_BSD, LinkType::RAW_OPENBSD] {
            assert_eq!(decode(lt, &IP4), Ok(L3::V4(&IP4[..])));
            assert_eq!(decode(lt, &IP6), Ok(L3::V6(&IP6[..])));
            assert_eq!(decode(lt, &[0x20]), Err(Drop::NotIp));
            assert_eq!(decode(lt, &[]), Err(Drop::Bad(Warning::LinkTruncated)));
        }
        assert_eq!(decode(LinkType::IPV4, &IP4), Ok(L3::V4(&IP4[..])));
        assert_eq!(decode(LinkType::IPV6, &IP6), Ok(L3::V6(&IP6[..])));
    }

    #[test]
    fn test_null_loopback_both_orders() {
        let mut le = std::vec![2, 0, 0, 0];
        le.extend_from_slice(&IP4);
        assert_eq!(decode(LinkType::NULL, &le), Ok(L3::V4(&IP4[..])));
        let mut be = std::vec![0, 0, 0, 2];
        be.extend_from_slice(&IP4);
        assert_eq!(decode(LinkType::NULL, &be), Ok(L3::V4(&IP4[..])));
        for af in [10u32, 24, 28, 30] {
            let mut f = af.to_le_bytes().to_vec();
            f.extend_from_slice(&IP6);
            assert_eq!(decode(LinkType::NULL, &f), Ok(L3::V6(&IP6[..])), "AF {af}");
        }
        assert_eq!(decode(LinkType::NULL, &[7, 0, 0, 0, 1]), Err(Drop::NotIp));
        assert_eq!(
            decode(LinkType::NULL, &[2, 0, 0]),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
    }

    #[test]
    fn test_loop_network_order_only() {
        let mut be = std::vec![0, 0, 0, 24];
        be.extend_from_slice(&IP6);
        assert_eq!(decode(LinkType::LOOP, &be), Ok(L3::V6(&IP6[..])));
        let mut le = std::vec![24, 0, 0, 0];
        le.extend_from_slice(&IP6);
        assert_eq!(decode(LinkType::LOOP, &le), Err(Drop::NotIp));
    }

    #[test]
    fn test_sll() {
        let mut f = std::vec![0u8; 14];
        f.extend_from_slice(&[0x86, 0xdd]);
        f.extend_from_slice(&IP6);
        assert_eq!(decode(LinkType::LINUX_SLL, &f), Ok(L3::V6(&IP6[..])));
        f[14..16].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(decode(LinkType::LINUX_SLL, &f), Err(Drop::NotIp));
        assert_eq!(
            decode(LinkType::LINUX_SLL, &f[..15]),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
    }

    #[test]
    fn test_sll2() {
        let mut f = std::vec![0x08, 0x00];
        f.extend_from_slice(&[0u8; 18]);
        f.extend_from_slice(&IP4);
        assert_eq!(decode(LinkType::LINUX_SLL2, &f), Ok(L3::V4(&IP4[..])));
        assert_eq!(
            decode(LinkType::LINUX_SLL2, &f[..19]),
            Err(Drop::Bad(Warning::LinkTruncated))
        );
    }

    #[test]
    fn test_supported() {
        assert!(LinkType::LINUX_SLL2.is_supported());
        assert!(!LinkType(105).is_supported()); // 802.11
        assert_eq!(LinkType(105).to_string(), "105");
        assert_eq!(LinkType::ETHERNET.to_string(), "ETHERNET (1)");
    }
}

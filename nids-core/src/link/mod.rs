//! Link layers: from a captured frame to its IPv4 or IPv6 packet.
//!
//! Every link type libnids 1.26 reads, with its framing rules, and those a modern
//! capture holds (see [`LinkType::is_supported`] for the list):
//!
//! * [`ethernet`]: Ethernet II, with stacked 802.1Q/802.1ad tags, 802.1ah (PBB),
//!   PPPoE sessions and MPLS label stacks after any EtherType;
//! * [`cooked`]: Linux SLL and SLL2, including `-i any` captures;
//! * [`raw`]: raw IP (`LINKTYPE_RAW`, `_IPV4`, `_IPV6`), SLIP, and BSD/Linux
//!   loopback (`LINKTYPE_NULL` in either byte order, `LINKTYPE_LOOP`);
//! * [`ppp`]: PPP, PPP in HDLC-like framing, PPPoE, Cisco HDLC;
//! * [`wifi`]: 802.11 data frames, bare or behind radiotap, Prism, AVS or PPI;
//! * [`llc`]: FDDI and token ring (LLC/SNAP);
//! * [`mpls`]: MPLS label stacks, wherever an EtherType or PPP protocol leads to them.
//!
//! **Not supported:** link types libnids never read either (ATM, Frame Relay,
//! ARCnet, IrDA, …); such link types are refused when the engine is built.
//!
//! Decoding costs a few comparisons per header and borrows the frame: nothing is
//! copied.

pub mod cooked;
pub mod ethernet;
pub mod llc;
pub mod mpls;
pub mod ppp;
pub mod raw;
pub mod wifi;

use core::fmt;

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
    /// IEEE 802.5 token ring.
    pub const TOKEN_RING: LinkType = LinkType(6);
    /// SLIP (with libpcap's 16-byte BSD/OS header, or bare as libnids reads it).
    pub const SLIP: LinkType = LinkType(8);
    /// PPP: optional `ff 03`, then the protocol field; or Cisco HDLC when the
    /// first byte is its address (`0x0f`, `0x8f`), as tshark and libnids read it.
    pub const PPP: LinkType = LinkType(9);
    /// FDDI.
    pub const FDDI: LinkType = LinkType(10);
    /// PPP in HDLC-like framing (libpcap's `DLT_PPP_SERIAL`); Cisco HDLC too.
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// PPPoE session frames (header, then PPP).
    pub const PPP_ETHER: LinkType = LinkType(51);
    /// Cisco HDLC.
    pub const C_HDLC: LinkType = LinkType(104);
    /// Bare IEEE 802.11.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// 802.11 behind a Prism header.
    pub const PRISM: LinkType = LinkType(119);
    /// 802.11 behind a radiotap header.
    pub const RADIOTAP: LinkType = LinkType(127);
    /// 802.11 behind an AVS header.
    pub const AVS: LinkType = LinkType(163);
    /// A PPI header, then 802.11 or Ethernet.
    pub const PPI: LinkType = LinkType(192);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Whether [`decode`] understands this link type in this build (a link
    /// type whose `link-*` cargo feature is off is not supported).
    pub const fn is_supported(self) -> bool {
        self.name().is_some() && self.is_built()
    }

    /// Whether this build has the decoder of this link type: Ethernet always,
    /// the others with their `link-*` feature (the cargo features of
    /// `nids-core`).
    #[allow(clippy::match_like_matches_macro)] // (every arm `true` with `link-all`)
    const fn is_built(self) -> bool {
        match self.0 {
            1 => true,
            0 | 8 | 12 | 14 | 101 | 108 | 228 | 229 => cfg!(feature = "link-raw"),
            113 | 276 => cfg!(feature = "link-cooked"),
            9 | 50 | 51 | 104 => cfg!(feature = "link-ppp"),
            105 | 119 | 127 | 163 | 192 => cfg!(feature = "link-wifi"),
            6 | 10 => cfg!(feature = "link-llc"),
            _ => false,
        }
    }

    /// Whether libnids 1.26 reads this link type too (with its own framing rules).
    pub const fn libnids_reads(self) -> bool {
        matches!(
            self.0,
            0 | 1 | 6 | 8 | 9 | 10 | 12 | 14 | 50 | 101 | 105 | 113 | 119 | 127
        )
    }

    /// The usual name (`"ETHERNET"`, `"LINUX_SLL2"`, …), if it is a supported type.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            6 => "IEEE802_5",
            8 => "SLIP",
            9 => "PPP",
            10 => "FDDI",
            12 | 14 | 101 => "RAW",
            50 => "PPP_HDLC",
            51 => "PPP_ETHER",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            119 => "IEEE802_11_PRISM",
            127 => "IEEE802_11_RADIOTAP",
            163 => "IEEE802_11_AVS",
            192 => "PPI",
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

/// The most 802.1Q/802.1ad/802.1ah tags [`decode`] walks through before giving
/// up with [`Warning::LinkTooManyTags`].
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

/// Find the IP packet in `frame`, captured with link type `link`.
///
/// An unsupported link type gives [`Drop::NotIp`]; the engine refuses such link
/// types at construction, so it never calls this with one. Costs a few
/// comparisons per header; nothing is copied.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<L3<'_>, Drop> {
    match link.0 {
        1 => ethernet::decode(frame),
        #[cfg(feature = "link-raw")]
        0 => raw::loopback(frame, false),
        #[cfg(feature = "link-llc")]
        6 => llc::token_ring(frame),
        #[cfg(feature = "link-raw")]
        8 => raw::slip(frame),
        #[cfg(feature = "link-ppp")]
        9 | 50 => ppp::serial(frame),
        #[cfg(feature = "link-llc")]
        10 => llc::fddi(frame),
        #[cfg(feature = "link-raw")]
        12 | 14 | 101 => raw::raw(frame),
        #[cfg(feature = "link-ppp")]
        51 => ppp::pppoe(frame),
        #[cfg(feature = "link-ppp")]
        104 => ppp::chdlc(frame),
        #[cfg(feature = "link-wifi")]
        105 => wifi::frame(frame),
        #[cfg(feature = "link-raw")]
        108 => raw::loopback(frame, true),
        #[cfg(feature = "link-cooked")]
        113 => cooked::sll(frame),
        #[cfg(feature = "link-wifi")]
        119 => wifi::prism(frame),
        #[cfg(feature = "link-wifi")]
        127 => wifi::radiotap(frame),
        #[cfg(feature = "link-wifi")]
        163 => wifi::avs(frame),
        #[cfg(feature = "link-wifi")]
        192 => wifi::ppi(frame),
        #[cfg(feature = "link-raw")]
        228 => Ok(L3::V4(frame)),
        #[cfg(feature = "link-raw")]
        229 => Ok(L3::V6(frame)),
        #[cfg(feature = "link-cooked")]
        276 => cooked::sll2(frame),
        // (a link type left out of this build: `is_supported` is false, so
        // the engine never gets here with it)
        _ => Err(Drop::NotIp),
    }
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
        assert!(!LinkType(7).is_supported()); // ARCnet
        assert_eq!(LinkType(7).to_string(), "7");
        assert_eq!(LinkType::ETHERNET.to_string(), "ETHERNET (1)");
    }

    /// Every prefix of frames that reach deep into each decoder: never a panic,
    /// and a cut header never gives an IP packet.
    #[test]
    fn test_every_prefix_of_every_link_type() {
        let ip = [0x45u8, 0, 0, 20];
        let snap = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
        let mut wifi = std::vec![0x08, 0x01];
        wifi.extend_from_slice(&[0; 22]);
        wifi.extend_from_slice(&snap);
        wifi.extend_from_slice(&ip);
        let mut radiotap = std::vec![0, 0, 8, 0, 0, 0, 0, 0];
        radiotap.extend_from_slice(&wifi);
        let mut pbb = eth(0x88e7, &[0; 16]);
        pbb.extend_from_slice(&[0x88, 0x47, 0, 0, 0x11, 64]);
        pbb.extend_from_slice(&ip);
        let cases: &[(u32, std::vec::Vec<u8>)] = &[
            (1, pbb),
            (105, wifi.clone()),
            (127, radiotap),
            (192, [&[0u8, 0, 8, 0, 105, 0, 0, 0][..], &wifi].concat()),
            (9, [&[0xffu8, 0x03, 0x00, 0x21][..], &ip].concat()),
            // Cisco HDLC under LINKTYPE_PPP, unicast and broadcast
            (9, [&[0x0fu8, 0, 0x08, 0x00][..], &ip].concat()),
            (9, [&[0x8fu8, 0, 0x08, 0x00][..], &ip].concat()),
            (51, [&[0x11u8, 0, 0, 1, 0, 6, 0, 0x21][..], &ip].concat()),
            (104, [&[0x0fu8, 0, 0x08, 0x00][..], &ip].concat()),
            (10, [&[0x50u8; 13][..], &snap, &ip].concat()),
            (
                6,
                [
                    &[0x10u8, 0x40][..],
                    &[0; 6],
                    &[0x80, 0, 0, 0, 0, 0, 2, 0],
                    &snap,
                    &ip,
                ]
                .concat(),
            ),
            (8, [&[0u8, 0x40][..], &[0; 14], &ip].concat()),
        ];
        for (lt, f) in cases {
            let whole = decode(LinkType(*lt), f);
            assert_eq!(whole.map(|l| l.bytes()), Ok(&ip[..]), "link type {lt}");
            for n in 0..f.len() - ip.len() {
                let got = decode(LinkType(*lt), &f[..n]);
                assert!(got.is_err(), "link type {lt}, {n} bytes: {got:?}");
            }
        }
    }

    #[test]
    fn test_wifi_non_data() {
        let mut f = std::vec![0x80, 0x00]; // beacon
        f.extend_from_slice(&[0; 40]);
        assert_eq!(decode(LinkType::IEEE802_11, &f), Err(Drop::NotIp));
        f[0] = 0x08;
        f[1] = 0x41; // protected data
        assert_eq!(decode(LinkType::IEEE802_11, &f), Err(Drop::NotIp));
        f[0] = 0x48; // null function (no data)
        f[1] = 0x01;
        assert_eq!(decode(LinkType::IEEE802_11, &f), Err(Drop::NotIp));
    }

    #[test]
    fn test_mpls_too_many_labels() {
        let f = eth(0x8847, &[0; 4 * (mpls::MAX_LABELS + 1)]);
        assert_eq!(
            decode(LinkType::ETHERNET, &f),
            Err(Drop::Bad(Warning::LinkTooManyLabels))
        );
    }
}

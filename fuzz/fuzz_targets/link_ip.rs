//! One frame through `link::decode` and `ip::parse`, for every supported link
//! type (the first byte chooses it, Ethernet more often, and whether IPv4
//! header checksums are verified).
//!
//! Invariants: no panic; the L3 slice lies inside the frame and ends where it
//! does; raw link types hand over what the version nibble says; a parsed packet
//! is a prefix of the L3 bytes with its header inside it, its fields match the
//! header bytes, parsing its own bytes again gives the same packet, and a packet
//! accepted with checksum verification is accepted the same without.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nids_core::ip::{self, Version};
use nids_core::link::{self, LinkType, L3};

const LINKS: [LinkType; 24] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::RAW_BSD,
    LinkType::RAW_OPENBSD,
    LinkType::RAW,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL2,
    LinkType::TOKEN_RING,
    LinkType::SLIP,
    LinkType::PPP,
    LinkType::FDDI,
    LinkType::PPP_HDLC,
    LinkType::PPP_ETHER,
    LinkType::C_HDLC,
    LinkType::IEEE802_11,
    LinkType::PRISM,
    LinkType::RADIOTAP,
    LinkType::AVS,
    LinkType::PPI,
    LinkType::ETHERNET,
    LinkType::ETHERNET,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LINKS[usize::from(sel & 0x1f) % LINKS.len()];
    let verify = sel & 0x80 != 0;
    assert!(lt.is_supported());
    let l3 = match link::decode(lt, frame) {
        Ok(l3) => l3,
        Err(_) => return,
    };
    let b = l3.bytes();
    // The L3 bytes are the tail of the frame.
    let (f, l) = (frame.as_ptr_range(), b.as_ptr_range());
    assert!(
        f.start <= l.start && l.end == f.end,
        "L3 slice is not the frame's tail"
    );
    let hdr = frame.len() - b.len();
    match lt {
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => {
            assert_eq!(hdr, 0);
            let want = if b[0] >> 4 == 4 { 4 } else { 6 };
            assert!(matches!((want, l3), (4, L3::V4(_)) | (6, L3::V6(_))));
        }
        LinkType::IPV4 => assert!(hdr == 0 && matches!(l3, L3::V4(_))),
        LinkType::IPV6 => assert!(hdr == 0 && matches!(l3, L3::V6(_))),
        LinkType::NULL | LinkType::LOOP => assert_eq!(hdr, 4),
        // VLAN/PBB tags, PPPoE, MPLS labels and pseudowires may follow
        LinkType::ETHERNET => assert!(hdr >= 14),
        LinkType::LINUX_SLL => assert!(hdr >= 16),
        LinkType::LINUX_SLL2 => assert!(hdr >= 20),
        LinkType::SLIP => assert!(hdr == 0 || hdr == 16),
        LinkType::IEEE802_11 => assert!(hdr >= 24 + 8),
        LinkType::FDDI => assert!(hdr >= 13 + 8),
        LinkType::TOKEN_RING => assert!(hdr >= 14 + 8),
        _ => assert!(hdr >= 1),
    }

    let strict = ip::parse(l3, |_| verify);
    let lax = ip::parse(l3, |_| false);
    if let Ok(p) = strict {
        assert_eq!(Ok(p), lax, "verification changed an accepted packet");
    }
    let Ok(p) = lax else { return };
    // The packet is a prefix of the L3 bytes with its header inside it.
    assert_eq!(p.bytes.as_ptr(), b.as_ptr());
    assert!(p.bytes.len() <= b.len());
    assert!(p.header_len <= p.bytes.len(), "header past the packet");
    assert_eq!(p.payload().len(), p.bytes.len() - p.header_len);
    match (p.version, l3) {
        (Version::V4, L3::V4(_)) => {
            assert_eq!(b[0] >> 4, 4);
            let ihl = usize::from(b[0] & 0x0f) * 4;
            assert_eq!(p.header_len, ihl);
            assert_eq!(p.bytes.len(), usize::from(u16::from_be_bytes([b[2], b[3]])));
            assert_eq!(p.protocol, b[9]);
            let field = u16::from_be_bytes([b[6], b[7]]);
            let (off, more) = (usize::from(field & 0x1fff) * 8, field & 0x2000 != 0);
            match p.fragment {
                None => assert!(off == 0 && !more),
                Some(fr) => {
                    assert_eq!((fr.offset, fr.more), (off, more));
                    assert!(off != 0 || more);
                    assert_eq!(fr.id, u32::from(u16::from_be_bytes([b[4], b[5]])));
                    assert_eq!(fr.unfragmentable_len, ihl);
                }
            }
        }
        (Version::V6, L3::V6(_)) => {
            assert_eq!(b[0] >> 4, 6);
            assert_eq!(
                p.bytes.len(),
                40 + usize::from(u16::from_be_bytes([b[4], b[5]]))
            );
            assert!(p.header_len >= 40);
            if let Some(fr) = p.fragment {
                assert!(fr.offset != 0 || fr.more);
                assert!(fr.offset % 8 == 0);
                assert!(fr.next_header_at >= 6 && fr.next_header_at < fr.unfragmentable_len);
                assert_eq!(fr.unfragmentable_len + 8, p.header_len);
                assert_eq!(
                    p.bytes[fr.next_header_at], 44,
                    "next header does not name the fragment header"
                );
            }
        }
        (v, l3) => panic!("{v:?} packet from {l3:?}"),
    }
    // Parsing the packet's own bytes gives the packet again.
    let again = match p.version {
        Version::V4 => ip::v4::parse(p.bytes, |_| false),
        Version::V6 => ip::v6::parse(p.bytes),
    };
    assert_eq!(again, Ok(p), "re-parse differs");
});

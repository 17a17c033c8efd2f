//! IPv6 validation: the fixed header, then a bounded walk of the extension
//! headers (hop-by-hop, routing, destination options, fragment, AH), with a drop
//! reason for each malformed case. Nothing is modified.
//!
//! The walk stops at the first header that is not one of those (TCP, UDP, ICMPv6,
//! ESP, "no next header", …), or at a fragment header of a real fragment: the rest
//! is parsed again once the datagram is whole. Atomic fragments (offset 0, no more
//! fragments, RFC 6946) are treated as whole datagrams. **Jumbograms are not
//! supported.**

use core::net::{IpAddr, Ipv6Addr};

use smoltcp::wire::Ipv6Packet;

use super::{Fragment, Packet, Version};
use crate::event::Warning;

/// The fixed IPv6 header length.
pub const HEADER_LEN: usize = 40;

/// The most extension headers walked before [`Warning::Ipv6TooManyExt`].
pub const MAX_EXT_HEADERS: usize = 8;

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AH: u8 = 51;
const DEST_OPTS: u8 = 60;

/// Validate the IPv6 packet at the start of `bytes` (which may carry link
/// padding after it). Costs O(number of extension headers).
pub fn parse(bytes: &[u8]) -> Result<Packet<'_>, Warning> {
    if bytes.len() < HEADER_LEN {
        return Err(Warning::Ipv6Truncated);
    }
    let p = Ipv6Packet::new_unchecked(bytes);
    if p.version() != 6 {
        return Err(Warning::Ipv6BadVersion);
    }
    let first: u8 = p.next_header().into();
    let payload_len = usize::from(p.payload_len());
    if payload_len == 0 && first == HOP_BY_HOP {
        return Err(Warning::Ipv6Jumbogram);
    }
    let total = HEADER_LEN + payload_len;
    if bytes.len() < total {
        return Err(Warning::Ipv6Truncated);
    }
    let bytes = &bytes[..total];
    let src: Ipv6Addr = p.src_addr();
    let dst: Ipv6Addr = p.dst_addr();

    let mut next = first;
    let mut next_at = 6; // index of the byte that holds `next`
    let mut off = HEADER_LEN;
    let mut walked = 0;
    let mut fragment = None;
    let mut seen_fragment = false;
    while let HOP_BY_HOP | ROUTING | DEST_OPTS | AH | FRAGMENT = next {
        if next == HOP_BY_HOP && walked != 0 {
            return Err(Warning::Ipv6HopByHopNotFirst);
        }
        if walked == MAX_EXT_HEADERS {
            return Err(Warning::Ipv6TooManyExt);
        }
        let start = bytes.get(off..off + 2).ok_or(Warning::Ipv6ExtTruncated)?;
        let len = match next {
            FRAGMENT => 8,
            AH => (usize::from(start[1]) + 2) * 4,
            _ => (usize::from(start[1]) + 1) * 8,
        };
        if off + len > total {
            return Err(Warning::Ipv6ExtTruncated);
        }
        let hdr = &bytes[off..off + len];
        match next {
            ROUTING if hdr.get(3).copied().unwrap_or(0) > 0 => {
                return Err(Warning::Ipv6SourceRoute)
            }
            FRAGMENT if seen_fragment => return Err(Warning::Ipv6BadFragment),
            FRAGMENT => {
                seen_fragment = true;
                let offset = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]) & 0xfff8);
                let more = hdr[3] & 1 != 0;
                if offset != 0 || more {
                    fragment = Some(Fragment {
                        id: u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]),
                        offset,
                        more,
                        next_header_at: next_at,
                        unfragmentable_len: off,
                    });
                    next = hdr[0];
                    off += len;
                    break;
                }
            }
            _ => {}
        }
        walked += 1;
        next_at = off;
        next = hdr[0];
        off += len;
    }
    Ok(Packet {
        version: Version::V6,
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        protocol: next,
        bytes,
        header_len: off,
        fragment,
        tunnel: crate::tunnel::TunnelId::NONE,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec;

    /// An IPv6 packet fd00::1 -> fd00::2 whose chain starts with `first`, then
    /// `ext` (extension headers as bytes) and `payload`.
    pub(crate) fn packet(first: u8, ext: &[u8], payload: &[u8]) -> Vec<u8> {
        let plen = ext.len() + payload.len();
        let mut b = std::vec![0x60, 0, 0, 0, (plen >> 8) as u8, plen as u8, first, 64];
        b.extend_from_slice(&"fd00::1".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&"fd00::2".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(ext);
        b.extend_from_slice(payload);
        b
    }

    /// An 8-byte options header (hop-by-hop or destination) naming `next`.
    fn opts(next: u8) -> [u8; 8] {
        [next, 0, 1, 4, 0, 0, 0, 0]
    }

    #[test]
    fn test_parse_plain() {
        let b = packet(17, &[], b"udp!");
        let p = parse(&b).unwrap();
        assert_eq!(p.version, Version::V6);
        assert_eq!(p.protocol, 17);
        assert_eq!(p.payload(), b"udp!");
        assert_eq!(p.fragment, None);
        assert_eq!(p.dst, IpAddr::V6("fd00::2".parse().unwrap()));
    }

    #[test]
    fn test_parse_ext_chain() {
        let mut ext = Vec::new();
        ext.extend_from_slice(&opts(DEST_OPTS));
        ext.extend_from_slice(&opts(ROUTING));
        ext.extend_from_slice(&[AH, 0, 0, 0, 0, 0, 0, 0]); // routing, segments left 0
        ext.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // AH, 12 bytes
        let b = packet(HOP_BY_HOP, &ext, b"tcp");
        let p = parse(&b).unwrap();
        assert_eq!(p.protocol, 6);
        assert_eq!(p.header_len, 40 + 36);
        assert_eq!(p.payload(), b"tcp");
    }

    #[test]
    fn test_parse_fragment() {
        let b = packet(
            FRAGMENT,
            &[17, 0, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef],
            b"frag",
        );
        let p = parse(&b).unwrap();
        let f = p.fragment.unwrap();
        assert_eq!((f.id, f.offset, f.more), (0xdeadbeef, 256, true));
        assert_eq!((f.next_header_at, f.unfragmentable_len), (6, 40));
        assert_eq!(p.protocol, 17);
        assert_eq!(p.payload(), b"frag");
    }

    #[test]
    fn test_atomic_fragment_is_whole() {
        let b = packet(FRAGMENT, &[17, 0, 0, 0, 0, 0, 0, 1], b"whole");
        let p = parse(&b).unwrap();
        assert_eq!(p.fragment, None);
        assert_eq!(p.protocol, 17);
        assert_eq!(p.payload(), b"whole");
    }

    #[test]
    fn test_padding_trimmed() {
        let mut b = packet(17, &[], b"x");
        b.extend_from_slice(&[0; 9]);
        assert_eq!(parse(&b).unwrap().bytes.len(), 41);
    }

    #[test]
    fn test_parse_truncated() {
        assert_eq!(parse(&[0x60; 39]), Err(Warning::Ipv6Truncated));
        let b = packet(17, &[], &[0; 30]);
        assert_eq!(parse(&b[..50]), Err(Warning::Ipv6Truncated));
    }

    #[test]
    fn test_parse_bad_version() {
        let mut b = packet(17, &[], b"x");
        b[0] = 0x40;
        assert_eq!(parse(&b), Err(Warning::Ipv6BadVersion));
    }

    #[test]
    fn test_parse_jumbogram() {
        let mut b = packet(HOP_BY_HOP, &opts(17), b"x");
        b[4] = 0;
        b[5] = 0;
        assert_eq!(parse(&b), Err(Warning::Ipv6Jumbogram));
    }

    #[test]
    fn test_parse_ext_truncated() {
        // header length runs past the packet
        let b = packet(DEST_OPTS, &[17, 4, 0, 0, 0, 0, 0, 0], b"");
        assert_eq!(parse(&b), Err(Warning::Ipv6ExtTruncated));
        // not even the two first bytes
        let b = packet(DEST_OPTS, &[17], b"");
        assert_eq!(parse(&b), Err(Warning::Ipv6ExtTruncated));
    }

    #[test]
    fn test_parse_too_many_ext() {
        let mut ext = Vec::new();
        for _ in 0..=MAX_EXT_HEADERS {
            ext.extend_from_slice(&opts(DEST_OPTS));
        }
        assert_eq!(
            parse(&packet(DEST_OPTS, &ext, b"")),
            Err(Warning::Ipv6TooManyExt)
        );
    }

    #[test]
    fn test_parse_hbh_not_first() {
        let b = packet(
            DEST_OPTS,
            &[&opts(HOP_BY_HOP)[..], &opts(17)[..]].concat(),
            b"x",
        );
        assert_eq!(parse(&b), Err(Warning::Ipv6HopByHopNotFirst));
    }

    #[test]
    fn test_parse_source_route() {
        let b = packet(
            ROUTING,
            &[
                17, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
            b"x",
        );
        assert_eq!(parse(&b), Err(Warning::Ipv6SourceRoute));
    }

    #[test]
    fn test_parse_two_fragment_headers() {
        let ext = [FRAGMENT, 0, 0, 0, 0, 0, 0, 1, 17, 0, 0, 0, 0, 0, 0, 2];
        assert_eq!(
            parse(&packet(FRAGMENT, &ext, b"x")),
            Err(Warning::Ipv6BadFragment)
        );
    }
}

//! IPv4 header validation, as libnids does it, without rewriting anything.
//!
//! Checks, in this order, each with its own [`Warning`]: at least 20 bytes
//! ([`Warning::Ipv4Truncated`]), version 4, header length of at least 5 words,
//! header within the captured bytes, header checksum (if the policy says so), total
//! length not below the header length, total length within the captured bytes
//! (else truncated by the snap length), then the options: source routes (LSRR,
//! SSRR) are refused and malformed options rejected. Unlike libnids, Record Route
//! and Timestamp options are left as they are (libnids rewrites them in place).

use core::net::IpAddr;

use smoltcp::wire::Ipv4Packet;

use super::{checksum, Fragment, Packet, Version};
use crate::event::Warning;

/// The smallest IPv4 header.
pub const MIN_HEADER_LEN: usize = 20;

const OPT_END: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_LSRR: u8 = 131;
const OPT_SSRR: u8 = 137;

/// How [`parse`] treats the header checksum (a `bool` converts: verify or skip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HeaderCheck {
    /// Not verified.
    Skip,
    /// Verified: a wrong one is refused ([`Warning::Ipv4BadChecksum`]).
    Verify,
    /// Verified, but a header the sender left unfilled is accepted (the
    /// automatic policy, [`super::checksum::Policy::Auto`]): a zero checksum
    /// field ([`is_unfilled`]), as macOS loopback captures and some virtual
    /// NICs show; and a zero total length, as a capture of a TCP segmentation
    /// offload super-packet shows (Windows' large send offload): the packet
    /// then runs to the end of the captured bytes.
    Offload,
}

impl From<bool> for HeaderCheck {
    fn from(verify: bool) -> Self {
        if verify {
            HeaderCheck::Verify
        } else {
            HeaderCheck::Skip
        }
    }
}

/// Whether the IPv4 header at the start of `bytes` holds what a sender
/// that leaves checksums to the NIC puts there: a zero checksum field (no
/// header computes to zero but one summing to `0xffff`, and a checksum
/// is never `0xffff`: either marks a field nobody filled). O(1).
pub fn is_unfilled(bytes: &[u8]) -> bool {
    matches!(bytes.get(10..12), Some([0, 0] | [0xff, 0xff]))
}

/// Validate the IPv4 packet at the start of `bytes` (which may carry link
/// padding after it). `verify_checksum` is asked, with the source address,
/// how to treat the header checksum ([`HeaderCheck`], or a `bool`: verify or
/// not). Costs O(header length).
pub fn parse<C: Into<HeaderCheck>>(
    bytes: &[u8],
    verify_checksum: impl FnOnce(IpAddr) -> C,
) -> Result<Packet<'_>, Warning> {
    if bytes.len() < MIN_HEADER_LEN {
        return Err(Warning::Ipv4Truncated);
    }
    let p = Ipv4Packet::new_unchecked(bytes);
    if p.version() != 4 {
        return Err(Warning::Ipv4BadVersion);
    }
    let header_len = usize::from(p.header_len());
    if header_len < MIN_HEADER_LEN {
        return Err(Warning::Ipv4BadHeaderLen);
    }
    if bytes.len() < header_len {
        return Err(Warning::Ipv4Truncated);
    }
    let src = IpAddr::V4(p.src_addr());
    let check = verify_checksum(src).into();
    let unfilled = check == HeaderCheck::Offload && is_unfilled(bytes);
    if check != HeaderCheck::Skip && !unfilled && checksum::sum(&bytes[..header_len]) != 0xffff {
        return Err(Warning::Ipv4BadChecksum);
    }
    let total_len = match usize::from(p.total_len()) {
        0 if check == HeaderCheck::Offload => bytes.len(),
        n => n,
    };
    if total_len < header_len {
        return Err(Warning::Ipv4BadTotalLen);
    }
    if bytes.len() < total_len {
        return Err(Warning::Ipv4Truncated);
    }
    check_options(&bytes[MIN_HEADER_LEN..header_len])?;
    let offset = usize::from(p.frag_offset());
    let more = p.more_frags();
    let fragment = (more || offset != 0).then_some(Fragment {
        id: u32::from(p.ident()),
        offset,
        more,
        next_header_at: 0,
        unfragmentable_len: header_len,
    });
    Ok(Packet {
        version: Version::V4,
        src,
        dst: IpAddr::V4(p.dst_addr()),
        protocol: p.next_header().into(),
        bytes: &bytes[..total_len],
        header_len,
        fragment,
        tunnel: crate::tunnel::TunnelId::NONE,
    })
}

/// Walk the options: END stops, NOP is one byte, every other option has a length
/// byte of at least 2 that stays inside the header.
fn check_options(mut opts: &[u8]) -> Result<(), Warning> {
    while let Some(&kind) = opts.first() {
        match kind {
            OPT_END => return Ok(()),
            OPT_NOP => opts = &opts[1..],
            _ => {
                let len = usize::from(*opts.get(1).ok_or(Warning::Ipv4BadOptions)?);
                if len < 2 || len > opts.len() {
                    return Err(Warning::Ipv4BadOptions);
                }
                if kind == OPT_LSRR || kind == OPT_SSRR {
                    return Err(Warning::Ipv4SourceRoute);
                }
                opts = &opts[len..];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use core::net::Ipv4Addr;
    use std::vec::Vec;

    /// A UDP/IPv4 packet, 10.0.0.1 -> 10.0.0.2, id 0x1234, with `opts` and `payload`,
    /// checksum filled in.
    pub(crate) fn packet(opts: &[u8], payload: &[u8]) -> Vec<u8> {
        let hl = 20 + opts.len();
        let total = hl + payload.len();
        let mut b = std::vec![
            0x40 | (hl / 4) as u8,
            0,
            (total >> 8) as u8,
            total as u8,
            0x12,
            0x34,
            0,
            0,
            64,
            17,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        b.extend_from_slice(opts);
        b.extend_from_slice(payload);
        fix(&mut b);
        b
    }

    fn fix(b: &mut [u8]) {
        let hl = usize::from(b[0] & 0x0f) * 4;
        b[10] = 0;
        b[11] = 0;
        let c = !(checksum::sum(&b[..hl.min(b.len())]) as u16);
        b[10..12].copy_from_slice(&c.to_be_bytes());
    }

    fn yes(_: IpAddr) -> bool {
        true
    }

    #[test]
    fn test_parse() {
        let b = packet(&[], b"hello");
        let p = parse(&b, yes).unwrap();
        assert_eq!(p.version, Version::V4);
        assert_eq!(p.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(p.dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(p.protocol, 17);
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.fragment, None);
    }

    #[test]
    fn test_padding_trimmed() {
        let mut b = packet(&[], b"hi");
        b.extend_from_slice(&[0; 20]);
        let p = parse(&b, yes).unwrap();
        assert_eq!(p.bytes.len(), 22);
        assert_eq!(p.payload(), b"hi");
    }

    #[test]
    fn test_fragment_fields() {
        let mut b = packet(&[], &[0; 16]);
        b[6] = 0x20 | 0x01; // MF, offset 0x100 words
        b[7] = 0x00;
        fix(&mut b);
        let f = parse(&b, yes).unwrap().fragment.unwrap();
        assert_eq!((f.id, f.offset, f.more), (0x1234, 256 * 8, true));
        // DF alone is not a fragment.
        let mut b = packet(&[], &[0; 16]);
        b[6] = 0x40;
        fix(&mut b);
        assert_eq!(parse(&b, yes).unwrap().fragment, None);
    }

    #[test]
    fn test_parse_truncated_short() {
        assert_eq!(parse(&[0x45; 19], yes), Err(Warning::Ipv4Truncated));
    }

    #[test]
    fn test_parse_bad_version() {
        let mut b = packet(&[], b"x");
        b[0] = 0x55;
        assert_eq!(parse(&b, yes), Err(Warning::Ipv4BadVersion));
    }

    #[test]
    fn test_parse_small_ihl() {
        let mut b = packet(&[], b"x");
        b[0] = 0x44;
        assert_eq!(parse(&b, yes), Err(Warning::Ipv4BadHeaderLen));
    }

    #[test]
    fn test_parse_header_past_capture() {
        let mut b = packet(&[], &[]);
        b[0] = 0x46; // 24-byte header in a 20-byte packet
        assert_eq!(parse(&b, yes), Err(Warning::Ipv4Truncated));
    }

    #[test]
    fn test_parse_bad_checksum() {
        let mut b = packet(&[], b"x");
        b[10] ^= 1;
        assert_eq!(parse(&b, yes), Err(Warning::Ipv4BadChecksum));
        assert!(
            parse(&b, |_| false).is_ok(),
            "the policy may skip the check"
        );
    }

    /// Under the automatic policy a zero (or all-ones) checksum field is a
    /// header left unfilled and is accepted; any other wrong checksum is not;
    /// a zero total length (a TSO super-packet) runs to the captured end.
    #[test]
    fn test_parse_unfilled_header() {
        let offload = |_: IpAddr| HeaderCheck::Offload;
        let good = packet(&[], b"xyz");
        assert!(!is_unfilled(&good));
        assert_eq!(parse(&good, offload), parse(&good, yes));
        for field in [[0, 0], [0xff, 0xff]] {
            let mut b = good.clone();
            b[10..12].copy_from_slice(&field);
            assert!(is_unfilled(&b));
            assert_eq!(parse(&b, yes), Err(Warning::Ipv4BadChecksum));
            assert_eq!(parse(&b, offload).unwrap().payload(), b"xyz");
        }
        let mut bad = good.clone();
        bad[10] ^= 1;
        assert_eq!(parse(&bad, offload), Err(Warning::Ipv4BadChecksum));
        // TSO: total length 0 and checksum 0
        let mut tso = good.clone();
        tso[2..4].copy_from_slice(&[0, 0]);
        tso[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(parse(&tso, yes), Err(Warning::Ipv4BadChecksum));
        assert_eq!(parse(&tso, |_| false), Err(Warning::Ipv4BadTotalLen));
        let p = parse(&tso, offload).unwrap();
        assert_eq!((p.bytes.len(), p.payload()), (23, &b"xyz"[..]));
        // a zero total length with a wrong, filled checksum is still refused
        tso[10] = 1;
        assert_eq!(parse(&tso, offload), Err(Warning::Ipv4BadChecksum));
    }

    #[test]
    fn test_parse_total_len_below_header() {
        let mut b = packet(&[], b"x");
        b[2] = 0;
        b[3] = 19;
        fix(&mut b);
        assert_eq!(parse(&b, yes), Err(Warning::Ipv4BadTotalLen));
    }

    #[test]
    fn test_parse_snaplen_cut() {
        let b = packet(&[], &[7; 100]);
        assert_eq!(parse(&b[..60], yes), Err(Warning::Ipv4Truncated));
    }

    #[test]
    fn test_parse_source_route() {
        for kind in [OPT_LSRR, OPT_SSRR] {
            let b = packet(&[kind, 7, 4, 10, 0, 0, 9, OPT_END], b"x");
            assert_eq!(parse(&b, yes), Err(Warning::Ipv4SourceRoute));
        }
    }

    #[test]
    fn test_parse_bad_options() {
        // length 1
        assert_eq!(
            parse(&packet(&[7, 1, 0, 0], b"x"), yes),
            Err(Warning::Ipv4BadOptions)
        );
        // length past the header
        assert_eq!(
            parse(&packet(&[7, 9, 0, 0], b"x"), yes),
            Err(Warning::Ipv4BadOptions)
        );
        // length byte missing
        assert_eq!(
            parse(&packet(&[OPT_NOP, OPT_NOP, OPT_NOP, 7], b"x"), yes),
            Err(Warning::Ipv4BadOptions)
        );
    }

    #[test]
    fn test_options_not_rewritten() {
        // Record Route with room for one address: libnids writes into it.
        let b = packet(&[7, 7, 4, 0, 0, 0, 0, OPT_END], b"x");
        let before = b.clone();
        let p = parse(&b, yes).unwrap();
        assert_eq!(p.bytes, &before[..]);
        assert_eq!(p.payload(), b"x");
    }
}

//! PPP (RFC 1661) in its capture framings: `LINKTYPE_PPP`, PPP in HDLC-like
//! framing (`LINKTYPE_PPP_HDLC`, libpcap's `DLT_PPP_SERIAL`, which may also hold
//! Cisco HDLC), PPPoE sessions (RFC 2516), and Cisco HDLC itself.

use super::{ethernet, mpls, Drop, L3};
use crate::event::Warning;

/// PPP protocol numbers that lead to IP.
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
const PPP_MPLS: u16 = 0x0281;

/// A PPP frame: the optional address and control bytes (`ff 03`), then the
/// protocol field (one byte if its low bit is set: protocol-field compression).
/// libnids skips 4 bytes whatever they hold; this reads them.
pub fn decode(b: &[u8]) -> Result<L3<'_>, Drop> {
    let b = match b {
        [0xff, 0x03, rest @ ..] => rest,
        _ => b,
    };
    let (proto, rest) = match b {
        [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
        [hi, lo, rest @ ..] => (u16::from_be_bytes([*hi, *lo]), rest),
        _ => return Err(Drop::Bad(Warning::LinkTruncated)),
    };
    by_protocol(proto, rest)
}

fn by_protocol(proto: u16, rest: &[u8]) -> Result<L3<'_>, Drop> {
    match proto {
        PPP_IPV4 => Ok(L3::V4(rest)),
        PPP_IPV6 => Ok(L3::V6(rest)),
        PPP_MPLS => mpls::decode(rest),
        _ => Err(Drop::NotIp),
    }
}

/// `LINKTYPE_PPP_HDLC` and `LINKTYPE_PPP`: PPP (in HDLC-like framing or not),
/// or Cisco HDLC when the first byte is Cisco's unicast or broadcast address
/// (`0x0f`, `0x8f`), as libpcap says for the first and tshark reads both (BSD/OS
/// and some routers write Cisco HDLC under `LINKTYPE_PPP`). No PPP frame starts
/// so: `0x0f` and `0x8f` are no address byte of PPP, nor a protocol leading to IP.
pub fn serial(b: &[u8]) -> Result<L3<'_>, Drop> {
    match b.first() {
        Some(0x0f | 0x8f) => chdlc(b),
        _ => decode(b),
    }
}

/// Cisco HDLC: address, control, then an EtherType.
pub fn chdlc(b: &[u8]) -> Result<L3<'_>, Drop> {
    match b {
        [_, _, hi, lo, rest @ ..] => ethernet::by_ethertype(u16::from_be_bytes([*hi, *lo]), rest),
        _ => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

/// A PPPoE session header (version/type, code 0, session id, length) and the
/// PPP protocol field after it (always two bytes in PPPoE).
pub fn pppoe(b: &[u8]) -> Result<L3<'_>, Drop> {
    match b {
        [_, 0, _, _, _, _, hi, lo, rest @ ..] => by_protocol(u16::from_be_bytes([*hi, *lo]), rest),
        [_, _, _, _, _, _, _, _, ..] => Err(Drop::NotIp),
        _ => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

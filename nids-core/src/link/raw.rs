//! Link types with little or no header: raw IP, SLIP, and BSD/Linux loopback.

use super::{Drop, L3};
use crate::event::Warning;

/// Raw IPv4 or IPv6: the version nibble decides.
pub fn raw(frame: &[u8]) -> Result<L3<'_>, Drop> {
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

/// A 4-byte address family, then IPv4 or IPv6: in the capturing host's byte
/// order (`LINKTYPE_NULL`) or in network order (`LINKTYPE_LOOP`). libnids does
/// not look at the family.
pub fn loopback(frame: &[u8], network_order: bool) -> Result<L3<'_>, Drop> {
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

/// SLIP (`LINKTYPE_SLIP`). libpcap writes a 16-byte BSD/OS header (direction,
/// packet type, compressed TCP/IP header) before each packet; libnids reads the
/// packet at offset 0. A first byte holding an IP version is read as libnids
/// does, anything else as the 16-byte header (whose first byte is a direction,
/// 0 or 1). Compressed (VJ) packets are not IP to this reader.
pub fn slip(frame: &[u8]) -> Result<L3<'_>, Drop> {
    match frame.first().map(|b| b >> 4) {
        Some(4 | 6) => raw(frame),
        Some(_) => match frame.get(16..) {
            Some(rest) if frame[1] & 0xf0 == 0x40 => raw(rest),
            Some(_) => Err(Drop::NotIp),
            None => Err(Drop::Bad(Warning::LinkTruncated)),
        },
        None => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

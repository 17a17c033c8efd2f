//! Linux "cooked" captures (SLL and SLL2), what `tcpdump -i any` writes: a
//! pseudo header naming the device type (ARPHRD) and the EtherType, then the
//! packet without its own link header.

use super::{ethernet, wifi, Drop, L3};
use crate::event::Warning;

/// ARPHRD values whose payload is not an EtherType-tagged packet.
const ARPHRD_NETLINK: u16 = 824;
const ARPHRD_RADIOTAP: u16 = 803;

fn by_device(arphrd: u16, protocol: u16, rest: &[u8]) -> Result<L3<'_>, Drop> {
    match arphrd {
        ARPHRD_NETLINK => Err(Drop::NotIp),
        ARPHRD_RADIOTAP => wifi::radiotap(rest),
        _ => ethernet::by_ethertype(protocol, rest),
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// SLL: packet type (2), ARPHRD (2), address length (2), address (8),
/// protocol (2).
pub fn sll(frame: &[u8]) -> Result<L3<'_>, Drop> {
    if frame.len() < 16 {
        return Err(Drop::Bad(Warning::LinkTruncated));
    }
    by_device(be16(frame, 2), be16(frame, 14), &frame[16..])
}

/// SLL2: protocol (2), reserved (2), interface index (4), ARPHRD (2), packet
/// type (1), address length (1), address (8).
pub fn sll2(frame: &[u8]) -> Result<L3<'_>, Drop> {
    if frame.len() < 20 {
        return Err(Drop::Bad(Warning::LinkTruncated));
    }
    by_device(be16(frame, 8), be16(frame, 0), &frame[20..])
}

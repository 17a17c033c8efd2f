//! IEEE 802.2 LLC with a SNAP header (`aa aa 03`, an OUI, an EtherType): how IP
//! rides on 802.11, FDDI and token ring.

use super::{ethernet, Drop, L3};
use crate::event::Warning;

/// Length of the LLC/SNAP header.
pub const SNAP_LEN: usize = 8;

/// An LLC/SNAP header and the EtherType it names. Other LLC frames (spanning
/// tree, NetBIOS, …) are not IP.
pub fn snap(b: &[u8]) -> Result<L3<'_>, Drop> {
    match b {
        [0xaa, 0xaa, 0x03, _, _, _, hi, lo, rest @ ..] => {
            ethernet::by_ethertype(u16::from_be_bytes([*hi, *lo]), rest)
        }
        [_, _, _, _, _, _, _, _, ..] => Err(Drop::NotIp),
        _ => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

/// FDDI (`LINKTYPE_FDDI`): frame control, destination, source (13 bytes), then
/// LLC. libnids skips 21 bytes without looking at them.
pub fn fddi(b: &[u8]) -> Result<L3<'_>, Drop> {
    snap(b.get(13..).ok_or(Drop::Bad(Warning::LinkTruncated))?)
}

/// Token ring (`LINKTYPE_IEEE802_5`): access control, frame control, destination,
/// source (14 bytes), the routing information field when the source's top bit
/// says so (its length in the low 5 bits of its first byte), then LLC. libnids
/// skips 22 bytes, so it misreads source-routed frames.
pub fn token_ring(b: &[u8]) -> Result<L3<'_>, Drop> {
    let src_routed = b.get(8).ok_or(Drop::Bad(Warning::LinkTruncated))? & 0x80 != 0;
    let rif = match (src_routed, b.get(14)) {
        (false, _) => 0,
        (true, Some(r)) => usize::from(r & 0x1f),
        (true, None) => return Err(Drop::Bad(Warning::LinkTruncated)),
    };
    snap(b.get(14 + rif..).ok_or(Drop::Bad(Warning::LinkTruncated))?)
}

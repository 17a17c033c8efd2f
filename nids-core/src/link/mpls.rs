//! MPLS label stacks (RFC 3032), and what follows the bottom label: IPv4, IPv6,
//! or an Ethernet pseudowire with or without its control word (RFC 4448).

use super::{ethernet, Drop, L3};
use crate::event::Warning;

/// The most labels [`decode`] walks through before giving up with
/// [`Warning::LinkTooManyLabels`].
pub const MAX_LABELS: usize = 8;

/// The label stack at the start of `b` and the payload after its bottom entry:
/// the bottom label and the payload. O(labels).
pub fn stack(b: &[u8]) -> Result<(u32, &[u8]), Drop> {
    let mut at = 0;
    for _ in 0..MAX_LABELS {
        let Some(&[l0, l1, l2, _]) = b.get(at..at + 4) else {
            return Err(Drop::Bad(Warning::LinkTruncated));
        };
        at += 4;
        if l2 & 1 != 0 {
            let label = (u32::from(l0) << 12) | (u32::from(l1) << 4) | u32::from(l2 >> 4);
            return Ok((label, &b[at..]));
        }
    }
    Err(Drop::Bad(Warning::LinkTooManyLabels))
}

/// What an MPLS payload holds, told by its first nibble (MPLS has no protocol
/// field): 4 is IPv4, 6 is IPv6, 0 is a pseudowire control word (4 bytes) before
/// an Ethernet frame, 1 is an associated channel (not IP); anything else is an
/// Ethernet frame without control word.
pub fn payload(b: &[u8]) -> Result<L3<'_>, Drop> {
    match b.first().map(|x| x >> 4) {
        None => Err(Drop::Bad(Warning::LinkTruncated)),
        Some(4) => Ok(L3::V4(b)),
        Some(6) => Ok(L3::V6(b)),
        Some(0) => ethernet::decode(b.get(4..).ok_or(Drop::Bad(Warning::LinkTruncated))?),
        Some(1) => Err(Drop::NotIp),
        Some(_) => ethernet::decode(b),
    }
}

/// A label stack and its payload, to the IP packet.
pub fn decode(b: &[u8]) -> Result<L3<'_>, Drop> {
    payload(stack(b)?.1)
}

//! IEEE 802.11 data frames, bare or behind a radio header (radiotap, Prism, AVS,
//! PPI), each header skipped by its own length field.
//!
//! libnids' rules: data frames only, none protected (WEP/WPA), a 24-byte header
//! (30 with both To-DS and From-DS: a fourth address), 2 more for QoS subtypes,
//! then LLC/SNAP. Here also: frames whose subtype carries no data are not IP, the
//! 4-byte HT control field of QoS frames with the Order bit is skipped, IPv6 is
//! read, and every length is checked against the captured bytes.

use super::{ethernet, llc, Drop, L3};
use crate::event::Warning;

fn le16(b: &[u8], at: usize) -> Result<usize, Drop> {
    match b.get(at..at + 2) {
        Some(&[a, c]) => Ok(usize::from(u16::from_le_bytes([a, c]))),
        _ => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Result<u32, Drop> {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) if big_endian => Ok(u32::from_be_bytes([a, c, d, e])),
        Some(&[a, c, d, e]) => Ok(u32::from_le_bytes([a, c, d, e])),
        _ => Err(Drop::Bad(Warning::LinkTruncated)),
    }
}

fn after(b: &[u8], len: usize) -> Result<&[u8], Drop> {
    b.get(len..).ok_or(Drop::Bad(Warning::LinkTruncated))
}

/// A bare 802.11 frame (`LINKTYPE_IEEE802_11`).
pub fn frame(b: &[u8]) -> Result<L3<'_>, Drop> {
    let fc = le16(b, 0)?;
    let (kind, subtype, flags) = ((fc >> 2) & 3, (fc >> 4) & 0xf, fc >> 8);
    const DATA: usize = 2;
    const QOS: usize = 0x8;
    const NO_DATA: usize = 0x4;
    const TO_FROM_DS: usize = 0x03;
    const PROTECTED: usize = 0x40;
    const ORDER: usize = 0x80;
    if kind != DATA || flags & PROTECTED != 0 || subtype & NO_DATA != 0 {
        return Err(Drop::NotIp);
    }
    let mut len = if flags & TO_FROM_DS == TO_FROM_DS {
        30
    } else {
        24
    };
    if subtype & QOS != 0 {
        len += 2;
        if flags & ORDER != 0 {
            len += 4;
        }
    }
    llc::snap(after(b, len)?)
}

/// Radiotap (`LINKTYPE_IEEE802_11_RADIOTAP`): its length is the little-endian
/// 16 bits at byte 2.
pub fn radiotap(b: &[u8]) -> Result<L3<'_>, Drop> {
    frame(after(b, le16(b, 2)?)?)
}

/// AVS (`LINKTYPE_IEEE802_11_AVS`): a big-endian header length at byte 4.
pub fn avs(b: &[u8]) -> Result<L3<'_>, Drop> {
    frame(after(b, u32_at(b, 4, true)? as usize)?)
}

/// Prism (`LINKTYPE_PRISM_HEADER`): a little-endian message length at byte 4
/// (144 in practice, the size libnids assumes). Some drivers write AVS headers
/// under this link type; their magic (`80 21 10 0x`) tells them apart.
pub fn prism(b: &[u8]) -> Result<L3<'_>, Drop> {
    if u32_at(b, 0, true)? & 0xffff_fff0 == 0x8021_1000 {
        return avs(b);
    }
    frame(after(b, u32_at(b, 4, false)? as usize)?)
}

/// PPI (`LINKTYPE_PPI`): a little-endian header length at byte 2 and the link
/// type of what follows at byte 4 (802.11 or Ethernet are read).
pub fn ppi(b: &[u8]) -> Result<L3<'_>, Drop> {
    let rest = after(b, le16(b, 2)?)?;
    match u32_at(b, 4, false)? {
        105 => frame(rest),
        1 => ethernet::decode(rest),
        _ => Err(Drop::NotIp),
    }
}

//! The fixed header of a datagram slot, kept in caller storage as little-endian
//! fields (no typed array is needed, so the number of slots can follow the
//! storage size at run time).
//!
//! Slot layout: `[Meta: META bytes][piece records][header room][payload]`. The IP
//! header is stored right-aligned against the payload, so a complete datagram is
//! one contiguous run of bytes.

use super::key::Key;
use crate::ip::Version;

/// "No slot": the end of a list.
pub(crate) const NONE: u32 = u32::MAX;

/// Bytes of the fixed slot header.
pub const META: usize = 88;

/// Flag: the last fragment (MF = 0) was seen and `end` is known.
pub(crate) const HAVE_LAST: u8 = 1;
/// Flag: the header of an offset-0 fragment is stored.
pub(crate) const HAVE_HEADER: u8 = 2;

/// The decoded slot header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Previous slot in the age list (toward older), or [`NONE`].
    pub prev: u32,
    /// Next slot in the age list (toward newer), or [`NONE`].
    pub next: u32,
    /// Next slot in the host list (or in the free list).
    pub host_next: u32,
    /// Host slot this datagram is listed in.
    pub host: u32,
    /// Packet time of the last fragment, µs.
    pub touched: u64,
    /// The datagram's key.
    pub key: Key,
    /// [`HAVE_LAST`] | [`HAVE_HEADER`].
    pub flags: u8,
    /// Number of piece records.
    pub count: u8,
    /// Stored header length.
    pub header_len: u16,
    /// Payload length, once the last fragment is seen.
    pub end: u16,
    /// Payload bytes held (sum of the pieces).
    pub held: u32,
    /// Age: the engine-wide fragment counter when this datagram last got one
    /// (larger is newer; breaks ties between equal packet times).
    pub seq: u64,
}

fn r32(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_le_bytes(x)
}

fn r16(b: &[u8], at: usize) -> u16 {
    let mut x = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        x.copy_from_slice(s);
    }
    u16::from_le_bytes(x)
}

fn w(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(s) = b.get_mut(at..at + v.len()) {
        s.copy_from_slice(v);
    }
}

fn bytes16(b: &[u8], at: usize) -> [u8; 16] {
    let mut x = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        x.copy_from_slice(s);
    }
    x
}

impl Meta {
    /// Decode from the first [`META`] bytes of `b` (missing bytes read as 0).
    pub fn read(b: &[u8]) -> Meta {
        let mut t = [0u8; 8];
        if let Some(s) = b.get(16..24) {
            t.copy_from_slice(s);
        }
        let flags_byte = b.get(57).copied().unwrap_or(0);
        Meta {
            prev: r32(b, 0),
            next: r32(b, 4),
            host_next: r32(b, 8),
            host: r32(b, 12),
            touched: u64::from_le_bytes(t),
            key: Key {
                version: if b.get(56).copied() == Some(6) {
                    Version::V6
                } else {
                    Version::V4
                },
                src: bytes16(b, 24),
                dst: bytes16(b, 40),
                id: r32(b, 60),
                protocol: b.get(58).copied().unwrap_or(0),
                tunnel: crate::tunnel::TunnelId::from_bits({
                    let mut q = [0u8; 8];
                    if let Some(s) = b.get(80..88) {
                        q.copy_from_slice(s);
                    }
                    u64::from_le_bytes(q)
                }),
            },
            flags: flags_byte,
            count: b.get(59).copied().unwrap_or(0),
            header_len: r16(b, 64),
            end: r16(b, 66),
            held: r32(b, 68),
            seq: {
                let mut q = [0u8; 8];
                if let Some(s) = b.get(72..80) {
                    q.copy_from_slice(s);
                }
                u64::from_le_bytes(q)
            },
        }
    }

    /// Encode into the first [`META`] bytes of `b` (a shorter `b` is left alone
    /// past its end).
    pub fn write(&self, b: &mut [u8]) {
        w(b, 0, &self.prev.to_le_bytes());
        w(b, 4, &self.next.to_le_bytes());
        w(b, 8, &self.host_next.to_le_bytes());
        w(b, 12, &self.host.to_le_bytes());
        w(b, 16, &self.touched.to_le_bytes());
        w(b, 24, &self.key.src);
        w(b, 40, &self.key.dst);
        let v = match self.key.version {
            Version::V4 => 4,
            Version::V6 => 6,
        };
        w(b, 56, &[v, self.flags, self.key.protocol, self.count]);
        w(b, 60, &self.key.id.to_le_bytes());
        w(b, 64, &self.header_len.to_le_bytes());
        w(b, 66, &self.end.to_le_bytes());
        w(b, 68, &self.held.to_le_bytes());
        w(b, 72, &self.seq.to_le_bytes());
        w(b, 80, &self.key.tunnel.to_bits().to_le_bytes());
    }

    /// A fresh header for `key`, touched at `now`, in no list.
    pub fn new(key: Key, host: u32, now: u64, seq: u64) -> Meta {
        Meta {
            prev: NONE,
            next: NONE,
            host_next: NONE,
            host,
            touched: now,
            key,
            flags: 0,
            count: 0,
            header_len: 0,
            end: 0,
            held: 0,
            seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_roundtrip() {
        let m = Meta {
            prev: 1,
            next: 2,
            host_next: 3,
            host: 4,
            touched: 0x0102_0304_0506_0708,
            key: Key {
                version: Version::V6,
                src: [7; 16],
                dst: [8; 16],
                id: 0xdead_beef,
                protocol: 0,
                tunnel: crate::tunnel::TunnelId::from_bits(0x0123_4567_89ab_cdef),
            },
            flags: HAVE_LAST | HAVE_HEADER,
            count: 200,
            header_len: 48,
            end: 65535,
            held: 70000,
            seq: u64::MAX - 1,
        };
        let mut b = [0u8; META];
        m.write(&mut b);
        assert_eq!(Meta::read(&b), m);
        // Short buffers never panic.
        m.write(&mut [0u8; 10]);
        let _ = Meta::read(&b[..5]);
    }
}

//! [`Key`]: what identifies a pending datagram, and the keyed host hash.

use core::hash::Hasher;
use core::net::IpAddr;

use siphasher::sip::SipHasher13;

use crate::ip::{Packet, Version};

/// Identifies the datagram a fragment belongs to: (source, destination, id,
/// protocol) for IPv4, (source, destination, id) for IPv6 (RFC 8200; `protocol`
/// is then 0). 38 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Key {
    /// IPv4 or IPv6.
    pub version: Version,
    /// Source address (IPv4 in the first 4 bytes, the rest zero).
    pub src: [u8; 16],
    /// Destination address (same layout).
    pub dst: [u8; 16],
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// IPv4 protocol; 0 for IPv6.
    pub protocol: u8,
    /// The tunnel the fragments came through (fragments of two tenants with
    /// the same addresses and id are different datagrams).
    pub tunnel: crate::tunnel::TunnelId,
}

/// An address as 16 bytes: IPv4 in the first 4, the rest zero.
pub(crate) fn addr_bytes(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => {
            let mut b = [0; 16];
            b[..4].copy_from_slice(&a.octets());
            b
        }
    }
}

impl Key {
    /// The key of `p`: from its fragment fields, or for an IPv4 packet that is
    /// not a fragment from its header's identification field. `None` for an
    /// IPv6 packet without a fragment header (it has no identification). O(1).
    pub fn of(p: &Packet<'_>) -> Option<Key> {
        let id = match (p.fragment, p.version) {
            (Some(f), _) => f.id,
            (None, Version::V4) => {
                let b = p.bytes.get(4..6)?;
                u32::from(u16::from_be_bytes([b[0], b[1]]))
            }
            (None, Version::V6) => return None,
        };
        Some(Key {
            version: p.version,
            src: addr_bytes(p.src),
            dst: addr_bytes(p.dst),
            id,
            protocol: match p.version {
                Version::V4 => p.protocol,
                Version::V6 => 0,
            },
            tunnel: p.tunnel,
        })
    }
}

/// The host slot of destination `dst`: SipHash-1-3 under `seed`, modulo `hosts`
/// (which must not be 0; 0 gives slot 0). One SipHash of 17 bytes.
pub(crate) fn host_slot(seed: (u64, u64), version: Version, dst: &[u8; 16], hosts: usize) -> usize {
    let mut h = SipHasher13::new_with_keys(seed.0, seed.1);
    h.write_u8(match version {
        Version::V4 => 4,
        Version::V6 => 6,
    });
    h.write(dst);
    let n = u64::try_from(hosts).unwrap_or(u64::MAX).max(1);
    usize::try_from(h.finish() % n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_key_of_v4_whole_packet() {
        let mut b = [0u8; 21];
        b[0] = 0x45;
        b[4] = 0x12;
        b[5] = 0x34;
        let p = Packet {
            version: Version::V4,
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            protocol: 17,
            bytes: &b,
            header_len: 20,
            fragment: None,
            tunnel: crate::tunnel::TunnelId::NONE,
        };
        let k = Key::of(&p).unwrap();
        assert_eq!((k.id, k.protocol, k.version), (0x1234, 17, Version::V4));
        assert_eq!(&k.dst[..4], &[10, 0, 0, 2]);
        let v6 = Packet {
            version: Version::V6,
            src: "fd00::1".parse().unwrap(),
            dst: "fd00::2".parse().unwrap(),
            ..p
        };
        assert_eq!(Key::of(&v6), None);
    }

    #[test]
    fn test_host_slot_keyed() {
        let d = addr_bytes("10.0.0.2".parse().unwrap());
        let a = host_slot((1, 2), Version::V4, &d, 1 << 20);
        let b = host_slot((3, 4), Version::V4, &d, 1 << 20);
        assert_ne!(a, b, "the seed changes the slot");
        assert_eq!(host_slot((1, 2), Version::V4, &d, 1), 0);
        assert_eq!(host_slot((1, 2), Version::V4, &d, 0), 0);
    }
}

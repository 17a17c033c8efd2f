//! UDP: header checks and the checksum rules, then [`crate::Handler::udp`].
//!
//! A UDP datagram is refused ([`Warning::UdpBadHeader`]) when it is shorter than
//! 8 bytes or its length field is below 8 or beyond the IP payload; bytes past
//! the length field are ignored. A zero checksum means "none" over IPv4 and is
//! accepted; over IPv6 it is forbidden (RFC 8200 §8.1) and refused
//! ([`Warning::UdpV6ZeroChecksum`]), except on a tunnel's port, where RFC 6935
//! allows it (VXLAN, Geneve, MPLS and GRE in UDP over IPv6 usually send it).

use crate::event::Warning;
use crate::flow::Tuple;
use crate::ip::{Packet, Version};
use crate::time::Instant;

/// A UDP datagram as given to [`crate::Handler::udp`].
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// When it was captured.
    pub ts: Instant,
    /// Addresses and ports.
    pub tuple: Tuple,
    /// The UDP payload (length-field bytes, without the 8-byte header).
    pub payload: &'a [u8],
    /// The whole IP datagram that carried it (reassembled if it was fragmented).
    pub ip: &'a [u8],
}

/// What [`check`] found: the tuple, the UDP segment (header and payload, cut to
/// the length field) and the checksum field.
pub(crate) struct Checked<'a> {
    pub tuple: Tuple,
    pub segment: &'a [u8],
    pub checksum: u16,
}

/// Check the header of the UDP datagram in `p` (a whole IP datagram), and
/// refuse a zero checksum over IPv6.
pub(crate) fn check<'a>(p: &Packet<'a>) -> Result<Checked<'a>, Warning> {
    let c = header(p)?;
    if c.checksum == 0 && p.version == Version::V6 {
        return Err(Warning::UdpV6ZeroChecksum);
    }
    Ok(c)
}

/// Check the header of the UDP datagram in `p`, whatever its checksum field
/// (a tunnel over IPv6 may leave it zero: RFC 6935, RFC 6936).
pub(crate) fn header<'a>(p: &Packet<'a>) -> Result<Checked<'a>, Warning> {
    let data = p.payload();
    let [s0, s1, d0, d1, l0, l1, c0, c1, ..] = *data else {
        return Err(Warning::UdpBadHeader);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if len < 8 || len > data.len() {
        return Err(Warning::UdpBadHeader);
    }
    let checksum = u16::from_be_bytes([c0, c1]);
    Ok(Checked {
        tuple: Tuple {
            src: p.src,
            sport: u16::from_be_bytes([s0, s1]),
            dst: p.dst,
            dport: u16::from_be_bytes([d0, d1]),
            tunnel: p.tunnel,
        },
        segment: &data[..len],
        checksum,
    })
}

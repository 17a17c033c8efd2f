//! ICMP and ICMPv6: checksum, and destination-unreachable errors that quote a
//! TCP segment (they end pending TCP streams, as libnids intended) or a UDP
//! datagram (port unreachable: a closed port answering a UDP scan).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::event::Warning;
use crate::flow::Tuple;
use crate::ip::{checksum, protocol, Packet, Version};

/// What an ICMP message means to the engine.
pub(crate) enum Meaning {
    /// Nothing the engine acts on.
    Other,
    /// Destination unreachable for the TCP segment with this tuple (as sent)
    /// and this sequence number.
    TcpUnreachable(Tuple, u32),
    /// Port unreachable for the UDP datagram with this tuple (as sent).
    UdpPortUnreachable(Tuple),
}

/// Check an ICMP (IPv4) or ICMPv6 message in `p`. The checksum is always
/// verified (libnids does the same for ICMP). Codes 2 and 3 (protocol and port
/// unreachable; ICMPv6 code 4) must come from the quoted destination itself.
pub(crate) fn check(p: &Packet<'_>) -> Result<Meaning, Warning> {
    let m = p.payload();
    if m.len() < 8 {
        return Err(Warning::IcmpBad);
    }
    let ok = match p.version {
        Version::V4 => checksum::sum(m) == 0xffff,
        Version::V6 => checksum::verify(
            checksum::pseudo_header(p.src, p.dst, protocol::ICMPV6, m.len() as u32),
            m,
        ),
    };
    if !ok {
        return Err(Warning::IcmpBad);
    }
    let (ty, code) = (m[0], m[1]);
    let quoted = &m[8..];
    let quoted_info = match p.version {
        Version::V4 if ty == 3 && code <= 15 => {
            let Some(&vihl) = quoted.first() else {
                return Ok(Meaning::Other);
            };
            let ihl = usize::from(vihl & 0x0f) * 4;
            if vihl >> 4 != 4 || ihl < 20 || quoted.len() < ihl + 8 {
                return Ok(Meaning::Other);
            }
            let a = |i: usize| {
                IpAddr::V4(Ipv4Addr::new(
                    quoted[i],
                    quoted[i + 1],
                    quoted[i + 2],
                    quoted[i + 3],
                ))
            };
            let t = tuple_at(a(12), a(16), &quoted[ihl..]);
            (
                quoted[9],
                t,
                seq_at(&quoted[ihl..]),
                code == 2 || code == 3,
                code == 3,
            )
        }
        Version::V6 if ty == 1 => {
            if quoted.len() < 48 || quoted[0] >> 4 != 6 {
                return Ok(Meaning::Other);
            }
            let a = |i: usize| {
                let mut o = [0u8; 16];
                o.copy_from_slice(&quoted[i..i + 16]);
                IpAddr::V6(Ipv6Addr::from(o))
            };
            (
                quoted[6],
                tuple_at(a(8), a(24), &quoted[40..]),
                seq_at(&quoted[40..]),
                code == 4,
                code == 4,
            )
        }
        _ => return Ok(Meaning::Other),
    };
    let (proto, mut tuple, seq, from_target_only, port_unreachable) = quoted_info;
    tuple.tunnel = p.tunnel;
    if from_target_only && p.src != tuple.dst {
        return Ok(Meaning::Other);
    }
    Ok(match proto {
        protocol::TCP => Meaning::TcpUnreachable(tuple, seq),
        protocol::UDP if port_unreachable => Meaning::UdpPortUnreachable(tuple),
        _ => Meaning::Other,
    })
}

/// The sequence number of a quoted TCP header (the first 8 bytes are quoted).
fn seq_at(tcp: &[u8]) -> u32 {
    u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]])
}

/// The tuple of a quoted TCP or UDP header (ports at the same place).
fn tuple_at(src: IpAddr, dst: IpAddr, tcp: &[u8]) -> Tuple {
    Tuple {
        src,
        sport: u16::from_be_bytes([tcp[0], tcp[1]]),
        dst,
        dport: u16::from_be_bytes([tcp[2], tcp[3]]),
        tunnel: crate::tunnel::TunnelId::NONE,
    }
}

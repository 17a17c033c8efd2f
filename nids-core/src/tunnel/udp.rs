//! Encapsulations in UDP, told by port: VXLAN, Geneve, GTP-U, Teredo, MPLS.

use super::{Config, Decap, Hop, Kind};
use crate::event::Warning;
use crate::link::{ethernet, mpls, Drop, L3};

/// The decoder for a UDP payload between ports `sport` and `dport`, if the
/// configuration decodes an encapsulation on them. O(1).
fn decoder(c: &Config, sport: u16, dport: u16) -> Option<fn(&[u8]) -> Decap<'_>> {
    let either = |p: &super::Ports| p.contains(dport) || p.contains(sport);
    if c.vxlan && c.vxlan_ports.contains(dport) {
        Some(vxlan)
    } else if c.geneve && c.geneve_ports.contains(dport) {
        Some(geneve)
    } else if c.gtpu && either(&c.gtpu_ports) {
        Some(gtpu)
    } else if c.teredo && either(&c.teredo_ports) {
        Some(teredo)
    } else if c.mpls && c.mpls_udp_ports.contains(dport) {
        Some(mpls_udp)
    } else {
        None
    }
}

/// Whether the configuration decodes an encapsulation between these ports (so
/// the datagram's checksum is worth verifying before [`decap`](super::decap)). O(1).
pub fn is_tunnel_port(c: &Config, sport: u16, dport: u16) -> bool {
    decoder(c, sport, dport).is_some()
}

/// The UDP payload `b` between ports `sport` and `dport`, if the configuration
/// decodes an encapsulation on them. O(header).
pub fn decode<'a>(c: &Config, sport: u16, dport: u16, b: &'a [u8]) -> Decap<'a> {
    match decoder(c, sport, dport) {
        Some(f) => f(b),
        None => Decap::Plain,
    }
}

/// MPLS in UDP (RFC 7510): a label stack.
fn mpls_udp(b: &[u8]) -> Decap<'_> {
    Decap::Inner(
        Hop {
            kind: Kind::Mpls,
            id: None,
        },
        mpls::decode(b),
    )
}

fn vni(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[4], b[5], b[6]])
}

/// VXLAN: flags (the I bit, 0x08, must be set), 3 reserved bytes, the 24-bit
/// VNI, a reserved byte; then an Ethernet frame.
fn vxlan(b: &[u8]) -> Decap<'_> {
    match b.get(..8) {
        Some(h) if h[0] & 0x08 != 0 => Decap::Inner(
            Hop {
                kind: Kind::Vxlan,
                id: Some(vni(h)),
            },
            ethernet::decode(&b[8..]),
        ),
        _ => Decap::Bad(Warning::TunnelVxlanBad),
    }
}

/// Geneve: version 0, options length (4-byte words), flags, protocol type, VNI,
/// reserved, options; then what the protocol type says (Ethernet or IP).
fn geneve(b: &[u8]) -> Decap<'_> {
    let Some(h) = b.get(..8) else {
        return Decap::Bad(Warning::TunnelGeneveBad);
    };
    let opts = usize::from(h[0] & 0x3f) * 4;
    let Some(rest) = b.get(8 + opts..).filter(|_| h[0] >> 6 == 0) else {
        return Decap::Bad(Warning::TunnelGeneveBad);
    };
    let hop = Hop {
        kind: Kind::Geneve,
        id: Some(vni(h)),
    };
    match u16::from_be_bytes([h[2], h[3]]) {
        ethernet::TEB => Decap::Inner(hop, ethernet::decode(rest)),
        ethernet::IPV4 => Decap::Inner(hop, Ok(L3::V4(rest))),
        ethernet::IPV6 => Decap::Inner(hop, Ok(L3::V6(rest))),
        _ => Decap::Bad(Warning::TunnelGeneveBad),
    }
}

/// GTP-U version 1 with the protocol type bit: a G-PDU (message 255) carries an
/// IP packet after the 8-byte header, the 4 optional bytes (when E, S or PN is
/// set) and any extension headers. Other messages (echo, end marker, error
/// indication) are not tunnelled packets: plain UDP.
fn gtpu(b: &[u8]) -> Decap<'_> {
    let Some(h) = b.get(..8) else {
        return Decap::Bad(Warning::TunnelGtpuBad);
    };
    if h[0] >> 5 != 1 || h[0] & 0x10 == 0 {
        return Decap::Bad(Warning::TunnelGtpuBad);
    }
    if h[1] != 255 {
        return Decap::Plain;
    }
    let teid = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let mut at = 8;
    if h[0] & 0x07 != 0 {
        let mut next = match b.get(11) {
            Some(n) => *n,
            None => return Decap::Bad(Warning::TunnelGtpuBad),
        };
        at = 12;
        // extension headers: a length in 4-byte words, content, next type
        for _ in 0..8 {
            if next == 0 {
                break;
            }
            let words = usize::from(b.get(at).copied().unwrap_or(0));
            if words == 0 || at + 4 * words > b.len() {
                return Decap::Bad(Warning::TunnelGtpuBad);
            }
            next = b[at + 4 * words - 1];
            at += 4 * words;
        }
        if next != 0 {
            return Decap::Bad(Warning::TunnelGtpuBad);
        }
    }
    let inner = match b.get(at..).and_then(|r| r.first().map(|v| (v >> 4, r))) {
        Some((4, r)) => Ok(L3::V4(r)),
        Some((6, r)) => Ok(L3::V6(r)),
        Some(_) => Err(Drop::NotIp),
        None => return Decap::Bad(Warning::TunnelGtpuBad),
    };
    Decap::Inner(
        Hop {
            kind: Kind::Gtpu,
            id: Some(teid),
        },
        inner,
    )
}

/// Teredo: an optional authentication indicator and origin indication, then an
/// IPv6 packet whose payload length fills the datagram. Anything else on the
/// Teredo port (a malformed or non-Teredo datagram) stays plain UDP.
fn teredo(mut b: &[u8]) -> Decap<'_> {
    if let [0, 1, id_len, auth_len, ..] = *b {
        let len = 4 + usize::from(id_len) + usize::from(auth_len) + 9;
        b = b.get(len..).unwrap_or(&[]);
    }
    if let [0, 0, ..] = *b {
        b = b.get(8..).unwrap_or(&[]);
    }
    match b {
        [v, _, _, _, hi, lo, ..]
            if v >> 4 == 6 && 40 + usize::from(u16::from_be_bytes([*hi, *lo])) == b.len() =>
        {
            Decap::Inner(
                Hop {
                    kind: Kind::Teredo,
                    id: None,
                },
                Ok(L3::V6(b)),
            )
        }
        _ => Decap::Plain,
    }
}

//! Encapsulations in UDP, told by port: VXLAN, Geneve, GTP-U, Teredo, MPLS,
//! GRE (RFC 8086), AYIYA; and GTP-U on other ports where its header is
//! unmistakable.

use super::{Config, Decap, Hop, Kind};
use crate::event::Warning;
use crate::ip::checksum;
use crate::link::{ethernet, mpls, Drop, L3};

/// Which decoder a datagram goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    Vxlan,
    Geneve,
    Gtpu,
    Teredo,
    Mpls,
    Gre,
    Ayiya,
}

/// The decoder for a UDP payload `b` between ports `sport` and `dport`, if
/// the configuration decodes an encapsulation there. O(1), or O(IPv4 header)
/// for a datagram that passes every other test of [`unmistakable_gtpu`].
fn decoder(c: &Config, sport: u16, dport: u16, b: &[u8]) -> Option<Decoder> {
    let either = |p: &super::Ports| p.contains(dport) || p.contains(sport);
    if c.vxlan && c.vxlan_ports.contains(dport) {
        Some(Decoder::Vxlan)
    } else if c.geneve && c.geneve_ports.contains(dport) {
        Some(Decoder::Geneve)
    } else if c.gtpu && either(&c.gtpu_ports) {
        Some(Decoder::Gtpu)
    } else if c.teredo && either(&c.teredo_ports) {
        Some(Decoder::Teredo)
    } else if c.mpls && c.mpls_udp_ports.contains(dport) {
        Some(Decoder::Mpls)
    } else if c.gre && c.gre_udp_ports.contains(dport) {
        Some(Decoder::Gre)
    } else if c.ayiya && either(&c.ayiya_ports) {
        Some(Decoder::Ayiya)
    } else if c.gtpu && c.gtpu_sniff && unmistakable_gtpu(b) {
        Some(Decoder::Gtpu)
    } else {
        None
    }
}

/// Whether the configuration decodes an encapsulation between these ports (so
/// the datagram's checksum is worth verifying before [`decap`](super::decap)). O(1).
/// GTP-U found by its header on another port is not included: see [`is_tunnel`].
pub fn is_tunnel_port(c: &Config, sport: u16, dport: u16) -> bool {
    decoder(c, sport, dport, &[]).is_some()
}

/// Whether the configuration decodes an encapsulation in the UDP payload `b`
/// between these ports: [`is_tunnel_port`], or a GTP-U header that cannot be
/// anything else ([`Config::gtpu_sniff`]).
pub fn is_tunnel(c: &Config, sport: u16, dport: u16, b: &[u8]) -> bool {
    decoder(c, sport, dport, b).is_some()
}

/// The UDP payload `b` between ports `sport` and `dport`, if the configuration
/// decodes an encapsulation there. O(header).
pub fn decode<'a>(c: &Config, sport: u16, dport: u16, b: &'a [u8]) -> Decap<'a> {
    match decoder(c, sport, dport, b) {
        Some(Decoder::Vxlan) => vxlan(b),
        Some(Decoder::Geneve) => geneve(b),
        Some(Decoder::Gtpu) => gtpu(b),
        Some(Decoder::Teredo) => teredo(b),
        Some(Decoder::Mpls) => mpls_udp(b),
        Some(Decoder::Gre) => super::gre::decode(c, b),
        Some(Decoder::Ayiya) => ayiya(b),
        None => Decap::Plain,
    }
}

/// A GTP-U G-PDU that nothing else looks like, on any port: version 1 with
/// the protocol type bit, no extension header and no N-PDU number (a
/// sequence number may be there), message 255, a TEID other than 0, a length
/// field that is the rest of the datagram exactly; inside, an IPv4 packet
/// whose total length is the rest exactly and whose header checksum is
/// right, or an IPv6 packet whose payload length is the rest exactly. O(IPv4
/// header), and O(1) for almost every datagram that is not one.
fn unmistakable_gtpu(b: &[u8]) -> bool {
    let [flags, 255, l0, l1, t0, t1, t2, t3, ..] = *b else {
        return false;
    };
    let at = match flags {
        0x30 => 8,
        0x32 if b.get(11) == Some(&0) => 12,
        _ => return false,
    };
    if u16::from_be_bytes([l0, l1]) as usize + 8 != b.len() || [t0, t1, t2, t3] == [0; 4] {
        return false;
    }
    let Some(ip) = b.get(at..) else {
        return false;
    };
    match ip.first().map(|v| v >> 4) {
        Some(4) if ip.len() >= 20 => {
            let hl = usize::from(ip[0] & 0x0f) * 4;
            hl >= 20
                && usize::from(u16::from_be_bytes([ip[2], ip[3]])) == ip.len()
                && ip.get(..hl).is_some_and(|h| checksum::sum(h) == 0xffff)
        }
        Some(6) if ip.len() >= 40 => {
            40 + usize::from(u16::from_be_bytes([ip[4], ip[5]])) == ip.len()
        }
        _ => false,
    }
}

/// AYIYA ("anything in anything", as SixXS' tunnel broker and Zeek read it):
/// identity length (a power of two) and type, signature length (4-byte words)
/// and hash method, authentication method and opcode, next header; a 4-byte
/// epoch; the identity; the signature; then the packet. Only opcode 1
/// (forward) carries one; any other message (echo, MOTD, query) is plain UDP.
fn ayiya(b: &[u8]) -> Decap<'_> {
    let [id, sig, op, next, _, _, _, _, ..] = *b else {
        return Decap::Plain;
    };
    if op & 0x0f != 1 {
        return Decap::Plain;
    }
    let len = 8 + (1usize << (id >> 4)) + usize::from(sig >> 4) * 4;
    let hop = Hop {
        kind: Kind::Ayiya,
        id: None,
    };
    match (b.get(len..), next) {
        (Some(rest), 4) => Decap::Inner(hop, Ok(L3::V4(rest))),
        (Some(rest), 41) => Decap::Inner(hop, Ok(L3::V6(rest))),
        _ => Decap::Bad(Warning::TunnelAyiyaBad),
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

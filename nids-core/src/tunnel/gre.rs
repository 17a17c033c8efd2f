//! GRE (RFC 2784, keys and sequence numbers of RFC 2890), PPTP's enhanced GRE
//! (RFC 2637), and what GRE carries: IP, Ethernet (transparent bridging),
//! ERSPAN I/II/III, MPLS, PPP (in PPTP's GRE and in plain GRE version 0). Also
//! the GRE header of GRE in UDP (RFC 8086).

use super::{Config, Decap, Hop, Kind};
use crate::event::Warning;
use crate::link::{ethernet, mpls, ppp, L3};

const CSUM: u8 = 0x80;
const ROUTING: u8 = 0x40;
const KEY: u8 = 0x20;
const SEQ: u8 = 0x10;
const ACK: u8 = 0x80;

const ERSPAN_2: u16 = 0x88be;
const ERSPAN_3: u16 = 0x22eb;
const PPP: u16 = 0x880b;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A GRE packet (the payload of IP protocol 47). Source-routed GRE (the R bit,
/// deprecated) and versions other than 0 and 1 are malformed. O(header).
pub fn decode<'a>(c: &Config, b: &'a [u8]) -> Decap<'a> {
    if b.len() < 4 {
        return Decap::Bad(Warning::TunnelGreBad);
    }
    let (flags, version, proto) = (b[0], b[1] & 0x07, be16(b, 2));
    if flags & ROUTING != 0 || version > 1 {
        return Decap::Bad(Warning::TunnelGreBad);
    }
    let mut len = 4;
    if flags & CSUM != 0 {
        len += 4;
    }
    let key = (flags & KEY != 0).then_some(len);
    if key.is_some() {
        len += 4;
    }
    if flags & SEQ != 0 {
        len += 4;
    }
    if version == 1 {
        // PPTP: a key (payload length and call id) and PPP, never a checksum
        if flags & CSUM != 0 || key.is_none() || proto != PPP {
            return Decap::Bad(Warning::TunnelGreBad);
        }
        if b[1] & ACK != 0 {
            len += 4;
        }
    }
    let Some(payload) = b.get(len..) else {
        return Decap::Bad(Warning::TunnelGreBad);
    };
    let key = key.map(|at| be32(b, at));
    let gre = |inner| {
        Decap::Inner(
            Hop {
                kind: Kind::Gre,
                id: key,
            },
            inner,
        )
    };
    match (version, proto) {
        (1, _) => {
            let call = key.map(|k| k & 0xffff);
            if payload.is_empty() {
                // an acknowledgement without data
                return Decap::Inner(
                    Hop {
                        kind: Kind::Gre,
                        id: call,
                    },
                    Err(crate::link::Drop::NotIp),
                );
            }
            Decap::Inner(
                Hop {
                    kind: Kind::Gre,
                    id: call,
                },
                ppp::decode(payload),
            )
        }
        (_, ethernet::IPV4) => gre(Ok(L3::V4(payload))),
        (_, ethernet::IPV6) => gre(Ok(L3::V6(payload))),
        (_, ethernet::TEB) => gre(ethernet::decode(payload)),
        // PPP in plain GRE (RFC 2784: what some access concentrators send)
        (_, PPP) => gre(ppp::decode(payload)),
        (_, ethernet::MPLS | ethernet::MPLS_MC) if c.mpls => gre(mpls::decode(payload)),
        (_, ERSPAN_2) if c.erspan && flags & SEQ == 0 => {
            // type I: no ERSPAN header, the mirrored frame follows
            Decap::Inner(
                Hop {
                    kind: Kind::Erspan,
                    id: None,
                },
                ethernet::decode(payload),
            )
        }
        (_, ERSPAN_2) if c.erspan => erspan(payload, 8),
        (_, ERSPAN_3) if c.erspan => erspan(payload, 12),
        (_, ERSPAN_2 | ERSPAN_3 | ethernet::MPLS | ethernet::MPLS_MC) => Decap::Plain,
        _ => Decap::Bad(Warning::TunnelGreUnknown),
    }
}

/// ERSPAN type II (8-byte header, version 1) or III (12 bytes, version 2, an
/// optional 8-byte platform subheader when its O bit is set; frame type 0 is
/// Ethernet, 2 is IP). The hop's id is the 10-bit session id.
fn erspan(b: &[u8], len: usize) -> Decap<'_> {
    let Some(h) = b.get(..len) else {
        return Decap::Bad(Warning::TunnelErspanBad);
    };
    let version = h[0] >> 4;
    let session = u32::from(be16(h, 2) & 0x03ff);
    let hop = Hop {
        kind: Kind::Erspan,
        id: Some(session),
    };
    if len == 8 {
        if version != 1 {
            return Decap::Bad(Warning::TunnelErspanBad);
        }
        return Decap::Inner(hop, ethernet::decode(&b[8..]));
    }
    if version != 2 {
        return Decap::Bad(Warning::TunnelErspanBad);
    }
    let frame_type = (h[10] >> 2) & 0x1f;
    let rest = if h[11] & 1 != 0 {
        b.get(20..)
    } else {
        b.get(12..)
    };
    let Some(rest) = rest else {
        return Decap::Bad(Warning::TunnelErspanBad);
    };
    match frame_type {
        0 => Decap::Inner(hop, ethernet::decode(rest)),
        2 => Decap::Inner(hop, crate::link::raw::raw(rest)),
        _ => Decap::Bad(Warning::TunnelErspanBad),
    }
}

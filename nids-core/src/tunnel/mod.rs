//! Tunnels: the packets inside GRE (over IP or UDP), ERSPAN, VXLAN, Geneve,
//! GTP-U, IP-in-IP, Teredo, AYIYA and MPLS encapsulations.
//!
//! The engine calls [`decap`] on every whole datagram (outer fragments are
//! reassembled first). When it finds an inner packet, that packet is validated
//! and processed like any other (its own fragments reassembled within the
//! tunnel), with the tunnel's [`TunnelId`] in its flow key, up to [`MAX_DEPTH`]
//! encapsulations. Only the innermost datagram reaches the handler's `ip`,
//! `udp` and TCP callbacks. A malformed or unknown encapsulation is warned
//! (`tunnel.*` codes) and the outer datagram goes on as it is. Each decoder is
//! switched in [`Config`]; all are on by default (libnids decodes none).
//!
//! Costs a few comparisons per header; nothing is copied.
//!
//! # Tunnel identity
//!
//! A flow's [`TunnelId`] must be the same for both directions of one
//! connection, or its two halves become two flows that never meet. So an
//! identifier is part of it only where the protocol defines it for both
//! directions; everywhere else the flow meets by its inner addresses and
//! ports within the same tunnel endpoints, taken unordered (the outer source
//! and destination of each hop, hashed as a pair). Per encapsulation:
//!
//! | encapsulation | in the flow key | left out (may differ by direction) |
//! |---|---|---|
//! | VXLAN | the VNI, and the endpoints | flags |
//! | Geneve | the VNI, and the endpoints | options (they may differ by direction) |
//! | GRE, GRE in UDP, transparent bridging | the endpoints | the key (RFC 2890 lets each direction pick its own), sequence numbers |
//! | PPTP (enhanced GRE) | the endpoints | the call id (each peer names the call with the id the other chose) |
//! | ERSPAN I, II, III | the endpoints | the session id (ingress and egress mirroring are often two sessions) |
//! | GTP-U | the endpoints | the TEID (one per direction by design, 3GPP TS 29.281) |
//! | MPLS in GRE or UDP | the endpoints | the labels (per direction, per hop) |
//! | IP in IP, Teredo | the endpoints | — |
//! | AYIYA | the endpoints | the identity and signature (per sender) |
//!
//! Nested tunnels keep every hop's share (the innermost VNI exactly, the rest
//! hashed). Consequences, by design: two tenants reusing addresses in two
//! VNIs, or in two tunnels between different endpoints, are two flows; two
//! tunnels between the same endpoints that differ only by a per-direction id
//! (two GRE keys, two GTP-U bearers) carrying the same inner addresses and
//! ports are one flow; a connection whose two directions travel between
//! different endpoints (6to4 through an anycast relay, a multihomed VXLAN
//! endpoint with two addresses) is two flows. The host's shard key (outer
//! address pair, unordered) and the C drop-in's `nids_find_tcp_stream` follow
//! the same rule.

mod gre;
mod id;
mod udp;

pub use udp::{is_tunnel, is_tunnel_port};

pub use id::{Hop, Kind, TunnelId, MAX_DEPTH};

use crate::event::Warning;
use crate::ip::{protocol, Packet, Version};
use crate::link::{self, L3};

/// Up to four UDP ports (0: unused slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports(pub [u16; 4]);

impl Ports {
    /// Just `p`.
    pub const fn one(p: u16) -> Ports {
        Ports([p, 0, 0, 0])
    }

    /// Whether `p` (never 0) is one of them.
    pub fn contains(&self, p: u16) -> bool {
        p != 0 && self.0.contains(&p)
    }

    /// Add `p` in a free slot; `false` if all four are taken.
    pub fn add(&mut self, p: u16) -> bool {
        if self.contains(p) {
            return true;
        }
        match self.0.iter_mut().find(|x| **x == 0) {
            Some(slot) => {
                *slot = p;
                true
            }
            None => false,
        }
    }
}

/// Which encapsulations are decoded, and on which UDP ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// GRE (IP protocol 47), PPTP included; GRE in UDP on
    /// [`Config::gre_udp_ports`] (default 4754, RFC 8086).
    pub gre: bool,
    /// ERSPAN inside GRE.
    pub erspan: bool,
    /// VXLAN on [`Config::vxlan_ports`] (default 4789).
    pub vxlan: bool,
    /// Geneve on [`Config::geneve_ports`] (default 6081).
    pub geneve: bool,
    /// GTP-U on [`Config::gtpu_ports`] (default 2152, either port); on any
    /// other port only where the header is unmistakable (see
    /// [`Config::gtpu_sniff`]).
    pub gtpu: bool,
    /// GTP-U G-PDUs on UDP ports not in [`Config::gtpu_ports`], recognised by
    /// their header alone: version 1, a G-PDU whose length field is the rest of
    /// the datagram exactly, no optional fields, and an IPv4 packet with a
    /// correct header checksum (or an IPv6 packet) whose own length is the rest
    /// of the datagram exactly. Plain UDP meets all of that by chance with
    /// odds far below 2⁻³².
    pub gtpu_sniff: bool,
    /// IP-in-IP: 4in4, 6in4, 4in6, 6in6 (IP protocols 4 and 41).
    pub ipip: bool,
    /// Teredo on [`Config::teredo_ports`] (default 3544, either port).
    pub teredo: bool,
    /// MPLS inside GRE, and in UDP on [`Config::mpls_udp_ports`] (default 6635).
    pub mpls: bool,
    /// AYIYA on [`Config::ayiya_ports`] (default 5072, either port).
    pub ayiya: bool,
    /// UDP destination ports of VXLAN.
    pub vxlan_ports: Ports,
    /// UDP destination ports of Geneve.
    pub geneve_ports: Ports,
    /// UDP ports of GTP-U.
    pub gtpu_ports: Ports,
    /// UDP ports of Teredo.
    pub teredo_ports: Ports,
    /// UDP destination ports of MPLS in UDP.
    pub mpls_udp_ports: Ports,
    /// UDP destination ports of GRE in UDP.
    pub gre_udp_ports: Ports,
    /// UDP ports of AYIYA.
    pub ayiya_ports: Ports,
}

impl Config {
    /// Every decoder on, on the IANA ports.
    pub const fn new() -> Config {
        Config {
            gre: true,
            erspan: true,
            vxlan: true,
            geneve: true,
            gtpu: true,
            ipip: true,
            teredo: true,
            mpls: true,
            ayiya: true,
            gtpu_sniff: true,
            vxlan_ports: Ports::one(4789),
            geneve_ports: Ports::one(6081),
            gtpu_ports: Ports::one(2152),
            teredo_ports: Ports::one(3544),
            mpls_udp_ports: Ports::one(6635),
            gre_udp_ports: Ports::one(4754),
            ayiya_ports: Ports::one(5072),
        }
    }

    /// Every decoder off: libnids' behaviour.
    pub const fn off() -> Config {
        Config {
            gre: false,
            erspan: false,
            vxlan: false,
            geneve: false,
            gtpu: false,
            ipip: false,
            teredo: false,
            mpls: false,
            ayiya: false,
            gtpu_sniff: false,
            ..Config::new()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The configuration for the packets inside tunnel `t`: as `c`, but GTP-U is
/// not looked for inside GTP-U (mobile networks never nest it; Zeek reads it
/// so), so a datagram on a GTP-U port inside a GTP-U tunnel is plain UDP. O(1).
pub fn inside(c: &Config, t: TunnelId) -> Config {
    match t.innermost() {
        Some(Kind::Gtpu) => Config { gtpu: false, ..*c },
        _ => *c,
    }
}

/// What [`decap`] found in a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decap<'a> {
    /// No encapsulation this configuration decodes: the datagram is itself.
    Plain,
    /// An encapsulation, and the packet inside it (or why the inner frame holds
    /// no IP packet).
    Inner(Hop, Result<L3<'a>, link::Drop>),
    /// A malformed or unknown encapsulation.
    Bad(Warning),
}

/// The encapsulated packet in the whole datagram `p`, if any. UDP
/// encapsulations are only looked for in datagrams whose UDP header is sound
/// (`udp` gives its ports and payload: the caller checks the header and
/// checksum first).
pub fn decap<'a>(c: &Config, p: &Packet<'a>, udp: Option<(u16, u16, &'a [u8])>) -> Decap<'a> {
    match (p.protocol, p.version) {
        (protocol::IPIP, v) if c.ipip => {
            let kind = if v == Version::V4 {
                Kind::Ip4in4
            } else {
                Kind::Ip4in6
            };
            Decap::Inner(Hop { kind, id: None }, Ok(L3::V4(p.payload())))
        }
        (protocol::IPV6, v) if c.ipip => {
            let kind = if v == Version::V4 {
                Kind::Ip6in4
            } else {
                Kind::Ip6in6
            };
            Decap::Inner(Hop { kind, id: None }, Ok(L3::V6(p.payload())))
        }
        (protocol::GRE, _) if c.gre => gre::decode(c, p.payload()),
        (protocol::UDP, _) => match udp {
            Some((sport, dport, payload)) => udp::decode(c, sport, dport, payload),
            None => Decap::Plain,
        },
        _ => Decap::Plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    const IP4: [u8; 4] = [0x45, 0, 0, 20];

    fn eth_ip() -> Vec<u8> {
        let mut f = std::vec![2u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&IP4);
        f
    }

    fn inner_of(d: Decap<'_>) -> Option<(Hop, &[u8])> {
        match d {
            Decap::Inner(h, Ok(l3)) => Some((h, l3.bytes())),
            _ => None,
        }
    }

    /// Headers of each encapsulation around an IPv4 packet: decoded whole, and
    /// every cut never panics nor yields the packet.
    #[test]
    fn test_every_prefix() {
        let c = Config::new();
        let e = eth_ip();
        let cat = |a: &[u8], b: &[u8]| [a, b].concat();
        let gre_cases: Vec<(Vec<u8>, Kind, Option<u32>)> = std::vec![
            (
                cat(&[0x20, 0, 0x08, 0x00, 0, 0, 0, 7], &IP4),
                Kind::Gre,
                Some(7)
            ),
            (
                cat(
                    &[0xb0, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1],
                    &e
                ),
                Kind::Gre,
                Some(9)
            ),
            (
                cat(
                    &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x0a, 0, 5, 0, 0, 0, 0],
                    &e
                ),
                Kind::Erspan,
                Some(5)
            ),
            (
                cat(
                    &[
                        0x30, 0x81, 0x88, 0x0b, 0, 8, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0x03,
                        0x00, 0x21
                    ],
                    &IP4
                ),
                Kind::Gre,
                Some(3)
            ),
            // PPP in GRE version 0
            (
                cat(&[0, 0, 0x88, 0x0b, 0xff, 0x03, 0x00, 0x21], &IP4),
                Kind::Gre,
                None
            ),
        ];
        for (b, kind, id) in &gre_cases {
            let (hop, ip) = inner_of(gre::decode(&c, b)).expect("decoded");
            assert_eq!((hop.kind, hop.id, ip), (*kind, *id, &IP4[..]));
            for n in 0..b.len() - IP4.len() {
                assert!(
                    inner_of(gre::decode(&c, &b[..n])).is_none_or(|(_, ip)| ip != IP4),
                    "{n}"
                );
            }
        }
        let udp_cases: Vec<(u16, Vec<u8>, Kind, Option<u32>)> = std::vec![
            (
                4789,
                cat(&[0x08, 0, 0, 0, 0, 0, 42, 0], &e),
                Kind::Vxlan,
                Some(42)
            ),
            (
                6081,
                cat(&[1, 0, 0x08, 0x00, 0, 1, 0, 0, 1, 2, 3, 4], &IP4),
                Kind::Geneve,
                Some(256)
            ),
            (
                2152,
                cat(
                    &[0x34, 255, 0, 12, 0, 0, 1, 0, 0, 0, 0, 0x85, 1, 0, 0, 0],
                    &IP4
                ),
                Kind::Gtpu,
                Some(256)
            ),
            (6635, cat(&[0, 1, 0x11, 64], &IP4), Kind::Mpls, None),
            // GRE in UDP (RFC 8086), keyed
            (
                4754,
                cat(&[0x20, 0, 0x08, 0x00, 0, 0, 0, 5], &IP4),
                Kind::Gre,
                Some(5)
            ),
            // AYIYA: 16-byte identity, 20-byte signature, forward, IPv4
            (
                5072,
                [&[0x41, 0x52, 0x11, 4, 0, 0, 0, 0][..], &[7; 36], &IP4].concat(),
                Kind::Ayiya,
                None
            ),
        ];
        for (port, b, kind, id) in &udp_cases {
            let (hop, ip) = inner_of(udp::decode(&c, 1, *port, b)).expect("decoded");
            assert_eq!(
                (hop.kind, hop.id, ip),
                (*kind, *id, &IP4[..]),
                "port {port}"
            );
            for n in 0..b.len() - IP4.len() {
                assert!(
                    inner_of(udp::decode(&c, 1, *port, &b[..n])).is_none_or(|(_, ip)| ip != IP4),
                    "{port} {n}"
                );
            }
        }
    }

    #[test]
    fn test_malformed_counted() {
        let c = Config::new();
        assert_eq!(
            gre::decode(&c, &[0, 2, 8, 0]),
            Decap::Bad(Warning::TunnelGreBad)
        );
        assert_eq!(
            gre::decode(&c, &[0x40, 0, 8, 0, 0, 0, 0, 0]),
            Decap::Bad(Warning::TunnelGreBad)
        );
        assert_eq!(
            gre::decode(&c, &[0, 0, 0x12, 0x34]),
            Decap::Bad(Warning::TunnelGreUnknown)
        );
        assert_eq!(
            udp::decode(&c, 1, 4789, &[0; 8]),
            Decap::Bad(Warning::TunnelVxlanBad)
        );
        assert_eq!(
            udp::decode(&c, 1, 6081, &[0x40, 0, 0x65, 0x58, 0, 0, 0, 0]),
            Decap::Bad(Warning::TunnelGeneveBad)
        );
        assert_eq!(
            udp::decode(&c, 1, 2152, &[0x50, 255, 0, 0, 0, 0, 0, 0]),
            Decap::Bad(Warning::TunnelGtpuBad)
        );
        // a GTP echo and anything not IPv6 on the Teredo port stay plain UDP
        assert_eq!(
            udp::decode(&c, 2152, 2152, &[0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]),
            Decap::Plain
        );
        assert_eq!(udp::decode(&c, 3544, 5, &[0x45; 40]), Decap::Plain);
        assert_eq!(udp::decode(&c, 1, 9, &[0x08; 16]), Decap::Plain);
    }

    /// GTP-U off its port: decoded only where the header cannot be anything
    /// else, and every near miss stays plain UDP.
    #[test]
    fn test_gtpu_by_header() {
        let c = Config::new();
        // a real IPv4 packet: header checksum right, total length 24
        let mut ip = std::vec![0x45, 0, 0, 24, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let ck = !(crate::ip::checksum::sum(&ip) as u16);
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        ip.extend_from_slice(&[1, 2, 3, 4]);
        let g = |flags: u8, teid: u8, body: &[u8]| {
            let mut b = std::vec![flags, 255, 0, body.len() as u8, 0, 0, 0, teid];
            b.extend_from_slice(body);
            b
        };
        let good = g(0x30, 9, &ip);
        let (hop, inner) = inner_of(udp::decode(&c, 40000, 3386, &good)).expect("sniffed");
        assert_eq!((hop.kind, inner), (Kind::Gtpu, &ip[..]));
        assert!(udp::is_tunnel(&c, 40000, 3386, &good));
        assert!(!udp::is_tunnel_port(&c, 40000, 3386));
        let seq = g(0x32, 9, &[&[0u8, 1, 0, 0][..], &ip].concat());
        assert!(inner_of(udp::decode(&c, 1, 2, &seq)).is_some());
        // near misses
        let mut bad_ck = ip.clone();
        bad_ck[11] ^= 1;
        let mut long = good.clone();
        long.push(0);
        let misses = [
            g(0x30, 0, &ip),         // TEID 0
            g(0x34, 9, &ip),         // extension header flag
            g(0x20, 9, &ip),         // GTP' (no PT bit)
            g(0x30, 9, &bad_ck),     // inner header checksum wrong
            g(0x30, 9, &ip[..23]),   // inner length not the rest
            long,                    // GTP length not the rest
            g(0x30, 9, &[0x60; 39]), // IPv6 cut short
        ];
        for m in &misses {
            assert_eq!(udp::decode(&c, 40000, 3386, m), Decap::Plain, "{m:?}");
        }
        let mut off = c;
        off.gtpu_sniff = false;
        assert_eq!(udp::decode(&off, 40000, 3386, &good), Decap::Plain);
    }

    #[test]
    fn test_ayiya_messages() {
        let c = Config::new();
        // not a forward (opcode 0: no-op / echo): plain UDP
        assert_eq!(
            udp::decode(&c, 5072, 9, &[0x41, 0x52, 0x10, 59, 0, 0, 0, 0]),
            Decap::Plain
        );
        // identity and signature past the end, or an unknown next header
        assert_eq!(
            udp::decode(&c, 5072, 9, &[0x41, 0x52, 0x11, 41, 0, 0, 0, 0, 1]),
            Decap::Bad(Warning::TunnelAyiyaBad)
        );
        assert_eq!(
            udp::decode(&c, 9, 5072, &[0x01, 0x00, 0x11, 17, 0, 0, 0, 0, 0, 0]),
            Decap::Bad(Warning::TunnelAyiyaBad)
        );
        let mut off = c;
        off.ayiya = false;
        assert_eq!(
            udp::decode(&off, 9, 5072, &[0x01, 0x00, 0x11, 4, 0, 0, 0, 0, 0, 0]),
            Decap::Plain
        );
    }

    /// A G-PDU inside a G-PDU is a datagram, not a second tunnel.
    #[test]
    fn test_gtpu_not_nested() {
        let c = Config::new();
        let g = [&[0x30, 255, 0, 20, 0, 0, 0, 9][..], &IP4, &[0; 16]].concat();
        let any: core::net::IpAddr = "192.0.2.1".parse().unwrap();
        let hop = |kind| Hop { kind, id: Some(1) };
        let gtp = TunnelId::NONE.push(hop(Kind::Gtpu), any, any).unwrap();
        let gre = TunnelId::NONE.push(hop(Kind::Gre), any, any).unwrap();
        assert!(inner_of(udp::decode(&inside(&c, gre), 1, 2152, &g)).is_some());
        assert_eq!(udp::decode(&inside(&c, gtp), 1, 2152, &g), Decap::Plain);
        assert_eq!(inside(&c, TunnelId::NONE), c);
        assert_eq!(inside(&c, gre), c);
    }

    #[test]
    fn test_ports() {
        let mut p = Ports::one(4789);
        assert!(p.contains(4789) && !p.contains(0) && !p.contains(8472));
        assert!(p.add(8472) && p.add(1) && p.add(2) && p.add(2));
        assert!(!p.add(3));
        assert!(p.contains(8472));
    }
}

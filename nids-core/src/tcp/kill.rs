//! The RST segments of `Stream::kill`: segments each end accepts.
//!
//! A receiver that follows RFC 5961 (Linux, the BSDs, Windows) resets its
//! connection only on an RST whose sequence number is exactly the next one it
//! expects (`RCV.NXT`); an RST elsewhere in its window only draws a "challenge
//! ACK". libnids' RSTs (the next byte expected, then that plus half the window)
//! miss it as soon as the receiver has acknowledged bytes the monitor has not
//! reassembled yet, or the other way round. So each end gets two RSTs, from its
//! peer, with the latest values seen of its `RCV.NXT` (the same twice when the
//! monitor has seen all that end acknowledged; four frames, as libnids):
//!
//! | # | direction | sequence number |
//! |---|---|---|
//! | 1 | client → server | next byte expected from the client (as reassembled) |
//! | 2 | server → client | next byte expected from the server (as reassembled) |
//! | 3 | client → server | the server's latest acknowledgment number |
//! | 4 | server → client | the client's latest acknowledgment number |
//!
//! An end that resets answers the other end's next segment with an RST of its
//! own (with the sequence number that end expects), so one accepted RST ends
//! the connection at both ends.
//!
//! Flags RST only, ack 0, window 32000, no options or payload; IPv4 with tos
//! 0, id 12345, ttl 64 (IPv6: hop limit 64); checksums filled, as libnids.
//!
//! On Ethernet the frames carry the MAC addresses of the stream's SYN; on other
//! link types they are raw IP packets (`LinkType::RAW`), since cooked and
//! loopback headers cannot be sent. A stream inside a tunnel gets none: its RST
//! would have to be encapsulated, which is not built.

use core::net::IpAddr;

use super::Slot;
use crate::flow::Tuple;
use crate::ip::checksum;
use crate::link::LinkType;

/// Longest frame built: Ethernet (14) + IPv6 (40) + TCP (20).
pub const MAX_FRAME: usize = 74;

/// Build the four RST frames for `tuple`/`slot` and pass each to `out` with the
/// link type it is framed for.
pub(crate) fn rst_frames<U>(
    link: LinkType,
    tuple: &Tuple,
    slot: &Slot<U>,
    mut out: impl FnMut(LinkType, &[u8]),
) {
    if !tuple.tunnel.is_none() {
        return;
    }
    let c = &slot.client;
    let s = &slot.server;
    let to_server = s.expected(c.first_data_seq);
    let to_client = c.expected(s.first_data_seq);
    let plan = [
        (true, to_server),
        (false, to_client),
        (true, s.ack_seq),
        (false, c.ack_seq),
    ];
    for (from_client, seq) in plan {
        let t = if from_client {
            *tuple
        } else {
            tuple.reversed()
        };
        let mut buf = [0u8; MAX_FRAME];
        let (framed, len) = build(link, &slot.l2, from_client, &t, seq, &mut buf);
        out(framed, &buf[..len]);
    }
}

fn build(
    link: LinkType,
    l2: &[u8; 12],
    from_client: bool,
    t: &Tuple,
    seq: u32,
    buf: &mut [u8; MAX_FRAME],
) -> (LinkType, usize) {
    let v6 = matches!(t.src, IpAddr::V6(_));
    let (framed, mut at) = if link == LinkType::ETHERNET {
        // l2 holds the SYN's destination (server) then source (client) MACs.
        let (dst, src) = if from_client {
            (&l2[0..6], &l2[6..12])
        } else {
            (&l2[6..12], &l2[0..6])
        };
        buf[0..6].copy_from_slice(dst);
        buf[6..12].copy_from_slice(src);
        buf[12..14].copy_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
        (LinkType::ETHERNET, 14)
    } else {
        (LinkType::RAW, 0)
    };
    match (t.src, t.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let h = &mut buf[at..at + 20];
            h.copy_from_slice(&[
                0x45, 0, 0, 40, 0x30, 0x39, 0, 0, 64, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ]);
            h[12..16].copy_from_slice(&src.octets());
            h[16..20].copy_from_slice(&dst.octets());
            let c = !(checksum::sum(h) as u16);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            at += 20;
        }
        (src, dst) => {
            let h = &mut buf[at..at + 40];
            h[..8].copy_from_slice(&[0x60, 0, 0, 0, 0, 20, 6, 64]);
            h[8..24].copy_from_slice(&checksum::v6_octets(src));
            h[24..40].copy_from_slice(&checksum::v6_octets(dst));
            at += 40;
        }
    }
    let tcp = &mut buf[at..at + 20];
    tcp[0..2].copy_from_slice(&t.sport.to_be_bytes());
    tcp[2..4].copy_from_slice(&t.dport.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&[0; 4]);
    tcp[12] = 5 << 4;
    tcp[13] = super::segment::flags::RST;
    tcp[14..16].copy_from_slice(&32000u16.to_be_bytes());
    tcp[16..20].copy_from_slice(&[0; 4]);
    let pseudo = checksum::pseudo_header(t.src, t.dst, 6, 20);
    let c = !(checksum::combine(pseudo, checksum::sum(tcp)) as u16);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    (framed, at + 20)
}

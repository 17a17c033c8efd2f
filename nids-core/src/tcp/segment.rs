//! TCP header checks: from an IP datagram to a [`Segment`].

use core::net::IpAddr;

use crate::event::Warning;
use crate::flow::Tuple;
use crate::ip::Packet;

/// TCP flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE (ECN echo, RFC 3168).
    pub const ECE: u8 = 0x40;
    /// CWR (congestion window reduced, RFC 3168).
    pub const CWR: u8 = 0x80;
}

/// A checked TCP segment, borrowed from its datagram.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Sender to receiver.
    pub tuple: Tuple,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flag bits ([`flags`]).
    pub flags: u8,
    /// Raw window.
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options bytes.
    pub options: &'a [u8],
    /// Payload.
    pub payload: &'a [u8],
    /// The whole TCP segment (header and payload), for the checksum.
    pub raw: &'a [u8],
}

impl Segment<'_> {
    /// Whether flag `f` is set.
    pub const fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// The timestamp value (TSval) of a timestamp option, if present.
    pub fn timestamp(&self) -> Option<u32> {
        self.timestamps().map(|(tsval, _)| tsval)
    }

    /// TSval and TSecr of a timestamp option, in one walk of the options; the
    /// echo is `None` without the ACK flag (RFC 7323: meaningful only then).
    pub fn timestamps(&self) -> Option<(u32, Option<u32>)> {
        let o = self.option(8, 10)?;
        let echo = self
            .has(flags::ACK)
            .then(|| u32::from_be_bytes([o[6], o[7], o[8], o[9]]));
        Some((u32::from_be_bytes([o[2], o[3], o[4], o[5]]), echo))
    }

    /// The shift of a window-scale option, if present.
    pub fn window_scale(&self) -> Option<u8> {
        self.option(3, 3).map(|o| o[2])
    }

    /// The option of `kind` whose length is `len`.
    fn option(&self, kind: u8, len: usize) -> Option<&[u8]> {
        let mut o = self.options;
        while let Some(&k) = o.first() {
            match k {
                0 => return None,
                1 => o = &o[1..],
                _ => {
                    let l = usize::from(*o.get(1)?);
                    if l < 2 || l > o.len() {
                        return None;
                    }
                    if k == kind && l == len {
                        return Some(&o[..l]);
                    }
                    o = &o[l..];
                }
            }
        }
        None
    }
}

/// Check the TCP header of `p`: at least 20 bytes, a data offset of at least 5
/// words within the segment (libnids accepts a smaller one), and not both
/// addresses zero.
pub fn parse<'a>(p: &Packet<'a>) -> Result<Segment<'a>, Warning> {
    let d = p.payload();
    if d.len() < 20 {
        return Err(Warning::TcpBadHeader);
    }
    let doff = usize::from(d[12] >> 4) * 4;
    if doff < 20 || doff > d.len() || (p.src.is_unspecified() && p.dst.is_unspecified()) {
        return Err(Warning::TcpBadHeader);
    }
    let be16 = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    // IPv4 addresses rebuilt from the header rather than copied: on a
    // Cortex-M each `IpAddr` copy is a byte-wise `memcpy` call (issue 27).
    let (src, dst) = match (p.version, p.bytes.get(12..20)) {
        (crate::ip::Version::V4, Some(&[a, b, c, e, f, g, h, i])) => {
            (IpAddr::from([a, b, c, e]), IpAddr::from([f, g, h, i]))
        }
        _ => (p.src, p.dst),
    };
    Ok(Segment {
        tuple: Tuple {
            src,
            sport: be16(0),
            dst,
            dport: be16(2),
            tunnel: p.tunnel,
        },
        seq: be32(4),
        ack: be32(8),
        flags: d[13],
        window: be16(14),
        urgent: be16(18),
        options: &d[20..doff],
        payload: &d[doff..],
        raw: d,
    })
}

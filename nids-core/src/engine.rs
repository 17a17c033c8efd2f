//! [`Nids`]: the engine value that owns all state.

use core::fmt;
use core::marker::PhantomData;

use crate::config::Config;
use crate::event::Warning;
use crate::handler::Handler;
use crate::ip::checksum::{self, Offload, Policy};
use crate::ip::{self, protocol, Packet};
use crate::link::{self, LinkType};
use crate::stats::{self, Stats};
use crate::time::Instant;
use crate::udp;

/// Why an engine could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The link type is not one [`link::decode`] understands.
    UnsupportedLinkType(LinkType),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedLinkType(l) => write!(f, "unsupported link type {l}"),
        }
    }
}

impl core::error::Error for Error {}

/// The engine: everything from frames to streams, for one link type.
///
/// * `U`: per-stream user data kept for the handler.
/// * `STREAMS`: TCP stream slots (libnids' `n_tcp_streams`, 1040 by default).
/// * `HOSTS`: defragmentation host slots (libnids' `n_hosts`, 256).
///
/// No globals: several engines may run side by side.
pub struct Nids<'a, U, const STREAMS: usize, const HOSTS: usize> {
    link: LinkType,
    upper: Upper<'a>,
    _user: PhantomData<U>,
}

/// The state behind the IP layer, kept apart from defragmentation so a rebuilt
/// datagram (borrowed from defragmentation storage) can flow through it.
struct Upper<'a> {
    checksums: Policy<'a>,
    offload: Offload,
    stats: Stats,
}

fn warn<U, H: Handler<U>>(stats: &mut Stats, h: &mut H, ts: Instant, w: Warning, packet: &[u8]) {
    stats.count(w);
    h.warning(ts, w, packet);
}

impl<'a, U, const STREAMS: usize, const HOSTS: usize> Nids<'a, U, STREAMS, HOSTS> {
    /// An engine for frames of link type `link`. Fails if the link type is not
    /// supported ([`LinkType::is_supported`]).
    pub fn new(link: LinkType, config: Config<'a>) -> Result<Self, Error> {
        if !link.is_supported() {
            return Err(Error::UnsupportedLinkType(link));
        }
        Ok(Nids {
            link,
            upper: Upper {
                checksums: config.checksums,
                offload: Offload::new(),
                stats: Stats::new(),
            },
            _user: PhantomData,
        })
    }

    /// The link type frames are decoded with.
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.upper.stats
    }

    /// Process one captured frame (its captured bytes) taken at `ts`. Never
    /// panics, whatever the bytes.
    pub fn process<H: Handler<U>>(&mut self, ts: Instant, frame: &[u8], h: &mut H) {
        let up = &mut self.upper;
        stats::bump(&mut up.stats.frames);
        stats::add(&mut up.stats.bytes, frame.len());
        let l3 = match link::decode(self.link, frame) {
            Ok(l3) => l3,
            Err(link::Drop::NotIp) => return stats::bump(&mut up.stats.non_ip),
            Err(link::Drop::Bad(w)) => return warn(&mut up.stats, h, ts, w, &[]),
        };
        let raw = l3.bytes();
        h.ip_frag(ts, raw);
        if !h.ip_filter(ts, raw) {
            return stats::bump(&mut up.stats.filtered);
        }
        let policy = up.checksums;
        let packet = match ip::parse(l3, |src| policy.verifies(src)) {
            Ok(p) => p,
            Err(w) => return warn(&mut up.stats, h, ts, w, raw),
        };
        match packet.version {
            ip::Version::V4 => stats::bump(&mut up.stats.ipv4),
            ip::Version::V6 => stats::bump(&mut up.stats.ipv6),
        }
        if packet.fragment.is_some() {
            stats::bump(&mut up.stats.fragments);
            return warn(&mut up.stats, h, ts, Warning::DefragDisabled, packet.bytes);
        }
        up.datagram(ts, &packet, h);
    }

    /// Let packet time run to `now` without a packet (for idle live links):
    /// timeouts fire as if a packet had arrived at `now`.
    pub fn advance<H: Handler<U>>(&mut self, now: Instant, h: &mut H) {
        let _ = (now, h);
    }

    /// End of input: every open stream ends with an `Exiting` event.
    pub fn finish<H: Handler<U>>(&mut self, h: &mut H) {
        let _ = h;
    }
}

impl<'a> Upper<'a> {
    /// A whole datagram: the `ip` callback, then the transport protocol.
    fn datagram<U, H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'_>, h: &mut H) {
        stats::bump(&mut self.stats.datagrams);
        h.ip(ts, p);
        match p.protocol {
            protocol::UDP => self.udp(ts, p, h),
            protocol::ICMP | protocol::ICMPV6 => stats::bump(&mut self.stats.icmp),
            _ => stats::bump(&mut self.stats.other_protocol),
        }
    }

    fn udp<U, H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'_>, h: &mut H) {
        let c = match udp::check(p) {
            Ok(c) => c,
            Err(w) => return warn(&mut self.stats, h, ts, w, p.bytes),
        };
        // A zero checksum over IPv4 means "none" (IPv6 zeros were refused above).
        if c.checksum != 0
            && !self.transport_checksum_ok(ts, p, protocol::UDP, c.segment, c.checksum)
        {
            return warn(&mut self.stats, h, ts, Warning::UdpBadChecksum, p.bytes);
        }
        stats::bump(&mut self.stats.udp);
        h.udp(&udp::Datagram {
            ts,
            tuple: c.tuple,
            payload: &c.segment[8..],
            ip: p.bytes,
        });
    }

    /// Apply the checksum policy to a TCP or UDP segment whose checksum field is
    /// `field`. Counts offload acceptances; the caller warns on `false`.
    fn transport_checksum_ok(
        &mut self,
        ts: Instant,
        p: &Packet<'_>,
        proto: u8,
        segment: &[u8],
        field: u16,
    ) -> bool {
        if !self.checksums.verifies(p.src) {
            return true;
        }
        let auto = matches!(self.checksums, Policy::Auto);
        if auto && self.offload.confirmed(p.src) {
            stats::bump(&mut self.stats.checksum_offload_accepted);
            return true;
        }
        let pseudo = checksum::pseudo_header(p.src, p.dst, proto, segment.len() as u32);
        if checksum::verify(pseudo, segment) {
            if auto {
                self.offload.answered(ts, p.src, p.dst);
            }
            return true;
        }
        if auto && checksum::is_offload_signature(pseudo, field) {
            self.offload.suspect(ts, p.src, p.dst);
            stats::bump(&mut self.stats.checksum_offload_accepted);
            return true;
        }
        false
    }
}

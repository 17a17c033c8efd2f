//! [`Handler`]: the callbacks through which the engine reports what it sees.

use crate::event::Warning;
use crate::ip::Packet;
use crate::tcp::stream::Stream;
use crate::time::Instant;
use crate::udp;

/// What the engine calls as it processes frames. Every method has a default that
/// does nothing, so a handler implements only what it needs. `U` is the per-stream
/// user data type of the engine.
///
/// Order for one frame, as in libnids: [`Handler::ip_frag`] with the raw L3
/// packet, then [`Handler::ip_filter`], then validation and defragmentation, then
/// [`Handler::ip`] with each whole datagram, then [`Handler::udp`] (or TCP
/// processing, or ICMP). [`Handler::warning`] is called wherever something is
/// dropped or a limit is hit.
#[allow(unused_variables)]
pub trait Handler<U = ()> {
    /// Every L3 packet (IPv4 or IPv6) found in a frame, before any validation:
    /// the bytes may be anything. libnids' `ip_frag` callbacks.
    fn ip_frag(&mut self, ts: Instant, packet: &[u8]) {}

    /// Called after [`Handler::ip_frag`], before validation: return `false` to
    /// drop the packet silently (counted in [`crate::Stats::filtered`]). libnids'
    /// `nids_params.ip_filter`.
    fn ip_filter(&mut self, ts: Instant, packet: &[u8]) -> bool {
        true
    }

    /// Every valid whole IP datagram: unfragmented ones and those rebuilt from
    /// fragments. `datagram.bytes` is exactly the datagram (no link padding; libnids
    /// passes a wrong length here).
    fn ip(&mut self, ts: Instant, datagram: &Packet<'_>) {}

    /// Every valid UDP datagram.
    fn udp(&mut self, datagram: &udp::Datagram<'_>) {}

    /// A TCP stream event: `JustEstablished` (choose what to collect), `Data`,
    /// then one of `Close`, `Reset`, `TimedOut`, `Exiting`.
    fn tcp(&mut self, stream: &mut Stream<'_, '_, U>) {}

    /// A port scan was detected (libnids reports it through its syslog hook).
    fn scan(&mut self, ts: Instant, report: &crate::scan::Report<'_>) {}

    /// A packet the engine hands to port-scan detection, before its detector
    /// sees it: every ACK-less TCP segment, every valid UDP datagram and every
    /// ICMP port unreachable (the detector's settings decide which count). A
    /// program that runs several engines over parts of one capture feeds these
    /// to one [`crate::scan::Detector`] of its own, so a scanner is seen whole.
    fn scan_probe(&mut self, ts: Instant, probe: &crate::scan::Observation) {}

    /// A frame the engine wants sent: the RST segments of `Stream::kill`, framed
    /// for `link` (the engine's link type when it is Ethernet or raw IP, else
    /// `LinkType::RAW`: a bare IP packet).
    fn transmit(&mut self, link: crate::LinkType, frame: &[u8]) {}

    /// Something was dropped or a limit was hit; `packet` is the L3 packet
    /// concerned (empty when the warning concerns no one packet). The warning is
    /// already counted in [`crate::Stats`].
    fn warning(&mut self, ts: Instant, warning: Warning, packet: &[u8]) {}
}

/// A handler behind a mutable reference is a handler (to lend one to a pair).
impl<U, H: Handler<U> + ?Sized> Handler<U> for &mut H {
    fn ip_frag(&mut self, ts: Instant, packet: &[u8]) {
        (**self).ip_frag(ts, packet);
    }
    fn ip_filter(&mut self, ts: Instant, packet: &[u8]) -> bool {
        (**self).ip_filter(ts, packet)
    }
    fn ip(&mut self, ts: Instant, datagram: &Packet<'_>) {
        (**self).ip(ts, datagram);
    }
    fn udp(&mut self, datagram: &udp::Datagram<'_>) {
        (**self).udp(datagram);
    }
    fn tcp(&mut self, stream: &mut Stream<'_, '_, U>) {
        (**self).tcp(stream);
    }
    fn scan(&mut self, ts: Instant, report: &crate::scan::Report<'_>) {
        (**self).scan(ts, report);
    }
    fn scan_probe(&mut self, ts: Instant, probe: &crate::scan::Observation) {
        (**self).scan_probe(ts, probe);
    }
    fn transmit(&mut self, link: crate::LinkType, frame: &[u8]) {
        (**self).transmit(link, frame);
    }
    fn warning(&mut self, ts: Instant, warning: Warning, packet: &[u8]) {
        (**self).warning(ts, warning, packet);
    }
}

/// Two handlers as one: every callback goes to the first, then the second —
/// libnids' several callbacks per kind (nest pairs for more). `ip_filter`
/// passes a packet only if both do.
///
/// For TCP both see the same stream and every event: a half is collected if
/// either handler set its `collect`, so each handler should look at
/// [`Stream::side`] and ignore data it did not ask for (libnids filters this per
/// listener). `discard` keeps the most bytes either asks for (the smallest `n`
/// wins, as in libnids), and the per-stream user data is shared.
impl<U, A: Handler<U>, B: Handler<U>> Handler<U> for (A, B) {
    fn ip_frag(&mut self, ts: Instant, packet: &[u8]) {
        self.0.ip_frag(ts, packet);
        self.1.ip_frag(ts, packet);
    }

    fn ip_filter(&mut self, ts: Instant, packet: &[u8]) -> bool {
        self.0.ip_filter(ts, packet) && self.1.ip_filter(ts, packet)
    }

    fn ip(&mut self, ts: Instant, datagram: &Packet<'_>) {
        self.0.ip(ts, datagram);
        self.1.ip(ts, datagram);
    }

    fn udp(&mut self, datagram: &udp::Datagram<'_>) {
        self.0.udp(datagram);
        self.1.udp(datagram);
    }

    fn tcp(&mut self, stream: &mut Stream<'_, '_, U>) {
        self.0.tcp(stream);
        self.1.tcp(stream);
    }

    fn scan(&mut self, ts: Instant, report: &crate::scan::Report<'_>) {
        self.0.scan(ts, report);
        self.1.scan(ts, report);
    }

    fn scan_probe(&mut self, ts: Instant, probe: &crate::scan::Observation) {
        self.0.scan_probe(ts, probe);
        self.1.scan_probe(ts, probe);
    }

    fn transmit(&mut self, link: crate::LinkType, frame: &[u8]) {
        self.0.transmit(link, frame);
        self.1.transmit(link, frame);
    }

    fn warning(&mut self, ts: Instant, warning: Warning, packet: &[u8]) {
        self.0.warning(ts, warning, packet);
        self.1.warning(ts, warning, packet);
    }
}

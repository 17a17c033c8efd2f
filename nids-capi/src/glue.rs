//! [`Glue`]: the engine's [`Handler`] that calls the C program's callbacks as
//! libnids calls them.
//!
//! Per frame: `ip_frag` callbacks with the raw L3 packet, `nids_params.ip_filter`,
//! then `ip` callbacks with each whole datagram, then `udp` callbacks or TCP
//! processing. Warnings go to `nids_params.syslog` with libnids' type and
//! number. IPv6 packets and streams reach C only after
//! `nids_rs_enable_ipv6(1)` (see `nids.h`).

use core::net::IpAddr;

use nids_core::ip::Packet;
use nids_core::scan::{Proto, Report};
use nids_core::{udp, Handler, Instant, LinkType, Stream, TcpEvent, Tuple, Warning};

use crate::ffi;
use crate::registry;
use crate::stream::CStream;
use crate::types::{state, warn, IpFn, ScanHost, ScanProbe, TcpFn, Tuple4, UdpFn};

/// The registered callbacks, each list newest first (libnids prepends).
#[derive(Debug, Clone, Default)]
pub struct Procs {
    /// `nids_register_ip_frag`.
    pub ip_frag: Vec<IpFn>,
    /// `nids_register_ip`.
    pub ip: Vec<IpFn>,
    /// `nids_register_udp`.
    pub udp: Vec<UdpFn>,
    /// `nids_register_tcp`.
    pub tcp: Vec<TcpFn>,
}

/// Registers `f` at the head of `list` unless it is there already (libnids'
/// `register_callback`).
pub fn register<F: PartialEq + Copy>(list: &mut Vec<F>, f: F) {
    if !list.contains(&f) {
        list.insert(0, f);
    }
}

/// Removes the first `f` of `list` (libnids' `unregister_callback`).
pub fn unregister<F: PartialEq + Copy>(list: &mut Vec<F>, f: F) {
    if let Some(i) = list.iter().position(|&g| g == f) {
        list.remove(i);
    }
}

/// The `nids_params` fields the handler uses, as read at `nids_init`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// `one_loop_less`.
    pub one_loop_less: bool,
    /// `n_tcp_streams != 0`.
    pub tcp: bool,
    /// IPv6 packets and streams reach C (`nids_rs_enable_ipv6`).
    pub ipv6: bool,
}

/// The handler: callbacks to call and settings to follow.
#[derive(Debug, Default)]
pub struct Glue {
    /// The callbacks (refreshed by the driver when a program registers more).
    pub procs: Procs,
    /// Settings read at `nids_init`.
    pub settings: Settings,
    /// A live capture to send `nids_killtcp`'s RSTs on (the address of its
    /// `pcap_t`), if any.
    pub inject: Option<usize>,
    /// The callback lists' generation `procs` was copied at.
    pub generation: u64,
    /// Scratch copy of packets handed to C (C may write into them).
    scratch: Vec<u8>,
}

/// Whether C may see a packet: IPv4 always, IPv6 only when opted in.
fn visible(packet: &[u8], ipv6: bool) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(6) => ipv6,
        _ => true,
    }
}

/// `struct tuple4` of an engine tuple; IPv6 addresses read as zero.
pub fn tuple4(t: &Tuple) -> Tuple4 {
    let addr = |a: IpAddr| match a {
        IpAddr::V4(v4) => u32::from_ne_bytes(v4.octets()),
        IpAddr::V6(_) => 0,
    };
    Tuple4 {
        source: t.sport,
        dest: t.dport,
        saddr: addr(t.src),
        daddr: addr(t.dst),
    }
}

/// The engine tuple of a `struct tuple4` (IPv4).
pub fn tuple(t: &Tuple4) -> Tuple {
    Tuple {
        src: IpAddr::V4(t.saddr.to_ne_bytes().into()),
        sport: t.source,
        dst: IpAddr::V4(t.daddr.to_ne_bytes().into()),
        dport: t.dest,
        // A `struct tuple4` names no tunnel: the stream outside any.
        tunnel: nids_core::TunnelId::NONE,
    }
}

impl Glue {
    /// After a round of callbacks: a kill asked for, and the engine's interest.
    fn settle(cs: &mut CStream, s: &mut Stream<'_, '_, Box<CStream>>) {
        if registry::take_kill(cs.as_c() as usize) {
            s.kill();
        }
        cs.apply_interest(s);
    }

    fn established(&mut self, s: &mut Stream<'_, '_, Box<CStream>>) {
        let t = *s.tuple();
        if !self.settings.tcp || (t.src.is_ipv6() && !self.settings.ipv6) {
            return; // no interest: the engine drops the stream
        }
        let mut cs = CStream::new(tuple4(&t), s);
        // Known before the callbacks run, so they can find or kill it.
        registry::insert(t, cs.as_c() as usize);
        if cs.establish(&self.procs.tcp, self.settings.one_loop_less) {
            Self::settle(&mut cs, s);
            *s.user() = Some(cs);
        }
    }
}

impl Handler<Box<CStream>> for Glue {
    fn ip_frag(&mut self, _ts: Instant, packet: &[u8]) {
        if !visible(packet, self.settings.ipv6) {
            return;
        }
        for &cb in &self.procs.ip_frag {
            ffi::call_ip(cb, &mut self.scratch, packet);
        }
    }

    fn ip_filter(&mut self, _ts: Instant, packet: &[u8]) -> bool {
        !visible(packet, self.settings.ipv6) || ffi::call_ip_filter(&mut self.scratch, packet)
    }

    fn ip(&mut self, _ts: Instant, datagram: &Packet<'_>) {
        if !visible(datagram.bytes, self.settings.ipv6) {
            return;
        }
        for &cb in &self.procs.ip {
            ffi::call_ip(cb, &mut self.scratch, datagram.bytes);
        }
    }

    fn udp(&mut self, d: &udp::Datagram<'_>) {
        if !visible(d.ip, self.settings.ipv6) || self.procs.udp.is_empty() {
            return;
        }
        let addr = tuple4(&d.tuple);
        for &cb in &self.procs.udp {
            ffi::call_udp(cb, &mut self.scratch, addr, d.ip, d.payload);
        }
    }

    fn tcp(&mut self, s: &mut Stream<'_, '_, Box<CStream>>) {
        let end = match s.event() {
            TcpEvent::JustEstablished => return self.established(s),
            TcpEvent::Data => None,
            TcpEvent::Close => Some(state::CLOSE),
            TcpEvent::Reset => Some(state::RESET),
            TcpEvent::TimedOut => Some(state::TIMED_OUT),
            TcpEvent::Exiting => Some(state::EXITING),
        };
        let Some(mut cs) = s.user().take() else {
            return;
        };
        let freed = registry::take_freed(cs.as_c() as usize);
        if freed {
            cs.forget();
        }
        match end {
            Some(code) => {
                if !freed {
                    cs.end(s, code, self.settings.one_loop_less);
                }
                // `cs` is dropped: the stream is gone for C too.
            }
            None => {
                if let (false, Some(side)) = (freed, s.side()) {
                    cs.data(s, side, self.settings.one_loop_less);
                }
                Self::settle(&mut cs, s);
                *s.user() = Some(cs);
            }
        }
    }

    fn scan(&mut self, _ts: Instant, report: &Report<'_>) {
        let IpAddr::V4(src) = report.src else { return };
        let mut probes: Vec<ScanProbe> = report
            .probes
            .iter()
            .filter_map(|p| match (p.dst, p.proto) {
                (IpAddr::V4(a), Proto::Tcp { flags }) => Some(ScanProbe {
                    addr: u32::from_ne_bytes(a.octets()),
                    port: p.port,
                    flags,
                }),
                _ => None,
            })
            .collect();
        let mut host = ScanHost {
            next: core::ptr::null_mut(),
            prev: core::ptr::null_mut(),
            addr: u32::from_ne_bytes(src.octets()),
            modtime: 0,
            n_packets: probes.len() as i32,
            packets: probes.as_mut_ptr(),
        };
        ffi::syslog_scan(&mut host);
    }

    fn transmit(&mut self, _link: LinkType, frame: &[u8]) {
        if let Some(handle) = self.inject {
            ffi::inject(handle, frame);
        }
    }

    fn warning(&mut self, _ts: Instant, w: Warning, packet: &[u8]) {
        let Some(code) = w.libnids_code() else { return };
        if packet.first().map(|b| b >> 4) != Some(4) {
            return; // libnids reports only IPv4 packets
        }
        let kind = if code <= 5 { warn::IP } else { warn::TCP };
        ffi::syslog(kind, i32::from(code), &mut self.scratch, packet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_register_prepends_once() {
        let mut l = vec![];
        register(&mut l, 1);
        register(&mut l, 2);
        register(&mut l, 1);
        assert_eq!(l, [2, 1]);
        unregister(&mut l, 2);
        assert_eq!(l, [1]);
    }

    #[test]
    fn test_tuple4_round_trip() {
        let t4 = Tuple4 {
            source: 1234,
            dest: 80,
            saddr: u32::from_ne_bytes([10, 0, 0, 1]),
            daddr: u32::from_ne_bytes([10, 0, 0, 2]),
        };
        assert_eq!(tuple4(&tuple(&t4)), t4);
    }
}

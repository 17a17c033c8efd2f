//! Regression tests for what fuzzing (`fuzz/`, see fuzz/README.md) found: each
//! test replays a minimized input as plain frames through the public API and
//! states the invariant it broke.

use std::net::{IpAddr, Ipv6Addr};

use nids_core::ip::checksum;
use nids_core::tcp::stream::{Event, Stream};
use nids_core::{tcp, Config, Handler, Instant, LinkType, Nids, Storage};

/// A TCP segment (header and payload) with its checksum.
#[allow(clippy::too_many_arguments)]
fn tcp_segment(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let hl = 20 + opts.len();
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((hl / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    let pseudo = checksum::pseudo_header(src, dst, 6, t.len() as u32);
    let c = !(checksum::combine(pseudo, checksum::sum(&t)) as u16);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// An IPv6 packet in an Ethernet frame.
fn eth_ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, rest: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
    let plen = rest.len();
    f.extend_from_slice(&[0x60, 0, 0, 0, (plen >> 8) as u8, plen as u8, next, 64]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(rest);
    f
}

/// Collects every half, counts events.
#[derive(Default)]
struct Collect {
    ends: usize,
}

impl Handler for Collect {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        match s.event() {
            Event::JustEstablished => {
                s.client_mut().collect = true;
                s.server_mut().collect = true;
            }
            Event::Data => {}
            _ => self.ends += 1,
        }
    }
}

/// A stream fd00::3:`sport` -> fd00::2:8080 with its handshake (client ISN
/// 1000, server ISN 5000), then `segs` from the client: (offset from the first
/// data byte, flags, length).
fn client_segments(
    nids: &mut Nids<'_, (), 8, 4>,
    h: &mut Collect,
    sport: u16,
    segs: &[(u32, u8, usize)],
) {
    let (c, s) = (
        Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 3),
        Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2),
    );
    let (ci, si) = (IpAddr::V6(c), IpAddr::V6(s));
    let (cisn, sisn) = (1000u32, 5000u32);
    let mut t = 1_000_000u64;
    let mut send = |nids: &mut Nids<'_, (), 8, 4>,
                    from_client: bool,
                    seq: u32,
                    ack: u32,
                    flags: u8,
                    len: usize| {
        let payload: Vec<u8> = (0..len).map(|i| (seq as usize + i) as u8).collect();
        let f = if from_client {
            eth_ipv6(
                c,
                s,
                6,
                &tcp_segment(ci, si, sport, 8080, seq, ack, flags, &[], &payload),
            )
        } else {
            eth_ipv6(
                s,
                c,
                6,
                &tcp_segment(si, ci, 8080, sport, seq, ack, flags, &[], &payload),
            )
        };
        t += 10;
        nids.process(Instant::from_micros(t), &f, h);
    };
    send(nids, true, cisn, 0, 0x02, 0);
    send(nids, false, sisn, cisn + 1, 0x12, 0);
    send(nids, true, cisn + 1, sisn + 1, 0x10, 0);
    for &(off, flags, len) in segs {
        send(nids, true, cisn + 1 + off, sisn + 1, flags, len);
    }
}

/// Found by the `engine` target (minimized; first seen with mid-stream pickup
/// and IPv6 fragments, neither needed).
///
/// **Bug `tcp_fin_requeue_leak` (fixed: the FIN is re-queued after the walk).** In `Tcp::enqueue_resolved`
/// (nids-core/src/tcp/mod.rs, every policy but `Libnids`, `First` and `Vista`),
/// phase 1 walks the out-of-order queue with `prev`/`cur`. When the new segment
/// wholly replaces a queued entry that carries a FIN (case `(true, true)`), the
/// FIN is queued again on its own with `self.enqueue(..)`, which inserts a new
/// block between `prev` and `next`; `prev` is not updated. If the following
/// entry is wholly replaced too, `self.pool.set_next(prev, next)` unlinks the
/// re-queued FIN block: it is in no chain, so it is never released (the pool's
/// in-use count never comes back down) and the FIN is lost.
///
/// Here: queue [100, 110) + FIN and [112, 120); then [95, 130) arrives and wins
/// both overlaps. Every stream that does this leaks one storage block for
/// good, so a sender can exhaust TCP storage for all streams.
#[test]
fn tcp_fin_requeue_leak() {
    use tcp::policy::Policy as P;
    for policy in [
        P::Last,
        P::Bsd,
        P::Linux,
        P::OldLinux,
        P::Windows,
        P::Solaris,
        P::Libnids,
        P::First,
        P::Vista,
    ] {
        let mut config = Config::new();
        config.tcp = tcp::Config {
            block_size: 64,
            policy,
            ..tcp::Config::new()
        };
        let mut mem = vec![0u8; 64 * 100];
        let mut nids = Nids::<(), 8, 4>::new(
            LinkType::ETHERNET,
            config,
            Storage::new(&mut mem[..], &mut [][..]),
        )
        .unwrap();
        let mut h = Collect::default();
        for stream in 0..4u16 {
            let segs = [(100, 0x11, 10), (112, 0x10, 8), (95, 0x10, 35)];
            client_segments(&mut nids, &mut h, 4000 + stream, &segs);
        }
        nids.finish(&mut h);
        assert_eq!(h.ends, 4, "{policy:?}");
        assert_eq!(nids.streams(), 0);
        assert_eq!(
            nids.tcp_storage().0,
            0,
            "{policy:?}: TCP storage blocks leaked"
        );
    }
}

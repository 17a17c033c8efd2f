//! Tests of the port-scan detector.

use super::*;
use core::net::Ipv4Addr;
use std::vec::Vec;

const SYN: u8 = flag::SYN;
const FIN: u8 = flag::FIN;
const XMAS: u8 = flag::FIN | flag::PSH | flag::URG;

fn ms(ms: u64) -> Instant {
    Instant::from_micros(ms * 1000)
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// libnids' sizes.
fn detector() -> Detector<256, 11> {
    Detector::new(*b"sixteen byte key")
}

/// Sweeps ports 1..=n of `dst` from `src`, one probe every `step_ms`,
/// starting at `t0_ms`; returns the owned reports.
fn sweep<const H: usize, const P: usize>(
    d: &mut Detector<H, P>,
    src: IpAddr,
    dst: IpAddr,
    n: u16,
    t0_ms: u64,
    step_ms: u64,
    flags: u8,
) -> Vec<(Kind, Vec<(IpAddr, u16)>)> {
    let mut out = Vec::new();
    for port in 1..=n {
        let now = ms(t0_ms + u64::from(port - 1) * step_ms);
        if let Some(r) = d.tcp(now, src, dst, port, flags) {
            assert_eq!(r.src, src);
            out.push((r.kind, r.probes.iter().map(|p| (p.dst, p.port)).collect()));
        }
    }
    out
}

fn ports(range: core::ops::RangeInclusive<u16>, dst: IpAddr) -> Vec<(IpAddr, u16)> {
    range.map(|p| (dst, p)).collect()
}

#[test]
fn test_config_default() {
    let c = Config::default();
    assert_eq!(
        c,
        Config {
            num_ports: 10,
            delay: Duration::from_millis(3000),
            udp: false
        }
    );
    assert_eq!(Config::disabled().num_ports, 0);
    let d = detector();
    assert_eq!(d.threshold(), 10);
    assert_eq!(d.config(), &c);
}

#[test]
fn test_sizes() {
    assert_eq!(core::mem::size_of::<Probe>(), 32);
    assert_eq!(core::mem::size_of::<Kind>(), 2);
    assert_eq!(core::mem::size_of::<Host<11>>(), 32 * 11 + 48);
    assert_eq!(
        core::mem::size_of::<Detector<256, 11>>(),
        256 * (32 * 11 + 52) + (32 * 11 + 8) + 88
    );
    assert_eq!(core::mem::size_of::<Detector<256, 11>>(), 103_872);
    assert_eq!(core::mem::size_of::<Report<'_>>(), 56);
}

static STATIC: Detector<256, 11> = Detector::new([1; 16]);

#[test]
fn test_static_new() {
    assert_eq!(STATIC.stats(), &Stats::new());
    assert_eq!(STATIC.sources(), 0);
    assert_eq!(STATIC.threshold(), 10);
}

#[test]
fn test_kind_from_flags() {
    assert_eq!(Kind::from_tcp_flags(SYN), Kind::Syn);
    assert_eq!(Kind::from_tcp_flags(SYN | flag::ECE | flag::CWR), Kind::Syn);
    assert_eq!(Kind::from_tcp_flags(FIN), Kind::Fin);
    assert_eq!(Kind::from_tcp_flags(0), Kind::Null);
    assert_eq!(Kind::from_tcp_flags(XMAS), Kind::Xmas);
    assert_eq!(Kind::from_tcp_flags(SYN | FIN), Kind::Other(0x03));
    assert_eq!(Kind::of(&[]), Kind::Mixed);
}

#[test]
fn test_kind_display() {
    let shown: Vec<String> = [
        Kind::Syn,
        Kind::Fin,
        Kind::Null,
        Kind::Xmas,
        Kind::Udp,
        Kind::Mixed,
        Kind::Other(SYN | FIN),
        Kind::Other(flag::PSH | flag::URG),
        Kind::Other(0),
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    assert_eq!(
        shown,
        ["SYN", "FIN", "NULL", "XMAS", "UDP", "mixed", "SYN+FIN", "PSH+URG", "NULL"]
    );
}

#[test]
fn test_slow_client_not_reported() {
    // One new (dst, port) every second, 50 of them: never more than 4 in 3 s.
    let mut d = detector();
    let src = v4(192, 168, 1, 10);
    for i in 0..50u8 {
        let dst = v4(10, 0, i / 10, i);
        assert!(d
            .tcp(
                ms(u64::from(i) * 1000),
                src,
                dst,
                443 + u16::from(i % 3),
                SYN
            )
            .is_none());
    }
    assert_eq!(d.stats().probes, 50);
    assert_eq!(d.stats().reports, 0);
}

#[test]
fn test_syn_sweep() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    // 20 ports in 100 ms: one report at the 11th, the list restarts.
    let reports = sweep(&mut d, src, dst, 20, 0, 5, SYN);
    assert_eq!(reports, [(Kind::Syn, ports(1..=11, dst))]);
    assert_eq!(d.stats().reports, 1);
    assert_eq!(d.stats().probes, 20);
}

#[test]
fn test_fin_null_xmas_sweeps() {
    for (flags, kind) in [
        (FIN, Kind::Fin),
        (0, Kind::Null),
        (XMAS, Kind::Xmas),
        (SYN | FIN, Kind::Other(3)),
    ] {
        let mut d = detector();
        let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
        let reports = sweep(&mut d, src, dst, 20, 0, 5, flags);
        assert_eq!(reports, [(kind, ports(1..=11, dst))], "flags {flags:#x}");
    }
}

#[test]
fn test_report_fields() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    sweep(&mut d, src, dst, 10, 1000, 10, SYN);
    let r = d.tcp(ms(1100), src, dst, 11, SYN).unwrap();
    assert_eq!((r.first, r.last), (ms(1000), ms(1100)));
    assert!(r
        .probes
        .iter()
        .all(|p| p.proto == Proto::Tcp { flags: SYN }));
    assert_eq!(
        r.to_string(),
        "10.0.0.1: SYN scan of 11 targets from 1.000000 to 1.100000"
    );
}

#[test]
fn test_long_sweep_one_report_per_eleven() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    let reports = sweep(&mut d, src, dst, 40, 0, 1, SYN);
    assert_eq!(
        reports,
        [
            (Kind::Syn, ports(1..=11, dst)),
            (Kind::Syn, ports(12..=22, dst)),
            (Kind::Syn, ports(23..=33, dst))
        ]
    );
}

#[test]
fn test_horizontal_sweep() {
    // One port on many hosts is a scan too.
    let mut d = detector();
    let src = ip("2001:db8::66");
    let mut reports = 0;
    for i in 0..11u16 {
        let dst = IpAddr::V6(core::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, i));
        if let Some(r) = d.tcp(ms(u64::from(i)), src, dst, 22, SYN) {
            assert_eq!(r.probes.len(), 11);
            assert!(r.probes.iter().all(|p| p.port == 22));
            reports += 1;
        }
    }
    assert_eq!(reports, 1);
}

#[test]
fn test_mixed() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    let flags = [SYN, FIN, 0, XMAS];
    let mut got = None;
    for port in 1..=11u16 {
        let f = flags[usize::from(port) % flags.len()];
        if let Some(r) = d.tcp(ms(u64::from(port)), src, dst, port, f) {
            got = Some((r.kind, r.probes.len()));
        }
    }
    assert_eq!(got, Some((Kind::Mixed, 11)));
}

#[test]
fn test_tcp_and_udp_mixed() {
    let mut d = detector();
    d.set_config(Config {
        udp: true,
        ..Config::new()
    });
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    for port in 1..=10u16 {
        assert!(d.tcp(ms(1), src, dst, port, SYN).is_none());
    }
    // UDP port 1 is another target than TCP port 1.
    let r = d.udp(ms(2), src, dst, 1).unwrap();
    assert_eq!(r.kind, Kind::Mixed);
    assert_eq!(r.probes.len(), 11);
}

#[test]
fn test_udp_sweep_enabled() {
    let mut d = detector();
    d.set_config(Config {
        udp: true,
        ..Config::new()
    });
    let (src, dst) = (ip("fd00::1"), ip("fd00::2"));
    let mut got = None;
    for port in 1..=11u16 {
        if port <= 4 {
            assert!(d.udp(ms(u64::from(port)), src, dst, port).is_none());
            // Ports 1..=3 are closed; a quote for another prober, port or
            // protocol marks nothing.
            if port <= 3 {
                d.icmp_port_unreachable(ms(5), src, dst, port);
                d.icmp_port_unreachable(ms(5), src, dst, port);
            }
            d.icmp_port_unreachable(ms(5), ip("fd00::9"), dst, port);
            d.icmp_port_unreachable(ms(5), src, dst, 999);
            continue;
        }
        if let Some(r) = d.udp(ms(u64::from(port)), src, dst, port) {
            got = Some((r.kind, r.probes.to_vec()));
        }
    }
    let (kind, probes) = got.unwrap();
    assert_eq!(kind, Kind::Udp);
    let want: Vec<(u16, bool)> = (1..=11).map(|p| (p, p <= 3)).collect();
    let have: Vec<(u16, bool)> = probes
        .iter()
        .map(|p| match p.proto {
            Proto::Udp { unreachable } => (p.port, unreachable),
            Proto::Tcp { .. } => panic!("TCP probe in a UDP sweep"),
        })
        .collect();
    assert_eq!(have, want);
    assert_eq!(d.stats().unreachable, 3);
}

#[test]
fn test_udp_sweep_disabled() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    for port in 1..=100u16 {
        assert!(d.udp(ms(u64::from(port)), src, dst, port).is_none());
        d.icmp_port_unreachable(ms(u64::from(port)), src, dst, port);
    }
    assert_eq!(d.stats(), &Stats::new());
    assert_eq!(d.sources(), 0);
}

#[test]
fn test_unreachable_never_creates_entry() {
    let mut d = detector();
    d.set_config(Config {
        udp: true,
        ..Config::new()
    });
    d.icmp_port_unreachable(ms(1), v4(1, 1, 1, 1), v4(2, 2, 2, 2), 53);
    assert_eq!(d.sources(), 0);
    assert_eq!(d.stats(), &Stats::new());
}

#[test]
fn test_ipv6_sources() {
    let mut d = detector();
    let dst = ip("2001:db8::80");
    // Two IPv6 sources interleaved: each is tracked on its own.
    let (a, b) = (ip("2001:db8::a"), ip("2001:db8::b"));
    for port in 1..=10u16 {
        assert!(d.tcp(ms(u64::from(port)), a, dst, port, SYN).is_none());
        assert!(d.tcp(ms(u64::from(port)), b, dst, port, FIN).is_none());
    }
    let r = d.tcp(ms(20), b, dst, 11, FIN).unwrap();
    assert_eq!((r.src, r.kind, r.probes.len()), (b, Kind::Fin, 11));
    let r = d.tcp(ms(20), a, dst, 11, SYN).unwrap();
    assert_eq!((r.src, r.kind, r.probes.len()), (a, Kind::Syn, 11));
    // An IPv4 source with the same low bytes is another source.
    assert!(d.tcp(ms(21), v4(0, 0, 0, 10), dst, 1, SYN).is_none());
}

#[test]
fn test_window_slides() {
    // 11 probes spread over 3.5 s, delay 3 s: at most 10 within any 3 s.
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    assert!(sweep(&mut d, src, dst, 11, 0, 350, SYN).is_empty());
    assert_eq!(d.stats().reports, 0);
    // The same spread over exactly 3 s: the window includes its edge.
    let mut d = detector();
    assert_eq!(
        sweep(&mut d, src, dst, 11, 0, 300, SYN),
        [(Kind::Syn, ports(1..=11, dst))]
    );
}

#[test]
fn test_repeats_count_once() {
    // A client reconnecting to one service 1000 times is one target.
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    for i in 0..1000 {
        assert!(d.tcp(Instant::from_micros(i), src, dst, 80, SYN).is_none());
    }
    assert_eq!((d.stats().probes, d.stats().reports), (1000, 0));
    // A repeat refreshes the time: 9 other targets at 1 ms and target 80
    // again at 2.9 s; at 3.5 s only target 80 is still in the window.
    for port in 1..=9 {
        assert!(d.tcp(ms(1), src, dst, port, SYN).is_none());
    }
    assert!(d.tcp(ms(2900), src, dst, 80, SYN).is_none());
    assert!(sweep(&mut d, src, dst, 9, 3500, 1, SYN).is_empty());
    let r = d.tcp(ms(3600), src, dst, 10, SYN).unwrap();
    assert_eq!(
        r.probes.first().map(|p| (p.port, p.ts)),
        Some((80, ms(2900)))
    );
    assert_eq!(r.first, ms(2900));
}

#[test]
fn test_ack_and_rst_ignored() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    for flags in [
        flag::ACK,
        flag::RST,
        flag::SYN | flag::ACK,
        flag::RST | flag::ACK,
        flag::FIN | flag::ACK,
    ] {
        assert!(sweep(&mut d, src, dst, 100, 0, 1, flags).is_empty());
    }
    assert_eq!(d.stats(), &Stats::new());
}

#[test]
fn test_ecn_syn_is_syn() {
    let mut d = detector();
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    let flags = SYN | flag::ECE | flag::CWR;
    assert_eq!(
        sweep(&mut d, src, dst, 11, 0, 1, flags),
        [(Kind::Syn, ports(1..=11, dst))]
    );
}

#[test]
fn test_threshold_config() {
    let mut d = detector();
    d.set_config(Config {
        num_ports: 3,
        ..Config::new()
    });
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    assert_eq!(
        sweep(&mut d, src, dst, 8, 0, 1, SYN),
        [
            (Kind::Syn, ports(1..=4, dst)),
            (Kind::Syn, ports(5..=8, dst))
        ]
    );
    // Lowered while probes are recorded: the next new target reports them all.
    let mut d = detector();
    assert!(sweep(&mut d, src, dst, 8, 0, 1, SYN).is_empty());
    d.set_config(Config {
        num_ports: 2,
        ..Config::new()
    });
    assert_eq!(
        d.tcp(ms(9), src, dst, 9, SYN).map(|r| r.probes.len()),
        Some(9)
    );
}

#[test]
fn test_ports_too_small_clamps() {
    // PORTS 4 holds 3 + 1 probes: the default 10 is lowered to 3.
    let mut d = Detector::<16, 4>::new([0; 16]);
    assert_eq!(d.threshold(), 3);
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    assert_eq!(
        sweep(&mut d, src, dst, 4, 0, 1, SYN),
        [(Kind::Syn, ports(1..=4, dst))]
    );
}

#[test]
fn test_disabled() {
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    let mut d = detector();
    d.set_config(Config {
        udp: true,
        ..Config::disabled()
    });
    assert_eq!(d.threshold(), 0);
    assert!(sweep(&mut d, src, dst, 100, 0, 1, SYN).is_empty());
    assert!(d.udp(ms(1), src, dst, 1).is_none());
    d.icmp_port_unreachable(ms(1), src, dst, 1);
    assert_eq!(d.stats(), &Stats::new());

    let mut d = Detector::<0, 11>::new([0; 16]);
    assert_eq!(d.threshold(), 0);
    assert!(sweep(&mut d, src, dst, 100, 0, 1, SYN).is_empty());
    assert_eq!(core::mem::size_of::<Detector<0, 11>>(), 32 * 11 + 8 + 88);

    let mut d = Detector::<8, 0>::new([0; 16]);
    assert_eq!(d.threshold(), 0);
    assert!(sweep(&mut d, src, dst, 100, 0, 1, SYN).is_empty());
    let mut d = Detector::<8, 1>::new([0; 16]);
    assert_eq!(d.threshold(), 0);
    assert!(sweep(&mut d, src, dst, 100, 0, 1, SYN).is_empty());
    assert_eq!(d.stats(), &Stats::new());
}

#[test]
fn test_extreme_times() {
    let (src, dst) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    // Time going backwards, the end of time, a zero and an endless delay.
    for delay in [
        Duration::ZERO,
        Duration::from_micros(1),
        Duration::from_micros(u64::MAX),
    ] {
        let mut d = Detector::<4, 3>::with_config(
            [9; 16],
            Config {
                num_ports: 2,
                delay,
                udp: true,
            },
        );
        let times = [u64::MAX, 0, u64::MAX - 1, 5, u64::MAX, u64::MAX, 0, 1, 2];
        let mut reports = 0;
        for (i, t) in times.iter().enumerate() {
            let port = u16::try_from(i).unwrap();
            let now = Instant::from_micros(*t);
            reports += usize::from(d.tcp(now, src, dst, port, SYN).is_some());
            reports += usize::from(d.udp(now, src, dst, port).is_some());
            d.icmp_port_unreachable(now, src, dst, port);
            reports += usize::from(
                d.tcp(now, v4(1, 1, 1, u8::try_from(i).unwrap()), dst, 1, 0)
                    .is_some(),
            );
        }
        assert_eq!(d.stats().reports, reports as u64);
    }
    // Endless delay: never forgets, so it behaves as libnids.
    let mut d = Detector::<4, 11>::with_config(
        [9; 16],
        Config {
            delay: Duration::from_micros(u64::MAX),
            ..Config::new()
        },
    );
    assert_eq!(sweep(&mut d, src, dst, 11, 0, 3_600_000, SYN).len(), 1);
    // Zero delay: only probes at the same microsecond count.
    let mut d = Detector::<4, 11>::with_config(
        [9; 16],
        Config {
            delay: Duration::ZERO,
            ..Config::new()
        },
    );
    assert!(sweep(&mut d, src, dst, 11, 0, 1, SYN).is_empty());
    assert_eq!(sweep(&mut d, src, dst, 11, 100, 0, SYN).len(), 1);
}

#[test]
fn test_flood_of_sources() {
    // 1,000,000 distinct sources within one window: the table stays at 256
    // entries, every source after the first 256 takes a busy entry.
    let mut d = Detector::<256, 11>::new(*b"flood test key!!");
    let dst = v4(10, 0, 0, 2);
    for i in 0..1_000_000u32 {
        let src = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i));
        assert!(d
            .tcp(Instant::from_micros(u64::from(i)), src, dst, 80, SYN)
            .is_none());
    }
    assert_eq!(d.sources(), 256);
    assert_eq!(d.stats().probes, 1_000_000);
    assert_eq!(d.stats().reused, 1_000_000 - 256);
    assert_eq!(d.stats().reports, 0);
    // A real scanner is still caught afterwards.
    let reports = sweep(&mut d, v4(10, 9, 9, 9), dst, 11, 1000, 1, SYN);
    assert_eq!(reports.len(), 1);
}

#[test]
fn test_expired_entries_free() {
    // Entries whose probes all left the window are taken without counting.
    let mut d = Detector::<4, 11>::new([3; 16]);
    let dst = v4(10, 0, 0, 2);
    for i in 0..4 {
        d.tcp(ms(0), v4(10, 1, 0, i), dst, 80, SYN);
    }
    assert_eq!(d.stats().reused, 0);
    for i in 0..4 {
        d.tcp(ms(5000), v4(10, 2, 0, i), dst, 80, SYN);
    }
    assert_eq!(d.stats().reused, 0);
    d.tcp(ms(5000), v4(10, 3, 0, 0), dst, 80, SYN);
    assert_eq!(d.stats().reused, 1);
    // The oldest busy entry went: the three others still count their probe.
    assert_eq!(d.sources(), 4);
}

#[test]
fn test_reuse_takes_oldest() {
    let mut d = Detector::<4, 11>::new([3; 16]);
    let dst = v4(10, 0, 0, 2);
    let (old, src) = (v4(10, 1, 0, 0), v4(10, 1, 0, 9));
    d.tcp(ms(0), old, dst, 1, SYN);
    for i in 1..4 {
        d.tcp(ms(10), v4(10, 1, 0, i), dst, 80, SYN);
    }
    // The table is full: `src` takes the entry of `old`, the least recent.
    for port in 1..=10 {
        assert!(d.tcp(ms(20), src, dst, port, SYN).is_none());
    }
    assert_eq!(d.stats().reused, 1);
    assert!(d.find(old).is_none());
    // A newcomer then takes one of the entries last active at 10 ms, not
    // the one of `src` (20 ms), whose scan is still caught.
    d.tcp(ms(30), v4(10, 7, 7, 7), dst, 80, SYN);
    assert_eq!(d.stats().reused, 2);
    assert!(d.tcp(ms(40), src, dst, 11, SYN).is_some());
}

/// Sources in hash chain 0 under detector `d`'s key.
fn colliding<const H: usize, const P: usize>(d: &Detector<H, P>, n: usize) -> Vec<IpAddr> {
    (0u32..)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0x0c00_0000 + i)))
        .filter(|&a| d.chain_of(a) == 0)
        .take(n)
        .collect()
}

#[test]
fn test_collisions_cost_no_entries() {
    // 64 sources in one hash chain (whoever knows the key can find them) all
    // keep their entries: a chain only costs lookup time, never a forgotten
    // source; and under another key they spread over the chains.
    let key = [0xA5; 16];
    let sources = colliding(&Detector::<256, 11>::new(key), 64);
    let mut d = Detector::<256, 11>::new(key);
    for (i, &src) in sources.iter().enumerate() {
        d.tcp(
            Instant::from_micros(i as u64),
            src,
            v4(10, 0, 0, 2),
            80,
            SYN,
        );
    }
    assert_eq!(d.stats().reused, 0);
    assert_eq!(d.sources(), 64);
    assert!(sources.iter().all(|&s| d.find(s).is_some()));
    let other = Detector::<256, 11>::new([0x5A; 16]);
    let moved = sources.iter().filter(|&&a| other.chain_of(a) != 0).count();
    assert!(moved >= 60, "{moved}");
}

#[test]
fn test_same_answers_under_any_key() {
    // A table too small for the sources, scanners among them: which source is
    // forgotten depends on the packets only, so every key gives the same
    // reports and counters.
    let run = |key: [u8; 16]| {
        let mut d = Detector::<16, 11>::new(key);
        let mut seen = Vec::new();
        let mut seed = 0x9e37_79b9_u32;
        for t in 0..20_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            // 40 sources, 6 of them scanning many ports, the rest a few.
            let s = seed % 40;
            let port = if s < 6 {
                (seed >> 8) as u16
            } else {
                (seed >> 8) as u16 % 3
            };
            let src = v4(10, 0, 1, s as u8);
            if let Some(r) = d.tcp(
                Instant::from_micros(t * 50),
                src,
                v4(10, 0, 0, 2),
                port,
                SYN,
            ) {
                seen.push((t, r.src, r.probes.len()));
            }
        }
        (seen, d.stats().clone(), d.sources())
    };
    let first = run([1; 16]);
    assert!(
        first.1.reused > 100,
        "the table must overflow: {:?}",
        first.1
    );
    assert!(!first.0.is_empty());
    for k in 2..8u8 {
        assert_eq!(run([k; 16]), first, "key {k}");
    }
}

/// A model of the rule for one source, with no table limits.
#[derive(Default)]
struct Model {
    probes: Vec<(IpAddr, u16, u64)>,
}

impl Model {
    fn probe(
        &mut self,
        now: u64,
        dst: IpAddr,
        port: u16,
        delay: u64,
        threshold: usize,
    ) -> Option<Vec<(IpAddr, u16)>> {
        self.probes.retain(|p| now.saturating_sub(p.2) <= delay);
        if let Some(p) = self.probes.iter_mut().find(|p| (p.0, p.1) == (dst, port)) {
            p.2 = p.2.max(now);
            return None;
        }
        self.probes.push((dst, port, now));
        if self.probes.len() > threshold {
            return Some(self.probes.drain(..).map(|p| (p.0, p.1)).collect());
        }
        None
    }
}

#[test]
fn test_random_against_model() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..200 {
        let threshold = 1 + rand(12) as usize;
        let delay = rand(2000);
        let mut d = Detector::<8, 13>::with_config(
            [round as u8; 16],
            Config {
                num_ports: threshold,
                delay: Duration::from_micros(delay),
                udp: false,
            },
        );
        let sources: Vec<IpAddr> = (0..3).map(|i| v4(10, 0, 0, i)).collect();
        let mut models: Vec<Model> = (0..3).map(|_| Model::default()).collect();
        let mut now = 0u64;
        for _ in 0..500 {
            now += rand(200);
            let s = rand(3) as usize;
            let dst = v4(10, 1, 0, rand(4) as u8);
            let port = rand(8) as u16;
            let want = models[s].probe(now, dst, port, delay, threshold);
            let got = d
                .tcp(Instant::from_micros(now), sources[s], dst, port, SYN)
                .map(|r| r.probes.iter().map(|p| (p.dst, p.port)).collect::<Vec<_>>());
            assert_eq!(got, want, "round {round}");
        }
        assert_eq!(d.stats().reused, 0);
    }
}

impl<const H: usize, const P: usize> Detector<H, P> {
    /// Checks the hash chains and the activity list against the entries.
    fn check_table(&self) {
        let used = self.used as usize;
        assert!(used <= H);
        // The activity list holds every used entry once, linked both ways.
        let mut seen = std::vec![false; H];
        let (mut i, mut before, mut n) = (self.oldest, NIL, 0);
        while i != NIL {
            let h = &self.hosts[i as usize];
            assert!(!seen[i as usize], "entry {i} twice in the list (a loop)");
            seen[i as usize] = true;
            assert_eq!(h.older, before);
            (before, i) = (i, h.newer);
            n += 1;
        }
        assert_eq!(self.newest, before);
        assert_eq!(n, used);
        // Every source is in its own chain, once; chains hold nothing else.
        let mut chained = 0;
        for c in 0..H {
            let mut i = self.heads[c];
            while i != NIL {
                let h = &self.hosts[i as usize];
                assert_eq!(self.chain_of(h.src.unwrap()), c);
                chained += 1;
                assert!(chained <= H, "more chained entries than entries (a loop)");
                i = h.chain;
            }
        }
        let held: Vec<_> = self.hosts[..used].iter().filter_map(|h| h.src).collect();
        assert_eq!(chained, held.len());
        for (k, s) in held.iter().enumerate() {
            assert_eq!(self.find(*s).map(|i| self.hosts[i].src), Some(Some(*s)));
            assert!(!held[..k].contains(s), "{s} held twice");
        }
    }
}

proptest::proptest! {
    /// Any mix of sources (more than the table holds), targets and packet
    /// times, the clock running backwards at times: the table stays
    /// consistent, and two keys give the same reports and counters.
    #[test]
    fn prop_table_consistent_and_key_independent(
        ops in proptest::collection::vec((0u8..24, 0u16..12, 0u64..300, proptest::bool::weighted(0.05)), 1..600),
        k1 in proptest::prelude::any::<[u8; 16]>(),
        k2 in proptest::prelude::any::<[u8; 16]>(),
    ) {
        let run = |key: [u8; 16]| {
            // 24 sources, 6 entries: the table overflows, with live probes.
            let mut d = Detector::<6, 6>::with_config(
                key,
                Config { num_ports: 4, delay: Duration::from_micros(3000), udp: false },
            );
            let (mut now, mut reports) = (10_000u64, Vec::new());
            for &(s, port, dt, back) in &ops {
                now = if back { now.saturating_sub(dt) } else { now + dt };
                let src = v4(10, 0, 0, s);
                if let Some(r) = d.tcp(Instant::from_micros(now), src, v4(10, 1, 0, 1), port, SYN) {
                    reports.push((r.src, r.probes.iter().map(|p| p.port).collect::<Vec<_>>()));
                }
                d.check_table();
            }
            (reports, d.stats().clone(), d.sources())
        };
        let first = run(k1);
        proptest::prop_assert_eq!(&first, &run(k2));
    }
}

/// What `Config::looks_at` refuses changes nothing in a detector: the same
/// detector state whether those observations are fed or not, and every
/// observation it keeps is one the detector may count.
#[test]
fn test_looks_at_drops_only_what_the_detector_ignores() {
    let configs = [
        Config::new(),
        Config {
            udp: true,
            ..Config::new()
        },
        Config::disabled(),
        Config {
            num_ports: 2,
            udp: true,
            ..Config::new()
        },
    ];
    let (a, b) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    let mut seen = Vec::new();
    for port in 1..40u16 {
        let flags =
            [SYN, FIN, XMAS, flag::ACK, flag::SYN | flag::ACK, flag::RST][port as usize % 6];
        seen.push(Observation::Tcp {
            src: a,
            dst: b,
            dport: port,
            flags,
        });
        seen.push(Observation::Udp {
            src: a,
            dst: b,
            dport: port,
        });
        if port % 3 == 0 {
            seen.push(Observation::Unreachable {
                prober: a,
                target: b,
                port: port - 1,
            });
        }
    }
    for c in configs {
        let (mut all, mut kept) = (detector(), detector());
        all.set_config(c);
        kept.set_config(c);
        let (mut reports_all, mut reports_kept) = (Vec::new(), Vec::new());
        for (i, o) in seen.iter().enumerate() {
            let now = ms(i as u64);
            let before = all.stats().clone();
            if let Some(r) = all.observe(now, o) {
                reports_all.push((i, r.kind, r.probes.len()));
            }
            if c.looks_at(o) {
                if let Some(r) = kept.observe(now, o) {
                    reports_kept.push((i, r.kind, r.probes.len()));
                }
            } else {
                assert_eq!(all.stats(), &before, "{c:?} ignores {o:?}");
            }
        }
        assert_eq!(reports_all, reports_kept, "{c:?}");
        assert_eq!(all.stats(), kept.stats(), "{c:?}");
        if c.num_ports != 0 {
            assert!(all.stats().probes > 0, "{c:?}");
        }
    }
}

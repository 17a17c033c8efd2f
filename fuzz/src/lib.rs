//! Shared parts of the nids-rs fuzz targets: packet builders (with correct
//! checksums, so generated traffic gets past the checks) and [`Checker`], an
//! engine wrapped with a handler that asserts invariants after every frame.
//!
//! Every assertion here states something the engine promises (see each one's
//! message); a failing one is a bug in nids-core, or a wrong promise.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nids_core::ip::checksum::{self, Policy};
use nids_core::ip::{self, protocol, Packet, Version};
use nids_core::link::{self, LinkType};
use nids_core::tcp::stream::{Event, Side, Stream};
use nids_core::{udp, Config, Handler, Instant, Nids, Stats, Storage, Tuple, Warning};

pub mod build;

/// Stream slots of the fuzzed engine (small, so the table fills and evicts).
pub const STREAMS: usize = 8;
/// Defragmentation host slots.
pub const HOSTS: usize = 4;
/// Scan-detector host slots.
pub const SCAN_HOSTS: usize = 8;

/// The engine under test.
pub type Engine<'a> = Nids<'a, u32, STREAMS, HOSTS, SCAN_HOSTS>;

/// The byte a generated TCP payload carries at sequence number `seq` when sent
/// from port `sport`: delivered bytes of a half must then run on without a jump
/// ("consistent" content, see [`Checker::consistent`]).
pub fn tcp_byte(sport: u16, seq: u32) -> u8 {
    (seq as u8) ^ salt(sport)
}

fn salt(port: u16) -> u8 {
    (port as u8).wrapping_mul(7) ^ ((port >> 8) as u8)
}

/// Whether the known, not yet fixed bug `name` is to be tolerated: it is
/// listed in the environment variable `NIDS_FUZZ_KNOWN_BUGS` (comma-separated),
/// so fuzzing can go on past it. Each name is an ignored regression test in
/// tests/tests/fuzz_regressions.rs; drop it from the list once fixed.
pub fn known_bug(name: &str) -> bool {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        std::env::var("NIDS_FUZZ_KNOWN_BUGS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .iter()
    .any(|n| n == name)
}

/// The L3 packet filter the checker's handler applies (`ip_filter`), when on:
/// a deterministic function of the bytes, mirrored by the oracle.
fn filtered(mode: u8, raw: &[u8]) -> bool {
    mode != 0 && raw.len() % 7 == usize::from(mode % 7)
}

/// What the checker expects from its own parse of each frame.
#[derive(Default, Debug, Clone)]
struct Oracle {
    frames: u64,
    non_ip: u64,
    filtered: u64,
    ipv4: u64,
    ipv6: u64,
    fragments: u64,
    /// Warnings raised by link decoding or IP validation of frames.
    warnings: HashMap<Warning, u64>,
}

/// Per-half bookkeeping of an open stream.
#[derive(Default, Debug, Clone)]
struct HalfRec {
    collect: bool,
    collect_urg: bool,
    count: u64,
    offset: u64,
    /// Sum of `count_new` over Data events.
    delivered: u64,
    last_byte: Option<u8>,
    missing: u64,
    /// What the last event left available and unread: the kept bytes must be
    /// a suffix of it (the engine may release the oldest).
    expect_kept: Vec<u8>,
}

#[derive(Debug, Clone)]
struct StreamRec {
    id: u32,
    client: HalfRec,
    server: HalfRec,
}

/// The handler: records everything and checks what it can on each call.
pub struct Obs {
    /// Handler decisions (collect, discard, kill), used in a cycle.
    decisions: Vec<u8>,
    next_decision: usize,
    filter: u8,
    consistent: bool,
    v4_header: ip::v4::HeaderCheck,
    scan_threshold: usize,
    link: LinkType,
    next_id: u32,
    open: HashMap<Tuple, StreamRec>,
    /// TCP payload bytes seen in `ip` callbacks, per (sender, receiver).
    tcp_payload: HashMap<(IpAddr, u16, IpAddr, u16), u64>,
    /// Bytes delivered in Data events, per (sender, receiver).
    tcp_delivered: HashMap<(IpAddr, u16, IpAddr, u16), u64>,
    tcp_payload_total: u64,
    /// `count` of both halves summed over every ended stream.
    final_bytes: u64,
    established_events: u64,
    ip_frag_calls: u64,
    ip_calls: u64,
    udp_calls: u64,
    scan_calls: u64,
    transmits: u64,
    warnings: HashMap<Warning, u64>,
}

impl Obs {
    fn decide(&mut self) -> u8 {
        if self.decisions.is_empty() {
            return 0;
        }
        let d = self.decisions[self.next_decision % self.decisions.len()];
        self.next_decision = self.next_decision.wrapping_add(1);
        d
    }
}

fn kept_len(s: &Stream<'_, '_, u32>, side: Side) -> usize {
    s.kept(side).map(|c| c.len()).sum()
}

fn kept_bytes(s: &Stream<'_, '_, u32>, side: Side) -> Vec<u8> {
    let mut v = Vec::new();
    s.kept(side).for_each(|c| v.extend_from_slice(c));
    v
}

impl Handler<u32> for Obs {
    fn ip_frag(&mut self, _ts: Instant, _packet: &[u8]) {
        self.ip_frag_calls += 1;
    }

    fn ip_filter(&mut self, _ts: Instant, packet: &[u8]) -> bool {
        !filtered(self.filter, packet)
    }

    fn ip(&mut self, _ts: Instant, p: &Packet<'_>) {
        self.ip_calls += 1;
        assert!(p.fragment.is_none(), "ip() got a fragment: {p:?}");
        assert!(p.header_len <= p.bytes.len(), "header past the datagram");
        // A datagram handed on must parse again as itself.
        let again = match p.version {
            Version::V4 => ip::v4::parse(p.bytes, |_| self.v4_header),
            Version::V6 => ip::v6::parse(p.bytes),
        };
        let again = again.unwrap_or_else(|w| panic!("ip() datagram does not re-parse: {w:?}"));
        assert_eq!(
            again.bytes.len(),
            p.bytes.len(),
            "re-parse changes the length"
        );
        assert_eq!((again.src, again.dst), (p.src, p.dst));
        assert_eq!(again.header_len, p.header_len);
        assert_eq!(again.protocol, p.protocol);
        if p.protocol == protocol::TCP {
            let seg = p.payload();
            if seg.len() >= 20 {
                let doff = usize::from(seg[12] >> 4) * 4;
                if doff >= 20 && doff <= seg.len() {
                    let key = (
                        p.src,
                        u16::from_be_bytes([seg[0], seg[1]]),
                        p.dst,
                        u16::from_be_bytes([seg[2], seg[3]]),
                    );
                    let n = (seg.len() - doff) as u64;
                    *self.tcp_payload.entry(key).or_default() += n;
                    self.tcp_payload_total += n;
                }
            }
        }
    }

    fn udp(&mut self, d: &udp::Datagram<'_>) {
        self.udp_calls += 1;
        assert!(
            d.payload.len() + 8 <= d.ip.len(),
            "UDP payload longer than its datagram"
        );
    }

    fn tcp(&mut self, s: &mut Stream<'_, '_, u32>) {
        let tuple = *s.tuple();
        let ev = s.event();
        if std::env::var_os("NIDS_FUZZ_DEBUG").is_some() && ev != Event::Data {
            eprintln!("{ev:?} {tuple}");
        }
        if ev == Event::JustEstablished {
            self.established_events += 1;
            assert!(
                !self.open.contains_key(&tuple),
                "JustEstablished for a stream already open: {tuple}"
            );
            assert!(s.user().is_none(), "user data of a new stream is not None");
            assert!(s.side().is_none() && s.new_data().is_empty());
            for side in [Side::Client, Side::Server] {
                let h = half(s, side);
                assert_eq!(
                    (h.count(), h.offset(), h.count_new()),
                    (0, 0, 0),
                    "new stream with bytes"
                );
                assert_eq!(kept_len(s, side), 0);
            }
            let d = self.decide();
            let mut mask = d & 0x0f;
            if mask == 0 && d & 0x10 == 0 {
                mask = 0b11; // mostly collect something
            }
            s.client_mut().collect = mask & 1 != 0;
            s.server_mut().collect = mask & 2 != 0;
            s.client_mut().collect_urg = mask & 4 != 0;
            s.server_mut().collect_urg = mask & 8 != 0;
            if mask != 0 {
                let id = self.next_id;
                self.next_id += 1;
                *s.user() = Some(id);
                let rec = |c: bool, u: bool| HalfRec {
                    collect: c,
                    collect_urg: u,
                    ..HalfRec::default()
                };
                self.open.insert(
                    tuple,
                    StreamRec {
                        id,
                        client: rec(mask & 1 != 0, mask & 4 != 0),
                        server: rec(mask & 2 != 0, mask & 8 != 0),
                    },
                );
            }
            return;
        }
        let Some(mut rec) = self.open.remove(&tuple) else {
            panic!("{ev:?} for a stream not open: {tuple}");
        };
        assert_eq!(*s.user(), Some(rec.id), "user data of another stream");
        match ev {
            Event::Data => {
                let side = s.side().expect("Data without a side");
                let other = match side {
                    Side::Client => Side::Server,
                    Side::Server => Side::Client,
                };
                let h = *half(s, side);
                if std::env::var_os("NIDS_FUZZ_DEBUG").is_some() {
                    eprintln!(
                        "data {tuple} {side:?} count={} offset={} new={} urg={} missing={} bytes={:?}",
                        h.count(), h.offset(), h.count_new(), h.count_new_urg(), h.missing(),
                        &s.new_data()[..s.new_data().len().min(12)]
                    );
                }
                let (hr, or) = match side {
                    Side::Client => (&mut rec.client, &rec.server),
                    Side::Server => (&mut rec.server, &rec.client),
                };
                if h.count_new_urg() {
                    assert!(hr.collect_urg, "urgent byte for a half not collecting it");
                    assert_eq!(h.count_new(), 0, "urgent event with new bytes");
                    assert!(s.new_data().is_empty());
                    if hr.collect {
                        assert_eq!(h.count(), hr.count, "count moved in an urgent event");
                    }
                } else {
                    assert!(hr.collect, "Data for a half not collecting");
                    assert!(h.count_new() > 0, "Data event without new bytes");
                    assert_eq!(s.new_data().len(), h.count_new(), "new_data != count_new");
                    assert_eq!(
                        h.count(),
                        hr.count + h.count_new() as u64,
                        "count did not grow by count_new"
                    );
                    hr.delivered += h.count_new() as u64;
                }
                assert!(h.offset() >= hr.offset, "offset went back");
                assert!(h.offset() <= h.count(), "offset past count");
                let avail = h.count() - h.offset();
                assert_eq!(
                    (kept_len(s, side) + s.new_data().len()) as u64,
                    avail,
                    "kept + new != count - offset"
                );
                hr.count = h.count();
                let kept = kept_bytes(s, side);
                assert!(
                    hr.expect_kept.ends_with(&kept),
                    "kept bytes are not what was left unread"
                );
                let mut available = kept;
                available.extend_from_slice(s.new_data());
                // The other half moves only through its own events, if collected.
                let oh = half(s, other);
                if or.collect {
                    assert_eq!(oh.count(), or.count, "collected half grew silently");
                }
                // Bytes delivered never exceed the payload seen for that direction.
                let (from, to) = match side {
                    Side::Server => (tuple.src, tuple.sport),
                    Side::Client => (tuple.dst, tuple.dport),
                };
                let (dst, dport) = match side {
                    Side::Server => (tuple.dst, tuple.dport),
                    Side::Client => (tuple.src, tuple.sport),
                };
                let key = (from, to, dst, dport);
                let n = s.new_data().len() as u64;
                let got = self.tcp_delivered.entry(key).or_default();
                *got += n;
                let seen = self.tcp_payload.get(&key).copied().unwrap_or(0);
                assert!(
                    *got <= seen,
                    "delivered {got} bytes {from}:{to} -> {dst}:{dport}, payload seen {seen}"
                );
                if self.consistent && n > 0 {
                    let missing = h.missing();
                    let mut prev = if missing == hr.missing {
                        hr.last_byte
                    } else {
                        None
                    };
                    for &b in s.new_data() {
                        if let Some(p) = prev {
                            assert_eq!(
                                b ^ salt(to),
                                (p ^ salt(to)).wrapping_add(1),
                                "delivered bytes out of sequence"
                            );
                        }
                        prev = Some(b);
                    }
                    hr.last_byte = prev;
                    hr.missing = missing;
                }
                let d = self.decide();
                match d & 3 {
                    0 => {}
                    1 => s.discard(usize::from(d >> 2)),
                    2 => s.discard(0),
                    _ => s.discard(avail as usize),
                }
                if d == 0xff {
                    s.kill();
                }
                // What the engine will do with the discard is checked next event.
                let hr = match side {
                    Side::Client => &mut rec.client,
                    Side::Server => &mut rec.server,
                };
                let read = match d & 3 {
                    0 | 3 => avail,
                    1 => u64::from(d >> 2).min(avail),
                    _ => 0,
                };
                hr.offset = h.offset() + read;
                hr.expect_kept = available.split_off(read as usize);
            }
            Event::Close | Event::Reset | Event::TimedOut | Event::Exiting => {
                assert!(s.side().is_none() && s.new_data().is_empty());
                for side in [Side::Client, Side::Server] {
                    let h = *half(s, side);
                    let hr = match side {
                        Side::Client => &rec.client,
                        Side::Server => &rec.server,
                    };
                    if hr.collect {
                        assert_eq!(h.count(), hr.count, "bytes counted without an event");
                        assert_eq!(hr.delivered, h.count(), "count_new sum != count");
                    }
                    assert!(h.offset() <= h.count());
                    assert_eq!(
                        kept_len(s, side) as u64,
                        h.count() - h.offset(),
                        "kept != count - offset at the end"
                    );
                    assert!(
                        hr.expect_kept.ends_with(&kept_bytes(s, side)),
                        "kept bytes at the end are not what was left unread"
                    );
                    self.final_bytes += h.count();
                }
                return; // the stream is gone
            }
            Event::JustEstablished => unreachable!(),
        }
        self.open.insert(tuple, rec);
    }

    fn scan(&mut self, _ts: Instant, report: &nids_core::scan::Report<'_>) {
        self.scan_calls += 1;
        let probes = report.probes;
        assert_eq!(
            probes.len(),
            self.scan_threshold + 1,
            "a scan report of threshold + 1 targets"
        );
        for (i, a) in probes.iter().enumerate() {
            for b in &probes[i + 1..] {
                let udp = |p: &nids_core::scan::Probe| {
                    matches!(p.proto, nids_core::scan::Proto::Udp { .. })
                };
                assert!(
                    (a.dst, a.port, udp(a)) != (b.dst, b.port, udp(b)),
                    "a scan report names a target twice"
                );
            }
        }
        assert_eq!(
            Some(report.first),
            probes.iter().map(|p| p.ts).min(),
            "report.first"
        );
        assert_eq!(
            Some(report.last),
            probes.iter().map(|p| p.ts).max(),
            "report.last"
        );
    }

    fn transmit(&mut self, link: LinkType, frame: &[u8]) {
        self.transmits += 1;
        assert!(
            link == self.link || link == LinkType::RAW,
            "transmit framed for {link}"
        );
        let l3 = link::decode(link, frame).expect("a kill frame has no IP packet");
        let p = ip::parse(l3, |_| true).expect("a kill frame's IP header is invalid");
        assert!(p.fragment.is_none());
        assert_eq!(p.protocol, protocol::TCP);
        let seg = p.payload();
        assert!(seg.len() >= 20);
        assert!(seg[13] & 0x04 != 0, "a kill frame without RST");
        let pseudo = checksum::pseudo_header(p.src, p.dst, protocol::TCP, seg.len() as u32);
        assert!(checksum::verify(pseudo, seg), "a kill frame's TCP checksum");
    }

    fn warning(&mut self, _ts: Instant, w: Warning, _packet: &[u8]) {
        *self.warnings.entry(w).or_default() += 1;
    }
}

fn half<'x>(s: &'x Stream<'_, '_, u32>, side: Side) -> &'x nids_core::tcp::half::Half {
    match side {
        Side::Client => s.client(),
        Side::Server => s.server(),
    }
}

/// Engine settings for a [`Checker`].
#[derive(Debug, Clone)]
pub struct Setup {
    /// The engine's link type (must be supported).
    pub link: LinkType,
    /// The engine configuration (`checksums` must be `Verify`, `Off` or `Auto`).
    pub config: Config<'static>,
    /// Bytes of TCP storage (the first part of the memory).
    pub tcp_storage: usize,
    /// Bytes of fragment storage.
    pub defrag_storage: usize,
    /// `ip_filter` mode (0: keep everything).
    pub filter: u8,
    /// Generated TCP payloads follow [`tcp_byte`] (no URG, no raw frames).
    pub consistent: bool,
    /// Handler decisions.
    pub decisions: Vec<u8>,
}

/// An engine under test with its checking handler and an oracle.
pub struct Checker<'a> {
    nids: Box<Engine<'a>>,
    obs: Obs,
    oracle: Oracle,
    policy: Policy<'static>,
    now: Instant,
}

/// Every link-layer warning (codes `link.*`): taken from [`Warning::ALL`], so a
/// new one (as `link.too_many_labels` once was) cannot be left out of the
/// frame accounting below.
fn link_warnings() -> impl Iterator<Item = Warning> {
    Warning::ALL
        .iter()
        .copied()
        .filter(|w| w.code().starts_with("link."))
}
const V4_WARNINGS: [Warning; 7] = [
    Warning::Ipv4Truncated,
    Warning::Ipv4BadVersion,
    Warning::Ipv4BadHeaderLen,
    Warning::Ipv4BadTotalLen,
    Warning::Ipv4BadChecksum,
    Warning::Ipv4SourceRoute,
    Warning::Ipv4BadOptions,
];
const V6_WARNINGS: [Warning; 8] = [
    Warning::Ipv6Truncated,
    Warning::Ipv6BadVersion,
    Warning::Ipv6Jumbogram,
    Warning::Ipv6ExtTruncated,
    Warning::Ipv6TooManyExt,
    Warning::Ipv6HopByHopNotFirst,
    Warning::Ipv6SourceRoute,
    Warning::Ipv6BadFragment,
];
const TRANSPORT_DROPS: [Warning; 5] = [
    Warning::UdpBadHeader,
    Warning::UdpBadChecksum,
    Warning::UdpV6ZeroChecksum,
    Warning::TcpBadHeader,
    Warning::TcpBadChecksum,
];

impl<'a> Checker<'a> {
    /// Build the engine (`setup.link` must be supported) over `memory`, split
    /// as `setup` says (`memory` must hold both parts).
    pub fn new(setup: Setup, memory: &'a mut [u8]) -> Checker<'a> {
        let (tcp, defrag) = memory.split_at_mut(setup.tcp_storage);
        let storage = Storage::new(tcp, &mut defrag[..setup.defrag_storage]);
        let policy = setup.config.checksums;
        let nids = Engine::boxed(setup.link, setup.config, storage).expect("supported link");
        Checker {
            nids,
            obs: Obs {
                decisions: setup.decisions,
                next_decision: 0,
                filter: setup.filter,
                consistent: setup.consistent,
                scan_threshold: setup
                    .config
                    .scan
                    .num_ports
                    .min(nids_core::engine::SCAN_PORTS - 1),
                v4_header: match policy {
                    Policy::Verify => ip::v4::HeaderCheck::Verify,
                    Policy::Auto => ip::v4::HeaderCheck::Offload,
                    _ => ip::v4::HeaderCheck::Skip,
                },
                link: setup.link,
                next_id: 1,
                open: HashMap::new(),
                tcp_payload: HashMap::new(),
                tcp_delivered: HashMap::new(),
                tcp_payload_total: 0,
                final_bytes: 0,
                established_events: 0,
                ip_frag_calls: 0,
                ip_calls: 0,
                udp_calls: 0,
                scan_calls: 0,
                transmits: 0,
                warnings: HashMap::new(),
            },
            oracle: Oracle::default(),
            policy,
            now: Instant::ZERO,
        }
    }

    /// The engine.
    pub fn nids(&self) -> &Engine<'a> {
        &self.nids
    }

    /// One frame, then every invariant.
    pub fn process(&mut self, ts: Instant, frame: &[u8]) {
        self.predict(frame);
        self.nids.process(ts, frame, &mut self.obs);
        self.now = self.now.max(ts);
        self.check();
    }

    /// Let time run without a frame, then every invariant.
    pub fn advance(&mut self, ts: Instant) {
        self.nids.advance(ts, &mut self.obs);
        self.now = self.now.max(ts);
        self.check();
    }

    /// End of input: every stream ends, all storage is free.
    pub fn finish(&mut self) {
        self.nids.finish(&mut self.obs);
        self.check();
        assert_eq!(self.nids.streams(), 0, "streams open after finish()");
        assert!(self.obs.open.is_empty(), "streams without an end event");
        let (used, _) = self.nids.tcp_storage();
        if !known_bug("tcp_fin_requeue_leak") {
            assert_eq!(used, 0, "TCP storage blocks in use after finish()");
        }
        let st = self.nids.stats();
        if std::env::var_os("NIDS_FUZZ_DEBUG").is_some() {
            // For judging what a corpus reaches: `NIDS_FUZZ_DEBUG=1 cargo fuzz run T corpus/T -- -runs=0`
            let warned: Vec<_> = st
                .nonzero_warnings()
                .map(|(w, n)| format!("{}={n}", w.code()))
                .collect();
            eprintln!(
                "frames={} streams={} est={} bytes={} reasm={} udp={} icmp={} scans={} kills={} {}",
                st.frames,
                st.tcp_streams,
                st.tcp_established,
                st.tcp_bytes,
                st.reassembled,
                st.udp,
                st.icmp,
                st.scans,
                self.obs.transmits,
                warned.join(" ")
            );
        }
        assert_eq!(
            st.tcp_bytes, self.obs.final_bytes,
            "tcp_bytes != the counts of ended streams"
        );
    }

    /// The oracle's own reading of a frame: link decode, filter, IP parse.
    fn predict(&mut self, frame: &[u8]) {
        let o = &mut self.oracle;
        o.frames += 1;
        match link::decode(self.nids.link_type(), frame) {
            Err(link::Drop::NotIp) => o.non_ip += 1,
            Err(link::Drop::Bad(w)) => {
                assert!(w.code().starts_with("link."), "link decode gave {w:?}");
                *o.warnings.entry(w).or_default() += 1
            }
            Ok(l3) => {
                if filtered(self.obs.filter, l3.bytes()) {
                    o.filtered += 1;
                    return;
                }
                let policy = self.policy;
                match ip::parse(l3, |src| policy.header_check(src)) {
                    Ok(p) => {
                        match p.version {
                            Version::V4 => o.ipv4 += 1,
                            Version::V6 => o.ipv6 += 1,
                        }
                        if p.fragment.is_some() {
                            o.fragments += 1;
                        }
                    }
                    Err(w) => *o.warnings.entry(w).or_default() += 1,
                }
            }
        }
    }

    fn check(&self) {
        let st: &Stats = self.nids.stats();
        let d = self.nids.defrag_stats();
        let o = &self.oracle;
        let obs = &self.obs;
        let w = |x: Warning| st.warning(x);
        let ow = |x: Warning| o.warnings.get(&x).copied().unwrap_or(0);

        // Every warning reaches the handler once and is counted once.
        for x in Warning::ALL {
            assert_eq!(
                obs.warnings.get(x).copied().unwrap_or(0),
                w(*x),
                "warning {x:?}: handler calls != counter"
            );
        }
        // Frames: each counted once, in one place.
        assert_eq!(st.frames, o.frames);
        assert_eq!(st.non_ip, o.non_ip, "non_ip");
        assert_eq!(st.filtered, o.filtered, "filtered");
        assert_eq!(st.ipv4, o.ipv4, "ipv4");
        assert_eq!(st.ipv6, o.ipv6, "ipv6");
        assert_eq!(st.fragments, o.fragments, "fragments");
        for x in link_warnings().chain(V4_WARNINGS.iter().copied()) {
            assert_eq!(w(x), ow(x), "{x:?}: counter != frames that deserve it");
        }
        let mut v6_extra = 0;
        for x in V6_WARNINGS {
            assert!(w(x) >= ow(x), "{x:?} below the frames that deserve it");
            v6_extra += w(x) - ow(x);
        }
        let link_w: u64 = link_warnings().map(ow).sum();
        let ip_w: u64 = V4_WARNINGS
            .iter()
            .chain(V6_WARNINGS.iter())
            .map(|x| ow(*x))
            .sum();
        assert_eq!(
            st.frames,
            st.non_ip + link_w + st.filtered + ip_w + st.ipv4 + st.ipv6,
            "frames do not add up"
        );
        assert_eq!(
            obs.ip_frag_calls,
            st.frames - st.non_ip - link_w,
            "ip_frag calls"
        );
        // Fragments and datagrams.
        // Fragments found inside tunnels are reassembled there too, unless a
        // nested one is too big to copy out of a rebuilt outer datagram.
        assert_eq!(
            st.fragments + st.inner_fragments - w(Warning::TunnelNestedFragment),
            d.fragments,
            "fragments != defrag's"
        );
        assert!(st.inner_fragments <= st.inner_packets);
        assert!(st.reassembled <= d.reassembled);
        assert_eq!(w(Warning::DefragOversized), d.oversized);
        assert_eq!(w(Warning::DefragOverlap), d.overlaps);
        assert_eq!(w(Warning::DefragTimeout), d.timeouts);
        assert_eq!(w(Warning::DefragEvicted), d.evicted);
        assert_eq!(w(Warning::DefragNoMemory), d.no_memory);
        assert!(w(Warning::DefragInvalid) >= d.invalid);
        // Each rebuilt datagram is delivered, or refused once with a reason.
        assert_eq!(
            d.reassembled,
            st.reassembled + (w(Warning::DefragInvalid) - d.invalid) + v6_extra,
            "rebuilt datagrams unaccounted"
        );
        // Every whole packet (of a frame, rebuilt, or found whole in a tunnel)
        // is delivered unless a packet was taken out of it.
        assert_eq!(
            st.datagrams + st.decapsulated,
            st.ipv4 + st.ipv6 - st.fragments + st.reassembled + st.inner_packets
                - st.inner_fragments,
            "datagrams != whole packets + reassembled - decapsulated"
        );
        assert!(
            st.inner_packets + st.inner_non_ip + w(Warning::TunnelInnerBad) == st.decapsulated,
            "a decapsulated datagram without an inner outcome"
        );
        assert_eq!(obs.ip_calls, st.datagrams, "ip() calls != datagrams");
        let transport_w: u64 = TRANSPORT_DROPS.iter().map(|x| w(*x)).sum();
        assert_eq!(
            st.datagrams,
            st.udp + st.tcp_segments + st.icmp + st.other_protocol + transport_w,
            "datagrams do not add up by protocol"
        );
        assert_eq!(obs.udp_calls, st.udp, "udp() calls");
        assert_eq!(obs.scan_calls, st.scans, "scan() calls");
        assert!(st.checksum_offload_accepted <= st.udp + st.tcp_segments);
        // TCP.
        assert!(st.tcp_established <= st.tcp_streams);
        assert!(st.tcp_midstream <= st.tcp_established);
        assert_eq!(obs.established_events, st.tcp_established);
        assert!(
            st.tcp_bytes <= obs.tcp_payload_total,
            "delivered more TCP bytes than carried"
        );
        assert!(self.nids.streams() <= STREAMS);
        assert!(self.nids.streams() >= obs.open.len());
        let (used, total) = self.nids.tcp_storage();
        assert!(used <= total, "TCP storage in use {used} > {total}");
        let _ = self.now;
    }
}

/// The flows a generated run uses: (client, client port, server, server port);
/// flows `k` and `k + 6` differ only in the client port (1000 apart).
pub fn flow(k: u8) -> (IpAddr, u16, IpAddr, u16) {
    let (c, cp, s, sp) = flow6(k % 6);
    (c, cp + 1000 * u16::from(k % 12 / 6), s, sp)
}

fn flow6(k: u8) -> (IpAddr, u16, IpAddr, u16) {
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    let v6 = |x: u16| IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, x));
    match k % 6 {
        0 => (v4(10, 0, 0, 1), 1025, v4(10, 0, 0, 2), 80),
        1 => (v4(10, 0, 0, 1), 1026, v4(10, 0, 0, 2), 80),
        2 => (v4(10, 0, 0, 3), 2000, v4(10, 0, 0, 2), 22),
        3 => (v4(10, 0, 0, 4), 3000, v4(10, 0, 0, 5), 443),
        4 => (v6(1), 1025, v6(2), 80),
        _ => (v6(3), 4000, v6(2), 8080),
    }
}

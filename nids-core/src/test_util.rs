//! Test helpers: frame builders and a recording handler (for tests, benches and
//! fuzzers; built with the `test-util` feature).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ip::checksum;
use crate::tcp::stream::{Event, Side, Stream};
use crate::{Handler, Instant, Warning};

pub use crate::tcp::queue::fuzz_drive as queue_fuzz_drive;

/// An Ethernet frame carrying an IPv4 TCP segment with correct checksums.
#[allow(clippy::too_many_arguments)]
pub fn tcp4(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    tcp4_opts(src, sport, dst, dport, seq, ack, flags, 0, &[], payload)
}

/// As [`tcp4`] with an urgent pointer and options.
#[allow(clippy::too_many_arguments)]
pub fn tcp4_opts(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    urp: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    tcp4_window(
        src, sport, dst, dport, seq, ack, flags, 65535, urp, opts, payload,
    )
}

/// As [`tcp4_opts`] with a window field other than 65,535.
#[allow(clippy::too_many_arguments)]
pub fn tcp4_window(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    urp: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let thl = 20 + opts.len();
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((thl / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&window.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&urp.to_be_bytes());
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    let pseudo = checksum::pseudo_header(src.into(), dst.into(), 6, t.len() as u32);
    let c = !(checksum::combine(pseudo, checksum::sum(&t)) as u16);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    ipv4_eth(src, dst, 6, &t)
}

/// An Ethernet frame with an IPv4 header (checksum filled) around `l4`.
pub fn ipv4_eth(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = alloc::vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = 20 + l4.len();
    let mut ip = alloc::vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        proto,
        0,
        0
    ];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = !(checksum::sum(&ip) as u16);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

/// What a [`Recorder`] saw of one stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Client to server bytes.
    pub c2s: Vec<u8>,
    /// Server to client bytes.
    pub s2c: Vec<u8>,
    /// Urgent bytes to the server.
    pub urg_c2s: Vec<u8>,
    /// Events, as names.
    pub events: Vec<&'static str>,
}

/// Collects both halves of every stream and records events and warnings.
#[derive(Default)]
pub struct Recorder {
    /// Streams by tuple text, in order of establishment.
    pub streams: Vec<(String, Seen)>,
    /// Warnings raised.
    pub warnings: Vec<Warning>,
    /// Whether to collect urgent data too.
    pub urgent: bool,
    /// If set, keep bytes (`discard(0)`) until this many are available.
    pub keep_until: Option<usize>,
    /// Call `kill()` on the first data event.
    pub kill_on_data: bool,
    /// Frames handed to `transmit`, with their link type.
    pub sent: Vec<(crate::LinkType, Vec<u8>)>,
}

impl Recorder {
    fn entry(&mut self, key: String) -> &mut Seen {
        if let Some(i) = self.streams.iter().rposition(|(k, s)| {
            *k == key
                && !s
                    .events
                    .iter()
                    .any(|e| matches!(*e, "close" | "reset" | "timeout" | "exiting"))
        }) {
            return &mut self.streams[i].1;
        }
        self.streams.push((key, Seen::default()));
        &mut self.streams.last_mut().unwrap().1
    }

    /// The one stream seen.
    pub fn only(&self) -> &Seen {
        assert_eq!(self.streams.len(), 1, "{:?}", self.streams);
        &self.streams[0].1
    }
}

impl Handler for Recorder {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        let key = s.tuple().to_string();
        let ev = s.event();
        if ev == Event::JustEstablished {
            s.client_mut().collect = true;
            s.server_mut().collect = true;
            s.client_mut().collect_urg = self.urgent;
            s.server_mut().collect_urg = self.urgent;
        }
        let urgent = s.server().count_new_urg().then(|| s.server().urgdata());
        let mut side = s.side();
        let mut avail = Vec::new();
        if matches!(
            ev,
            Event::Close | Event::Reset | Event::TimedOut | Event::Exiting
        ) {
            // flush what a keeping recorder still holds
            let mut c2s = Vec::new();
            let mut s2c = Vec::new();
            s.kept(Side::Server).for_each(|c| c2s.extend_from_slice(c));
            s.kept(Side::Client).for_each(|c| s2c.extend_from_slice(c));
            let seen = self.entry(key.clone());
            seen.c2s.extend_from_slice(&c2s);
            seen.s2c.extend_from_slice(&s2c);
            side = None;
        }
        if let Some(side) = side {
            for c in s.kept(side) {
                avail.extend_from_slice(c);
            }
            avail.extend_from_slice(s.new_data());
        }
        let keep = self.keep_until;
        if ev == Event::Data && self.kill_on_data {
            self.kill_on_data = false;
            s.kill();
        }
        let seen = self.entry(key);
        seen.events.push(ev.name());
        if let Some(u) = urgent {
            seen.urg_c2s.push(u);
        }
        if let (Some(side), false) = (side, avail.is_empty()) {
            match keep {
                Some(k) if avail.len() < k => s.discard(0),
                _ => {
                    let out = if side == Side::Server {
                        &mut seen.c2s
                    } else {
                        &mut seen.s2c
                    };
                    out.extend_from_slice(&avail);
                }
            }
        }
    }

    fn transmit(&mut self, link: crate::LinkType, frame: &[u8]) {
        self.sent.push((link, frame.to_vec()));
    }

    fn warning(&mut self, _ts: Instant, w: Warning, _p: &[u8]) {
        self.warnings.push(w);
    }
}

/// Ethernet frames carrying `l4` (protocol `proto`) from `src` to `dst` in IPv4
/// fragments: `cuts` are the payload offsets (multiples of 8) where new
/// fragments start.
pub fn fragments_v4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    l4: &[u8],
    cuts: &[usize],
) -> Vec<Vec<u8>> {
    let mut bounds = alloc::vec![0];
    bounds.extend(cuts.iter().copied().filter(|c| *c > 0 && *c < l4.len()));
    bounds.push(l4.len());
    bounds
        .windows(2)
        .map(|w| {
            let mut f = ipv4_eth(src, dst, proto, &l4[w[0]..w[1]]);
            let ip = &mut f[14..34];
            ip[4..6].copy_from_slice(&id.to_be_bytes());
            let more = if w[1] < l4.len() { 0x2000 } else { 0 };
            ip[6..8].copy_from_slice(&((w[0] / 8) as u16 | more).to_be_bytes());
            ip[10] = 0;
            ip[11] = 0;
            let c = !(checksum::sum(ip) as u16);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            f
        })
        .collect()
}

/// A UDP header and payload with its checksum over IPv4.
pub fn udp4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let pseudo = checksum::pseudo_header(src.into(), dst.into(), 17, len as u32);
    let c = !(checksum::combine(pseudo, checksum::sum(&u)) as u16);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

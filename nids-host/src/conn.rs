//! Connections as Zeek sees them: one record per TCP, UDP or ICMP connection,
//! with Zeek's originator, `conn_state` and `history`, and per-direction
//! packet, byte and IP-byte counts, for `nids conn` (Zeek's `conn.log`) and
//! `nids conn --format eve` (Suricata's `flow` records, [`crate::eve`]).
//!
//! [`ConnTable`] watches every IP datagram the engine hands to
//! [`Handler::ip`] (after defragmentation and decapsulation) and keeps its own
//! table: it does not depend on, or change, how the engine reassembles
//! streams. The TCP rules are Zeek's (`TCPSessionAdapter.cc`: the endpoint
//! state machine, `update_history`, `update_last_seq`, `TCP_Endpoint::Size`;
//! `conn/main.zeek`: `conn_state`):
//!
//! - each endpoint is `INACTIVE`, `SYN_SENT`, `SYN_ACK_SENT`, `PARTIAL`,
//!   `ESTABLISHED`, `CLOSED` or `RESET`, moved by its own flags and its peer's;
//! - `history` letters: `S` SYN, `H` SYN-ACK, `A` pure ACK, `D` data, `F` FIN,
//!   `R` RST (each once, unless repeated with a new sequence number), `Q` SYN
//!   with FIN or RST, `I` FIN with RST, `T` retransmission, `W` zero window,
//!   `G` content gap (those three at the 1st, 10th, 100th, ... time), `^` the
//!   roles were flipped; originator upper case, responder lower case;
//! - bytes are the sequence space each side used (Zeek's `size`), `missed_bytes`
//!   the data the peer acknowledged but no packet carried;
//! - the originator is the first packet's sender, unless that packet is not a
//!   bare SYN and comes from a likely server port to a port that is not (then
//!   the roles are flipped, `^`), or a SYN answers a SYN-ACK;
//! - a connection ends: 5 s after both sides closed or one reset (a later
//!   packet starts a new one), on a new SYN after that, after 5 minutes idle
//!   (TCP) or 1 minute (UDP, ICMP), 5 s after an unanswered SYN, and at the end
//!   of the capture.
//!
//! Checksums are not checked (as `zeek -C`). Not done: Zeek's `C` (bad
//! checksum) letter, `service` (always unset), and `tunnel_parents` (unset:
//! the outer connection of a tunnel the engine decapsulates is not logged,
//! only the inner ones).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use nids_core::ip::Packet;
use nids_core::{Handler, Instant, TunnelId};

use crate::community_id::icmp_counterpart;
use crate::text::utc;

/// IP protocol numbers.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// TCP flag bits.
mod flag {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;
}

/// Zeek's `tcp_close_delay`, `tcp_attempt_delay`: 5 s.
const CLOSE_DELAY_US: u64 = 5_000_000;
/// Zeek's `tcp_inactivity_timeout`: 5 min.
const TCP_IDLE_US: u64 = 300_000_000;
/// Zeek's `udp_inactivity_timeout` and `icmp_inactivity_timeout`: 1 min.
const UDP_IDLE_US: u64 = 60_000_000;
/// How often (capture time) connections that expired without a later packet
/// are looked for.
const SWEEP_US: u64 = 10_000_000;
/// Zeek's `TOO_LARGE_SEQ_DELTA`.
const TOO_LARGE_SEQ_DELTA: i64 = 1_048_576;

/// Ports Zeek's base scripts register for their analyzers (its
/// `likely_server_ports`, as far as known here, TCP and UDP together), which
/// decide the originator of a connection whose first packet is not a bare SYN.
const LIKELY_SERVER_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 67, 68, 79, 80, 81, 88, 110, 111, 123, 135, 137, 138, 139, 143, 161, 162,
    389, 443, 445, 502, 513, 514, 563, 585, 587, 614, 631, 636, 750, 989, 990, 992, 993, 995, 1080,
    1812, 1883, 2123, 2152, 2811, 3128, 3268, 3306, 3389, 3544, 4789, 5060, 5072, 5222, 5223, 5269,
    5353, 5355, 5432, 6081, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
];

fn likely_server_port(p: u16) -> bool {
    LIKELY_SERVER_PORTS.binary_search(&p).is_ok()
}

/// A TCP endpoint's state, as Zeek's `TCP_ENDPOINT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// Nothing seen from it.
    Inactive,
    /// It sent a SYN.
    SynSent,
    /// It sent a SYN-ACK first.
    SynAckSent,
    /// Seen without its SYN.
    Partial,
    /// Handshake done.
    Established,
    /// It sent a FIN.
    Closed,
    /// It sent a RST.
    Reset,
}

/// One side of a connection.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Address and port (for ICMP: the type, or for the responder the answering
    /// type or code).
    pub addr: IpAddr,
    /// Port.
    pub port: u16,
    /// Packets it sent.
    pub pkts: u64,
    /// IP bytes it sent (the IP total lengths).
    pub ip_bytes: u64,
    /// Payload bytes it sent (UDP, ICMP).
    pub payload: u64,
    /// TCP flags it sent, ORed.
    pub flags: u8,
    /// The ICMP type and code of the last ICMP message it sent.
    pub icmp_type: u8,
    /// See `icmp_type`.
    pub icmp_code: u8,
    /// TCP state.
    pub state: TcpState,
    prev_state: TcpState,
    /// Whether Zeek has seen it close (FIN or RST processed).
    did_close: bool,
    start: u32,
    last: i64,
    ack: i64,
    fin_cnt: u32,
    fin_seq: i64,
    hist_last_syn: i64,
    hist_last_fin: i64,
    hist_last_rst: i64,
    rxmit: (u32, u32),
    zero_win: (u32, u32),
    gaps: (u32, u32),
    /// First sequence number (relative) not yet delivered in order.
    contig: i64,
    /// Data beyond `contig`, start -> end (relative).
    pending: BTreeMap<i64, i64>,
}

impl Endpoint {
    fn new(addr: IpAddr, port: u16) -> Self {
        Endpoint {
            addr,
            port,
            pkts: 0,
            ip_bytes: 0,
            payload: 0,
            flags: 0,
            icmp_type: 0,
            icmp_code: 0,
            state: TcpState::Inactive,
            prev_state: TcpState::Inactive,
            did_close: false,
            start: 0,
            last: 0,
            ack: 0,
            fin_cnt: 0,
            fin_seq: 0,
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            rxmit: (0, 1),
            zero_win: (0, 1),
            gaps: (0, 1),
            contig: 1,
            pending: BTreeMap::new(),
        }
    }

    fn set_state(&mut self, s: TcpState) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }

    /// `seq` relative to the start, read near `near` (relative).
    fn rel(&self, near: i64, seq: u32) -> i64 {
        let at = self.start.wrapping_add(near as u32);
        near + i64::from(seq.wrapping_sub(at) as i32)
    }

    fn init_start(&mut self, seq: u32) {
        self.start = seq;
        self.ack = 0;
        self.last = 0;
    }

    /// Zeek's `TCP_Endpoint::Size`: the sequence space used, less the SYN
    /// and the FIN.
    pub fn tcp_size(&self, peer: &Endpoint) -> u64 {
        let no_data_acked = self.ack == 0 || self.ack == 1;
        if self.prev_state == TcpState::SynSent
            && self.state == TcpState::Reset
            && peer.state == TcpState::Inactive
            && !no_data_acked
        {
            return 0;
        }
        let mut size = u64::try_from(self.last.max(self.ack)).unwrap_or(0);
        size = size.saturating_sub(1);
        if self.fin_cnt > 0 && size > 0 {
            size -= 1;
        }
        size
    }

    /// Data seen at `seq` (relative), `len` bytes.
    fn data_sent(&mut self, seq: i64, len: i64) {
        if seq + len <= self.contig {
            return;
        }
        let e = self.pending.entry(seq.max(self.contig)).or_insert(0);
        *e = (*e).max(seq + len);
        self.merge();
    }

    fn merge(&mut self) {
        while let Some((&s, &e)) = self.pending.first_key_value() {
            if s > self.contig {
                break;
            }
            self.pending.pop_first();
            self.contig = self.contig.max(e);
        }
    }

    /// The peer acknowledged up to `seq` (relative): the bytes below it that
    /// no packet carried, now given up.
    fn ack_received(&mut self, mut seq: i64) -> u64 {
        if self.fin_cnt > 0 && seq >= self.fin_seq {
            seq = self.fin_seq - 1;
        }
        if seq <= self.contig {
            return 0;
        }
        let mut missing = 0i64;
        let mut at = self.contig;
        while let Some((&s, &e)) = self.pending.first_key_value() {
            if s >= seq {
                break;
            }
            self.pending.pop_first();
            missing += (s - at).max(0);
            at = at.max(e);
            if e > seq {
                // Keep what lies past the acknowledgement.
                self.pending.insert(seq, e);
                at = seq;
                break;
            }
        }
        missing += (seq - at).max(0);
        self.contig = seq;
        self.merge();
        u64::try_from(missing).unwrap_or(0)
    }
}

/// One connection.
#[derive(Debug, Clone)]
pub struct Conn {
    /// IP protocol (6, 17, 1 or 58).
    pub proto: u8,
    /// The tunnels it ran in.
    pub tunnel: TunnelId,
    /// The originator and the responder.
    pub ends: [Endpoint; 2],
    /// First packet.
    pub first: Instant,
    /// Last packet that counted (Zeek stops the clock once both sides closed).
    pub last: Instant,
    /// Zeek's history string.
    pub history: String,
    /// Bytes acknowledged but never seen.
    pub missed_bytes: u64,
    /// Why it ended (`timeout`, or `shutdown` at the end of the capture).
    pub reason: &'static str,
    /// Zeek's unique id (`C` and 17 base62 characters; deterministic).
    pub uid: String,
    /// A number for the flow (Suricata's `flow_id`).
    pub id: u64,
    hist_seen: u32,
    /// Started without a SYN (Zeek's `is_partial`).
    partial: bool,
    close_complete: bool,
}

impl Conn {
    /// Originator.
    pub fn orig(&self) -> &Endpoint {
        &self.ends[0]
    }

    /// Responder.
    pub fn resp(&self) -> &Endpoint {
        &self.ends[1]
    }

    /// Microseconds from the first to the last packet that counted.
    pub fn duration_us(&self) -> u64 {
        self.last.micros().saturating_sub(self.first.micros())
    }

    /// Zeek's `orig_bytes` and `resp_bytes`.
    pub fn bytes(&self) -> (u64, u64) {
        match self.proto {
            proto::TCP => (
                self.ends[0].tcp_size(&self.ends[1]),
                self.ends[1].tcp_size(&self.ends[0]),
            ),
            _ => (self.ends[0].payload, self.ends[1].payload),
        }
    }

    /// `tcp`, `udp` or `icmp`.
    pub fn proto_name(&self) -> &'static str {
        match self.proto {
            proto::TCP => "tcp",
            proto::UDP => "udp",
            _ => "icmp",
        }
    }

    /// Whether Zeek would have removed it by `now` (µs): idle too long (5
    /// min TCP, 1 min UDP and ICMP), an attempt unanswered for 5 s, or 5 s
    /// after it closed.
    fn expired(&self, now: u64) -> bool {
        let idle = if self.proto == proto::TCP {
            TCP_IDLE_US
        } else {
            UDP_IDLE_US
        };
        let last = self.last.micros();
        let attempt = self.proto == proto::TCP
            && matches!(self.ends[0].state, TcpState::SynSent | TcpState::SynAckSent)
            && self.ends[1].state == TcpState::Inactive
            && now > self.first.micros() + CLOSE_DELAY_US;
        let closed = self.close_complete && now > last + CLOSE_DELAY_US;
        now > last + idle || attempt || closed
    }

    /// Zeek's `conn_state` (`conn/main.zeek`).
    pub fn conn_state(&self) -> &'static str {
        use TcpState::*;
        let (os, rs) = (self.ends[0].state, self.ends[1].state);
        match self.proto {
            proto::TCP => {
                let o_inactive = matches!(os, Inactive | Partial);
                let r_inactive = matches!(rs, Inactive | Partial);
                let (ob, rb) = self.bytes();
                if rs == Reset {
                    if matches!(os, SynSent | SynAckSent) || (os == Reset && ob == 0 && rb == 0) {
                        "REJ"
                    } else if o_inactive {
                        "RSTRH"
                    } else {
                        "RSTR"
                    }
                } else if os == Reset {
                    if r_inactive {
                        if rsto_s0_history(&self.history) {
                            "RSTOS0"
                        } else {
                            "OTH"
                        }
                    } else {
                        "RSTO"
                    }
                } else if rs == Closed && os == Closed {
                    "SF"
                } else if os == Closed {
                    if r_inactive {
                        "SH"
                    } else {
                        "S2"
                    }
                } else if rs == Closed {
                    if o_inactive {
                        "SHR"
                    } else {
                        "S3"
                    }
                } else if os == SynSent && rs == Inactive {
                    "S0"
                } else if os == Established && rs == Established {
                    "S1"
                } else {
                    "OTH"
                }
            }
            proto::UDP => {
                let (o, r) = (self.ends[0].pkts > 0, self.ends[1].pkts > 0);
                match (o, r) {
                    (true, true) => "SF",
                    (true, false) => "S0",
                    (false, true) => "SHR",
                    (false, false) => "OTH",
                }
            }
            _ => "OTH",
        }
    }

    /// Adds `code` (upper case; lower case for the responder) the first time
    /// it is seen from that side; returns whether it had been seen before.
    fn check_history(&mut self, is_orig: bool, code: u8) -> bool {
        let bit = match code {
            b'S' => 0,
            b'H' => 1,
            b'A' => 2,
            b'D' => 3,
            b'F' => 4,
            b'R' => 5,
            b'Q' => 6,
            b'I' => 7,
            _ => 8,
        } + if is_orig { 0 } else { 16 };
        if self.hist_seen & (1 << bit) == 0 {
            self.hist_seen |= 1 << bit;
            self.add_history(is_orig, code);
            false
        } else {
            true
        }
    }

    fn add_history(&mut self, is_orig: bool, code: u8) {
        let c = if is_orig {
            code
        } else {
            code.to_ascii_lowercase()
        };
        self.history.push(char::from(c));
    }

    /// Zeek's `ScaledHistoryEntry`: `code` at the 1st, 10th, 100th, ... time.
    fn scaled(&mut self, is_orig: bool, code: u8, which: fn(&mut Endpoint) -> &mut (u32, u32)) {
        let e = usize::from(!is_orig);
        let (count, thresh) = which(&mut self.ends[e]);
        *count += 1;
        if *count == *thresh {
            *thresh = thresh.saturating_mul(10);
            self.add_history(is_orig, code);
        }
    }

    fn flip(&mut self) {
        self.ends.swap(0, 1);
        self.history.push('^');
    }
}

/// `/^\^?S[^HAFGIQ]*R.*/` (`conn/main.zeek`, RSTOS0).
fn rsto_s0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}

/// The flow key: protocol, tunnel, and the two endpoints in order.
type Key = (u8, TunnelId, (IpAddr, u16), (IpAddr, u16));

fn key(proto: u8, tunnel: TunnelId, a: (IpAddr, u16), b: (IpAddr, u16)) -> Key {
    if a <= b {
        (proto, tunnel, a, b)
    } else {
        (proto, tunnel, b, a)
    }
}

/// A TCP header's fields the rules read.
struct Tcp {
    flags: u8,
    seq: u32,
    ack: u32,
    win: u16,
    len: i64,
}

/// The connection table: feed it datagrams ([`ConnTable::packet`], or as a
/// [`Handler`]); connections land in [`ConnTable::done`] as they end, the rest
/// at [`ConnTable::finish`].
#[derive(Default)]
pub struct ConnTable {
    conns: HashMap<Key, Conn>,
    /// Connections that ended, in the order they ended.
    pub done: Vec<Conn>,
    next_id: u64,
    /// Capture time (µs) of the next sweep for expired connections.
    next_sweep: u64,
    /// Capture time of the first datagram seen.
    pub first: Option<Instant>,
    /// Capture time of the last datagram seen.
    pub last: Option<Instant>,
    /// Datagrams seen that were neither TCP, UDP nor ICMP, or too short.
    pub ignored: u64,
}

impl ConnTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first and last datagrams' capture times.
    pub fn span(&self) -> Option<(Instant, Instant)> {
        Some((self.first?, self.last?))
    }

    /// Ends every connection (as Zeek at the end of its input), oldest first.
    pub fn finish(&mut self) {
        let mut rest: Vec<Conn> = self.conns.drain().map(|(_, c)| c).collect();
        rest.sort_by_key(|c| (c.first, c.id));
        for mut c in rest {
            c.reason = "shutdown";
            self.done.push(c);
        }
    }

    fn new_conn(
        &mut self,
        proto: u8,
        tunnel: TunnelId,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        ts: Instant,
    ) -> Conn {
        self.next_id += 1;
        let id = self.next_id;
        Conn {
            proto,
            tunnel,
            ends: [Endpoint::new(src.0, src.1), Endpoint::new(dst.0, dst.1)],
            first: ts,
            last: ts,
            history: String::new(),
            missed_bytes: 0,
            reason: "timeout",
            uid: uid(id, ts, &src, &dst),
            id,
            hist_seen: 0,
            partial: false,
            close_complete: false,
        }
    }

    /// One datagram.
    pub fn packet(&mut self, ts: Instant, p: &Packet<'_>) {
        if p.fragment.is_some() {
            return;
        }
        self.first.get_or_insert(ts);
        self.last = Some(ts);
        if ts.micros() >= self.next_sweep {
            self.sweep(ts.micros());
            self.next_sweep = ts.micros().saturating_add(SWEEP_US);
        }
        let l4 = p.payload();
        let ip_len = p.bytes.len() as u64;
        let (src, dst) = (p.src, p.dst);
        match p.protocol {
            proto::TCP if l4.len() >= 20 => {
                let off = usize::from(l4[12] >> 4) * 4;
                if off < 20 || off > l4.len() {
                    self.ignored += 1;
                    return;
                }
                let sport = u16::from_be_bytes([l4[0], l4[1]]);
                let dport = u16::from_be_bytes([l4[2], l4[3]]);
                let h = Tcp {
                    flags: l4[13],
                    seq: u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]),
                    ack: u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]]),
                    win: u16::from_be_bytes([l4[14], l4[15]]),
                    len: (l4.len() - off) as i64,
                };
                self.tcp(ts, p.tunnel, (src, sport), (dst, dport), &h, ip_len);
            }
            proto::UDP if l4.len() >= 8 => {
                let sport = u16::from_be_bytes([l4[0], l4[1]]);
                let dport = u16::from_be_bytes([l4[2], l4[3]]);
                let payload = (l4.len() - 8) as u64;
                self.simple(
                    ts,
                    proto::UDP,
                    p.tunnel,
                    (src, sport),
                    (dst, dport),
                    payload,
                    ip_len,
                    None,
                );
            }
            proto::ICMP | proto::ICMPV6 if l4.len() >= 8 => {
                let (ty, code) = (l4[0], l4[1]);
                let other = icmp_counterpart(p.protocol, ty).unwrap_or(code);
                let payload = (l4.len() - 8) as u64;
                self.simple(
                    ts,
                    p.protocol,
                    p.tunnel,
                    (src, u16::from(ty)),
                    (dst, u16::from(other)),
                    payload,
                    ip_len,
                    Some((ty, code)),
                );
            }
            _ => self.ignored += 1,
        }
    }

    /// The connection of key `k` if it is still alive at `ts` (one that
    /// expired goes to `done`).
    fn live(&mut self, k: &Key, ts: Instant) -> Option<Conn> {
        let c = self.conns.remove(k)?;
        if c.expired(ts.micros()) {
            self.done.push(c);
            return None;
        }
        Some(c)
    }

    /// Hands every connection that expired by `now` to `done`, oldest first
    /// (so memory follows the connections alive, as Zeek's timers do).
    fn sweep(&mut self, now: u64) {
        let keys: Vec<Key> = self
            .conns
            .iter()
            .filter(|(_, c)| c.expired(now))
            .map(|(k, _)| *k)
            .collect();
        let mut gone: Vec<Conn> = keys.iter().filter_map(|k| self.conns.remove(k)).collect();
        gone.sort_by_key(|c| (c.first, c.id));
        self.done.extend(gone);
    }

    #[allow(clippy::too_many_arguments)]
    fn simple(
        &mut self,
        ts: Instant,
        proto: u8,
        tunnel: TunnelId,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        payload: u64,
        ip_len: u64,
        icmp: Option<(u8, u8)>,
    ) {
        let udp = icmp.is_none();
        let k = key(proto, tunnel, src, dst);
        let mut c = match self.live(&k, ts) {
            Some(c) => c,
            None => {
                let mut c = self.new_conn(proto, tunnel, src, dst, ts);
                if udp && likely_server_port(src.1) && !likely_server_port(dst.1) {
                    c.flip();
                }
                c
            }
        };
        let e = usize::from(!(c.ends[0].addr == src.0 && c.ends[0].port == src.1));
        let is_orig = e == 0;
        let ep = &mut c.ends[e];
        ep.pkts += 1;
        ep.ip_bytes += ip_len;
        ep.payload += payload;
        if let Some((ty, code)) = icmp {
            ep.icmp_type = ty;
            ep.icmp_code = code;
        }
        if udp {
            c.check_history(is_orig, b'D');
        }
        c.last = ts;
        self.conns.insert(k, c);
    }

    fn tcp(
        &mut self,
        ts: Instant,
        tunnel: TunnelId,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        h: &Tcp,
        ip_len: u64,
    ) {
        let k = key(proto::TCP, tunnel, src, dst);
        let syn_only = h.flags & (flag::SYN | flag::ACK) == flag::SYN;
        let mut c = match self.live(&k, ts) {
            // A new SYN on a connection that closed: a new connection.
            Some(c)
                if syn_only
                    && c.ends
                        .iter()
                        .any(|e| matches!(e.state, TcpState::Closed | TcpState::Reset)) =>
            {
                self.done.push(c);
                None
            }
            other => other,
        }
        .unwrap_or_else(|| {
            let mut c = self.new_conn(proto::TCP, tunnel, src, dst, ts);
            c.partial = !syn_only;
            if !syn_only && likely_server_port(src.1) {
                let flip = if likely_server_port(dst.1) {
                    h.flags & flag::SYN == 0 && src.1 < dst.1
                } else {
                    true
                };
                if flip {
                    c.flip();
                }
            }
            c
        });
        let e = usize::from(!(c.ends[0].addr == src.0 && c.ends[0].port == src.1));
        c.ends[e].pkts += 1;
        c.ends[e].ip_bytes += ip_len;
        c.ends[e].flags |= h.flags;
        process(&mut c, e, h, ts);
        self.conns.insert(k, c);
    }
}

/// Zeek's `TCPSessionAdapter::Process` for a segment from endpoint `e`.
fn process(c: &mut Conn, mut e: usize, h: &Tcp, ts: Instant) {
    let (syn, fin, rst, ackf) = (
        h.flags & flag::SYN != 0,
        h.flags & flag::FIN != 0,
        h.flags & flag::RST != 0,
        h.flags & flag::ACK != 0,
    );
    let len = h.len;
    let mut seg_len = len + i64::from(syn) + i64::from(fin);
    if rst {
        seg_len -= len;
    }
    let end_seq = h.seq.wrapping_add(seg_len as u32);

    // init_endpoint
    {
        let ep = &mut c.ends[e];
        match ep.state {
            TcpState::Inactive => {
                if syn {
                    ep.init_start(h.seq);
                    ep.last = ep.rel(0, end_seq);
                } else {
                    ep.init_start(h.seq.wrapping_sub(1));
                    ep.last = 1;
                }
            }
            TcpState::SynSent | TcpState::SynAckSent => {
                if syn && h.seq != ep.start {
                    ep.init_start(h.seq);
                    ep.last = ep.rel(0, end_seq);
                }
            }
            TcpState::Established | TcpState::Partial => {
                if syn {
                    ep.init_start(h.seq);
                    ep.last = ep.rel(0, end_seq);
                }
            }
            TcpState::Reset => {
                if syn && ep.prev_state == TcpState::Inactive {
                    ep.init_start(h.seq);
                    ep.last = ep.rel(0, end_seq);
                }
            }
            TcpState::Closed => {}
        }
    }
    let rel_seq = c.ends[e].rel(c.ends[e].last, h.seq);
    let underflow = rel_seq < 0;
    let is_orig = e == 0;

    // update_history
    let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
    if bits > 1 {
        if fin && rst {
            c.check_history(is_orig, b'I');
        } else {
            c.check_history(is_orig, b'Q');
        }
    } else if bits == 1 {
        if syn {
            let code = if ackf { b'H' } else { b'S' };
            if c.check_history(is_orig, code) && rel_seq != c.ends[e].hist_last_syn {
                c.add_history(is_orig, code);
            }
            c.ends[e].hist_last_syn = rel_seq;
        }
        if fin {
            if c.check_history(is_orig, b'F') && rel_seq + len != c.ends[e].hist_last_fin {
                c.add_history(is_orig, b'F');
            }
            c.ends[e].hist_last_fin = rel_seq + len;
        }
        if rst {
            if c.check_history(is_orig, b'R') && rel_seq != c.ends[e].hist_last_rst {
                c.add_history(is_orig, b'R');
            }
            c.ends[e].hist_last_rst = rel_seq;
        }
    } else if len > 0 {
        c.check_history(is_orig, b'D');
    } else if ackf {
        c.check_history(is_orig, b'A');
    }

    // update_window: a zero window.
    let p = 1 - e;
    if h.win == 0
        && !rst
        && c.ends[p].state != TcpState::Closed
        && c.ends[e].state != TcpState::Reset
    {
        c.scaled(is_orig, b'W', |ep| &mut ep.zero_win);
    }

    if !c.ends[0].did_close || !c.ends[1].did_close {
        c.last = ts;
    }
    if fin {
        c.ends[e].fin_cnt += 1;
        c.ends[e].fin_seq = rel_seq + seg_len;
    }

    let mut rel_ack = 0i64;
    if ackf {
        if c.ends[p].state == TcpState::Inactive {
            rel_ack = 1;
            let peer = &mut c.ends[p];
            peer.init_start(h.ack.wrapping_sub(1));
        } else {
            let peer = &mut c.ends[p];
            let r = peer.rel(peer.ack, h.ack);
            if r < 0 {
                rel_ack = 0;
            } else {
                rel_ack = r;
                if !rst && (h.ack != 0 || r - peer.ack <= TOO_LARGE_SEQ_DELTA) && r > peer.ack {
                    peer.ack = r;
                }
            }
        }
    }

    // update_last_seq (Zeek uses its delta otherwise only for weirds).
    {
        let ep = &mut c.ends[e];
        let new_last = ep.rel(ep.last, end_seq);
        let delta = new_last - ep.last;
        if (syn || rst) && delta.abs() > TOO_LARGE_SEQ_DELTA {
            // A SYN or RST far off the sequence space: not trusted.
        } else if fin && ep.last == 1 {
            // Only the SYN seen before this FIN: trust it even if behind.
            ep.last = new_last;
        } else if ep.state == TcpState::Reset {
            // Nothing after a RST is trusted.
        } else if delta > 0 {
            ep.last = new_last;
        } else if len > 0 {
            c.scaled(is_orig, b'T', |ep| &mut ep.rxmit);
        }
    }

    // UpdateStateMachine
    let (do_close, flipped) = state_machine(c, e, h, len);
    if flipped {
        e = 1 - e;
    }
    let p = 1 - e;

    // The peer's data acknowledged: content gaps.
    if ackf && !rst {
        let report = !c.partial || rel_ack > 2;
        let missing = c.ends[p].ack_received(rel_ack);
        if missing > 0
            && report
            && c.ends[p].state != TcpState::Partial
            && c.ends[e].state != TcpState::Partial
        {
            c.missed_bytes += missing;
            if !matches!(c.ends[p].state, TcpState::Closed | TcpState::Reset) {
                c.scaled(p == 0, b'G', |ep| &mut ep.gaps);
            }
        }
    }
    if len > 0 && !rst && !underflow {
        let data_seq = if syn { rel_seq + 1 } else { rel_seq };
        c.ends[e].data_sent(data_seq, len);
    }
    if do_close && !c.ends[e].did_close {
        c.ends[e].did_close = true;
        let peer = &c.ends[p];
        if c.ends[e].state == TcpState::Reset || peer.did_close || peer.state == TcpState::Inactive
        {
            c.close_complete = true;
        }
    }
}

/// Zeek's `UpdateStateMachine` for a segment from endpoint `e`: whether the
/// endpoint closed, and whether the roles were flipped (SYN after SYN-ACK).
fn state_machine(c: &mut Conn, e: usize, h: &Tcp, len: i64) -> (bool, bool) {
    use TcpState::*;
    let (syn, fin, rst, ackf) = (
        h.flags & flag::SYN != 0,
        h.flags & flag::FIN != 0,
        h.flags & flag::RST != 0,
        h.flags & flag::ACK != 0,
    );
    let is_orig = e == 0;
    let p = 1 - e;
    let mut do_close = false;
    let mut flipped = false;
    let (mut e, mut p) = (e, p);
    match c.ends[e].state {
        Inactive => {
            if syn {
                if is_orig {
                    c.ends[e].set_state(if ackf { SynAckSent } else { SynSent });
                } else {
                    if !ackf && c.ends[p].state == SynAckSent && h.seq == c.ends[e].start {
                        // SYN/SYN-ACK reversal: flip the roles.
                        c.partial = false;
                        c.flip();
                        flipped = true;
                        (e, p) = (p, e);
                        c.ends[p].set_state(Established);
                    }
                    if c.ends[p].state == SynSent {
                        c.ends[p].set_state(Established);
                    }
                    c.ends[e].set_state(Established);
                }
            }
            if fin {
                c.ends[e].set_state(Closed);
                do_close = true;
            }
            if rst {
                c.ends[e].set_state(Reset);
                do_close = true;
            }
            if c.ends[e].state == Inactive {
                if !is_orig && len == 0 && c.ends[0].state == SynSent {
                    // An ACK of the SYN before the SYN-ACK: not partial.
                } else if ackf && c.ends[p].state == Established {
                    c.ends[e].set_state(Established);
                    c.partial = false;
                } else {
                    c.ends[e].set_state(Partial);
                }
            }
        }
        SynSent | SynAckSent => {
            if fin {
                c.ends[e].set_state(Closed);
                do_close = true;
            }
            if rst {
                c.ends[e].set_state(Reset);
                do_close = true;
            }
        }
        Established | Partial => {
            if syn && c.ends[e].state == Partial && c.ends[p].state == Inactive && !ackf {
                c.ends[e].set_state(SynSent);
            }
            if fin && !rst {
                c.ends[e].set_state(Closed);
                if c.ends[p].state == Reset && c.ends[p].prev_state == Closed {
                    c.ends[p].set_state(Closed);
                }
                do_close = true;
            }
            if rst {
                c.ends[e].set_state(Reset);
                do_close = true;
            }
        }
        Closed => {
            if rst && c.ends[p].state != Closed {
                c.ends[e].set_state(Reset);
                if !c.ends[e].did_close {
                    do_close = true;
                }
            }
        }
        Reset => {}
    }
    (do_close, flipped)
}

/// A Zeek-like uid: `C` and 17 base62 characters, from the connection's
/// number, start and endpoints (the same capture gives the same uids).
fn uid(id: u64, ts: Instant, a: &(IpAddr, u16), b: &(IpAddr, u16)) -> String {
    use std::hash::Hash;
    const ABC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut h = siphasher::sip128::SipHasher13::new_with_keys(0x6e69_6473, 0x7a65_656b);
    (id, ts.micros(), a, b).hash(&mut h);
    let mut n = siphasher::sip128::Hasher128::finish128(&h).as_u128();
    let mut s = String::with_capacity(18);
    s.push('C');
    for _ in 0..17 {
        s.push(char::from(ABC[(n % 62) as usize]));
        n /= 62;
    }
    s
}

impl<U> Handler<U> for ConnTable {
    fn ip(&mut self, ts: Instant, datagram: &Packet<'_>) {
        self.packet(ts, datagram);
    }
}

/// What `nids conn` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Zeek's `conn.log`: tab-separated, with its `#` header lines.
    Tsv,
    /// Zeek's JSON logs: one object per line, unset fields left out.
    Json,
    /// Suricata's EVE `flow` records ([`crate::eve`]).
    Eve,
}

/// Zeek's conn.log columns (Zeek 5 and 6), and their types.
const FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("service", "string"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("local_orig", "bool"),
    ("local_resp", "bool"),
    ("missed_bytes", "count"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"),
    ("resp_pkts", "count"),
    ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
];

/// Zeek's `#open`/`#close` time: `2026-12-07-22-30-00`.
fn zeek_date(t: Instant) -> String {
    let (y, mo, d, h, mi, s) = utc(t.secs());
    format!("{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}")
}

/// Seconds with six decimals.
fn secs(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// The `nids conn` handler: a [`ConnTable`] whose connections are written
/// to a tape as they end.
pub struct ConnPrinter {
    /// The connections.
    pub table: ConnTable,
    format: Format,
    community_id: Option<u16>,
    /// What was written since the tape was last emptied.
    pub out: Vec<u8>,
    header: bool,
}

impl ConnPrinter {
    /// A printer in `format`, with a `community_id` field when a seed is given.
    pub fn new(format: Format, community_id: Option<u16>) -> Self {
        ConnPrinter {
            table: ConnTable::new(),
            format,
            community_id,
            out: Vec::new(),
            header: false,
        }
    }

    /// Ends every open connection, writes them (and Zeek's `#close` line).
    pub fn finish(&mut self) {
        self.table.finish();
        self.drain();
        if self.format == Format::Tsv {
            self.write_header();
            let at = self.table.last.unwrap_or(Instant::from_micros(0));
            self.out
                .extend_from_slice(format!("#close\t{}\n", zeek_date(at)).as_bytes());
        }
    }

    fn write_header(&mut self) {
        if self.header || self.format != Format::Tsv {
            return;
        }
        self.header = true;
        let at = self.table.first.unwrap_or(Instant::from_micros(0));
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        let mut types: Vec<&str> = FIELDS.iter().map(|f| f.1).collect();
        if self.community_id.is_some() {
            names.push("community_id");
            types.push("string");
        }
        let h = format!(
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
             #path\tconn\n#open\t{}\n#fields\t{}\n#types\t{}\n",
            zeek_date(at),
            names.join("\t"),
            types.join("\t")
        );
        self.out.extend_from_slice(h.as_bytes());
    }

    fn drain(&mut self) {
        if self.table.done.is_empty() {
            return;
        }
        self.write_header();
        let done = std::mem::take(&mut self.table.done);
        for c in &done {
            let line = match self.format {
                Format::Tsv => zeek_tsv(c, self.community_id),
                Format::Json => zeek_json(c, self.community_id),
                Format::Eve => crate::eve::flow_json(c, self.community_id),
            };
            self.out.extend_from_slice(line.as_bytes());
            self.out.push(b'\n');
        }
    }
}

impl<U> Handler<U> for ConnPrinter {
    fn ip(&mut self, ts: Instant, datagram: &Packet<'_>) {
        self.table.packet(ts, datagram);
        self.drain();
    }
}

/// The Community ID of a connection, from its originator's view.
pub fn community_id(c: &Conn, seed: u16) -> Option<String> {
    let (o, r) = (c.orig(), c.resp());
    // For ICMP the ports are the type and the answering type (or the code of
    // a one-way type), which community_id() maps back the same way.
    crate::community_id::community_id(seed, c.proto, o.addr, o.port, r.addr, r.port)
}

/// The values of a conn.log row: `None` for an unset field.
fn zeek_values(c: &Conn) -> Vec<(&'static str, Option<String>, bool)> {
    let (o, r) = (c.orig(), c.resp());
    let d = c.duration_us();
    let (ob, rb) = c.bytes();
    let set = |v: String| Some(v);
    // (name, value, is a JSON string)
    vec![
        ("ts", set(secs(c.first.micros())), false),
        ("uid", set(c.uid.clone()), true),
        ("id.orig_h", set(o.addr.to_string()), true),
        ("id.orig_p", set(o.port.to_string()), false),
        ("id.resp_h", set(r.addr.to_string()), true),
        ("id.resp_p", set(r.port.to_string()), false),
        ("proto", set(c.proto_name().into()), true),
        ("service", None, true),
        ("duration", (d > 0).then(|| secs(d)), false),
        ("orig_bytes", (d > 0).then(|| ob.to_string()), false),
        ("resp_bytes", (d > 0).then(|| rb.to_string()), false),
        ("conn_state", set(c.conn_state().into()), true),
        ("local_orig", None, false),
        ("local_resp", None, false),
        ("missed_bytes", set(c.missed_bytes.to_string()), false),
        (
            "history",
            (!c.history.is_empty()).then(|| c.history.clone()),
            true,
        ),
        ("orig_pkts", set(o.pkts.to_string()), false),
        ("orig_ip_bytes", set(o.ip_bytes.to_string()), false),
        ("resp_pkts", set(r.pkts.to_string()), false),
        ("resp_ip_bytes", set(r.ip_bytes.to_string()), false),
        ("tunnel_parents", None, false),
    ]
}

/// One conn.log row, tab-separated (`-` for unset fields).
pub fn zeek_tsv(c: &Conn, community_id_seed: Option<u16>) -> String {
    let mut cols: Vec<String> = zeek_values(c)
        .into_iter()
        .map(|(_, v, _)| v.unwrap_or_else(|| "-".into()))
        .collect();
    if let Some(seed) = community_id_seed {
        cols.push(community_id(c, seed).unwrap_or_else(|| "-".into()));
    }
    cols.join("\t")
}

/// One conn.log row as Zeek's JSON writer gives it (unset fields left out).
pub fn zeek_json(c: &Conn, community_id_seed: Option<u16>) -> String {
    let mut parts = Vec::new();
    for (name, v, string) in zeek_values(c) {
        if let Some(v) = v {
            if string {
                parts.push(format!("\"{name}\":{}", crate::text::json_str(&v)));
            } else {
                parts.push(format!("\"{name}\":{v}"));
            }
        }
    }
    if let Some(id) = community_id_seed.and_then(|s| community_id(c, s)) {
        parts.push(format!("\"community_id\":\"{id}\""));
    }
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rstos0_pattern() {
        assert!(rsto_s0_history("SR"));
        assert!(rsto_s0_history("^SdR"));
        // Case matters, as in Zeek's pattern: only the originator's letters
        // are excluded.
        assert!(rsto_s0_history("ShR"));
        assert!(!rsto_s0_history("SHR"));
        assert!(!rsto_s0_history("SAR"));
        assert!(!rsto_s0_history("R"));
    }

    #[test]
    fn test_likely_server_ports_sorted() {
        assert!(LIKELY_SERVER_PORTS.windows(2).all(|w| w[0] < w[1]));
        assert!(likely_server_port(80) && !likely_server_port(41000));
    }

    /// An IPv4 UDP datagram, 4 payload bytes, from `a`:`ap` to `b`:`bp`.
    fn udp(a: [u8; 4], ap: u16, b: [u8; 4], bp: u16) -> Vec<u8> {
        let mut v = vec![0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0];
        v.extend_from_slice(&a);
        v.extend_from_slice(&b);
        v.extend_from_slice(&ap.to_be_bytes());
        v.extend_from_slice(&bp.to_be_bytes());
        v.extend_from_slice(&[0, 12, 0, 0, 1, 2, 3, 4]);
        v
    }

    fn feed(t: &mut ConnTable, secs: u64, bytes: &[u8]) {
        let p = Packet {
            version: nids_core::ip::Version::V4,
            src: IpAddr::from([bytes[12], bytes[13], bytes[14], bytes[15]]),
            dst: IpAddr::from([bytes[16], bytes[17], bytes[18], bytes[19]]),
            protocol: proto::UDP,
            bytes,
            header_len: 20,
            fragment: None,
            tunnel: TunnelId::NONE,
        };
        t.packet(Instant::from_secs_micros(1_700_000_000 + secs, 0), &p);
    }

    #[test]
    fn test_udp_idle_minute_ends_a_connection() {
        let mut t = ConnTable::new();
        let q = udp([10, 0, 0, 1], 40000, [10, 0, 0, 2], 53);
        let other = udp([10, 0, 0, 3], 40000, [10, 0, 0, 4], 53);
        feed(&mut t, 0, &q);
        feed(&mut t, 59, &q);
        assert!(t.done.is_empty());
        // 61 s after its last packet: a new connection; the old one is done.
        feed(&mut t, 120, &q);
        assert_eq!(t.done.len(), 1);
        assert_eq!(t.done[0].orig().pkts, 2);
        // Without a later packet of its own, a sweep ends it.
        feed(&mut t, 200, &other);
        assert_eq!(t.done.len(), 2);
        assert_eq!(t.done[1].first, Instant::from_secs_micros(1_700_000_120, 0));
        t.finish();
        assert_eq!(t.done.len(), 3);
        assert_eq!(t.done[2].reason, "shutdown");
        assert!(t.done[..2].iter().all(|c| c.reason == "timeout"));
    }

    #[test]
    fn test_gap_accounting() {
        let mut ep = Endpoint::new("10.0.0.1".parse().unwrap(), 1);
        ep.data_sent(1, 10); // 1..11
        ep.data_sent(21, 10); // 21..31, a hole 11..21
        assert_eq!(ep.contig, 11);
        assert_eq!(ep.ack_received(11), 0);
        assert_eq!(ep.ack_received(31), 10);
        assert_eq!(ep.contig, 31);
        assert_eq!(ep.ack_received(41), 10);
    }
}

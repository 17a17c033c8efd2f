//! [`Endpoint`]: one TCP endpoint, as Linux behaves where it matters to a
//! monitor. Sender: segmentation (writes smaller than the MSS, retransmissions
//! cut at the MSS from wherever they start), slow start and congestion
//! avoidance, fast retransmit on three duplicate ACKs, NewReno partial ACKs,
//! SACK-driven retransmission, retransmission timeout with back-off and
//! go-back-N, FIN. Receiver: its advertised window (right edge never moves
//! back), out-of-order buffering, immediate ACKs for out-of-order data, delayed
//! ACKs every other segment, SACK blocks, PAWS with Linux's one-tick tolerance
//! and RFC 7323 TS.Recent updates, RFC 5961 RST checks (challenge ACKs), and an
//! application that reads every in-order byte at once.
//!
//! Sequence numbers are kept as 64-bit offsets from the ISN (SYN at 0, data byte
//! `i` at `1 + i`, FIN after the data); the wire adds the ISN, wrapping.

/// A segment in flight, in the sender's offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// Sent by the client.
    pub from_client: bool,
    /// Offset of its first sequence number (its SYN, or its first byte).
    pub seq: u64,
    /// Payload bytes.
    pub len: u32,
    /// Flags.
    pub syn: bool,
    /// FIN after the payload.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// Acknowledgement (the sender's next expected offset of its peer).
    pub ack: Option<u64>,
    /// Window field as sent (scaled down by the sender's shift).
    pub win: u16,
    /// (TSval, TSecr).
    pub ts: Option<(u32, u32)>,
    /// SACK blocks, in the peer's offsets.
    pub sack: Vec<(u64, u64)>,
}

/// How far an endpoint got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Payload bytes its application read.
    pub read: u64,
    /// It read its peer's FIN.
    pub got_fin: bool,
    /// Its FIN was acknowledged.
    pub fin_acked: bool,
    /// It accepted an RST.
    pub reset: bool,
    /// It sent an RST (aborted).
    pub aborted: bool,
    /// It gave up after too many retransmissions.
    pub gave_up: bool,
}

/// Settings both endpoints share (from the scenario).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Maximum segment size.
    pub mss: u32,
    /// Largest write of new data.
    pub write_max: u32,
    /// Receive buffer.
    pub rcv_buf: u32,
    /// Window scale shift (0 without the option).
    pub wscale: u8,
    /// Timestamps on.
    pub timestamps: bool,
    /// SACK on.
    pub sack: bool,
    /// ACK every other in-order segment.
    pub delayed_ack: bool,
}

const MAX_RETRIES: u32 = 12;

/// Add `a..b` to sorted, disjoint, non-touching ranges, merging what it meets.
/// O(log n + k) for k ranges merged.
fn insert_range(v: &mut Vec<(u64, u64)>, a: u64, b: u64) {
    if a >= b {
        return;
    }
    let i = v.partition_point(|r| r.1 < a);
    let j = v.partition_point(|r| r.0 <= b);
    if i == j {
        v.insert(i, (a, b));
    } else {
        let lo = a.min(v[i].0);
        let hi = b.max(v[j - 1].1);
        v.drain(i + 1..j);
        v[i] = (lo, hi);
    }
}
const DELACK_US: u64 = 40_000;
const MIN_RTO_US: u64 = 200_000;

/// One endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    client: bool,
    p: Params,
    ts_base: u32,
    // sender
    total: u64,
    may_send: bool,
    closing: bool,
    snd_una: u64,
    snd_nxt: u64,
    snd_max: u64,
    peer_edge: u64,
    cwnd: u64,
    ssthresh: u64,
    dupacks: u32,
    recover: Option<u64>,
    rexmit_next: u64,
    rto: u64,
    rto_at: Option<u64>,
    retries: u32,
    sacked: Vec<(u64, u64)>,
    /// Abort (RST) once this many bytes are read (client) or sent (server).
    abort_at: Option<u64>,
    // receiver
    synced: bool,
    rcv_nxt: u64,
    ooo: Vec<(u64, u64)>,
    peer_fin: Option<u64>,
    adv_edge: u64,
    rcv_wup: u64,
    ts_recent: u32,
    unacked: u32,
    delack_at: Option<u64>,
    ack_now: bool,
    out: Outcome,
}

fn ms(now_us: u64) -> u32 {
    (now_us / 1000) as u32
}

impl Endpoint {
    /// An endpoint that will send `total` bytes (the client at once, the server
    /// once it has read `request` bytes: see [`Endpoint::input`]).
    pub fn new(client: bool, p: Params, total: u64, ts_base: u32, abort_at: Option<u64>) -> Self {
        Endpoint {
            client,
            p,
            ts_base,
            total,
            may_send: client,
            closing: !client,
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            peer_edge: 1,
            cwnd: u64::from(p.mss) * 10,
            ssthresh: u64::MAX,
            dupacks: 0,
            recover: None,
            rexmit_next: 0,
            rto: MIN_RTO_US * 5,
            rto_at: None,
            retries: 0,
            sacked: Vec::new(),
            abort_at,
            synced: false,
            rcv_nxt: 0,
            ooo: Vec::new(),
            peer_fin: None,
            adv_edge: 0,
            rcv_wup: 0,
            ts_recent: 0,
            unacked: 0,
            delack_at: None,
            ack_now: false,
            out: Outcome::default(),
        }
    }

    /// What became of it.
    pub fn outcome(&self) -> Outcome {
        self.out
    }

    /// Whether it is done: closed, reset, aborted or given up, with nothing
    /// left to send.
    pub fn finished(&self) -> bool {
        self.out.reset
            || self.out.aborted
            || self.out.gave_up
            || (self.out.fin_acked && self.out.got_fin && self.delack_at.is_none())
    }

    /// The next time it wants to be woken (a timer), if any.
    pub fn deadline(&self) -> Option<u64> {
        if self.dead() {
            return None;
        }
        match (self.rto_at, self.delack_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn dead(&self) -> bool {
        self.out.reset || self.out.aborted || self.out.gave_up
    }

    /// Offset of the FIN, once the application has closed.
    fn fin_off(&self) -> Option<u64> {
        (self.closing && self.may_send).then_some(1 + self.total)
    }

    fn window(&self) -> u64 {
        let ooo: u64 = self.ooo.iter().map(|(a, b)| b - a).sum();
        u64::from(self.p.rcv_buf)
            .saturating_sub(ooo)
            .max(u64::from(self.p.mss))
    }

    /// Fill in the ACK fields of a segment, and note that an ACK went out.
    fn stamp(&mut self, now: u64, mut s: Seg) -> Seg {
        if self.synced {
            s.ack = Some(self.rcv_nxt);
            let edge = self.rcv_nxt + self.window();
            self.adv_edge = self.adv_edge.max(edge);
            // the window of a SYN is never scaled (RFC 7323)
            let shift = if s.syn { 0 } else { self.p.wscale };
            let w = (self.adv_edge - self.rcv_nxt) >> shift;
            s.win = w.min(65_535) as u16;
            self.rcv_wup = self.rcv_nxt;
            if self.p.sack {
                s.sack = self.ooo.iter().rev().take(3).copied().collect();
            }
        } else {
            s.win = u64::from(self.p.rcv_buf).min(65_535) as u16;
        }
        if self.p.timestamps {
            s.ts = Some((self.ts_base.wrapping_add(ms(now)), self.ts_recent));
        }
        self.unacked = 0;
        self.delack_at = None;
        self.ack_now = false;
        s
    }

    fn blank(&self) -> Seg {
        Seg {
            from_client: self.client,
            seq: self.snd_nxt,
            len: 0,
            syn: false,
            fin: false,
            rst: false,
            ack: None,
            win: 0,
            ts: None,
            sack: Vec::new(),
        }
    }

    /// A segment from `off` of at most `max` payload bytes (SYN at 0, FIN where
    /// it fits).
    fn segment_at(&self, off: u64, max: u64) -> Seg {
        let mut s = self.blank();
        s.seq = off;
        if off == 0 {
            s.syn = true;
            return s;
        }
        let data_end = 1 + if self.may_send { self.total } else { 0 };
        let len = max.min(data_end.saturating_sub(off));
        s.len = len as u32;
        s.fin = self.fin_off() == Some(off + len);
        s
    }

    fn emit(&mut self, now: u64, s: Seg, out: &mut Vec<Seg>) {
        let end = s.seq + u64::from(s.len) + u64::from(s.syn || s.fin);
        self.snd_max = self.snd_max.max(end);
        if self.rto_at.is_none() && end > s.seq {
            self.rto_at = Some(now + self.rto);
        }
        let s = self.stamp(now, s);
        out.push(s);
    }

    /// Send what the windows allow. Call after every input and timer.
    pub fn output(&mut self, now: u64, out: &mut Vec<Seg>) {
        if self.dead() {
            return;
        }
        if !self.client && !self.synced {
            return;
        }
        if let (false, Some(n)) = (self.client, self.abort_at) {
            if self.may_send && self.snd_una > 0 && self.snd_max > n.min(self.total) {
                return self.abort(now, out);
            }
        }
        let end_all = if self.snd_una == 0 && self.snd_max > 0 {
            // the SYN is not acknowledged yet: nothing more
            1
        } else {
            match self.fin_off() {
                Some(f) => f + 1,
                None => 1 + if self.may_send { self.total } else { 0 },
            }
        };
        let usable = (self.snd_una + self.cwnd).min(self.peer_edge.max(self.snd_una + 1));
        while self.snd_nxt < end_all {
            if self.snd_nxt > 0 && self.snd_nxt >= usable && Some(self.snd_nxt) != self.fin_off() {
                break;
            }
            // skip what the receiver SACKed (after a timeout)
            if let Some(&(_, b)) = self
                .sacked
                .iter()
                .find(|(a, b)| *a <= self.snd_nxt && self.snd_nxt < *b)
            {
                self.snd_nxt = b;
                continue;
            }
            let fresh = self.snd_nxt >= self.snd_max;
            let mut max = u64::from(self.p.mss).min(usable.saturating_sub(self.snd_nxt).max(1));
            if fresh {
                max = max.min(u64::from(self.p.write_max));
            }
            if let Some(&(a, _)) = self.sacked.iter().find(|(a, _)| *a > self.snd_nxt) {
                max = max.min(a - self.snd_nxt);
            }
            let s = self.segment_at(self.snd_nxt, max);
            let adv = u64::from(s.len) + u64::from(s.syn || s.fin);
            if adv == 0 {
                break;
            }
            self.snd_nxt += adv;
            self.emit(now, s, out);
        }
        if self.ack_now {
            let s = self.blank();
            let s = self.stamp(now, s);
            out.push(s);
        }
    }

    fn abort(&mut self, now: u64, out: &mut Vec<Seg>) {
        let mut s = self.blank();
        s.seq = self.snd_nxt;
        s.rst = true;
        let s = self.stamp(now, s);
        out.push(s);
        self.out.aborted = true;
    }

    /// Timers due at `now`.
    pub fn timers(&mut self, now: u64, out: &mut Vec<Seg>) {
        if self.dead() {
            return;
        }
        if self.delack_at.is_some_and(|t| t <= now) {
            self.delack_at = None;
            self.ack_now = true;
        }
        if self.rto_at.is_some_and(|t| t <= now) {
            self.rto_at = None;
            if self.snd_una < self.snd_max {
                self.retries += 1;
                if self.retries > MAX_RETRIES {
                    self.out.gave_up = true;
                    return;
                }
                let flight = self.snd_max - self.snd_una;
                self.ssthresh = (flight / 2).max(2 * u64::from(self.p.mss));
                self.cwnd = u64::from(self.p.mss);
                self.recover = None;
                self.dupacks = 0;
                self.snd_nxt = self.snd_una;
                self.rto = (self.rto * 2).min(60_000_000);
            }
        }
        self.output(now, out);
    }

    fn retransmit(&mut self, now: u64, off: u64, out: &mut Vec<Seg>) {
        let mut max = u64::from(self.p.mss);
        if let Some(&(a, _)) = self.sacked.iter().find(|(a, _)| *a > off) {
            max = max.min(a - off);
        }
        let s = self.segment_at(off, max);
        let adv = u64::from(s.len) + u64::from(s.syn || s.fin);
        if adv > 0 {
            self.rexmit_next = off + adv;
            self.emit(now, s, out);
        }
    }

    fn add_sack(&mut self, blocks: &[(u64, u64)]) {
        for &(a, b) in blocks {
            let a = a.max(self.snd_una);
            if a < b && b <= self.snd_max {
                insert_range(&mut self.sacked, a, b);
            }
        }
        let una = self.snd_una;
        let gone = self.sacked.partition_point(|r| r.1 <= una);
        self.sacked.drain(..gone);
        if let Some(first) = self.sacked.first_mut() {
            first.0 = first.0.max(una);
        }
    }

    fn on_ack(&mut self, now: u64, s: &Seg, out: &mut Vec<Seg>) {
        let Some(a) = s.ack else { return };
        let mss = u64::from(self.p.mss);
        if a > self.snd_una && a <= self.snd_max {
            let acked = a - self.snd_una;
            self.snd_una = a;
            self.snd_nxt = self.snd_nxt.max(a);
            self.dupacks = 0;
            self.retries = 0;
            self.rto = MIN_RTO_US * 2;
            if self.cwnd < self.ssthresh {
                self.cwnd += acked.min(mss);
            } else {
                self.cwnd += (mss * mss / self.cwnd).max(1);
            }
            self.add_sack(&s.sack);
            if let Some(r) = self.recover {
                if a >= r {
                    self.recover = None;
                    self.cwnd = self.ssthresh;
                } else {
                    self.retransmit(now, a, out); // NewReno partial ACK
                }
            }
            self.rto_at = (self.snd_una < self.snd_max).then_some(now + self.rto);
            if self.fin_off().is_some_and(|f| a > f) {
                self.out.fin_acked = true;
            }
        } else if a == self.snd_una && s.len == 0 && !s.syn && !s.fin && self.snd_max > a {
            self.add_sack(&s.sack);
            self.dupacks += 1;
            if self.dupacks == 3 && self.recover.is_none() {
                let flight = self.snd_max - self.snd_una;
                self.ssthresh = (flight / 2).max(2 * mss);
                self.cwnd = self.ssthresh + 3 * mss;
                self.recover = Some(self.snd_max);
                self.retransmit(now, a, out);
            } else if self.recover.is_some() && self.p.sack {
                // the next hole below the highest SACKed byte
                let top = self.sacked.last().map_or(0, |r| r.1);
                let mut at = self.rexmit_next.max(self.snd_una);
                while let Some(&(_, b)) = self.sacked.iter().find(|(x, y)| *x <= at && at < *y) {
                    at = b;
                }
                if at < top {
                    self.retransmit(now, at, out);
                }
            }
        } else {
            self.add_sack(&s.sack);
        }
        if a >= self.snd_una {
            let edge = a + (u64::from(s.win) << self.p.wscale);
            self.peer_edge = self.peer_edge.max(edge);
        }
    }

    /// A segment arrives at `now`. Returns whether its data or FIN was taken
    /// (it passed PAWS and lies in the window), new or not.
    pub fn input(&mut self, now: u64, s: &Seg, request: u64, out: &mut Vec<Seg>) -> bool {
        if self.out.gave_up {
            return false;
        }
        if self.out.reset || self.out.aborted {
            // A closed socket answers anything but an RST with an RST.
            if !s.rst {
                let mut r = self.blank();
                r.seq = s.ack.unwrap_or(self.snd_nxt);
                r.rst = true;
                out.push(r);
            }
            return false;
        }
        if s.rst {
            if !self.synced {
                return false;
            }
            if s.seq == self.rcv_nxt {
                self.out.reset = true;
            } else if s.seq > self.rcv_nxt && s.seq < self.adv_edge.max(self.rcv_nxt + 1) {
                self.ack_now = true; // RFC 5961 challenge ACK
                self.output(now, out);
            }
            return false;
        }
        if s.syn {
            if !self.synced {
                self.synced = true;
                self.rcv_nxt = 1;
                if let Some((tsv, _)) = s.ts {
                    self.ts_recent = tsv;
                }
            }
            if self.client {
                self.on_ack(now, s, out);
            } else if self.snd_una == 0 {
                self.snd_nxt = 0; // (re)send the SYN-ACK
            }
            self.ack_now = self.client;
            self.output(now, out);
            return false;
        }
        if !self.synced {
            return false;
        }
        if let (true, Some((tsv, _))) = (self.p.timestamps, s.ts) {
            if self.ts_recent.wrapping_sub(tsv) as i32 > 1 {
                self.ack_now = true; // PAWS: a duplicate ACK
                self.output(now, out);
                return false;
            }
            if s.seq <= self.rcv_wup && tsv.wrapping_sub(self.ts_recent) as i32 >= 0 {
                self.ts_recent = tsv;
            }
        }
        self.on_ack(now, s, out);
        if !self.client && !self.may_send && self.snd_una > 0 && self.out.read >= request {
            self.may_send = true;
        }
        let end = s.seq + u64::from(s.len);
        let mut taken = false;
        if s.len > 0 || s.fin {
            let edge = self.adv_edge.max(self.rcv_nxt + 1);
            taken = s.seq < edge;
            let a = s.seq.max(self.rcv_nxt);
            let b = end.min(edge);
            let in_order_before = self.ooo.is_empty();
            if a < b {
                if a == self.rcv_nxt {
                    self.rcv_nxt = b;
                } else {
                    insert_range(&mut self.ooo, a, b);
                }
                self.merge();
            }
            if s.fin && end <= edge && self.peer_fin.is_none() {
                self.peer_fin = Some(end);
            }
            if self.peer_fin == Some(self.rcv_nxt) {
                self.rcv_nxt += 1;
                self.out.got_fin = true;
                self.ack_now = true;
                if self.client {
                    self.closing = true;
                }
            }
            self.out.read = self.rcv_nxt - 1 - u64::from(self.out.got_fin);
            if s.seq != a || !self.ooo.is_empty() || !in_order_before || a >= b {
                self.ack_now = true;
            } else {
                self.unacked += 1;
                if !self.p.delayed_ack || self.unacked >= 2 {
                    self.ack_now = true;
                } else if self.delack_at.is_none() {
                    self.delack_at = Some(now + DELACK_US);
                }
            }
            if !self.client && !self.may_send && self.out.read >= request {
                self.may_send = true;
            }
            if let (true, Some(n)) = (self.client, self.abort_at) {
                if self.out.read >= n {
                    self.abort(now, out);
                    return taken;
                }
            }
        }
        self.output(now, out);
        taken
    }

    /// Take into `rcv_nxt` the out-of-order ranges it has reached.
    fn merge(&mut self) {
        let n = self.ooo.partition_point(|r| r.0 <= self.rcv_nxt);
        if n > 0 {
            self.rcv_nxt = self.rcv_nxt.max(self.ooo[n - 1].1);
            self.ooo.drain(..n);
        }
    }
}

//! TCP stream reassembly with libnids 1.26's semantics on well-formed traffic,
//! and its defects fixed (see each item's docs and the crate README).
//!
//! Per segment: find the stream in the stream table (`table`); create one on a client
//! SYN; complete the exact 3-way handshake; window check; RST; PAWS; ACK
//! processing (FIN confirmation); then in-order delivery straight from the frame
//! or queueing out of order (`queue` over `pool` blocks, within the
//! receiver's window and a fair share of storage: [`waiting`]).
//!
//! Differences from libnids, all deliberate:
//! * a FIN counts as acknowledged only when the ACK covers it; a resent FIN just
//!   below the receiver's ack is in the window (its ACK counts);
//! * bytes at or after a FIN's sequence number are never stream data: dropped,
//!   with [`Warning::TcpDataAfterFin`];
//! * a stray packet before the 3rd ACK does not destroy the pending stream, and
//!   server data sent before the 3rd ACK is queued and delivered after it; but a
//!   bare ACK of the SYN from the server (a split handshake) ends it, whatever
//!   the server's ISN, so the server's own SYN starts the stream;
//! * a stream reused after `flow_timeout`, or evicted, is ended with `TimedOut`
//!   to the handler (libnids frees reused streams silently);
//! * out-of-order data is queued as far as the receiver's advertised window
//!   allows (libnids purges its queue at about 64 KiB), and a full queue is
//!   pruned from its far end, not thrown away;
//! * the tap is not the receiver: a segment is refused only where the receiver
//!   must refuse it too, since bytes the receiver took are never sent again
//!   (issue 22, checked against a model of both endpoints, `nids-tcpsim`):
//!   - PAWS compares with the receiver's TS.Recent as its ACKs echo it (TSecr),
//!     with Linux's one tick of tolerance; libnids moves its clock on every
//!     in-order segment and refused the late original of a fast retransmission
//!     that Linux takes, so the download stalled there;
//!   - a segment is old only if it ends before both the receiver's ACK and our
//!     next byte (a late copy of bytes the capture has not shown yet is the
//!     only copy there will be);
//!   - the window's right edge (ACK + window) never moves back, so an old ACK
//!     delayed on the path does not refuse data sent into the newer window;
//!   - an RST ends an established stream only at the sequence number its
//!     receiver expects next (RFC 5961, as Linux, the BSDs and Windows);
//!     elsewhere in the window it is counted (`Stats::tcp_rst_ignored`) and
//!     ignored, as the receiver answers it with a challenge ACK;
//! * an ACK that passes bytes the capture never showed is reported
//!   ([`Warning::TcpGap`]) even when nothing waits behind the hole;
//! * a data offset below 5 words is refused;
//! * memory is bounded: streams by the table, bytes by the pool and the
//!   per-half limits, each with a warning and a counter.

mod deliver;
pub mod half;
mod kept;
pub mod kill;
pub mod policy;
pub(crate) mod pool;
pub(crate) mod queue;
pub mod segment;
pub mod seq;
pub mod stream;
pub(crate) mod table;
pub mod waiting;

#[cfg(test)]
mod idle_tests;

use deliver::sub;
use half::{Half, Kept, State};
use pool::{Pool, NONE};
use segment::{flags, Segment};
use seq::{after, before};
use stream::{Event, Side, Stream};
use table::Table;

use crate::memory::{Memory, Tables};

use crate::event::Warning;
use crate::flow::Tuple;
use crate::handler::Handler;
use crate::stats::{self, Stats};
use crate::time::{Duration, Instant};
use crate::warn::warn;

/// TCP settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Most concurrent streams; `None` applies libnids' rule, `3 * STREAMS / 4 + 1`
    /// (781 for 1040 slots). Capped at `STREAMS`. When a SYN finds the limit
    /// reached, the oldest stream (by creation) ends with `TimedOut` and
    /// [`Warning::TcpTooManyStreams`].
    pub max_streams: Option<usize>,
    /// A client SYN for a tuple whose stream is older than this (from its
    /// handshake) replaces it (libnids' `tcp_flow_timeout`, 3600 s). Zero: never.
    pub flow_timeout: Duration,
    /// End streams idle (no packet) for this long with `TimedOut`. Zero: never
    /// (libnids has no idle timeout).
    pub idle_timeout: Duration,
    /// Size of each large storage block, in bytes. An out-of-order segment
    /// takes one block per `block_size - 32` payload bytes; one of up to
    /// `small_size(block_size) - 32` bytes (224 with 2 KiB blocks) takes a small
    /// block (`pool::small_size`; a quarter of the storage is small blocks).
    /// Each block is charged whole.
    pub block_size: usize,
    /// Most storage (whole blocks, in bytes) the out-of-order queue of one half
    /// may hold; beyond, the segments farthest from the next expected byte are
    /// pruned ([`Warning::TcpQueueFull`]). The default, 32 MiB, holds a 16 MiB
    /// window of full-size segments: more than the receive windows Linux
    /// (6 MiB), macOS (8 MiB) and Windows (16 MiB) advertise by default, so a half
    /// is limited by its receiver's window (a segment must start inside it) and by
    /// the storage, shared as `tcp::waiting` says ([`Warning::TcpQueueReclaimed`]).
    /// (libnids purged the whole queue at about 64 KiB.)
    pub max_queue: usize,
    /// Most bytes a handler may keep with `discard` per half; beyond, the oldest
    /// kept bytes are released ([`Warning::TcpBufferFull`]).
    pub max_kept: usize,
    /// Which bytes win when queued data overlaps ([`policy::Policy`]).
    pub policy: policy::Policy,
    /// Pick up streams whose handshake was not seen (off, as libnids).
    pub midstream: bool,
    /// When the receiver acknowledges bytes the capture missed (a hole before
    /// queued data), skip them and go on delivering (counted in
    /// [`Half::missing`]). Off by default: libnids waits forever. Either way the
    /// hole is reported once with [`Warning::TcpGap`].
    pub skip_gaps: bool,
}

impl Config {
    /// libnids' defaults, with 2 KiB blocks, 32 MiB queues and 1 MiB kept per half.
    pub const fn new() -> Config {
        Config {
            max_streams: None,
            flow_timeout: Duration::from_secs(3600),
            idle_timeout: Duration::ZERO,
            block_size: 2048,
            max_queue: 32 << 20,
            max_kept: 1 << 20,
            policy: policy::Policy::Libnids,
            midstream: false,
            skip_gaps: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// One stream slot.
pub struct Slot<U> {
    pub(crate) client: Half,
    pub(crate) server: Half,
    pub(crate) established: bool,
    pub(crate) created: Instant,
    /// Number of the frame that created it (`Nids::set_frame_number`).
    pub(crate) created_frame: u64,
    /// Number of the frame that last touched it (idle timeouts end the least
    /// recently touched first).
    pub(crate) last_frame: u64,
    /// Time of the handshake packets, for `flow_timeout` (libnids `a_tcp->ts`).
    pub(crate) handshake: Instant,
    pub(crate) last: Instant,
    /// Picked up without its handshake.
    pub(crate) midstream: bool,
    /// Destination then source MAC of the SYN (Ethernet only), for kill RSTs.
    pub(crate) l2: [u8; 12],
    pub(crate) user: Option<U>,
}

impl<U> Slot<U> {
    fn new(ts: Instant) -> Self {
        Slot {
            client: Half::NEW,
            server: Half::NEW,
            established: false,
            created: ts,
            created_frame: 0,
            last_frame: 0,
            handshake: ts,
            last: ts,
            midstream: false,
            l2: [0; 12],
            user: None,
        }
    }

    fn interested(&self) -> bool {
        let c = &self.client;
        let s = &self.server;
        c.collect || s.collect || c.collect_urg || s.collect_urg
    }

    /// (sender, receiver) for a segment from the client (`true`) or the server.
    fn halves(&mut self, from_client: bool) -> (&mut Half, &mut Half) {
        let (rcv, snd) = self.receiving_mut(if from_client {
            Side::Server
        } else {
            Side::Client
        });
        (snd, rcv)
    }

    /// (the half of `side`, the other half): who receives and who sends the
    /// bytes of that half.
    fn receiving(&self, side: Side) -> (&Half, &Half) {
        match side {
            Side::Client => (&self.client, &self.server),
            Side::Server => (&self.server, &self.client),
        }
    }

    /// [`Slot::receiving`], writable.
    fn receiving_mut(&mut self, side: Side) -> (&mut Half, &mut Half) {
        match side {
            Side::Client => (&mut self.client, &mut self.server),
            Side::Server => (&mut self.server, &mut self.client),
        }
    }
}

/// The TCP part of the engine: stream table and byte pool.
pub(crate) struct Tcp<'a, U, M: Memory<U>> {
    table: Table<Slot<U>, M::Entries, M::Buckets>,
    pool: Pool<'a>,
    config: Config,
    /// Most concurrent streams (from `Config::max_streams`).
    limit: usize,
    /// Link type, for the frames of `kill`.
    link: crate::link::LinkType,
    /// MAC addresses (destination, source) of the frame being processed.
    frame_l2: [u8; 12],
    /// The half that held the most queue storage when it last grew: the first
    /// to give storage up when it runs out (`waiting`).
    hog: Option<(table::Handle, Side)>,
    /// Number of the frame being processed (see `Nids::set_frame_number`).
    frame_no: u64,
    /// The bytes being delivered are not the end of their segment: the next
    /// `Data` event carries the rest (`Stream::continues`).
    more: bool,
}

/// `n` bytes at or after their sender's FIN were dropped: warn (once per
/// segment) and count them.
fn drop_after_fin<U, H: Handler<U>>(st: &mut Stats, h: &mut H, ts: Instant, n: u32, pkt: &[u8]) {
    if n > 0 {
        stats::add(&mut st.tcp_bytes_after_fin, n as usize);
        warn(st, h, ts, Warning::TcpDataAfterFin, pkt);
    }
}

/// Linux's PAWS tolerance (`TCP_PAWS_WINDOW`): a timestamp one tick older
/// than TS.Recent still passes.
const PAWS_WINDOW: u32 = 1;

/// Whether PAWS (RFC 7323) rejects a segment with timestamp `tsv` when the
/// receiver's TS.Recent is `recent`: as Linux, only if it is more than
/// [`PAWS_WINDOW`] older. A monitor must not be stricter than the receivers it
/// watches, or it loses bytes they took and their senders never resend.
fn paws_rejects(tsv: u32, recent: u32) -> bool {
    recent.wrapping_sub(tsv) as i32 > PAWS_WINDOW as i32
}

/// Bytes to deliver: from the frame, or from a queue block.
#[derive(Clone, Copy)]
enum Piece<'f> {
    Frame(&'f [u8]),
    Block { block: u32, at: usize, len: usize },
}

impl Piece<'_> {
    /// How many bytes it holds. O(1).
    fn len(self) -> usize {
        match self {
            Piece::Frame(d) => d.len(),
            Piece::Block { len, .. } => len,
        }
    }
}

impl<'a, U, M: Memory<U>> Tcp<'a, U, M> {
    pub(crate) fn new(
        tables: Tables<U, M>,
        storage: managed::ManagedSlice<'a, u8>,
        config: Config,
        key: (u64, u64),
        link: crate::link::LinkType,
    ) -> Self {
        let table = Table::new(tables.entries, tables.buckets, key);
        let n = table.capacity();
        let limit = config.max_streams.unwrap_or(3 * n / 4 + 1).min(n);
        Tcp {
            table,
            pool: Pool::new(storage, config.block_size.max(queue::HDR + pool::LINK + 16)),
            config,
            limit,
            link,
            frame_l2: [0; 12],
            hog: None,
            frame_no: 0,
            more: false,
        }
    }

    /// Remember the MAC addresses of the frame being processed (Ethernet).
    pub(crate) fn set_frame_l2(&mut self, l2: [u8; 12]) {
        self.frame_l2 = l2;
    }

    /// Remember the number of the frame being processed: streams created by it
    /// keep it ([`Stream::created_frame`]).
    pub(crate) fn set_frame_no(&mut self, n: u64) {
        self.frame_no = n;
    }

    /// Stream slots in all.
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Streams open now.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Blocks of storage in use and in all.
    pub(crate) fn storage(&self) -> (u32, u32) {
        (self.pool.in_use(), self.pool.blocks())
    }

    /// One checked segment.
    pub(crate) fn segment<H: Handler<U>>(
        &mut self,
        ts: Instant,
        seg: &Segment<'_>,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) {
        let (idx, from_client) = match self.table.find(&seg.tuple) {
            Some(found) => found,
            None if seg.has(flags::SYN) && !seg.has(flags::ACK) && !seg.has(flags::RST) => {
                return self.create(ts, seg, pkt, h, st);
            }
            None if self.config.midstream
                && seg.has(flags::ACK)
                && !seg.has(flags::RST)
                && !seg.has(flags::SYN) =>
            {
                match self.pickup(ts, seg, pkt, h, st) {
                    Some(found) => found,
                    None => return,
                }
            }
            None => return stats::bump(&mut st.tcp_no_stream),
        };
        // The last-use order serves idle expiry only (fixed at construction):
        // without it, no list work per segment.
        if self.config.idle_timeout != Duration::ZERO {
            self.table.touch(idx);
        }
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        slot.last = ts;
        slot.last_frame = self.frame_no;
        if seg.has(flags::SYN) {
            if from_client {
                let ft = self.config.flow_timeout;
                if ft != Duration::ZERO
                    && !seg.has(flags::ACK)
                    && !seg.has(flags::RST)
                    && ts.saturating_since(slot.handshake) > ft
                {
                    self.end(idx, Event::TimedOut, ts, h, st);
                    self.create(ts, seg, pkt, h, st);
                }
                return;
            }
            let (c, s) = (&mut slot.client, &mut slot.server);
            if c.state == State::SynSent
                && s.state == State::Closed
                && seg.has(flags::ACK)
                && !seg.has(flags::RST)
                && seg.ack == c.seq
            {
                s.state = State::SynRecv;
                s.seq = seg.seq.wrapping_add(1);
                s.first_data_seq = s.seq;
                s.ack_seq = seg.ack;
                // The client must acknowledge the server's ISN: start its ack
                // there so server data sent before the 3rd ACK passes the window
                // check (libnids leaves it at 0).
                c.ack_seq = s.seq;
                match (c.curr_ts, seg.timestamp()) {
                    (_, Some(tsv)) if c.ts_on => {
                        s.curr_ts = tsv;
                        s.ts_seen = tsv;
                    }
                    _ => {
                        c.ts_on = false;
                        s.ts_on = false;
                    }
                }
                match (c.wscale_on, seg.window_scale()) {
                    (true, Some(shift)) => {
                        s.wscale_on = true;
                        s.wscale = shift.min(14);
                    }
                    _ => {
                        c.wscale_on = false;
                        c.wscale = 0;
                        s.wscale = 0;
                    }
                }
                if let Some(tsv) = seg.timestamp() {
                    s.ts_on = c.ts_on;
                    s.curr_ts = tsv;
                    s.ts_seen = tsv;
                }
                s.window = u32::from(seg.window);
                s.raw_window = seg.window;
                slot.handshake = ts;
            }
            return;
        }
        if !from_client
            && slot.server.state == State::Closed
            && seg.has(flags::ACK)
            && !seg.has(flags::RST)
            && seg.ack == slot.client.seq
        {
            // A split handshake: the server acknowledged the SYN without a SYN of
            // its own. The SYN it sends next starts the stream, with the server as
            // the client (libnids does the same when this ACK happens to pass its
            // window check, which depends on the server's ISN).
            self.remove(idx);
            return;
        }

        let established = slot.established;
        let (snd, rcv) = slot.halves(from_client);
        let datalen = seg.payload.len() as u32;
        let ack = rcv.ack_seq;
        let win = rcv.window;
        // A FIN takes a sequence number: a resent FIN whose end reaches the
        // receiver's ack is not old, and its ACK counts (libnids drops it).
        let end = seg
            .seq
            .wrapping_add(datalen)
            .wrapping_add(u32::from(seg.has(flags::FIN)));
        let exp = rcv.expected(snd.first_data_seq);
        let next = snd.next_seq(rcv);
        // Old is what ends before the receiver's ack and before the next byte
        // we expect: a copy of bytes the receiver acknowledged but the capture
        // has not shown yet (a late original after its retransmission was
        // missed, a tap that merges both directions with jitter) is the only
        // copy we will get, since the sender never sends them again (libnids
        // drops it and stalls the stream).
        let low = if established && before(exp, ack) {
            exp
        } else {
            ack
        };
        if !(datalen == 0 && seg.seq == ack)
            && (!before(seg.seq, ack.wrapping_add(win)) || before(end, low))
        {
            stats::bump(&mut st.tcp_out_of_window);
            return;
        }
        if seg.has(flags::RST) {
            if established {
                // RFC 5961 (Linux, the BSDs, Windows): an RST ends the
                // connection only at the exact sequence number its receiver
                // expects next; an RST elsewhere in the window draws a
                // challenge ACK and changes nothing. The receiver's next byte is
                // ours, or, when the capture missed bytes it got, the one its
                // last ACK named (an older ACK says nothing: the receiver has
                // moved on). (libnids takes any RST in the window, and loses
                // the bytes that reach the receiver after an aborting sender's
                // RST overtook them.)
                let taken =
                    seg.seq == exp || seg.seq == next || (seg.seq == ack && after(ack, exp));
                if seg.has(flags::ACK) {
                    // Taken or not, its ACK may show bytes the capture missed.
                    self.check_gap(idx, from_client, seg.ack, ts, pkt, h, st);
                }
                if !taken {
                    stats::bump(&mut st.tcp_rst_ignored);
                    let rcv_side = if from_client {
                        Side::Server
                    } else {
                        Side::Client
                    };
                    if after(seg.seq, exp) {
                        // Ahead of bytes still on their way: the receiver may
                        // get them first and then take this RST.
                        if let Some(hf) = self.half_mut(idx, rcv_side) {
                            hf.rst_ahead = Some(seg.seq);
                        }
                    }
                    return;
                }
                self.end(idx, Event::Reset, ts, h, st);
            } else {
                self.remove(idx);
            }
            return;
        }
        if rcv.ts_on {
            let (tsval, echo) = seg.timestamps().map_or((None, None), |(v, e)| (Some(v), e));
            if let Some(tsv) = tsval {
                if paws_rejects(tsv, snd.curr_ts) {
                    stats::bump(&mut st.tcp_paws);
                    return;
                }
                if after(tsv, snd.ts_seen) {
                    snd.ts_seen = tsv;
                }
            }
            // PAWS judges by the receiver's TS.Recent, which the tap cannot
            // compute (a segment may pass the tap and be lost after it, or
            // reach the receiver after a newer one the tap saw first), but which
            // the receiver echoes in every ACK (TSecr): the engine rejects only
            // what the receiver must reject too, as Linux (one tick of
            // tolerance). Moving TS.Recent on every in-order segment, as libnids
            // does, rejected the late original of a retransmitted segment that
            // Linux takes, and the download was cut there. An echo is believed
            // only up to the highest TSval the tap saw from that endpoint.
            if let Some(echo) = echo {
                if after(echo, rcv.curr_ts) && !after(echo, rcv.ts_seen) {
                    rcv.curr_ts = echo;
                }
            }
        }
        if seg.has(flags::ACK) {
            if from_client && !slot.established && slot.client.state == State::SynSent {
                if slot.server.state == State::SynRecv && seg.ack == slot.server.seq {
                    if !self.establish(idx, seg, ts, h, st) {
                        return;
                    }
                } else {
                    // A wrong 3rd ACK: libnids drops the pending stream here.
                    return;
                }
            }
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            let (snd, rcv) = slot.halves(from_client);
            if after(seg.ack, snd.ack_seq) {
                snd.ack_seq = seg.ack;
            }
            if after(seg.ack, snd.expected(rcv.first_data_seq)) {
                self.check_gap(idx, from_client, seg.ack, ts, pkt, h, st);
            }
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            let (snd, rcv) = slot.halves(from_client);
            if rcv.state == State::FinSent && !before(seg.ack, rcv.fin_seq.wrapping_add(1)) {
                rcv.state = State::FinConfirmed;
            }
            if rcv.state == State::FinConfirmed && snd.state == State::FinConfirmed {
                self.end(idx, Event::Close, ts, h, st);
                return;
            }
        }
        if datalen > 0 || seg.has(flags::FIN) {
            self.queue(idx, from_client, seg, ts, pkt, h, st);
            if self.rst_reached(idx, from_client) {
                self.end(idx, Event::Reset, ts, h, st);
                return;
            }
        }
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let (snd, _) = slot.halves(from_client);
        let w = u32::from(seg.window) << snd.wscale;
        // The right edge of the window (ack + window) only moves forward: an
        // old ACK that the path delayed past newer ones must not shrink it, or
        // data the sender rightly sent would fail the window check. (A
        // receiver that really shrinks its window is taken at its old edge.)
        let edge = seg.ack.wrapping_add(w);
        if !seg.has(flags::ACK) {
            snd.window = w;
        } else if !before(edge, snd.ack_seq.wrapping_add(snd.window)) {
            snd.window = edge.wrapping_sub(snd.ack_seq);
        }
        snd.raw_window = seg.window;
        if let Some(slot) = self.table.get(idx) {
            if slot.established && !slot.interested() {
                self.remove(idx);
            }
        }
    }

    /// A fresh slot for a new stream at `ts`, after making room: at the limit,
    /// the oldest stream ends with `TimedOut` and [`Warning::TcpTooManyStreams`]
    /// (libnids' 3/4 rule by default).
    fn new_slot<H: Handler<U>>(
        &mut self,
        ts: Instant,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) -> Slot<U> {
        if self.table.len() >= self.limit {
            if let Some(old) = self.table.oldest() {
                warn(st, h, ts, Warning::TcpTooManyStreams, pkt);
                self.end(old, Event::TimedOut, ts, h, st);
            }
        }
        let mut slot = Slot::new(ts);
        slot.l2 = self.frame_l2;
        slot.created_frame = self.frame_no;
        slot
    }

    /// Mid-stream pickup (opt-in): a stream whose handshake was not seen starts
    /// at this segment. The endpoint with the lower port is taken as the server
    /// (the destination on a tie); windows are taken as scaled by the maximum
    /// shift, since the handshake that said otherwise was missed. The stream is
    /// marked ([`Stream::midstream`]) and reported with `JustEstablished` now.
    fn pickup<H: Handler<U>>(
        &mut self,
        ts: Instant,
        seg: &Segment<'_>,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) -> Option<(u32, bool)> {
        if self.limit == 0 {
            return None;
        }
        let from_client = seg.tuple.sport >= seg.tuple.dport;
        let tuple = if from_client {
            seg.tuple
        } else {
            seg.tuple.reversed()
        };
        let mut slot = self.new_slot(ts, pkt, h, st);
        slot.midstream = true;
        slot.established = true;
        {
            let (snd, rcv) = slot.halves(from_client);
            for half in [&mut *snd, &mut *rcv] {
                half.state = State::Established;
                half.wscale = 14;
                half.window = u32::from(u16::MAX) << 14;
                half.raw_window = u16::MAX;
            }
            snd.seq = seg.seq;
            snd.first_data_seq = seg.seq;
            snd.ack_seq = seg.ack;
            rcv.seq = seg.ack;
            rcv.first_data_seq = seg.ack;
            rcv.ack_seq = seg.seq;
        }
        let idx = self.table.insert(tuple, slot).ok()?;
        stats::bump(&mut st.tcp_streams);
        stats::bump(&mut st.tcp_midstream);
        stats::bump(&mut st.tcp_established);
        if !self.announce(idx, ts, h, st) {
            return None;
        }
        Some((idx, from_client))
    }

    fn create<H: Handler<U>>(
        &mut self,
        ts: Instant,
        seg: &Segment<'_>,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) {
        if self.limit == 0 {
            return;
        }
        let mut slot = self.new_slot(ts, pkt, h, st);
        let c = &mut slot.client;
        c.state = State::SynSent;
        c.seq = seg.seq.wrapping_add(1);
        c.first_data_seq = c.seq;
        c.window = u32::from(seg.window);
        c.raw_window = seg.window;
        if let Some(tsv) = seg.timestamp() {
            c.ts_on = true;
            c.curr_ts = tsv;
            c.ts_seen = tsv;
        }
        if let Some(shift) = seg.window_scale() {
            c.wscale_on = true;
            c.wscale = shift.min(14);
        }
        if self.table.insert(seg.tuple, slot).is_ok() {
            stats::bump(&mut st.tcp_streams);
        }
    }

    /// Whether an RST that came ahead of the bytes from `from_client`'s side
    /// has been reached: every byte before it (and a FIN) is in.
    fn rst_reached(&mut self, idx: u32, from_client: bool) -> bool {
        let Some(slot) = self.table.get_mut(idx) else {
            return false;
        };
        let (snd, rcv) = slot.halves(from_client);
        let Some(r) = rcv.rst_ahead else {
            return false;
        };
        !before(snd.next_seq(rcv), r)
    }

    /// The sender of an ACK acknowledges bytes it received: if the ACK passes the
    /// next byte we expect for it (and its sender's FIN, when that is next),
    /// the capture missed bytes the host got. Report the hole once; skip to
    /// the queued data if configured.
    #[allow(clippy::too_many_arguments)]
    fn check_gap<H: Handler<U>>(
        &mut self,
        idx: u32,
        from_client: bool,
        ack: u32,
        ts: Instant,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) {
        let side = if from_client {
            Side::Client
        } else {
            Side::Server
        };
        let Some(slot) = self.table.get(idx) else {
            return;
        };
        if !slot.established {
            return;
        }
        let (half, peer) = slot.receiving(side);
        let exp = half.expected(peer.first_data_seq);
        if !after(ack, exp) {
            return;
        }
        // The sender's FIN, when it is the next thing: an ACK of it is no gap.
        let fin_next =
            matches!(peer.state, State::FinSent | State::FinConfirmed) && peer.fin_seq == exp;
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let half = slot.receiving_mut(side).0;
        let gap_warned = half.gap_warned;
        let first = match half.queue.first_seq(&mut self.pool, exp) {
            Some(first) if after(first, exp) => first,
            Some(_) => return,
            // Nothing waits, yet the receiver acknowledges more than we have
            // (and more than the sender's FIN, when that is next): bytes it
            // got never passed the tap. (A FIN the capture missed is reported
            // so too: the capture did miss it.)
            None if !(fin_next && ack == exp.wrapping_add(1)) => ack,
            None => return,
        };
        if gap_warned != Some(exp) {
            if let Some(hf) = self.half_mut(idx, side) {
                hf.gap_warned = Some(exp);
            }
            warn(st, h, ts, Warning::TcpGap, pkt);
        }
        if self.config.skip_gaps {
            let end = if after(first, ack) { ack } else { first };
            if let Some(hf) = self.half_mut(idx, side) {
                hf.missing = hf.missing.wrapping_add(u64::from(end.wrapping_sub(exp)));
            }
            self.drain(idx, side, ts, h, st);
        }
    }

    /// The 3rd ACK: both halves established, `JustEstablished` to the handler.
    /// Returns whether the stream lives on (the handler collects something).
    fn establish<H: Handler<U>>(
        &mut self,
        idx: u32,
        seg: &Segment<'_>,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) -> bool {
        let Some(slot) = self.table.get_mut(idx) else {
            return false;
        };
        slot.client.state = State::Established;
        slot.server.state = State::Established;
        slot.client.ack_seq = seg.ack;
        slot.established = true;
        slot.handshake = ts;
        stats::bump(&mut st.tcp_established);
        if !self.announce(idx, ts, h, st) {
            return false;
        }
        // Bytes that arrived before the handshake completed wait in the queues.
        self.drain(idx, Side::Client, ts, h, st);
        self.drain(idx, Side::Server, ts, h, st);
        // ACKs seen before it may already have passed bytes the capture missed
        // (the client's request lost at the tap, acknowledged by the server).
        for from_client in [true, false] {
            let Some(slot) = self.table.get_mut(idx) else {
                return false;
            };
            let ack = slot.halves(from_client).0.ack_seq;
            self.check_gap(idx, from_client, ack, ts, &[], h, st);
        }
        self.table.get(idx).is_some()
    }

    /// `JustEstablished` to the handler; a stream it collects nothing of is
    /// dropped at once (libnids frees a stream without listeners). Returns
    /// whether the stream lives on.
    fn announce<H: Handler<U>>(
        &mut self,
        idx: u32,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) -> bool {
        self.call(
            idx,
            Event::JustEstablished,
            None,
            Piece::Frame(&[]),
            ts,
            h,
            st,
        );
        if self.table.get(idx).is_some_and(|s| s.interested()) {
            return true;
        }
        self.remove(idx);
        false
    }

    /// A segment with data or FIN (libnids `tcp_queue`).
    #[allow(clippy::too_many_arguments)]
    fn queue<H: Handler<U>>(
        &mut self,
        idx: u32,
        from_client: bool,
        seg: &Segment<'_>,
        ts: Instant,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) {
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let established = slot.established;
        let (snd, rcv) = slot.halves(from_client);
        let exp = rcv.expected(snd.first_data_seq);
        let fin = u32::from(seg.has(flags::FIN));
        let len = seg.payload.len() as u32;
        let rcv_side = if from_client {
            Side::Server
        } else {
            Side::Client
        };
        if let Some(n) = snd.past_fin(seg.seq, len) {
            // The sender has closed: nothing it sends from its FIN on is data,
            // and a resent FIN changes nothing.
            return drop_after_fin(st, h, ts, n, pkt);
        }
        let urg = seg
            .has(flags::URG)
            .then(|| seg.seq.wrapping_add(u32::from(seg.urgent)).wrapping_sub(1));
        let resolve = self.config.policy != policy::Policy::Libnids;
        if established && resolve && rcv.queue.has_data() && !after(seg.seq, exp) {
            // In order, but queued data lies ahead: the policy decides overlaps
            // with it, so the segment joins the queue (a copy) and drains from there.
            if after(seg.seq.wrapping_add(len).wrapping_add(fin), exp) {
                let lost = exp.wrapping_sub(seg.seq).min(len) as usize;
                self.enqueue_checked(
                    idx,
                    rcv_side,
                    exp,
                    &seg.payload[lost..],
                    fin != 0,
                    urg,
                    exp,
                    ts,
                    pkt,
                    h,
                    st,
                );
                self.drain(idx, rcv_side, ts, h, st);
            }
            return;
        }
        if established && !after(seg.seq, exp) {
            if after(seg.seq.wrapping_add(len).wrapping_add(fin), exp) {
                self.add(
                    idx,
                    rcv_side,
                    Piece::Frame(seg.payload),
                    seg.seq,
                    fin != 0,
                    urg,
                    ts,
                    h,
                    st,
                );
                self.drain(idx, rcv_side, ts, h, st);
            }
            return;
        }
        // Ahead of the expected byte (or before the handshake completed): queue a copy.
        if fin != 0 {
            snd.state = State::Closing;
        }
        self.enqueue_checked(
            idx,
            rcv_side,
            seg.seq,
            seg.payload,
            fin != 0,
            urg,
            exp,
            ts,
            pkt,
            h,
            st,
        );
    }
    fn half_mut(&mut self, idx: u32, side: Side) -> Option<&mut Half> {
        Some(self.table.get_mut(idx)?.receiving_mut(side).0)
    }

    /// libnids `add_from_skb`: deliver the part of a segment beyond the expected
    /// byte, taking the urgent byte out of the stream.
    #[allow(clippy::too_many_arguments)]
    fn add<H: Handler<U>>(
        &mut self,
        idx: u32,
        side: Side,
        piece: Piece<'_>,
        seq: u32,
        fin: bool,
        urg: Option<u32>,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) {
        let datalen = piece.len() as u32;
        // Only the segment's last delivery may say the segment goes on.
        let more = core::mem::take(&mut self.more);
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let (rcv, snd) = slot.receiving_mut(side);
        if let Some(n) = snd.past_fin(seq, datalen) {
            // Queued before the FIN ahead of it was known.
            return drop_after_fin(st, h, ts, n, &[]);
        }
        let exp = rcv.expected(snd.first_data_seq);
        let lost = exp.wrapping_sub(seq).min(datalen);
        if let Some(up) = urg {
            if after(up, exp.wrapping_sub(1)) && (!rcv.urg_seen || after(up, rcv.urg_ptr)) {
                rcv.urg_ptr = up;
                rcv.urg_seen = true;
            }
        }
        if rcv.urg_seen
            && after(rcv.urg_ptr.wrapping_add(1), seq.wrapping_add(lost))
            && before(rcv.urg_ptr, seq.wrapping_add(datalen))
        {
            let up = rcv.urg_ptr;
            let to_copy = up.wrapping_sub(seq.wrapping_add(lost));
            let urg_at = up.wrapping_sub(seq);
            let byte = match piece {
                Piece::Frame(d) => d.get(urg_at as usize).copied().unwrap_or(0),
                Piece::Block { block, at, .. } => self
                    .pool
                    .data(block)
                    .get(at + urg_at as usize)
                    .copied()
                    .unwrap_or(0),
            };
            if to_copy > 0 {
                self.deliver(idx, side, sub(piece, lost, lost + to_copy), ts, h, st);
            }
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            let rcv = slot.receiving_mut(side).0;
            rcv.urgdata = byte;
            rcv.urg_seen = false;
            rcv.urg_count = rcv.urg_count.wrapping_add(1);
            if rcv.collect_urg {
                rcv.count_new_urg = true;
                self.call(idx, Event::Data, Some(side), Piece::Frame(&[]), ts, h, st);
                if let Some(hf) = self.half_mut(idx, side) {
                    hf.count_new_urg = false;
                }
            }
            if urg_at + 1 < datalen {
                self.more = more;
                self.deliver(idx, side, sub(piece, urg_at + 1, datalen), ts, h, st);
            }
        } else if datalen > lost {
            self.more = more;
            self.deliver(idx, side, sub(piece, lost, datalen), ts, h, st);
        }
        self.more = false;
        if fin {
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            let (rcv, snd) = slot.receiving_mut(side);
            snd.state = State::FinSent;
            snd.fin_seq = rcv.expected(snd.first_data_seq);
        }
    }

    /// End a stream: tell the handler (if it collects), free its storage.
    pub(crate) fn end<H: Handler<U>>(
        &mut self,
        idx: u32,
        event: Event,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) {
        if let Some(slot) = self.table.get(idx) {
            if slot.established && slot.interested() {
                self.call(idx, event, None, Piece::Frame(&[]), ts, h, st);
            }
        }
        self.remove(idx);
    }

    fn remove(&mut self, idx: u32) {
        if let Some(slot) = self.table.get_mut(idx) {
            let kept = [slot.client.kept.head, slot.server.kept.head];
            slot.client.queue.clear(&mut self.pool);
            slot.server.queue.clear(&mut self.pool);
            slot.client = Half::NEW;
            slot.server = Half::NEW;
            slot.user = None;
            for b in kept {
                self.pool.release_chain(b);
            }
        }
        self.table.remove(idx);
    }

    /// An ICMP destination unreachable quoted a TCP segment `quoted` (as sent,
    /// sender to receiver) with sequence number `seq`. libnids meant to end a
    /// connection attempt that was refused this way, but compares a port with an
    /// address and so ends the stream whichever side was unreachable. Here: a
    /// stream still in its handshake ends (silently: no handler saw it yet,
    /// counted in `Stats::tcp_icmp_refused`) if `seq` lies in the sender's
    /// window, as RFC 5927 asks (its SYN, or what its peer's window allows), so
    /// a forged message must guess the sequence number; an established one is
    /// left alone (ICMP errors are soft errors for established connections,
    /// RFC 1122 §4.2.3.9).
    pub(crate) fn icmp_unreachable(&mut self, quoted: &Tuple, seq: u32, st: &mut Stats) {
        let Some((idx, from_client)) = self.table.find(quoted) else {
            return;
        };
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        if slot.established {
            return;
        }
        let (snd, rcv) = slot.halves(from_client);
        let isn = snd.first_data_seq.wrapping_sub(1);
        let off = seq.wrapping_sub(snd.first_data_seq);
        let in_window = snd.state != State::Closed && (seq == isn || off < rcv.window.max(1));
        if in_window {
            self.remove(idx);
            stats::bump(&mut st.tcp_icmp_refused);
        }
    }

    /// End streams idle for longer than `idle_timeout`. Streams are kept in
    /// order of last use, so this looks only at the streams it ends and at one
    /// more: O(1) amortized per packet. A stream last seen "in the future" (a
    /// frame stamped ahead of the clock) counts as seen now.
    pub(crate) fn expire<H: Handler<U>>(&mut self, now: Instant, h: &mut H, st: &mut Stats) {
        let idle = self.config.idle_timeout;
        if idle == Duration::ZERO {
            return;
        }
        while let Some(idx) = self.table.least_recent() {
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            if slot.last > now {
                slot.last = now;
                slot.last_frame = self.frame_no;
                self.table.touch(idx);
                continue;
            }
            if now.saturating_since(slot.last) <= idle {
                return;
            }
            self.end(idx, Event::TimedOut, now, h, st);
        }
    }

    /// End every stream with `Exiting`, oldest first.
    pub(crate) fn finish<H: Handler<U>>(&mut self, now: Instant, h: &mut H, st: &mut Stats) {
        while let Some(idx) = self.table.oldest() {
            self.end(idx, Event::Exiting, now, h, st);
        }
    }
}

#[cfg(test)]
mod tests;

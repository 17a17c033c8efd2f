//! Bytes that wait: the engine's side of the out-of-order `queue::Queue`. What a
//! half may queue (its receiver's advertised window, `Config::tcp.max_queue`),
//! who gives storage up when it runs out, and delivery of what became in order.
//!
//! When storage is full, the half that holds the most of it (as last measured:
//! the last half to grow past the previous holder) gives up its segments
//! farthest from its next expected byte, as long as it still holds more than
//! the half asking; otherwise the half asking drops its own farthest segments
//! for nearer data; otherwise the new bytes are dropped. So one flow cannot take
//! storage from others for good, and the bytes a stream needs next are kept
//! first. Each step is O(log n) per segment dropped.

use super::queue::{self, Queue};
use super::seq::{after, before};
use super::stream::Side;
use super::{Piece, Tcp};
use crate::event::Warning;
use crate::handler::Handler;
use crate::stats::Stats;
use crate::time::Instant;
use crate::warn::warn;

impl<U, M: crate::memory::Memory<U>> Tcp<'_, U, M> {
    /// Queue a segment of `side` (bytes from `seq`, a FIN after them) under the
    /// configured policy, within the receiver's window and the storage; warn on
    /// what is dropped and on overlaps whose bytes differ.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn enqueue_checked<H: Handler<U>>(
        &mut self,
        idx: u32,
        side: Side,
        seq: u32,
        data: &[u8],
        fin: bool,
        urg: Option<u32>,
        exp: u32,
        ts: Instant,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) {
        let Some(half) = self.half_mut(idx, side) else {
            return;
        };
        // A segment that starts inside the receiver's window (checked before
        // this) is queued whole, as Linux and libnids do: the window as last seen
        // is often stale (the ACK that opened it may be missing from the capture
        // or come later), and the sender never resends bytes its receiver took,
        // so cutting them would stall the stream for good. Bytes past the window
        // as last seen are only warned of.
        let wend = half.ack_seq.wrapping_add(half.window);
        if after(seq, exp) && after(seq.wrapping_add(data.len() as u32), wend) {
            warn(st, h, ts, Warning::TcpBeyondWindow, pkt);
        }
        let Some(out) = self.insert(idx, side, seq, data, urg, exp) else {
            return;
        };
        if out.differs {
            warn(st, h, ts, Warning::TcpInconsistentRetransmission, pkt);
        }
        let mut complete = out.complete;
        if !complete && self.reclaim(idx, side, seq, data.len(), ts, pkt, h, st) {
            complete = self
                .insert(idx, side, seq, data, urg, exp)
                .is_some_and(|o| o.complete);
        }
        if !complete {
            warn(st, h, ts, Warning::TcpStorageFull, pkt);
        }
        let max = self.config.max_queue;
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let half = slot.receiving_mut(side).0;
        if fin {
            half.queue
                .set_fin(Some(seq.wrapping_add(data.len() as u32)));
        }
        if half.queue.charged() > max {
            let q = &mut half.queue;
            while q.charged() > max && q.pop_last(&mut self.pool).is_some() {}
            warn(st, h, ts, Warning::TcpQueueFull, pkt);
        }
        self.note_growth(idx, side);
    }

    fn insert(
        &mut self,
        idx: u32,
        side: Side,
        seq: u32,
        data: &[u8],
        urg: Option<u32>,
        exp: u32,
    ) -> Option<queue::Outcome> {
        let policy = self.config.policy;
        let slot = self.table.get_mut(idx)?;
        let q = &mut slot.receiving_mut(side).0.queue;
        Some(q.insert(&mut self.pool, seq, data, urg, exp, policy))
    }

    /// The queue of `side` in slot `idx`.
    fn queue_mut(&mut self, idx: u32, side: Side) -> Option<&mut Queue> {
        Some(&mut self.table.get_mut(idx)?.receiving_mut(side).0.queue)
    }

    /// Remember the half holding the most storage.
    fn note_growth(&mut self, idx: u32, side: Side) {
        let Some(mine) = self.queue_mut(idx, side).map(|q| q.charged()) else {
            return;
        };
        let top = self
            .hog
            .and_then(|(hd, s)| Some(self.table.get(self.table.index(hd)?)?.receiving(s).0))
            .map(|half| half.queue.charged());
        if top.is_none_or(|c| mine > c) {
            self.hog = self.table.handle(idx).map(|hd| (hd, side));
        }
    }

    /// Storage is full for `len` bytes at `seq` of `side`: take it from the
    /// largest queue if it holds more, else from this half's own segments
    /// beyond the new ones. Returns whether anything was freed.
    #[allow(clippy::too_many_arguments)]
    fn reclaim<H: Handler<U>>(
        &mut self,
        idx: u32,
        side: Side,
        seq: u32,
        len: usize,
        ts: Instant,
        pkt: &[u8],
        h: &mut H,
        st: &mut Stats,
    ) -> bool {
        // Storage the segment takes: a small block, or large blocks.
        let small_room = self.pool.small_capacity().saturating_sub(queue::HDR);
        let need = if len <= small_room {
            self.pool.small_capacity() + super::pool::LINK
        } else {
            len.div_ceil(self.pool.capacity().saturating_sub(queue::HDR).max(1))
                * self.pool.block_size()
        };
        let mine = self.queue_mut(idx, side).map_or(0, |q| q.charged());
        let mut freed = false;
        let victim = self
            .hog
            .and_then(|(hd, s)| Some((self.table.index(hd)?, s)))
            .filter(|&v| v != (idx, side));
        if let Some((vi, vs)) = victim {
            while self.pool.free_bytes() < need {
                let Some(slot) = self.table.get_mut(vi) else {
                    break;
                };
                let q = &mut slot.receiving_mut(vs).0.queue;
                if q.charged() <= mine + len || q.pop_last(&mut self.pool).is_none() {
                    break;
                }
                freed = true;
            }
            if freed {
                warn(st, h, ts, Warning::TcpQueueReclaimed, pkt);
            }
        }
        let end = seq.wrapping_add(len as u32);
        while self.pool.free_bytes() < need {
            let Some(slot) = self.table.get_mut(idx) else {
                break;
            };
            let q = &mut slot.receiving_mut(side).0.queue;
            if !q.pop_last_from(&mut self.pool, end) {
                break;
            }
            freed = true;
        }
        freed
    }

    /// Deliver queued bytes that have become in order, and a FIN that has.
    pub(super) fn drain<H: Handler<U>>(
        &mut self,
        idx: u32,
        side: Side,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) {
        loop {
            let Some(slot) = self.table.get_mut(idx) else {
                return;
            };
            let (rcv, snd) = slot.receiving_mut(side);
            let exp = rcv.expected(snd.first_data_seq);
            match rcv.queue.fin() {
                Some(f) if f == exp => {
                    rcv.queue.set_fin(None);
                    self.add(idx, side, Piece::Frame(&[]), exp, true, None, ts, h, st);
                    continue;
                }
                Some(f) if before(f, exp) => rcv.queue.set_fin(None),
                _ => {}
            }
            let Some(f) = rcv.queue.pop_due(&mut self.pool, exp) else {
                return;
            };
            if after(f.seq.wrapping_add(f.len as u32), exp) {
                let piece = Piece::Block {
                    block: f.id,
                    at: queue::HDR,
                    len: f.len,
                };
                // The handler learns that the segment goes on in the next
                // block (`Stream::continues`), so a face can give it whole.
                self.more = rcv.queue.continues(&mut self.pool, &f);
                self.add(idx, side, piece, f.seq, false, f.urg, ts, h, st);
                self.more = false;
            }
            self.pool.release(f.id);
        }
    }
}

#[cfg(test)]
mod tests;

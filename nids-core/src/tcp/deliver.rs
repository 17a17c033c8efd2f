//! Delivery: bytes reach the handler, from the frame or from queue blocks,
//! through `Tcp::deliver` and `Tcp::call` (one `Handler::tcp` call each).

use super::*;

impl<U, M: Memory<U>> Tcp<'_, U, M> {
    /// In-order bytes for `side`: count them, and hand them to the handler if
    /// it collects that half (libnids `add2buf` + `notify`).
    pub(super) fn deliver<H: Handler<U>>(
        &mut self,
        idx: u32,
        side: Side,
        piece: Piece<'_>,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) {
        let n = piece.len();
        if n == 0 {
            return;
        }
        stats::add(&mut st.tcp_bytes, n);
        let Some(hf) = self.half_mut(idx, side) else {
            return;
        };
        hf.count += n as u64;
        if !hf.collect {
            hf.offset = hf.count;
            return;
        }
        hf.count_new = n;
        self.call(idx, Event::Data, Some(side), piece, ts, h, st);
        if let Some(hf) = self.half_mut(idx, side) {
            hf.count_new = 0;
        }
    }

    /// Call the handler; afterwards apply `discard` (keep bytes) for the half
    /// with new data.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call<H: Handler<U>>(
        &mut self,
        idx: u32,
        event: Event,
        side: Option<Side>,
        piece: Piece<'_>,
        ts: Instant,
        h: &mut H,
        st: &mut Stats,
    ) {
        let Some(tuple) = self.table.tuple(idx) else {
            return;
        };
        let Some(slot) = self.table.get_mut(idx) else {
            return;
        };
        let new: &[u8] = match piece {
            Piece::Frame(d) => d,
            Piece::Block { block, at, len } => {
                self.pool.data(block).get(at..at + len).unwrap_or(&[])
            }
        };
        let mut s = Stream {
            ts,
            event,
            tuple,
            slot,
            pool: &self.pool,
            side,
            new,
            continues: self.more && event == Event::Data && !new.is_empty(),
            read: None,
            kill: false,
        };
        h.tcp(&mut s);
        let read = s.read;
        if s.kill {
            if let Some(slot) = self.table.get(idx) {
                kill::rst_frames(self.link, &tuple, slot, |link, frame| {
                    h.transmit(link, frame)
                });
            }
        }
        let Some(side) = side else { return };
        let Some(hf) = self.half_mut(idx, side) else {
            return;
        };
        let avail = (hf.count - hf.offset) as usize;
        let read = read.unwrap_or(avail).min(avail);
        let kept_before = hf.kept.len;
        hf.offset += read as u64;
        let keep = avail - read;
        // Drop consumed kept bytes, then keep the tail of the new bytes.
        let drop_kept = read.min(kept_before);
        self.kept_drop_front(idx, side, drop_kept);
        let new_len = piece.len();
        let keep_new = keep.min(new_len);
        if keep_new > 0 {
            let from = new_len - keep_new;
            if !self.kept_append(idx, side, piece, from, keep_new) {
                warn(st, h, ts, Warning::TcpStorageFull, &[]);
            }
        }
        let max = self.config.max_kept;
        if let Some(hf) = self.half_mut(idx, side) {
            if hf.kept.len > max {
                let over = hf.kept.len - max;
                hf.offset += over as u64;
                self.kept_drop_front(idx, side, over);
                warn(st, h, ts, Warning::TcpBufferFull, &[]);
            }
        }
    }
}

/// Bytes `from..to` of a piece.
pub(super) fn sub(p: Piece<'_>, from: u32, to: u32) -> Piece<'_> {
    let (f, t) = (from as usize, to as usize);
    match p {
        Piece::Frame(d) => Piece::Frame(d.get(f..t).unwrap_or(&[])),
        Piece::Block { block, at, .. } => Piece::Block {
            block,
            at: at + f,
            len: t.saturating_sub(f),
        },
    }
}

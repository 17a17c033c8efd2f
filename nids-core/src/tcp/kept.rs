//! Kept bytes: what a handler keeps with `discard`, held in pool blocks
//! per half (`Tcp::kept_append`, `Tcp::kept_drop_front`).

use super::*;

impl<U, M: Memory<U>> Tcp<'_, U, M> {
    pub(super) fn kept_drop_front(&mut self, idx: u32, side: Side, mut n: usize) {
        let cap = self.pool.capacity();
        let Some(hf) = self.half_mut(idx, side) else {
            return;
        };
        let mut k = hf.kept;
        n = n.min(k.len);
        while n > 0 && k.head != NONE {
            let in_head = (cap - k.start).min(k.len);
            if n < in_head {
                k.start += n;
                k.len -= n;
                n = 0;
            } else {
                n -= in_head;
                k.len -= in_head;
                let next = self.pool.next(k.head);
                self.pool.release(k.head);
                k.head = next;
                k.start = 0;
            }
        }
        if k.len == 0 {
            if k.head != NONE {
                self.pool.release_chain(k.head);
            }
            k = Kept::EMPTY;
        }
        if let Some(hf) = self.half_mut(idx, side) {
            hf.kept = k;
        }
    }

    /// Append `len` bytes of `piece` from `from` to the kept bytes of `side`.
    /// On storage exhaustion the kept bytes are released (offset moves past them).
    pub(super) fn kept_append(
        &mut self,
        idx: u32,
        side: Side,
        piece: Piece<'_>,
        from: usize,
        len: usize,
    ) -> bool {
        let cap = self.pool.capacity();
        let Some(hf) = self.half_mut(idx, side) else {
            return false;
        };
        let mut k = hf.kept;
        let mut done = 0;
        while done < len {
            let end = k.start + k.len;
            let fill = if k.head == NONE || (end > 0 && end % cap == 0) {
                cap
            } else {
                end % cap
            };
            let (block, at) = if k.head == NONE || fill == cap {
                let Some(b) = self.pool.alloc() else {
                    // out of storage: give up what is kept
                    let all = k.len;
                    if let Some(hf) = self.half_mut(idx, side) {
                        hf.kept = k;
                        hf.offset = hf.count;
                    }
                    self.kept_drop_front(idx, side, all);
                    return false;
                };
                if k.head == NONE {
                    k.head = b;
                    k.start = 0;
                } else {
                    self.pool.set_next(k.tail, b);
                }
                k.tail = b;
                (b, 0)
            } else {
                (k.tail, fill)
            };
            let n = (cap - at).min(len - done);
            match piece {
                Piece::Frame(d) => {
                    let src = &d[from + done..from + done + n];
                    self.pool.data_mut(block)[at..at + n].copy_from_slice(src);
                }
                Piece::Block {
                    block: sb, at: sa, ..
                } => {
                    let mut tmp = [0u8; 64];
                    let mut c = 0;
                    while c < n {
                        let m = (n - c).min(tmp.len());
                        tmp[..m].copy_from_slice(
                            &self.pool.data(sb)[sa + from + done + c..sa + from + done + c + m],
                        );
                        self.pool.data_mut(block)[at + c..at + c + m].copy_from_slice(&tmp[..m]);
                        c += m;
                    }
                }
            }
            k.len += n;
            done += n;
        }
        if let Some(hf) = self.half_mut(idx, side) {
            hf.kept = k;
        }
        true
    }
}

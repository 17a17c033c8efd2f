//! [`HalfBuf`]: one half's data buffer, as libnids' `struct half_stream`
//! holds it (`data`, `bufsize`, `count - offset`).

/// The most bytes a half keeps with `nids_discard` / `discard()` unless the
/// program raises the bound: 64 MiB. libnids has no bound at all (a program
/// that keeps every byte grows its buffer without limit); this one is far
/// above what a stream parser keeps between two callbacks, and when it is
/// hit the oldest bytes are dropped and the face warns ([`KEPT_WARNING`]).
pub const DEFAULT_MAX_KEPT: usize = 64 << 20;

/// What a face tells its user, once, when a half's kept bytes reach the bound.
pub const KEPT_WARNING: &str = "nids-rs: a TCP half kept more bytes than max_kept \
(nids_discard / discard()); its oldest bytes were dropped. Raise the bound with \
nids_rs_set_max_kept() in C or nids.param(\"max_kept\", n) in Python";

/// What [`HalfBuf::push`] did with new bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The segment goes on in the next event: hold the callbacks back.
    Pending,
    /// The segment is whole: call the callbacks with `count_new` new bytes
    /// (the last `count_new` of [`HalfBuf::data`]).
    Ready {
        /// libnids' `count_new`: the whole segment's length.
        count_new: usize,
    },
}

/// What [`HalfBuf::after_callbacks`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Bytes the callbacks read (dropped from the front; add to `offset`).
    pub read: usize,
    /// Bytes dropped beyond `max_kept` (add to `offset`, and warn once
    /// with [`KEPT_WARNING`]).
    pub dropped: usize,
    /// Call the callbacks again (`one_loop_less`).
    pub again: bool,
}

/// One half's buffer: the bytes kept by earlier callbacks, then the new
/// ones (`count - offset` in all), in an allocation of `bufsize` bytes.
///
/// The allocation is initialised (zeros, then whatever bytes were moved out
/// of the front): C reads and writes anywhere below `bufsize`, and pynids'
/// `HalfStream.data` is all `bufsize` bytes.
///
/// ```
/// use nids_compat::{HalfBuf, Push};
/// let mut b = HalfBuf::new();
/// // A segment the engine delivers in two blocks reaches callbacks once.
/// assert_eq!(b.push(b"GET / HT", true), Push::Pending);
/// assert_eq!(b.push(b"TP/1.0\r\n", false), Push::Ready { count_new: 16 });
/// assert_eq!(b.data(), b"GET / HTTP/1.0\r\n");
/// assert!(b.bufsize() > b.len()); // room for data[count_new] = 0
/// let mut count_new = 16;
/// b.consume(4, &mut count_new); // nids_discard(4): keep all but 4 bytes
/// assert_eq!(b.data(), b"/ HTTP/1.0\r\n");
/// ```
#[derive(Debug, Default, Clone)]
pub struct HalfBuf {
    /// `bufsize` bytes; the first `used` are the half's `count - offset`.
    buf: Vec<u8>,
    used: usize,
    /// New bytes of a segment whose rest is still to come.
    pending: usize,
}

impl HalfBuf {
    /// An empty buffer with no allocation (libnids' `data == NULL`).
    pub const fn new() -> HalfBuf {
        HalfBuf {
            buf: Vec::new(),
            used: 0,
            pending: 0,
        }
    }

    /// libnids' `bufsize`: the size of the allocation, 0 before the first byte.
    pub fn bufsize(&self) -> usize {
        self.buf.len()
    }

    /// `count - offset`: kept and new bytes.
    pub fn len(&self) -> usize {
        self.used
    }

    /// Whether no byte is held.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// The `count - offset` bytes held, oldest first.
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.used]
    }

    /// The whole allocation (`bufsize` bytes), as pynids' `HalfStream.data`.
    pub fn whole(&self) -> &[u8] {
        &self.buf
    }

    /// The allocation for C (`half_stream.data`): `bufsize` writable bytes,
    /// or null before the first byte. Valid until the next call that takes
    /// `&mut self`.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        if self.buf.is_empty() {
            core::ptr::null_mut()
        } else {
            self.buf.as_mut_ptr()
        }
    }

    /// New bytes of a segment still arriving (held back from callbacks).
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Room for `n` more bytes and one past them, grown as libnids'
    /// `add2buf` grows it: first 4096 bytes (twice `n` from 2048 up), then
    /// twice the size (or the size plus twice `n` for a large `n`).
    fn reserve(&mut self, n: usize) {
        let size = self.buf.len();
        if self.used + n < size {
            return;
        }
        let mut to = if size == 0 {
            if n < 2048 {
                4096
            } else {
                2 * n
            }
        } else if n < size {
            2 * size
        } else {
            size + 2 * n
        };
        // libnids only needs `used + n` to fit; C programs also write one
        // byte past it (`data[count_new] = 0`), so that byte must fit too.
        to = to.max(self.used + n + 1);
        self.buf.resize(to, 0);
    }

    /// Appends bytes the engine delivered (`Stream::new_data`), `continues`
    /// being `Stream::continues`: whether the segment goes on in the next
    /// event. Callbacks run only when the segment is whole.
    pub fn push(&mut self, new: &[u8], continues: bool) -> Push {
        self.reserve(new.len());
        self.buf[self.used..self.used + new.len()].copy_from_slice(new);
        self.used += new.len();
        self.pending += new.len();
        if continues {
            Push::Pending
        } else {
            Push::Ready {
                count_new: core::mem::take(&mut self.pending),
            }
        }
    }

    /// Ends a segment still pending (its rest was dropped, or the stream
    /// ends): `Some(count_new)` for the callbacks to run, or `None`.
    pub fn flush(&mut self) -> Option<usize> {
        match core::mem::take(&mut self.pending) {
            0 => None,
            n => Some(n),
        }
    }

    /// One round of libnids' `notify` after the callbacks: `read` is the
    /// stream's `read` (all bytes unless `nids_discard` lowered it). Drops
    /// that many bytes from the front and lowers `count_new` if some of the
    /// new bytes were consumed. Returns the bytes dropped (to add to
    /// `offset`).
    pub fn consume(&mut self, read: usize, count_new: &mut usize) -> usize {
        let total = self.used;
        let read = read.min(total);
        if read > total - (*count_new).min(total) {
            *count_new = total - read;
        }
        if read > 0 {
            self.buf.copy_within(read..total, 0);
            self.used -= read;
        }
        read
    }

    /// Keeps at most `max` bytes: drops the oldest beyond it (counted as
    /// read). Returns how many were dropped; the face then warns
    /// ([`KEPT_WARNING`]).
    pub fn bound(&mut self, max: usize) -> usize {
        let excess = self.used.saturating_sub(max);
        if excess > 0 {
            let mut none = 0;
            self.consume(excess, &mut none);
        }
        excess
    }

    /// libnids' `notify` after one round of callbacks on new bytes: drops
    /// what they read (`read`: the stream's `read` after `nids_discard`;
    /// `None` for all), lowers `count_new` if new bytes were read, keeps at
    /// most `max_kept` bytes, and says whether `one_loop_less` calls the
    /// callbacks again (they consumed some new bytes and left some). One
    /// face's loop:
    ///
    /// ```
    /// use nids_compat::{HalfBuf, Round};
    /// let mut b = HalfBuf::new();
    /// b.push(b"abcdef", false);
    /// let mut count_new = 6;
    /// let mut calls = 0;
    /// loop {
    ///     calls += 1; // the callbacks run here; the first keeps all but 3
    ///     let read = if calls == 1 { Some(3) } else { None };
    ///     let r: Round = b.after_callbacks(read, &mut count_new, true, 1 << 20);
    ///     if !r.again {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(calls, 2); // one_loop_less: called again for "def"
    /// ```
    pub fn after_callbacks(
        &mut self,
        read: Option<usize>,
        count_new: &mut usize,
        one_loop_less: bool,
        max_kept: usize,
    ) -> Round {
        let read = self.consume(read.unwrap_or(usize::MAX), count_new);
        let dropped = self.bound(max_kept);
        Round {
            read,
            dropped,
            again: one_loop_less && read > 0 && *count_new > 0,
        }
    }

    /// Forgets the bytes held (the half is no longer collected); the
    /// allocation stays, as libnids' does.
    pub fn clear(&mut self) {
        self.used = 0;
        self.pending = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_room_past_count_new_always() {
        let mut b = HalfBuf::new();
        for n in [1usize, 4095, 4096, 1, 10_000, 3, 8192, 0, 65_536] {
            let seg = vec![0xabu8; n];
            b.push(&seg, false);
            assert!(b.bufsize() > b.len(), "no room past {} bytes", b.len());
        }
    }

    #[test]
    fn test_grows_as_libnids() {
        let mut b = HalfBuf::new();
        b.push(&[1; 100], false);
        assert_eq!(b.bufsize(), 4096);
        let mut b = HalfBuf::new();
        b.push(&[1; 3000], false);
        assert_eq!(b.bufsize(), 6000, "2 * datalen from 2048 up");
        b.push(&[1; 100], false);
        assert_eq!(b.bufsize(), 6000);
        b.push(&[1; 4000], false);
        assert_eq!(b.bufsize(), 12_000, "doubled");
        b.push(&[1; 20_000], false);
        assert_eq!(b.bufsize(), 52_000, "bufsize + 2 * datalen");
    }

    #[test]
    fn test_pieces_of_a_segment_join() {
        let mut b = HalfBuf::new();
        assert_eq!(b.push(&[1; 2016], true), Push::Pending);
        assert_eq!(b.pending(), 2016);
        assert_eq!(b.push(&[2; 856], false), Push::Ready { count_new: 2872 });
        assert_eq!(b.len(), 2872);
        assert_eq!(b.flush(), None);
        b.push(&[3; 10], true);
        assert_eq!(b.flush(), Some(10));
    }

    #[test]
    fn test_consume_as_notify() {
        let mut b = HalfBuf::new();
        b.push(b"abcdef", false);
        let mut cn = 6;
        assert_eq!(b.consume(6, &mut cn), 6);
        assert!(b.is_empty());
        b.push(b"ghij", false);
        let mut cn = 4;
        // nids_discard(1): the first byte read, three kept.
        assert_eq!(b.consume(1, &mut cn), 1);
        assert_eq!(cn, 3);
        assert_eq!(b.data(), b"hij");
        b.push(b"kl", false);
        let mut cn = 2;
        // keep everything
        assert_eq!(b.consume(0, &mut cn), 0);
        assert_eq!((b.data(), cn), (&b"hijkl"[..], 2));
    }

    #[test]
    fn test_bound_drops_oldest() {
        let mut b = HalfBuf::new();
        b.push(b"0123456789", false);
        assert_eq!(b.bound(4), 6);
        assert_eq!(b.data(), b"6789");
        assert_eq!(b.bound(4), 0);
    }
}

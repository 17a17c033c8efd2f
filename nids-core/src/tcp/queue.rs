//! [`Queue`]: the out-of-order bytes of one half stream, kept free of overlaps
//! in a splay tree over [`Pool`] blocks.
//!
//! Each queued fragment is one record in one block (a small block when it fits,
//! [`Pool::alloc_small`]): a header (sequence number, length, urgent pointer,
//! the start of the segment it came from, two tree links) and its bytes.
//! Records are ordered by sequence number in a top-down splay tree (Sleator and
//! Tarjan), so insertion, the overlap walk, delivery of the first fragment and
//! pruning of the last cost O(log n) amortized in the number of fragments n;
//! a segment that overlaps k fragments costs O((k + 1) log n), and k is at most
//! its length. Nothing walks the whole queue except [`Queue::clear`] (O(n), once
//! per record stored).
//!
//! Overlaps are resolved as they arrive, so the queue holds each sequence
//! number at most once and a retransmission costs no storage: the
//! [`Policy`] decides who keeps overlapping bytes; under [`Policy::Libnids`] a
//! new segment wins the bytes of a fragment whose own segment started after it
//! (libnids applies its queued segments in sequence order, ties by arrival).
//!
//! Memory is counted as it is used: each record is charged its whole block
//! ([`Queue::charged`]), so one-byte segments hold no more storage than the
//! accounting says. A FIN takes no storage ([`Queue::fin`]).

use core::cmp::Ordering;

use super::policy::{Case, Policy};
use super::pool::{Pool, NONE};
use super::seq::{after, before};

/// Record header: seq (4), len (4), flags (1), pad (3), urgent pointer (4),
/// start of the original segment (4), left (4), right (4).
pub(crate) const HDR: usize = 28;
const F_URG: u8 = 1;
/// The segment goes on in the record that starts where this one ends (it was
/// split at block capacity).
const F_CONT: u8 = 2;

/// One queued fragment, unlinked from the queue for delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frag {
    /// Its block; its bytes are at [`HDR`] in the block's payload.
    pub id: u32,
    pub seq: u32,
    pub len: usize,
    /// The urgent pointer of the segment it came from.
    pub urg: Option<u32>,
    /// Where the segment it came from started (its fragments share it).
    pub orig: u32,
}

/// What [`Queue::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Every byte the new segment won is stored (false: storage ran out).
    pub complete: bool,
    /// Some overlapping byte differs from what was queued (an inconsistent
    /// retransmission), compared before the policy decided.
    pub differs: bool,
}

/// The out-of-order queue of one half: a splay tree of fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queue {
    root: u32,
    count: u32,
    bytes: usize,
    charged: usize,
    fin: Option<u32>,
}

fn rd(d: &[u8], at: usize) -> u32 {
    match d.get(at..at + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => NONE,
    }
}

fn wr(pool: &mut Pool<'_>, id: u32, at: usize, v: u32) {
    if let Some(b) = pool.data_mut(id).get_mut(at..at + 4) {
        b.copy_from_slice(&v.to_le_bytes());
    }
}

fn seq_of(pool: &Pool<'_>, id: u32) -> u32 {
    rd(pool.data(id), 0)
}
fn len_of(pool: &Pool<'_>, id: u32) -> usize {
    rd(pool.data(id), 4) as usize
}
fn left(pool: &Pool<'_>, id: u32) -> u32 {
    rd(pool.data(id), 20)
}
fn right(pool: &Pool<'_>, id: u32) -> u32 {
    rd(pool.data(id), 24)
}
fn set_left(pool: &mut Pool<'_>, id: u32, v: u32) {
    wr(pool, id, 20, v)
}
fn set_right(pool: &mut Pool<'_>, id: u32, v: u32) {
    wr(pool, id, 24, v)
}

/// Write a record header (links cleared).
fn write_header(pool: &mut Pool<'_>, id: u32, seq: u32, len: usize, urg: Option<u32>, orig: u32) {
    wr(pool, id, 0, seq);
    wr(pool, id, 4, len as u32);
    wr(
        pool,
        id,
        8,
        u32::from(if urg.is_some() { F_URG } else { 0 }),
    );
    wr(pool, id, 12, urg.unwrap_or(0));
    wr(pool, id, 16, orig);
    set_left(pool, id, NONE);
    set_right(pool, id, NONE);
}

/// Whether record `id` has [`F_CONT`].
fn cont(pool: &Pool<'_>, id: u32) -> bool {
    rd(pool.data(id), 8) & u32::from(F_CONT) != 0
}

/// Sets [`F_CONT`] on record `id`.
fn set_cont(pool: &mut Pool<'_>, id: u32) {
    let f = rd(pool.data(id), 8);
    wr(pool, id, 8, f | u32::from(F_CONT));
}

/// (seq, len, urgent pointer, original start) of record `id`.
fn header(pool: &Pool<'_>, id: u32) -> (u32, usize, Option<u32>, u32) {
    let d = pool.data(id);
    let urg = (rd(d, 8) & u32::from(F_URG) != 0).then(|| rd(d, 12));
    (rd(d, 0), rd(d, 4) as usize, urg, rd(d, 16))
}

/// Where `target` lies against `node` (mod 2³²).
fn cmp(target: u32, node: u32) -> Ordering {
    (target.wrapping_sub(node) as i32).cmp(&0)
}

/// Top-down splay of the tree at `t`: `go(seq)` says whether the wanted node is
/// left of (`Less`), right of (`Greater`) or at (`Equal`) a node. Returns the
/// new root: the wanted node, or the last one on the path to it.
fn splay(pool: &mut Pool<'_>, mut t: u32, go: impl Fn(u32) -> Ordering) -> u32 {
    if t == NONE {
        return NONE;
    }
    // Roots of the assembled right (`nl`) and left (`nr`) trees, and their
    // tails (`NONE`: the tree is still empty).
    let (mut nl, mut nr, mut l, mut r) = (NONE, NONE, NONE, NONE);
    loop {
        match go(seq_of(pool, t)) {
            Ordering::Less => {
                let mut tl = left(pool, t);
                if tl == NONE {
                    break;
                }
                if go(seq_of(pool, tl)) == Ordering::Less {
                    set_left(pool, t, right(pool, tl));
                    set_right(pool, tl, t);
                    t = tl;
                    tl = left(pool, t);
                    if tl == NONE {
                        break;
                    }
                }
                if r == NONE {
                    nl = t;
                } else {
                    set_left(pool, r, t);
                }
                r = t;
                t = tl;
            }
            Ordering::Greater => {
                let mut tr = right(pool, t);
                if tr == NONE {
                    break;
                }
                if go(seq_of(pool, tr)) == Ordering::Greater {
                    set_right(pool, t, left(pool, tr));
                    set_left(pool, tr, t);
                    t = tr;
                    tr = right(pool, t);
                    if tr == NONE {
                        break;
                    }
                }
                if l == NONE {
                    nr = t;
                } else {
                    set_right(pool, l, t);
                }
                l = t;
                t = tr;
            }
            Ordering::Equal => break,
        }
    }
    let (tl, tr) = (left(pool, t), right(pool, t));
    if l == NONE {
        nr = tl;
    } else {
        set_right(pool, l, tl);
    }
    if r == NONE {
        nl = tr;
    } else {
        set_left(pool, r, tr);
    }
    set_left(pool, t, nr);
    set_right(pool, t, nl);
    t
}

/// Offsets relative to the next expected byte, signed so that a fragment
/// behind it (possible only transiently) still orders right.
fn rel(x: u32, exp: u32) -> i64 {
    i64::from(x.wrapping_sub(exp) as i32)
}

impl Queue {
    /// No fragment, no FIN.
    pub(crate) const EMPTY: Queue = Queue {
        root: NONE,
        count: 0,
        bytes: 0,
        charged: 0,
        fin: None,
    };

    /// Whether no fragment is queued (a FIN may be).
    pub(crate) fn has_data(&self) -> bool {
        self.root != NONE
    }

    /// Payload bytes queued.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Storage held: the whole size of every block the fragments occupy.
    pub(crate) fn charged(&self) -> usize {
        self.charged
    }

    #[cfg(test)]
    /// Number of fragments (one block each).
    pub(crate) fn len(&self) -> u32 {
        self.count
    }

    /// The sequence number of a FIN waiting for the bytes before it.
    pub(crate) fn fin(&self) -> Option<u32> {
        self.fin
    }

    /// Remember (or forget) a FIN at `seq` (the last one wins).
    pub(crate) fn set_fin(&mut self, seq: Option<u32>) {
        self.fin = seq;
    }

    /// Where the first waiting thing starts: the first fragment or the FIN.
    pub(crate) fn first_seq(&mut self, pool: &mut Pool<'_>, exp: u32) -> Option<u32> {
        let f = self.first(pool).map(|id| seq_of(pool, id));
        match (f, self.fin) {
            (Some(a), Some(b)) => Some(if rel(a, exp) <= rel(b, exp) { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// The first fragment (lowest sequence number), splayed to the root.
    fn first(&mut self, pool: &mut Pool<'_>) -> Option<u32> {
        self.root = splay(pool, self.root, |_| Ordering::Less);
        (self.root != NONE).then_some(self.root)
    }

    /// The last fragment, splayed to the root.
    fn last(&mut self, pool: &mut Pool<'_>) -> Option<u32> {
        self.root = splay(pool, self.root, |_| Ordering::Greater);
        (self.root != NONE).then_some(self.root)
    }

    /// The fragment with the highest start at or before `x`.
    fn find_le(&mut self, pool: &mut Pool<'_>, x: u32) -> Option<u32> {
        self.root = splay(pool, self.root, |s| cmp(x, s));
        let root = self.root;
        if root == NONE {
            return None;
        }
        if !after(seq_of(pool, root), x) {
            return Some(root);
        }
        let l = left(pool, root);
        if l == NONE {
            return None;
        }
        let m = splay(pool, l, |_| Ordering::Greater);
        set_left(pool, root, m);
        Some(m)
    }

    /// The fragment with the lowest start after `x`.
    fn find_gt(&mut self, pool: &mut Pool<'_>, x: u32) -> Option<u32> {
        self.root = splay(pool, self.root, |s| cmp(x, s));
        let root = self.root;
        if root == NONE {
            return None;
        }
        if after(seq_of(pool, root), x) {
            return Some(root);
        }
        let r = right(pool, root);
        if r == NONE {
            return None;
        }
        let m = splay(pool, r, |_| Ordering::Less);
        set_right(pool, root, m);
        Some(m)
    }

    /// The first fragment that ends after `seq` (it may start before it).
    fn first_reaching(&mut self, pool: &mut Pool<'_>, seq: u32) -> Option<u32> {
        if let Some(p) = self.find_le(pool, seq) {
            let end = seq_of(pool, p).wrapping_add(len_of(pool, p) as u32);
            if after(end, seq) {
                return Some(p);
            }
        }
        self.find_gt(pool, seq)
    }

    /// Put record `id` (header written) into the tree and count it.
    fn link(&mut self, pool: &mut Pool<'_>, id: u32) {
        let key = seq_of(pool, id);
        let root = splay(pool, self.root, |s| cmp(key, s));
        if root == NONE {
            set_left(pool, id, NONE);
            set_right(pool, id, NONE);
        } else if after(seq_of(pool, root), key) {
            set_left(pool, id, left(pool, root));
            set_right(pool, id, root);
            set_left(pool, root, NONE);
        } else {
            set_right(pool, id, right(pool, root));
            set_left(pool, id, root);
            set_right(pool, root, NONE);
        }
        self.root = id;
        self.count += 1;
        self.bytes += len_of(pool, id);
        self.charged += pool.size_of(id);
    }

    /// Take record `id` out of the tree (its block stays allocated).
    fn unlink(&mut self, pool: &mut Pool<'_>, id: u32) {
        let key = seq_of(pool, id);
        let root = splay(pool, self.root, |s| cmp(key, s));
        if root != id {
            // Not in this tree: nothing to do (cannot happen).
            self.root = root;
            return;
        }
        let (l, r) = (left(pool, root), right(pool, root));
        self.root = if l == NONE {
            r
        } else {
            let m = splay(pool, l, |_| Ordering::Greater);
            set_right(pool, m, r);
            m
        };
        self.count -= 1;
        self.bytes -= len_of(pool, id);
        self.charged -= pool.size_of(id);
    }

    /// Store `bytes` at `seq` as new records (split at block capacity): small
    /// blocks for what fits one, else large ones, each falling back on the other
    /// size. Returns false if storage ran out (what fit is kept).
    fn store(
        &mut self,
        pool: &mut Pool<'_>,
        seq: u32,
        bytes: &[u8],
        urg: Option<u32>,
        orig: u32,
    ) -> bool {
        let small_room = pool.small_capacity().saturating_sub(HDR);
        let mut off = 0;
        while off < bytes.len() {
            let rest = bytes.len() - off;
            let b = if rest <= small_room {
                pool.alloc_small().or_else(|| pool.alloc())
            } else {
                pool.alloc().or_else(|| pool.alloc_small())
            };
            let Some(b) = b else { return false };
            let room = pool.data(b).len().saturating_sub(HDR);
            if room == 0 {
                pool.release(b);
                return false;
            }
            let n = rest.min(room);
            let s = seq.wrapping_add(off as u32);
            write_header(pool, b, s, n, urg, orig);
            if off + n < bytes.len() {
                set_cont(pool, b);
            }
            pool.data_mut(b)[HDR..HDR + n].copy_from_slice(&bytes[off..off + n]);
            self.link(pool, b);
            off += n;
        }
        true
    }

    /// Queue `data` at `seq`, `exp` being the next byte the receiver expects
    /// (bytes before it are ignored). For each queued fragment it overlaps,
    /// `policy` decides who keeps the overlapping bytes; then the new bytes fill
    /// what is left uncovered. Cost: O((k + 1) log n) for k overlapped fragments.
    pub(crate) fn insert(
        &mut self,
        pool: &mut Pool<'_>,
        seq: u32,
        data: &[u8],
        urg: Option<u32>,
        exp: u32,
        policy: Policy,
    ) -> Outcome {
        let mut out = Outcome {
            complete: true,
            differs: false,
        };
        // Bytes behind the expected one were delivered already.
        let behind = (-rel(seq, exp)).clamp(0, data.len() as i64) as usize;
        let (seq, data) = (seq.wrapping_add(behind as u32), &data[behind..]);
        if data.is_empty() {
            return out;
        }
        let orig = seq.wrapping_sub(behind as u32);
        let n0 = rel(seq, exp);
        let n1 = n0 + data.len() as i64;
        // Phase 1: take from queued fragments the overlaps the new segment wins.
        let mut cur = self.first_reaching(pool, seq);
        while let Some(o) = cur {
            let (os, olen, ourg, oorig) = header(pool, o);
            let (o0, o1) = (rel(os, exp), rel(os, exp) + olen as i64);
            if o0 >= n1 {
                break;
            }
            let (a, b) = (n0.max(o0), n1.min(o1));
            if a >= b {
                cur = self.find_gt(pool, os);
                continue;
            }
            if !out.differs {
                let old = pool
                    .data(o)
                    .get(HDR + (a - o0) as usize..HDR + (b - o0) as usize);
                out.differs = old != data.get((a - n0) as usize..(b - n0) as usize);
            }
            let wins = match policy {
                Policy::Libnids => rel(orig, exp) < rel(oorig, exp),
                _ => {
                    let u = |x: i64| (x + (1 << 31)) as u32;
                    policy.new_wins(Case::of(u(n0), u(n1), u(o0), u(o1)))
                }
            };
            if wins {
                let kept_front = (a - o0) as usize;
                let taken = (b - a) as usize;
                match (a == o0, b == o1) {
                    (true, true) => {
                        self.unlink(pool, o);
                        pool.release(o);
                    }
                    (true, false) => {
                        // Front taken: the rest moves down; the key grows but
                        // stays below the next fragment's.
                        pool.copy(o, HDR + taken, o, HDR, olen - taken);
                        wr(pool, o, 0, os.wrapping_add(taken as u32));
                        wr(pool, o, 4, (olen - taken) as u32);
                        self.bytes -= taken;
                    }
                    (false, true) => {
                        wr(pool, o, 4, kept_front as u32);
                        self.bytes -= taken;
                    }
                    (false, false) => {
                        // Middle taken: the tail becomes a record of its own.
                        // Its block is found before the old record is cut, so
                        // storage running out never loses queued bytes: without
                        // one the old record keeps the middle (the policy is
                        // not applied, and the caller hears storage ran out).
                        let tail_at = (b - o0) as usize;
                        let tail_len = olen - tail_at;
                        let small_room = pool.small_capacity().saturating_sub(HDR);
                        let nb = if tail_len <= small_room {
                            pool.alloc_small().or_else(|| pool.alloc())
                        } else {
                            pool.alloc()
                        };
                        match nb {
                            Some(nb) if pool.data(nb).len() >= HDR + tail_len => {
                                wr(pool, o, 4, kept_front as u32);
                                self.bytes -= olen - kept_front;
                                pool.copy(o, HDR + tail_at, nb, HDR, tail_len);
                                let ts = os.wrapping_add(tail_at as u32);
                                let ocont = cont(pool, o);
                                write_header(pool, nb, ts, tail_len, ourg, oorig);
                                if ocont {
                                    set_cont(pool, nb);
                                }
                                self.link(pool, nb);
                            }
                            Some(nb) => {
                                pool.release(nb);
                                out.complete = false;
                            }
                            None => out.complete = false,
                        }
                    }
                }
            }
            cur = self.find_gt(pool, os);
        }
        // Phase 2: the new bytes fill what no fragment covers.
        let mut c = n0;
        let mut cur = self.first_reaching(pool, seq);
        loop {
            let next = cur.map(|o| (seq_of(pool, o), len_of(pool, o)));
            let (gap_end, after_o) = match next {
                Some((os, olen)) if rel(os, exp) < n1 => {
                    (rel(os, exp), Some((os, rel(os, exp) + olen as i64)))
                }
                _ => (n1, None),
            };
            if gap_end > c {
                let piece = &data[(c - n0) as usize..(gap_end - n0) as usize];
                let at = exp.wrapping_add(c as u32);
                if !self.store(pool, at, piece, urg, orig) {
                    out.complete = false;
                    break;
                }
            }
            let Some((os, o1)) = after_o else { break };
            c = c.max(o1);
            cur = self.find_gt(pool, os);
        }
        out
    }

    /// Unlink the first fragment if it starts at or before `exp`. The caller
    /// delivers its bytes, then releases its block (`pool.release(frag.id)`).
    pub(crate) fn pop_due(&mut self, pool: &mut Pool<'_>, exp: u32) -> Option<Frag> {
        let id = self.first(pool)?;
        let (seq, len, urg, orig) = header(pool, id);
        if after(seq, exp) {
            return None;
        }
        self.unlink(pool, id);
        Some(Frag {
            id,
            seq,
            len,
            urg,
            orig,
        })
    }

    /// Whether the first fragment left is the rest of `f`'s segment (a
    /// segment longer than a block is stored as several fragments): `f` was
    /// split there, and the next starts where `f` ends, from the same segment.
    /// `f`'s block must not be released yet.
    pub(crate) fn continues(&mut self, pool: &mut Pool<'_>, f: &Frag) -> bool {
        if !cont(pool, f.id) {
            return false;
        }
        let Some(id) = self.first(pool) else {
            return false;
        };
        let (seq, _, _, orig) = header(pool, id);
        orig == f.orig && seq == f.seq.wrapping_add(f.len as u32)
    }

    /// Drop the last fragment (farthest from the expected byte). Returns its
    /// start, or `None` if the queue holds no fragment.
    pub(crate) fn pop_last(&mut self, pool: &mut Pool<'_>) -> Option<u32> {
        let id = self.last(pool)?;
        let seq = seq_of(pool, id);
        self.unlink(pool, id);
        pool.release(id);
        Some(seq)
    }

    /// Drop the last fragment if it starts at or after `seq`. Returns whether
    /// one was dropped.
    pub(crate) fn pop_last_from(&mut self, pool: &mut Pool<'_>, seq: u32) -> bool {
        match self.last(pool) {
            Some(id) if !before(seq_of(pool, id), seq) => self.pop_last(pool).is_some(),
            _ => false,
        }
    }

    #[cfg(test)]
    /// Where the last fragment ends, if any.
    pub(crate) fn end(&mut self, pool: &mut Pool<'_>) -> Option<u32> {
        let id = self.last(pool)?;
        Some(seq_of(pool, id).wrapping_add(len_of(pool, id) as u32))
    }

    /// Release every fragment and forget the FIN. O(n): the tree is taken
    /// apart by right rotations, without a stack.
    pub(crate) fn clear(&mut self, pool: &mut Pool<'_>) {
        let mut t = self.root;
        while t != NONE {
            let l = left(pool, t);
            if l == NONE {
                let r = right(pool, t);
                pool.release(t);
                t = r;
            } else {
                set_left(pool, t, right(pool, l));
                set_right(pool, l, t);
                t = l;
            }
        }
        *self = Queue::EMPTY;
    }

    #[cfg(test)]
    /// The bytes of a fragment unlinked by [`Queue::pop_due`].
    pub(crate) fn bytes_of<'p>(pool: &'p Pool<'_>, f: &Frag) -> &'p [u8] {
        pool.data(f.id).get(HDR..HDR + f.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests;

/// Drive a queue with the operations encoded in `ops` and check it against a
/// model; panics on any difference (for the `queue` fuzz target, with the
/// `test-util` feature). Byte 0 picks the policy, byte 1 the block size and the
/// storage (so storage runs out), then each 4-byte record is one operation: a
/// segment of the stream (every copy of an offset carries the same byte, so all
/// policies must give the stream), or delivery of what is in order, or pruning
/// the far end. Checked after each: the tree is ordered and free of overlaps, its
/// accounting equals the blocks in use, and delivered bytes are the stream's.
#[cfg(any(test, feature = "test-util"))]
pub fn fuzz_drive(ops: &[u8]) {
    use super::policy::Policy::*;
    let policies = [
        Libnids, First, Last, Bsd, Linux, OldLinux, Windows, Vista, Solaris,
    ];
    let (Some(&p), Some(&b)) = (ops.first(), ops.get(1)) else {
        return;
    };
    let policy = policies[usize::from(p) % policies.len()];
    let block = [64usize, 96, 256, 2048][usize::from(b & 3)];
    let storage = block * (1 + usize::from(b >> 2) * 4);
    let mut mem = alloc::vec![0u8; storage];
    let mut pool = Pool::new(&mut mem[..], block);
    let mut q = Queue::EMPTY;
    let isn = u32::from(p).wrapping_mul(0x9e37_79b9);
    let byte = |off: u32| (off.wrapping_mul(31) >> 3) as u8;
    let mut exp = isn;
    let mut delivered = 0u32;
    for op in ops[2..].chunks_exact(4) {
        let off = u32::from(u16::from_le_bytes([op[0], op[1]])) % 8192;
        match op[3] % 8 {
            0 => {
                while let Some(f) = q.pop_due(&mut pool, exp) {
                    let from = exp.wrapping_sub(f.seq) as usize;
                    let data = pool.data(f.id).get(HDR..HDR + f.len).unwrap_or(&[]);
                    for (i, &x) in data.iter().enumerate().skip(from) {
                        assert_eq!(x, byte(delivered + (i - from) as u32), "delivered byte");
                    }
                    if from < f.len {
                        delivered += (f.len - from) as u32;
                        exp = exp.wrapping_add((f.len - from) as u32);
                    }
                    pool.release(f.id);
                }
            }
            1 => {
                q.pop_last(&mut pool);
            }
            _ => {
                let len = u32::from(op[2]) * 3 + 1;
                let data: alloc::vec::Vec<u8> = (off..off + len).map(byte).collect();
                let out = q.insert(&mut pool, isn.wrapping_add(off), &data, None, exp, policy);
                assert!(!out.differs, "the same bytes never differ");
            }
        }
        assert_eq!(
            pool.in_use_bytes(),
            q.charged(),
            "accounting = blocks in use"
        );
        assert_eq!(pool.in_use(), q.count, "one block per fragment");
        // order and overlaps: walk from the first fragment by successor
        let mut at = q.first(&mut pool);
        let (mut n, mut bytes, mut end) = (0u32, 0usize, None::<u32>);
        while let Some(id) = at {
            let (s, l, ..) = header(&pool, id);
            assert!(l > 0);
            if let Some(e) = end {
                assert!(!before(s, e), "fragments overlap or are out of order");
            }
            end = Some(s.wrapping_add(l as u32));
            n += 1;
            bytes += l;
            at = q.find_gt(&mut pool, s);
        }
        assert_eq!((n, bytes), (q.count, q.bytes), "counts");
    }
    q.clear(&mut pool);
    assert_eq!(pool.in_use(), 0, "clear() frees every block");
}

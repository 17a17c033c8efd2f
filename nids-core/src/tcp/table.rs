//! [`Table`]: the fixed stream table, with keyed hash buckets and a creation-order
//! list for eviction.
//!
//! `N` slots and `N` buckets (libnids' `n_tcp_streams`). Slots are kept in two
//! lists: by creation (for eviction) and by last use ([`Table::touch`], for idle
//! expiry in O(1) per expired stream). Lookups hash the two
//! endpoints in an order-independent way with SipHash-1-3 under a caller-given
//! key, so packets of either direction find the stream in one probe of a chain and
//! a sender cannot aim collisions at one bucket. Cost: O(1) expected per lookup,
//! insert and removal; 8 bytes per bucket plus the slot itself.

use core::hash::Hasher;
use core::net::IpAddr;

use siphasher::sip::SipHasher13;

use crate::flow::Tuple;

/// "No slot".
pub const NONE: u32 = u32::MAX;

/// Links of one slot: the bucket chain, the creation-order list, the last-use
/// list, and a generation that changes each time the slot is freed.
#[derive(Debug, Clone, Copy)]
struct Links {
    hash_next: u32,
    older: u32,
    newer: u32,
    less_recent: u32,
    more_recent: u32,
    gen: u32,
    used: bool,
}

/// A checked reference to a stream: [`Table::index`] refuses it once the stream
/// was removed, even if its slot holds another stream since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    index: u32,
    gen: u32,
}

/// The stream table: `N` slots of `T`, found by [`Tuple`].
pub struct Table<T, const N: usize> {
    buckets: [u32; N],
    links: [Links; N],
    tuples: [Option<Tuple>; N],
    slots: [T; N],
    free: u32,
    oldest: u32,
    newest: u32,
    least_recent: u32,
    most_recent: u32,
    len: usize,
    key: (u64, u64),
}

const FREE_LINKS: Links = Links {
    hash_next: NONE,
    older: NONE,
    newer: NONE,
    less_recent: NONE,
    more_recent: NONE,
    gen: 0,
    used: false,
};

impl<T, const N: usize> Table<T, N> {
    /// An empty table whose free slots hold `empty()`, hashing with `key`.
    pub fn new_with(empty: impl Fn() -> T, key: (u64, u64)) -> Self {
        let mut t = Table {
            buckets: [NONE; N],
            links: [FREE_LINKS; N],
            tuples: [None; N],
            slots: core::array::from_fn(|_| empty()),
            free: NONE,
            oldest: NONE,
            newest: NONE,
            least_recent: NONE,
            most_recent: NONE,
            len: 0,
            key,
        };
        t.reset_free_list();
        t
    }

    /// Initialise a table in place at `p` (no temporary of the table's size).
    ///
    /// # Safety
    /// `p` must be valid for writes and properly aligned for `Self`. Afterwards
    /// every field of `*p` is initialised.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn init_at(p: *mut Self, empty: impl Fn() -> T, key: (u64, u64)) {
        use core::ptr::addr_of_mut;
        // SAFETY: the caller guarantees `p` is valid and aligned; every write below
        // targets a field (or an array element within bounds `0..N`) of `*p`, and
        // each is written exactly once before the table is used.
        unsafe {
            let buckets = addr_of_mut!((*p).buckets).cast::<u32>();
            let links = addr_of_mut!((*p).links).cast::<Links>();
            let tuples = addr_of_mut!((*p).tuples).cast::<Option<Tuple>>();
            let slots = addr_of_mut!((*p).slots).cast::<T>();
            for i in 0..N {
                buckets.add(i).write(NONE);
                let next = if i + 1 < N { (i + 1) as u32 } else { NONE };
                links.add(i).write(Links {
                    hash_next: next,
                    ..FREE_LINKS
                });
                tuples.add(i).write(None);
                slots.add(i).write(empty());
            }
            addr_of_mut!((*p).free).write(if N > 0 { 0 } else { NONE });
            addr_of_mut!((*p).oldest).write(NONE);
            addr_of_mut!((*p).newest).write(NONE);
            addr_of_mut!((*p).least_recent).write(NONE);
            addr_of_mut!((*p).most_recent).write(NONE);
            addr_of_mut!((*p).len).write(0);
            addr_of_mut!((*p).key).write(key);
        }
    }

    fn reset_free_list(&mut self) {
        for i in 0..N {
            self.links[i].hash_next = if i + 1 < N { (i + 1) as u32 } else { NONE };
        }
        self.free = if N > 0 { 0 } else { NONE };
    }

    /// Number of streams in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no stream.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bucket(&self, t: &Tuple) -> usize {
        if N == 0 {
            return 0;
        }
        if let (IpAddr::V4(s), IpAddr::V4(d)) = (t.src, t.dst) {
            // IPv4: the canonical (lower endpoint first) tuple in two words,
            // keyed multiply-fold (as foldhash/wyhash), one probe.
            let a = (u64::from(u32::from(s)) << 16) | u64::from(t.sport);
            let b = (u64::from(u32::from(d)) << 16) | u64::from(t.dport);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let m = u128::from(lo ^ self.key.0) * u128::from(hi ^ self.key.1);
            let h = (m as u64) ^ ((m >> 64) as u64);
            let m = u128::from(h ^ self.key.1) * u128::from(0x9e37_79b9_7f4a_7c15u64);
            let h = (m as u64) ^ ((m >> 64) as u64);
            return (h % N as u64) as usize;
        }
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        let a = (t.src, t.sport);
        let b = (t.dst, t.dport);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        for (addr, port) in [lo, hi] {
            match addr {
                IpAddr::V4(x) => h.write(&x.octets()),
                IpAddr::V6(x) => h.write(&x.octets()),
            }
            h.write_u16(port);
        }
        (h.finish() % N as u64) as usize
    }

    /// Find the stream of `t`, in either direction: its slot and whether `t` is
    /// the stream's own orientation (client to server).
    pub fn find(&self, t: &Tuple) -> Option<(u32, bool)> {
        let mut i = *self.buckets.get(self.bucket(t))?;
        while i != NONE {
            let s = self.tuples[i as usize].as_ref()?;
            if s == t {
                return Some((i, true));
            }
            if s.is_reverse_of(t) {
                return Some((i, false));
            }
            i = self.links[i as usize].hash_next;
        }
        None
    }

    /// Take a free slot for `t` (client to server), set it to `value` and make it
    /// the newest. `Err(value)` if every slot is in use.
    pub fn insert(&mut self, t: Tuple, value: T) -> Result<u32, T> {
        let i = self.free;
        if i == NONE {
            return Err(value);
        }
        let b = self.bucket(&t);
        let iu = i as usize;
        self.free = self.links[iu].hash_next;
        self.links[iu] = Links {
            hash_next: self.buckets[b],
            older: self.newest,
            newer: NONE,
            less_recent: NONE,
            more_recent: NONE,
            gen: self.links[iu].gen,
            used: true,
        };
        self.link_recent(i);
        self.buckets[b] = i;
        if self.newest != NONE {
            self.links[self.newest as usize].newer = i;
        } else {
            self.oldest = i;
        }
        self.newest = i;
        self.tuples[iu] = Some(t);
        self.slots[iu] = value;
        self.len += 1;
        Ok(i)
    }

    /// Free slot `i` (no-op if it is not in use).
    pub fn remove(&mut self, i: u32) {
        let iu = i as usize;
        let Some(t) = self.tuples.get(iu).copied().flatten() else {
            return;
        };
        if !self.links[iu].used {
            return;
        }
        let b = self.bucket(&t);
        // unlink from the bucket chain
        let mut p = self.buckets[b];
        if p == i {
            self.buckets[b] = self.links[iu].hash_next;
        } else {
            while p != NONE {
                let n = self.links[p as usize].hash_next;
                if n == i {
                    self.links[p as usize].hash_next = self.links[iu].hash_next;
                    break;
                }
                p = n;
            }
        }
        // unlink from the age list
        let Links { older, newer, .. } = self.links[iu];
        if older != NONE {
            self.links[older as usize].newer = newer;
        } else {
            self.oldest = newer;
        }
        if newer != NONE {
            self.links[newer as usize].older = older;
        } else {
            self.newest = older;
        }
        self.unlink_recent(i);
        self.tuples[iu] = None;
        self.links[iu] = Links {
            hash_next: self.free,
            gen: self.links[iu].gen.wrapping_add(1),
            ..FREE_LINKS
        };
        self.free = i;
        self.len -= 1;
    }

    /// The oldest stream (by creation).
    pub fn oldest(&self) -> Option<u32> {
        (self.oldest != NONE).then_some(self.oldest)
    }

    /// The stream created after `i`, in creation order.
    pub fn newer(&self, i: u32) -> Option<u32> {
        let n = self.links.get(i as usize)?.newer;
        (n != NONE).then_some(n)
    }

    /// The tuple of slot `i` (client to server).
    pub fn tuple(&self, i: u32) -> Option<&Tuple> {
        self.tuples.get(i as usize)?.as_ref()
    }

    /// Slot `i`, if it holds a stream (`None` for a free slot).
    pub fn get(&self, i: u32) -> Option<&T> {
        if !self.links.get(i as usize)?.used {
            return None;
        }
        self.slots.get(i as usize)
    }

    /// Slot `i`, writable, if it holds a stream.
    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        if !self.links.get(i as usize)?.used {
            return None;
        }
        self.slots.get_mut(i as usize)
    }

    /// A checked handle on the stream in slot `i`.
    pub fn handle(&self, i: u32) -> Option<Handle> {
        let l = self.links.get(i as usize)?;
        l.used.then_some(Handle {
            index: i,
            gen: l.gen,
        })
    }

    /// The slot of handle `h`, if its stream is still there.
    pub fn index(&self, h: Handle) -> Option<u32> {
        let l = self.links.get(h.index as usize)?;
        (l.used && l.gen == h.gen).then_some(h.index)
    }

    /// Mark slot `i` as the most recently used. O(1).
    pub fn touch(&mut self, i: u32) {
        if self.links.get(i as usize).is_some_and(|l| l.used) && self.most_recent != i {
            self.unlink_recent(i);
            self.link_recent(i);
        }
    }

    /// The stream used least recently ([`Table::touch`] or insertion).
    pub fn least_recent(&self) -> Option<u32> {
        (self.least_recent != NONE).then_some(self.least_recent)
    }

    fn link_recent(&mut self, i: u32) {
        let iu = i as usize;
        self.links[iu].less_recent = self.most_recent;
        self.links[iu].more_recent = NONE;
        if self.most_recent != NONE {
            self.links[self.most_recent as usize].more_recent = i;
        } else {
            self.least_recent = i;
        }
        self.most_recent = i;
    }

    fn unlink_recent(&mut self, i: u32) {
        let Links {
            less_recent,
            more_recent,
            ..
        } = self.links[i as usize];
        if less_recent != NONE {
            self.links[less_recent as usize].more_recent = more_recent;
        } else {
            self.least_recent = more_recent;
        }
        if more_recent != NONE {
            self.links[more_recent as usize].less_recent = less_recent;
        } else {
            self.most_recent = less_recent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u16) -> Tuple {
        Tuple {
            src: "10.0.0.1".parse().unwrap(),
            sport: n,
            dst: "10.0.0.2".parse().unwrap(),
            dport: 80,
            tunnel: crate::tunnel::TunnelId::NONE,
        }
    }

    #[test]
    fn test_insert_find_both_ways() {
        let mut tab: Table<u8, 8> = Table::new_with(|| 0, (1, 2));
        let i = tab.insert(t(1), 5).unwrap();
        assert_eq!(tab.find(&t(1)), Some((i, true)));
        assert_eq!(tab.find(&t(1).reversed()), Some((i, false)));
        assert_eq!(tab.find(&t(2)), None);
        assert_eq!(*tab.get(i).unwrap(), 5);
    }

    #[test]
    fn test_full_gives_value_back() {
        let mut tab: Table<u8, 3> = Table::new_with(|| 0, (1, 2));
        for n in 0..3 {
            tab.insert(t(n), 1).unwrap();
        }
        assert_eq!(tab.insert(t(9), 7), Err(7));
        assert_eq!(tab.len(), 3);
    }

    #[test]
    fn test_age_order_and_remove() {
        let mut tab: Table<u8, 4> = Table::new_with(|| 0, (3, 4));
        let a = tab.insert(t(1), 0).unwrap();
        let b = tab.insert(t(2), 0).unwrap();
        let c = tab.insert(t(3), 0).unwrap();
        assert_eq!(tab.oldest(), Some(a));
        tab.remove(a);
        assert_eq!(tab.oldest(), Some(b));
        tab.remove(c);
        assert_eq!(tab.newer(b), None);
        assert_eq!(tab.find(&t(3)), None);
        assert_eq!(tab.find(&t(2)), Some((b, true)));
        tab.remove(b);
        assert!(tab.is_empty());
        assert_eq!(tab.oldest(), None);
        // all slots usable again
        for n in 0..4 {
            tab.insert(t(n + 10), 0).unwrap();
        }
    }

    #[test]
    fn test_checked_handles_and_free_slots() {
        let mut tab: Table<u8, 2> = Table::new_with(|| 0, (1, 2));
        let i = tab.insert(t(1), 5).unwrap();
        let h = tab.handle(i).unwrap();
        assert_eq!(tab.index(h), Some(i));
        tab.remove(i);
        assert!(tab.get(i).is_none(), "a free slot is not handed out");
        assert!(tab.get_mut(i).is_none());
        assert_eq!(tab.index(h), None, "stale handle refused");
        let j = tab.insert(t(2), 6).unwrap();
        assert_eq!(j, i, "the slot is reused");
        assert_eq!(
            tab.index(h),
            None,
            "still refused: another stream lives there"
        );
        assert!(tab.get(77).is_none());
    }

    #[test]
    fn test_last_use_order() {
        let mut tab: Table<u8, 4> = Table::new_with(|| 0, (1, 2));
        let a = tab.insert(t(1), 0).unwrap();
        let b = tab.insert(t(2), 0).unwrap();
        let c = tab.insert(t(3), 0).unwrap();
        assert_eq!(tab.least_recent(), Some(a));
        tab.touch(a);
        assert_eq!(tab.least_recent(), Some(b));
        tab.remove(b);
        assert_eq!(tab.least_recent(), Some(c));
        tab.touch(c);
        assert_eq!(tab.least_recent(), Some(a));
        tab.remove(a);
        tab.remove(c);
        assert_eq!(tab.least_recent(), None);
        assert_eq!(tab.oldest(), None);
    }

    #[test]
    fn test_init_at_matches_new() {
        let mut place = core::mem::MaybeUninit::<Table<u16, 64>>::uninit();
        // SAFETY: `place` is a valid, aligned, writable table-sized slot.
        #[allow(unsafe_code)]
        let tab = unsafe {
            Table::init_at(place.as_mut_ptr(), || 0, (5, 6));
            place.assume_init_mut()
        };
        for n in 0..64 {
            tab.insert(t(n), n).unwrap();
        }
        assert_eq!(tab.insert(t(99), 0), Err(0));
        assert_eq!(tab.find(&t(7)).map(|(i, _)| *tab.get(i).unwrap()), Some(7));
    }

    #[test]
    fn test_model_random() {
        // Differential test against a plain list.
        let mut tab: Table<u16, 16> = Table::new_with(|| 0, (5, 6));
        let mut model: std::vec::Vec<(Tuple, u32)> = std::vec::Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..5000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let port = ((x >> 16) % 40) as u16;
            let tup = t(port);
            match (tab.find(&tup), model.iter().position(|(m, _)| *m == tup)) {
                (Some((i, true)), Some(p)) => {
                    assert_eq!(model[p].1, i);
                    tab.remove(i);
                    model.remove(p);
                }
                (None, None) => match tab.insert(tup, port) {
                    Ok(i) => model.push((tup, i)),
                    Err(_) => assert_eq!(model.len(), 16),
                },
                other => panic!("mismatch {other:?}"),
            }
            assert_eq!(tab.len(), model.len());
            assert_eq!(tab.oldest(), model.first().map(|m| m.1));
        }
    }
}

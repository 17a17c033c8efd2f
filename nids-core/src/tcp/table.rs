//! [`Table`]: the stream table over caller storage, with keyed hash buckets,
//! a creation-order list for eviction and a last-use list for idle expiry.
//!
//! Sizes are known only at run time: `buckets.len()` buckets and
//! `entries.capacity()` entries (libnids' `n_tcp_streams` each). Entries are
//! initialised as they are first needed ([`Slots`]: a high-water mark), and a
//! bucket holds `slot + 1` with 0 for "empty", so zeroed memory (`calloc`, a
//! `static`, `[0; N]`) is an empty table: building one costs O(1) and memory is
//! touched only as streams arrive.
//!
//! Slots are kept in two lists: by creation (for eviction) and by last use
//! ([`Table::touch`], for idle expiry in O(1) per expired stream).
//!
//! The flow hash (one scheme for both IP versions): the two endpoints are put
//! in a canonical order (lower first), packed into 64-bit words (IPv4: address
//! and port in one word each; IPv6: two words per address and one for both
//! ports) and folded with keyed 64×64→128-bit multiplies (the folded multiply
//! of foldhash and wyhash) under the engine's `hash_key`, so either direction
//! finds the stream and nobody without the key can aim flows at one bucket. A
//! tunnelled flow's [`TunnelId`] is folded in by one more keyed multiply (a
//! flow outside tunnels skips it), so tenants reusing addresses land apart.
//! The bucket is `(hash >> 32) * buckets >> 32` (no division). Each entry keeps
//! its canonical packed key (six words, from which the tuple is rebuilt), so a
//! lookup compares integers, not `IpAddr` tuples. Cost: O(1) expected per
//! lookup, insert and removal; 4 bytes per bucket plus one [`Entry`] per stream
//! (72 bytes plus the stream).

use core::net::IpAddr;

use crate::flow::Tuple;
use crate::slots::Slots;
use crate::tunnel::TunnelId;

/// "No slot".
pub const NONE: u32 = u32::MAX;

/// Links of one slot: the bucket chain, the creation-order list, the last-use
/// list, and a generation that changes each time the slot is freed. Whether
/// the slot is in use is a bit of its [`Key`].
#[derive(Debug, Clone, Copy)]
struct Links {
    hash_next: u32,
    older: u32,
    newer: u32,
    less_recent: u32,
    more_recent: u32,
    gen: u32,
}

const FREE_LINKS: Links = Links {
    hash_next: NONE,
    older: NONE,
    newer: NONE,
    less_recent: NONE,
    more_recent: NONE,
    gen: 0,
};

/// A flow's canonical key, packed in six words: what the table hashes and
/// compares, and all it keeps of the tuple (48 bytes, as a [`Tuple`]).
///
/// The endpoints are in canonical order (lower first). IPv4: words 0 and 1
/// are `address << 16 | port` of each endpoint, words 2 and 3 are zero. IPv6:
/// words 0–3 are the two addresses, and word 4's low 32 bits the two ports.
/// Word 4 also holds the [`V6`], [`FLIP`] (the tuple's source is the higher
/// endpoint) and [`USED`] bits. Word 5 is the flow's [`TunnelId`] (0 outside
/// tunnels; the same for both directions, per-direction tunnel identifiers
/// being left out of it): two flows differing only in their tunnels are two
/// streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key([u64; 6]);

const V6: u64 = 1 << 32;
const FLIP: u64 = 1 << 33;
const USED: u64 = 1 << 34;

/// The free key.
const FREE_KEY: Key = Key([0; 6]);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The folded multiply: the 128-bit product's halves, xored.
fn mix(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

impl Key {
    /// The key of `t`, marked in use.
    fn of(t: &Tuple) -> Key {
        let tunnel = t.tunnel.to_bits();
        if let (IpAddr::V4(s), IpAddr::V4(d)) = (t.src, t.dst) {
            let a = (u64::from(u32::from(s)) << 16) | u64::from(t.sport);
            let b = (u64::from(u32::from(d)) << 16) | u64::from(t.dport);
            return if a <= b {
                Key([a, b, 0, 0, USED, tunnel])
            } else {
                Key([b, a, 0, 0, USED | FLIP, tunnel])
            };
        }
        // A tuple mixing versions does not come from one IP header; an IPv4
        // side of one is keyed as its IPv4-mapped IPv6 address.
        let bits = |a: IpAddr| match a {
            IpAddr::V4(x) => x.to_ipv6_mapped().to_bits(),
            IpAddr::V6(x) => x.to_bits(),
        };
        let a = (bits(t.src), t.sport);
        let b = (bits(t.dst), t.dport);
        let (lo, hi, flip) = if a <= b { (a, b, 0) } else { (b, a, FLIP) };
        let ports = (u64::from(lo.1) << 16) | u64::from(hi.1);
        Key([
            (lo.0 >> 64) as u64,
            lo.0 as u64,
            (hi.0 >> 64) as u64,
            hi.0 as u64,
            ports | V6 | flip | USED,
            tunnel,
        ])
    }

    /// The flow hash under `k` (the same for both directions).
    fn hash(&self, k: (u64, u64)) -> u64 {
        let w = &self.0;
        let mut h = mix(w[0] ^ k.0, w[1] ^ k.1);
        if w[5] != 0 {
            h = mix(h ^ w[5], k.0 ^ K);
        }
        if w[4] & V6 == 0 {
            return mix(h ^ k.1, K);
        }
        let h = mix(h ^ w[2], w[3] ^ k.0);
        mix(h ^ (w[4] & 0xffff_ffff) ^ k.1, K)
    }

    /// Whether `q` is the same flow: `Some(true)` in the same direction,
    /// `Some(false)` reversed.
    fn matches(&self, q: &Key) -> Option<bool> {
        let (e, q) = (&self.0, &q.0);
        (e[..4] == q[..4] && e[5] == q[5] && (e[4] ^ q[4]) & !FLIP == 0)
            .then_some((e[4] ^ q[4]) & FLIP == 0)
    }

    fn used(&self) -> bool {
        self.0[4] & USED != 0
    }

    /// The tuple (client to server) this key was made of.
    fn tuple(&self) -> Tuple {
        let w = &self.0;
        let (lo, hi) = if w[4] & V6 == 0 {
            let ep = |x: u64| {
                (
                    IpAddr::from(core::net::Ipv4Addr::from((x >> 16) as u32)),
                    x as u16,
                )
            };
            (ep(w[0]), ep(w[1]))
        } else {
            let addr = |h: u64, l: u64| {
                IpAddr::from(core::net::Ipv6Addr::from_bits(
                    (u128::from(h) << 64) | u128::from(l),
                ))
            };
            (
                (addr(w[0], w[1]), (w[4] >> 16) as u16),
                (addr(w[2], w[3]), w[4] as u16),
            )
        };
        let (s, d) = if w[4] & FLIP == 0 { (lo, hi) } else { (hi, lo) };
        Tuple {
            src: s.0,
            sport: s.1,
            dst: d.0,
            dport: d.1,
            tunnel: TunnelId::from_bits(w[5]),
        }
    }
}

/// One entry of the stream table: its links, its flow's packed key, and the
/// stream itself. Public only so callers can name and size storage for it
/// ([`crate::StreamSlot`]); its fields are private.
pub struct Entry<T> {
    links: Links,
    key: Key,
    value: T,
}

/// A checked reference to a stream: [`Table::index`] refuses it once the stream
/// was removed, even if its slot holds another stream since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    index: u32,
    gen: u32,
}

/// The stream table: entries of `T` in `S`, found by [`Tuple`] through the
/// buckets `B` (zeroed).
pub(crate) struct Table<T, S, B> {
    buckets: B,
    entries: S,
    /// Most entries (the storage's capacity, below [`NONE`]).
    cap: usize,
    free: u32,
    oldest: u32,
    newest: u32,
    least_recent: u32,
    most_recent: u32,
    len: usize,
    key: (u64, u64),
    _t: core::marker::PhantomData<T>,
}

impl<T, S: Slots<Entry<T>>, B: AsRef<[u32]> + AsMut<[u32]>> Table<T, S, B> {
    /// An empty table over `entries` and zeroed `buckets`, hashing with `key`.
    /// O(1) when `entries` holds no initialised entry; entries already there are
    /// put on the free list (O(their number)). Buckets that are not zero are
    /// not an error, only slower: every lookup checks what it finds.
    pub fn new(entries: S, buckets: B, key: (u64, u64)) -> Self {
        let cap = entries.capacity().min(NONE as usize - 1);
        let mut t = Table {
            buckets,
            entries,
            cap,
            free: NONE,
            oldest: NONE,
            newest: NONE,
            least_recent: NONE,
            most_recent: NONE,
            len: 0,
            key,
            _t: core::marker::PhantomData,
        };
        let live = t.entries.live_mut();
        for (i, e) in live.iter_mut().enumerate().rev() {
            e.links = Links {
                hash_next: t.free,
                gen: e.links.gen.wrapping_add(1),
                ..FREE_LINKS
            };
            e.key = FREE_KEY;
            t.free = i as u32;
        }
        t
    }

    /// Most streams the table holds.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Number of streams in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no stream.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bucket of `k`: the hash's high half scaled to the bucket count
    /// (a multiply and a shift, no division).
    fn bucket(&self, k: &Key) -> usize {
        let n = self.buckets.as_ref().len().min(u32::MAX as usize) as u64;
        (((k.hash(self.key) >> 32) * n) >> 32) as usize
    }

    fn links(&self, i: u32) -> Option<&Links> {
        self.entries.live().get(i as usize).map(|e| &e.links)
    }

    fn links_mut(&mut self, i: u32) -> Option<&mut Links> {
        self.entries
            .live_mut()
            .get_mut(i as usize)
            .map(|e| &mut e.links)
    }

    /// The head of bucket `b` (a slot, or [`NONE`]).
    fn head(&self, b: usize) -> u32 {
        match self.buckets.as_ref().get(b) {
            Some(&v) if v != 0 && ((v - 1) as usize) < self.entries.live().len() => v - 1,
            _ => NONE,
        }
    }

    fn set_head(&mut self, b: usize, i: u32) {
        if let Some(v) = self.buckets.as_mut().get_mut(b) {
            *v = i.wrapping_add(1);
        }
    }

    /// Find the stream of `t`, in either direction: its slot and whether `t` is
    /// the stream's own orientation (client to server).
    pub fn find(&self, t: &Tuple) -> Option<(u32, bool)> {
        let k = Key::of(t);
        let live = self.entries.live();
        let mut i = self.head(self.bucket(&k));
        // A chain is never longer than the table (a bound against corrupt
        // buckets; a sound chain ends at NONE first).
        for _ in 0..live.len() {
            let e = live.get(i as usize)?;
            if let Some(own) = e.key.matches(&k) {
                return Some((i, own));
            }
            i = e.links.hash_next;
        }
        None
    }

    /// Take a free slot for `t` (client to server), set it to `value` and make it
    /// the newest. `Err(value)` if every slot is in use.
    pub fn insert(&mut self, t: Tuple, value: T) -> Result<u32, T> {
        let k = Key::of(&t);
        let b = self.bucket(&k);
        let head = self.head(b);
        let mut links = Links {
            hash_next: head,
            older: self.newest,
            newer: NONE,
            less_recent: NONE,
            more_recent: NONE,
            gen: 0,
        };
        let i = if self.free != NONE {
            let i = self.free;
            let Some(e) = self.entries.live_mut().get_mut(i as usize) else {
                return Err(value);
            };
            self.free = e.links.hash_next;
            links.gen = e.links.gen;
            *e = Entry {
                links,
                key: k,
                value,
            };
            i
        } else {
            let i = self.entries.live().len();
            if i >= self.cap {
                return Err(value);
            }
            let e = Entry {
                links,
                key: k,
                value,
            };
            if let Err(e) = self.entries.push(e) {
                return Err(e.value);
            }
            i as u32
        };
        self.link_recent(i);
        self.set_head(b, i);
        if self.newest != NONE {
            if let Some(l) = self.links_mut(self.newest) {
                l.newer = i;
            }
        } else {
            self.oldest = i;
        }
        self.newest = i;
        self.len += 1;
        Ok(i)
    }

    /// Free slot `i` (no-op if it is not in use).
    pub fn remove(&mut self, i: u32) {
        let Some(e) = self.entries.live().get(i as usize) else {
            return;
        };
        if !e.key.used() {
            return;
        }
        let (k, me) = (e.key, e.links);
        let b = self.bucket(&k);
        // unlink from the bucket chain
        let mut p = self.head(b);
        if p == i {
            self.set_head(b, me.hash_next);
        } else {
            for _ in 0..self.entries.live().len() {
                let Some(n) = self.links(p).map(|l| l.hash_next) else {
                    break;
                };
                if n == i {
                    if let Some(l) = self.links_mut(p) {
                        l.hash_next = me.hash_next;
                    }
                    break;
                }
                p = n;
            }
        }
        // unlink from the age list
        if me.older != NONE {
            if let Some(l) = self.links_mut(me.older) {
                l.newer = me.newer;
            }
        } else {
            self.oldest = me.newer;
        }
        if me.newer != NONE {
            if let Some(l) = self.links_mut(me.newer) {
                l.older = me.older;
            }
        } else {
            self.newest = me.older;
        }
        self.unlink_recent(i);
        let free = self.free;
        if let Some(e) = self.entries.live_mut().get_mut(i as usize) {
            e.links = Links {
                hash_next: free,
                gen: me.gen.wrapping_add(1),
                ..FREE_LINKS
            };
            e.key = FREE_KEY;
        }
        self.free = i;
        self.len -= 1;
    }

    /// The oldest stream (by creation).
    pub fn oldest(&self) -> Option<u32> {
        (self.oldest != NONE).then_some(self.oldest)
    }

    /// The stream created after `i`, in creation order.
    #[cfg(test)]
    pub fn newer(&self, i: u32) -> Option<u32> {
        let n = self.links(i)?.newer;
        (n != NONE).then_some(n)
    }

    fn used(&self, i: u32) -> Option<&Entry<T>> {
        self.entries.live().get(i as usize).filter(|e| e.key.used())
    }

    /// The tuple of slot `i` (client to server).
    pub fn tuple(&self, i: u32) -> Option<Tuple> {
        self.used(i).map(|e| e.key.tuple())
    }

    /// Slot `i`, if it holds a stream (`None` for a free slot).
    pub fn get(&self, i: u32) -> Option<&T> {
        self.used(i).map(|e| &e.value)
    }

    /// Slot `i`, writable, if it holds a stream.
    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.entries
            .live_mut()
            .get_mut(i as usize)
            .filter(|e| e.key.used())
            .map(|e| &mut e.value)
    }

    /// A checked handle on the stream in slot `i`.
    pub fn handle(&self, i: u32) -> Option<Handle> {
        let e = self.used(i)?;
        Some(Handle {
            index: i,
            gen: e.links.gen,
        })
    }

    /// The slot of handle `h`, if its stream is still there.
    pub fn index(&self, h: Handle) -> Option<u32> {
        let e = self.used(h.index)?;
        (e.links.gen == h.gen).then_some(h.index)
    }

    /// Mark slot `i` as the most recently used. O(1).
    pub fn touch(&mut self, i: u32) {
        if self.used(i).is_some() && self.most_recent != i {
            self.unlink_recent(i);
            self.link_recent(i);
        }
    }

    /// The stream used least recently ([`Table::touch`] or insertion).
    pub fn least_recent(&self) -> Option<u32> {
        (self.least_recent != NONE).then_some(self.least_recent)
    }

    fn link_recent(&mut self, i: u32) {
        let mr = self.most_recent;
        if let Some(l) = self.links_mut(i) {
            l.less_recent = mr;
            l.more_recent = NONE;
        }
        if mr != NONE {
            if let Some(l) = self.links_mut(mr) {
                l.more_recent = i;
            }
        } else {
            self.least_recent = i;
        }
        self.most_recent = i;
    }

    fn unlink_recent(&mut self, i: u32) {
        let Some(&Links {
            less_recent,
            more_recent,
            ..
        }) = self.links(i)
        else {
            return;
        };
        if less_recent != NONE {
            if let Some(l) = self.links_mut(less_recent) {
                l.more_recent = more_recent;
            }
        } else {
            self.least_recent = more_recent;
        }
        if more_recent != NONE {
            if let Some(l) = self.links_mut(more_recent) {
                l.less_recent = less_recent;
            }
        } else {
            self.most_recent = less_recent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn new_tab<T>(n: usize, key: (u64, u64)) -> Table<T, Vec<Entry<T>>, Vec<u32>> {
        Table::new(Vec::with_capacity(n), std::vec![0; n], key)
    }

    fn t(n: u16) -> Tuple {
        Tuple {
            src: "10.0.0.1".parse().unwrap(),
            sport: n,
            dst: "10.0.0.2".parse().unwrap(),
            dport: 80,
            tunnel: TunnelId::NONE,
        }
    }

    #[test]
    fn test_insert_find_both_ways() {
        let mut tab = new_tab::<u8>(8, (1, 2));
        let i = tab.insert(t(1), 5).unwrap();
        assert_eq!(tab.find(&t(1)), Some((i, true)));
        assert_eq!(tab.find(&t(1).reversed()), Some((i, false)));
        assert_eq!(tab.find(&t(2)), None);
        assert_eq!(*tab.get(i).unwrap(), 5);
    }

    #[test]
    fn test_full_gives_value_back() {
        let mut tab = new_tab::<u8>(3, (1, 2));
        for n in 0..3 {
            tab.insert(t(n), 1).unwrap();
        }
        assert_eq!(tab.insert(t(9), 7), Err(7));
        assert_eq!(tab.len(), 3);
    }

    #[test]
    fn test_age_order_and_remove() {
        let mut tab = new_tab::<u8>(4, (3, 4));
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
        let mut tab = new_tab::<u8>(2, (1, 2));
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
        let mut tab = new_tab::<u8>(4, (1, 2));
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
    fn test_entries_initialised_only_as_used() {
        let mut entries = heapless::Vec::<Entry<u16>, 64>::new();
        let mut tab = Table::new(&mut entries, [0u32; 64], (5, 6));
        assert_eq!(tab.capacity(), 64);
        let a = tab.insert(t(1), 1).unwrap();
        tab.remove(a);
        // a freed entry is reused before a new one is initialised
        assert_eq!(tab.insert(t(2), 2), Ok(a));
        for n in 3..=65 {
            tab.insert(t(n), n).unwrap();
        }
        assert_eq!(tab.insert(t(99), 0), Err(0));
        assert_eq!(tab.find(&t(7)).map(|(i, _)| *tab.get(i).unwrap()), Some(7));
        assert_eq!(entries.len(), 64);
        // entries left by an earlier table are free in the next one
        let mut tab = Table::new(&mut entries, [0u32; 64], (5, 6));
        assert!(tab.is_empty());
        assert_eq!(tab.find(&t(7)), None);
        tab.insert(t(7), 7).unwrap();
        assert_eq!(tab.find(&t(7).reversed()).map(|(_, own)| own), Some(false));
    }

    #[test]
    fn test_v6_and_same_endpoint_tuples() {
        let mut tab = new_tab::<u8>(8, (9, 10));
        let v6 = Tuple {
            src: "2001:db8::1".parse().unwrap(),
            sport: 5,
            dst: "2001:db8::2".parse().unwrap(),
            dport: 6,
            tunnel: TunnelId::NONE,
        };
        let i = tab.insert(v6, 1).unwrap();
        assert_eq!(tab.find(&v6), Some((i, true)));
        assert_eq!(tab.find(&v6.reversed()), Some((i, false)));
        let other = Tuple { sport: 7, ..v6 };
        assert_eq!(tab.find(&other), None);
        let same = Tuple {
            src: "10.0.0.1".parse().unwrap(),
            sport: 9,
            dst: "10.0.0.1".parse().unwrap(),
            dport: 9,
            tunnel: TunnelId::NONE,
        };
        let j = tab.insert(same, 2).unwrap();
        assert_eq!(tab.find(&same), Some((j, true)));
        // the tuple is rebuilt from the key, in the stream's own direction
        assert_eq!(tab.tuple(i), Some(v6));
        assert_eq!(tab.tuple(j), Some(same));
        let high_first = t(9).reversed();
        let k = tab.insert(high_first, 3).unwrap();
        assert_eq!(tab.tuple(k), Some(high_first));
        assert_eq!(tab.find(&t(9)), Some((k, false)));
        let v6r = v6.reversed();
        tab.remove(i);
        let i = tab.insert(v6r, 4).unwrap();
        assert_eq!(tab.tuple(i), Some(v6r));
        // links and key: 72 bytes, no more than the separate arrays they
        // replace (24 bytes of links, a 48-byte `Tuple`)
        assert_eq!(core::mem::size_of::<Entry<()>>(), 72);
    }

    #[test]
    fn test_tunnel_ids_are_distinct_streams() {
        // The same 4-tuple outside tunnels, in one VXLAN segment and in
        // another (and over IPv6): one stream each, each rebuilt with its id.
        let mut tab = new_tab::<u8>(8, (13, 14));
        let vni = |n: u32| {
            TunnelId::NONE
                .push(
                    crate::tunnel::Hop {
                        kind: crate::tunnel::Kind::Vxlan,
                        id: Some(n),
                    },
                    "192.0.2.1".parse().unwrap(),
                    "192.0.2.2".parse().unwrap(),
                )
                .unwrap()
        };
        let v6 = Tuple {
            src: "2001:db8::1".parse().unwrap(),
            dst: "2001:db8::2".parse().unwrap(),
            ..t(4)
        };
        for base in [t(4), v6] {
            let (a, b) = (vni(42), vni(43));
            assert_ne!(a, b);
            let ta = Tuple { tunnel: a, ..base };
            let tb = Tuple { tunnel: b, ..base };
            let i = tab.insert(base, 0).unwrap();
            assert_eq!(tab.find(&ta), None, "a tunnelled twin is another flow");
            let j = tab.insert(ta, 1).unwrap();
            let k = tab.insert(tb.reversed(), 2).unwrap();
            assert!(i != j && j != k && i != k);
            assert_eq!(tab.find(&base), Some((i, true)));
            assert_eq!(tab.find(&ta.reversed()), Some((j, false)));
            assert_eq!(tab.find(&tb), Some((k, false)));
            assert_eq!(tab.tuple(i), Some(base));
            assert_eq!(tab.tuple(j), Some(ta));
            assert_eq!(tab.tuple(k), Some(tb.reversed()));
            assert_eq!(tab.tuple(k).unwrap().tunnel, b);
            tab.remove(j);
            assert_eq!(tab.find(&ta), None);
            assert_eq!(tab.find(&tb.reversed()), Some((k, true)));
        }
        // the highest bits of the id survive the round trip too
        let top = Tuple {
            tunnel: TunnelId::from_bits(u64::MAX),
            ..t(5)
        };
        let i = tab.insert(top, 9).unwrap();
        assert_eq!(tab.tuple(i), Some(top));
    }

    #[test]
    fn test_buckets_spread_without_division() {
        // 4096 flows over 1024 buckets: no bucket far above the mean of 4.
        let mut counts = [0u32; 1024];
        let tab = new_tab::<u8>(1024, (11, 12));
        for n in 0..4096u32 {
            let tu = Tuple {
                src: core::net::Ipv4Addr::from(0x0a00_0000 + n).into(),
                sport: 1000,
                dst: "10.9.9.9".parse().unwrap(),
                dport: 80,
                tunnel: TunnelId::NONE,
            };
            counts[tab.bucket(&Key::of(&tu))] += 1;
        }
        assert!(counts.iter().all(|&c| c < 20), "{:?}", counts.iter().max());
        // One 4-tuple in 4096 VXLAN segments (tenants reusing addresses):
        // spread as well, by the tunnel id alone.
        let mut counts = [0u32; 1024];
        for vni in 0..4096u32 {
            let hop = crate::tunnel::Hop {
                kind: crate::tunnel::Kind::Vxlan,
                id: Some(vni),
            };
            let tu = Tuple {
                tunnel: TunnelId::NONE
                    .push(
                        hop,
                        "192.0.2.1".parse().unwrap(),
                        "192.0.2.2".parse().unwrap(),
                    )
                    .unwrap(),
                ..t(1000)
            };
            counts[tab.bucket(&Key::of(&tu))] += 1;
        }
        assert!(counts.iter().all(|&c| c < 20), "{:?}", counts.iter().max());
    }

    #[test]
    fn test_model_random() {
        // Differential test against a plain list.
        let mut tab = new_tab::<u16>(16, (5, 6));
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

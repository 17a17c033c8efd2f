//! IPv4 and IPv6 fragment reassembly: bounded, deterministic, policy-driven.
//!
//! [`Defrag`] takes validated fragments ([`crate::ip::Packet`] with a
//! [`crate::ip::Fragment`]) and returns each datagram once it is whole, as the
//! bytes of a valid IP packet that [`crate::ip::v4::parse`] or
//! [`crate::ip::v6::parse`] accepts:
//!
//! * IPv4: the header of the offset-0 fragment (options unchanged) with the total
//!   length set, MF and the offset cleared (DF and the reserved bit kept) and a
//!   **correct** header checksum (libnids leaves it stale).
//! * IPv6: the unfragmentable part of the offset-0 fragment (fixed header and the
//!   extension headers before the fragment header), the fragment header removed,
//!   the next-header byte that named it set to the fragment header's next header,
//!   and the payload length fixed.
//!
//! # Storage
//!
//! Byte storage comes from the caller (`&mut [u8]`, or a `Vec<u8>` through
//! [`managed::ManagedSlice`]). It is cut into a scratch area of
//! `8 × max_fragments` bytes and then into equal *datagram slots* of
//! [`Defrag::slot_size_for`] bytes:
//!
//! ```text
//! [ meta: 80 ][ piece records: 8 × max_fragments ][ header room: max_header ][ payload ]
//! ```
//!
//! A pending datagram owns one slot. Fragment bytes are written at their final
//! place in the payload area and the header is stored right-aligned against it,
//! so a complete datagram is one contiguous slice: no copy on delivery. The slot
//! header holds the key, the flags, the age and list links, all as little-endian
//! fields (the encoding of the TCP pool's block headers too), so the number of
//! slots follows the storage size with no typed array.
//! The struct itself holds the host table: 4 bytes per host slot.
//!
//! Each slot keeps a sorted list of *pieces* (the runs of bytes held, with the
//! extent of the fragment that supplied them) so the overlap [`Policy`] can decide
//! which bytes win; see [`policy`].
//!
//! # Limits, in the order they are checked
//!
//! | limit | what happens | warning |
//! |---|---|---|
//! | fragment ends beyond `max_datagram` (header included; at most 65,535 for IPv4, 65,535 of payload for IPv6) | fragment dropped, queue kept | [`Warning::DefragOversized`] |
//! | an MF fragment whose length is not a multiple of 8 (RFC 791/8200; BSD and IPv6 stacks drop it) | fragment dropped, queue kept | [`Warning::DefragInvalid`] |
//! | offset-0 fragment whose header is longer than `max_header` | fragment dropped | [`Warning::DefragOversized`] |
//! | storage too small for one slot | fragment dropped | [`Warning::DefragNoMemory`] |
//! | a host holds more than `max_host_bytes` (charged like libnids: payload bytes + 168 per datagram) | its oldest datagrams are dropped until it is at or below 3/4 of the limit (libnids' 256/192 KiB), before the fragment is added | [`Warning::DefragEvicted`] |
//! | no free slot for a new datagram | the **oldest** pending datagram (least recently given a fragment) is dropped (libnids drops the newest) | [`Warning::DefragEvicted`] |
//! | a second last fragment with a different end, data past the known end, or a last fragment ending before data already held | datagram dropped | [`Warning::DefragInvalid`] |
//! | more than `max_fragments` pieces | datagram dropped | [`Warning::DefragNoMemory`] |
//! | whole datagram longer than `max_datagram` (header included) | datagram dropped | [`Warning::DefragOversized`] |
//! | no fragment for `timeout` of packet time | datagram dropped | [`Warning::DefragTimeout`] |
//!
//! Overlaps are not drops: [`Warning::DefragOverlap`] is raised once per
//! fragment that overlaps data already held (exact duplicates included), and the
//! policy decides the bytes. Unlike libnids, a fragment wholly inside an earlier
//! one never wedges the queue. Zero-length fragments are accepted (as libnids
//! does): a last one sets the length, an offset-0 one supplies the header.
//!
//! Every warning is also counted in [`Stats`].
//!
//! # Costs
//!
//! [`Defrag::insert`]: one SipHash of the destination, a walk of that host's
//! pending datagrams, O(pieces) to merge the fragment, a copy of its bytes, and
//! O(1) amortized expiry (the oldest datagrams are checked first and each is
//! dropped once). [`Defrag::unfragmented`]: O(1) when nothing is pending,
//! otherwise one SipHash and a walk of one host's list. [`Defrag::expire`]: O(1)
//! amortized. Nothing allocates; no call panics on any input.

mod key;
mod pieces;
pub mod policy;
mod slot;

use core::ops::Range;

use managed::ManagedSlice;

pub use key::Key;
pub use pieces::RECORD;
pub use policy::Policy;
pub use slot::META;

use crate::event::Warning;
use crate::ip::{checksum, Fragment, Packet, Version};
use crate::time::{Duration, Instant};
use pieces::Piece;
use slot::{Meta, HAVE_HEADER, HAVE_LAST, NONE};

/// Default largest datagram, header included: room for the largest IPv6
/// datagram without jumbograms (a 65,535-byte payload after the 40-byte fixed
/// header); IPv4 datagrams stay capped at their own 65,535-byte total.
pub const DEFAULT_MAX_DATAGRAM: usize = MAX_DATAGRAM_LIMIT;
/// Largest accepted `max_datagram`: an IPv6 datagram with a full 65,535-byte
/// payload.
pub const MAX_DATAGRAM_LIMIT: usize = 65_535 + 40;
/// Smallest accepted `max_datagram` (the IPv4 minimum MTU).
pub const MIN_DATAGRAM: usize = 68;
/// Default room for the stored header: an IPv4 header with options (60) or an
/// IPv6 unfragmentable part of up to 128 bytes.
pub const DEFAULT_MAX_HEADER: usize = 128;
/// Smallest accepted `max_header` (a full IPv4 header).
pub const MIN_HEADER_ROOM: usize = 60;
/// Largest accepted `max_header`.
pub const MAX_HEADER_ROOM: usize = 4096;
/// Default most pieces per datagram: enough for a 64 KiB datagram cut for a
/// 576-byte path (120 fragments).
pub const DEFAULT_MAX_FRAGMENTS: usize = 128;
/// Largest accepted `max_fragments`.
pub const MAX_FRAGMENTS_LIMIT: usize = 255;
/// libnids' per-host high threshold (`IPFRAG_HIGH_THRESH`).
pub const DEFAULT_MAX_HOST_BYTES: usize = 256 * 1024;
/// Bytes charged to a host per pending datagram on top of its payload (libnids'
/// `sizeof(struct ipq)` + 72 on x86_64).
pub const HOST_OVERHEAD: usize = 168;
/// libnids' `IP_FRAG_TIME`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default hash seed. Set your own (random) seed in [`Config::seed`] so
/// nobody can aim hash collisions at one host slot.
pub const DEFAULT_SEED: (u64, u64) = (0x6e69_6473_2d72_7331, 0x6465_6672_6167_2121);

const V4_MAX_TOTAL: usize = 65_535;
const V4_MIN_HEADER: usize = 20;
const V6_HEADER: usize = 40;

/// Reassembly settings. [`Config::new`] gives libnids' behaviour (Linux 2.0
/// overlap rule, 30 s, datagrams up to 65,535 bytes of IPv4 or of IPv6 payload,
/// 256 KiB per host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Which bytes win when fragments overlap (default [`Policy::Linux20`]).
    pub policy: Policy,
    /// A datagram with no new fragment for this long (packet time) is dropped
    /// with [`Warning::DefragTimeout`] (default 30 s).
    pub timeout: Duration,
    /// Largest reassembled datagram, header included (default 65,575, the largest
    /// IPv6 datagram; IPv4 is capped at 65,535 anyway; clamped to
    /// [`MIN_DATAGRAM`]..=[`MAX_DATAGRAM_LIMIT`]). Sets the slot size: lower it
    /// on a microcontroller.
    pub max_datagram: usize,
    /// Room for the stored header (default 128; clamped to
    /// [`MIN_HEADER_ROOM`]..=[`MAX_HEADER_ROOM`]). An IPv6 unfragmentable part
    /// longer than this is refused with [`Warning::DefragOversized`].
    pub max_header: usize,
    /// Most pieces (runs of bytes from distinct fragments) per datagram (default
    /// 128; clamped to 1..=255); 8 bytes of each slot per piece. Beyond it the
    /// datagram is dropped with [`Warning::DefragNoMemory`].
    pub max_fragments: usize,
    /// Per-destination-host limit on pending bytes (default 256 KiB, as libnids);
    /// above it the host's oldest datagrams are dropped down to 3/4 of it.
    pub max_host_bytes: usize,
    /// Key of the SipHash-1-3 that spreads destinations over host slots.
    pub seed: (u64, u64),
    /// How many of the `HOSTS` host slots to use (libnids' `n_hosts` set at run
    /// time, up to the compiled capacity); 0 means all `HOSTS`.
    pub hosts: usize,
}

impl Config {
    /// libnids' defaults.
    pub const fn new() -> Config {
        Config {
            policy: Policy::Linux20,
            timeout: DEFAULT_TIMEOUT,
            max_datagram: DEFAULT_MAX_DATAGRAM,
            max_header: DEFAULT_MAX_HEADER,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
            max_host_bytes: DEFAULT_MAX_HOST_BYTES,
            seed: DEFAULT_SEED,
            hosts: 0,
        }
    }

    /// The same settings with every field clamped to its accepted range.
    pub const fn clamped(mut self) -> Config {
        self.max_datagram = clamp(self.max_datagram, MIN_DATAGRAM, MAX_DATAGRAM_LIMIT);
        self.max_header = clamp(self.max_header, MIN_HEADER_ROOM, MAX_HEADER_ROOM);
        self.max_fragments = clamp(self.max_fragments, 1, MAX_FRAGMENTS_LIMIT);
        self
    }

    /// Largest total length of an IPv4 datagram.
    const fn v4_total(&self) -> usize {
        if self.max_datagram < V4_MAX_TOTAL {
            self.max_datagram
        } else {
            V4_MAX_TOTAL
        }
    }

    /// Largest payload end a fragment may reach (the header's minimum size
    /// deducted from the datagram limit).
    const fn max_end(&self, v: Version) -> usize {
        match v {
            Version::V4 => self.v4_total() - V4_MIN_HEADER,
            Version::V6 => self.max_datagram - V6_HEADER,
        }
    }

    /// Payload bytes of a slot.
    const fn payload_cap(&self) -> usize {
        let a = self.max_end(Version::V4);
        let b = self.max_end(Version::V6);
        if a > b {
            a
        } else {
            b
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

const fn clamp(v: usize, lo: usize, hi: usize) -> usize {
    if v < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v
    }
}

/// Defragmentation counters. Each warning has one; all saturate. 72 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Fragments given to [`Defrag::insert`].
    pub fragments: u64,
    /// Datagrams reassembled and returned.
    pub reassembled: u64,
    /// Fragments that overlapped data already held ([`Warning::DefragOverlap`]).
    pub overlaps: u64,
    /// Fragments or datagrams too big ([`Warning::DefragOversized`]).
    pub oversized: u64,
    /// Inconsistent fragments or datagrams ([`Warning::DefragInvalid`]).
    pub invalid: u64,
    /// Datagrams timed out ([`Warning::DefragTimeout`]).
    pub timeouts: u64,
    /// Datagrams evicted for room ([`Warning::DefragEvicted`]).
    pub evicted: u64,
    /// Fragments or datagrams refused for lack of storage
    /// ([`Warning::DefragNoMemory`]).
    pub no_memory: u64,
    /// Pending datagrams dropped because a whole copy arrived
    /// ([`Defrag::unfragmented`]; no warning, as libnids).
    pub replaced: u64,
}

impl Stats {
    /// All zero.
    pub const fn new() -> Stats {
        Stats {
            fragments: 0,
            reassembled: 0,
            overlaps: 0,
            oversized: 0,
            invalid: 0,
            timeouts: 0,
            evicted: 0,
            no_memory: 0,
            replaced: 0,
        }
    }
}

fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}

/// The fragment reassembler. `HOSTS` is the number of host slots (libnids'
/// `n_hosts`, 256 by default): destinations are spread over them by a keyed hash,
/// and each keeps a list of its pending datagrams.
///
/// Size: about 200 bytes (196 on x86-64) plus 4 per host slot (the struct), plus the caller's
/// storage. Build it with [`Defrag::new`], or [`Defrag::new_borrowed`] in a
/// `const` context (no large stack temporaries: the host table is a
/// `[u32; HOSTS]` built by a constant initializer).
///
/// ```
/// use nids_core::defrag::{Config, Defrag};
/// let mut storage = [0u8; 4 * 1024];
/// let cfg = Config { max_datagram: 1500, max_fragments: 16, ..Config::new() };
/// let d = Defrag::<16>::new(&mut storage[..], cfg);
/// assert_eq!(d.capacity(), (4096 - 16 * 8) / Defrag::<16>::slot_size_for(&cfg));
/// ```
pub struct Defrag<'a, const HOSTS: usize> {
    mem: ManagedSlice<'a, u8>,
    config: Config,
    /// Head of each host slot's list of pending datagrams.
    hosts: [u32; HOSTS],
    /// Slots that fit the storage.
    slots: u32,
    /// Slots never used yet are `fresh..slots` (lazy initialisation: O(1) `new`).
    fresh: u32,
    /// Free list (through `host_next`).
    free: u32,
    /// Age list: oldest and newest pending datagram.
    oldest: u32,
    newest: u32,
    pending: u32,
    /// A slot returned by the last `insert`, freed on the next call.
    done: u32,
    /// Packet time, never going backwards (µs).
    clock: u64,
    /// Fragment counter, orders datagrams by age.
    seq: u64,
    stats: Stats,
}

impl<'a, const HOSTS: usize> Defrag<'a, HOSTS> {
    /// Host slots in use: `config.hosts` capped at `HOSTS` (all if 0).
    fn host_slots(&self) -> usize {
        match self.config.hosts {
            0 => HOSTS,
            n => n.min(HOSTS),
        }
    }

    /// A reassembler over `storage` (any size; a tail shorter than a slot is
    /// unused) with `config` (clamped, see [`Config::clamped`]). O(1): slots are
    /// initialised when first used. Panics at compile time if `HOSTS` is 0.
    pub fn new(storage: impl Into<ManagedSlice<'a, u8>>, config: Config) -> Self {
        let mem = storage.into();
        let len = mem.len();
        Self::build(mem, len, config)
    }

    /// [`Defrag::new`] over a borrowed slice, usable in `const` contexts (for a
    /// `static`, pass a `&'static mut [u8]` obtained at start-up, or build it
    /// with an empty slice and call [`Defrag::replace_storage`]).
    pub const fn new_borrowed(storage: &'a mut [u8], config: Config) -> Self {
        let len = storage.len();
        Self::build(ManagedSlice::Borrowed(storage), len, config)
    }

    const fn build(mem: ManagedSlice<'a, u8>, len: usize, config: Config) -> Self {
        const {
            assert!(HOSTS > 0, "Defrag needs at least one host slot (HOSTS > 0)");
            assert!(HOSTS < u32::MAX as usize, "Defrag: HOSTS must fit a u32");
        };
        let config = config.clamped();
        let slots = Self::slots_in(len, &config);
        Defrag {
            mem,
            config,
            hosts: [NONE; HOSTS],
            slots,
            fresh: 0,
            free: NONE,
            oldest: NONE,
            newest: NONE,
            pending: 0,
            done: NONE,
            clock: 0,
            seq: 0,
            stats: Stats::new(),
        }
    }

    const fn slots_in(len: usize, config: &Config) -> u32 {
        let c = config.clamped();
        let scratch = c.max_fragments * RECORD;
        if len < scratch {
            return 0;
        }
        let n = (len - scratch) / Self::slot_size_for(&c);
        if n >= NONE as usize {
            NONE - 1
        } else {
            n as u32
        }
    }

    /// Bytes of one datagram slot under `config` (clamped first):
    /// `88 + 8 × max_fragments + max_header + payload`, where the payload is
    /// `max_datagram − 20` (IPv4 bound) or `max_datagram − 40` (IPv6), whichever
    /// is larger. 66,775 bytes with the defaults; 1,824 with
    /// `max_datagram: 1500, max_fragments: 16`.
    pub const fn slot_size_for(config: &Config) -> usize {
        let c = config.clamped();
        META + c.max_fragments * RECORD + c.max_header + c.payload_cap()
    }

    /// Storage needed for `datagrams` pending datagrams under `config`.
    pub const fn storage_for(config: &Config, datagrams: usize) -> usize {
        let c = config.clamped();
        c.max_fragments * RECORD + datagrams * Self::slot_size_for(&c)
    }

    /// Give new storage: every pending datagram is forgotten (no warning), the
    /// counters are kept. O(HOSTS).
    pub fn replace_storage(&mut self, storage: impl Into<ManagedSlice<'a, u8>>) {
        self.mem = storage.into();
        self.slots = Self::slots_in(self.mem.len(), &self.config);
        self.clear();
    }

    /// Forget every pending datagram (no warning), keep the counters. In place,
    /// O(HOSTS).
    pub fn clear(&mut self) {
        self.hosts = [NONE; HOSTS];
        self.fresh = 0;
        self.free = NONE;
        self.oldest = NONE;
        self.newest = NONE;
        self.pending = 0;
        self.done = NONE;
    }

    /// The settings in force (clamped).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// How many datagrams can be pending at once (slots in the storage).
    pub fn capacity(&self) -> usize {
        self.slots as usize
    }

    /// How many datagrams are pending.
    pub fn pending(&self) -> usize {
        self.pending as usize
    }

    /// Add fragment `p` received at `now` (packet time). Returns the whole
    /// datagram when this fragment completes it (see the module docs for its
    /// header); the slice borrows the reassembler and its slot is freed by the
    /// next call. Returns `None` if the datagram is still incomplete, if the
    /// fragment was dropped (each drop calls `warn`), or if `p` is not a fragment.
    ///
    /// Expired datagrams are dropped first ([`Warning::DefragTimeout`]). Cost: see
    /// the module docs.
    pub fn insert(
        &mut self,
        now: Instant,
        p: &Packet<'_>,
        warn: &mut impl FnMut(Warning),
    ) -> Option<&[u8]> {
        self.release_done();
        let f = p.fragment?;
        bump(&mut self.stats.fragments);
        self.tick(now);
        self.expire_old(warn);
        let key = Key::of(p)?;
        let data = p.payload();
        let end = f.offset.saturating_add(data.len());
        if end > self.config.max_end(p.version) {
            self.raise(Warning::DefragOversized, warn);
            return None;
        }
        if f.more && !data.len().is_multiple_of(8) {
            self.raise(Warning::DefragInvalid, warn);
            return None;
        }
        if f.offset == 0 && f.unfragmentable_len > self.config.max_header {
            self.raise(Warning::DefragOversized, warn);
            return None;
        }
        if self.slots == 0 {
            self.raise(Warning::DefragNoMemory, warn);
            return None;
        }
        let host = key::host_slot(self.config.seed, key.version, &key.dst, self.host_slots());
        self.host_limit(host, &key, warn);
        let idx = match self.find(host, &key) {
            Some(i) => {
                self.touch(i);
                i
            }
            None => self.open(host, key, warn)?,
        };
        // Offsets fit u16: `end` is at most 65,535 (checked above).
        let (start, end) = (u16::try_from(f.offset).ok()?, u16::try_from(end).ok()?);
        self.add(idx, p, &f, start, end, warn)
    }

    /// Let packet time run to `now` and drop every datagram that timed out
    /// ([`Warning::DefragTimeout`] each). O(1) amortized.
    pub fn expire(&mut self, now: Instant, warn: &mut impl FnMut(Warning)) {
        self.release_done();
        self.tick(now);
        self.expire_old(warn);
    }

    /// A whole (unfragmented) packet arrived: drop a pending datagram with the
    /// same key, as libnids does ("fragmented frame replaced by full unfragmented
    /// copy"), counted in [`Stats::replaced`] without a warning. IPv6 packets
    /// without a fragment header have no identification and match nothing. O(1)
    /// when nothing is pending; otherwise one SipHash and one host's list.
    pub fn unfragmented(&mut self, p: &Packet<'_>) {
        self.release_done();
        if self.pending == 0 {
            return;
        }
        let Some(key) = Key::of(p) else { return };
        let host = key::host_slot(self.config.seed, key.version, &key.dst, self.host_slots());
        if let Some(i) = self.find(host, &key) {
            bump(&mut self.stats.replaced);
            self.remove(i);
        }
    }

    // ---- internals -------------------------------------------------------

    fn raise(&mut self, w: Warning, warn: &mut impl FnMut(Warning)) {
        let c = match w {
            Warning::DefragOversized => &mut self.stats.oversized,
            Warning::DefragInvalid => &mut self.stats.invalid,
            Warning::DefragOverlap => &mut self.stats.overlaps,
            Warning::DefragTimeout => &mut self.stats.timeouts,
            Warning::DefragEvicted => &mut self.stats.evicted,
            _ => &mut self.stats.no_memory,
        };
        bump(c);
        warn(w);
    }

    fn tick(&mut self, now: Instant) {
        self.clock = self.clock.max(now.micros());
    }

    fn scratch_len(&self) -> usize {
        self.config.max_fragments * RECORD
    }

    fn slot_size(&self) -> usize {
        Self::slot_size_for(&self.config)
    }

    /// Byte range of slot `i` in the storage.
    fn range(&self, i: u32) -> Range<usize> {
        let size = self.slot_size();
        let base = (i as usize)
            .checked_mul(size)
            .and_then(|b| b.checked_add(self.scratch_len()))
            .unwrap_or(usize::MAX - size);
        base..base.saturating_add(size)
    }

    fn meta(&self, i: u32) -> Meta {
        let r = self.range(i);
        Meta::read(
            self.mem
                .get(r.start..r.start.saturating_add(META))
                .unwrap_or(&[]),
        )
    }

    fn set_meta(&mut self, i: u32, m: &Meta) {
        let r = self.range(i);
        if let Some(b) = self.mem.get_mut(r.start..r.start.saturating_add(META)) {
            m.write(b);
        }
    }

    fn release_done(&mut self) {
        if self.done != NONE {
            let i = self.done;
            self.done = NONE;
            self.push_free(i);
        }
    }

    fn push_free(&mut self, i: u32) {
        let mut m = self.meta(i);
        m.host_next = self.free;
        self.set_meta(i, &m);
        self.free = i;
    }

    fn expire_old(&mut self, warn: &mut impl FnMut(Warning)) {
        let timeout = self.config.timeout.micros();
        while self.oldest != NONE {
            let m = self.meta(self.oldest);
            if m.touched.saturating_add(timeout) >= self.clock {
                break;
            }
            self.raise(Warning::DefragTimeout, warn);
            self.remove(self.oldest);
        }
    }

    fn find(&self, host: usize, key: &Key) -> Option<u32> {
        let mut i = *self.hosts.get(host)?;
        let mut guard = self.slots;
        while i != NONE && guard > 0 {
            let m = self.meta(i);
            if m.key == *key {
                return Some(i);
            }
            i = m.host_next;
            guard -= 1;
        }
        None
    }

    /// libnids' per-host limit, checked before a fragment is added: above
    /// `max_host_bytes`, drop the host's oldest datagrams down to 3/4 of it.
    fn host_limit(&mut self, host: usize, key: &Key, warn: &mut impl FnMut(Warning)) {
        let high = self.config.max_host_bytes;
        let low = high - high / 4;
        let mut limit = high;
        loop {
            let mut charged = 0usize;
            let mut oldest: Option<(u64, u32)> = None;
            let mut i = self.hosts.get(host).copied().unwrap_or(NONE);
            let mut guard = self.slots;
            while i != NONE && guard > 0 {
                let m = self.meta(i);
                if m.key.version == key.version && m.key.dst == key.dst {
                    charged = charged
                        .saturating_add(m.held as usize)
                        .saturating_add(HOST_OVERHEAD);
                    if oldest.is_none_or(|(s, _)| m.seq < s) {
                        oldest = Some((m.seq, i));
                    }
                }
                i = m.host_next;
                guard -= 1;
            }
            match oldest {
                Some((_, victim)) if charged > limit => {
                    self.raise(Warning::DefragEvicted, warn);
                    self.remove(victim);
                    limit = low;
                }
                _ => return,
            }
        }
    }

    /// Take a slot for a new datagram: a free one, a fresh one, or the oldest
    /// pending datagram's (evicted).
    fn open(&mut self, host: usize, key: Key, warn: &mut impl FnMut(Warning)) -> Option<u32> {
        let i = if self.free != NONE {
            let i = self.free;
            self.free = self.meta(i).host_next;
            i
        } else if self.fresh < self.slots {
            self.fresh += 1;
            self.fresh - 1
        } else {
            let victim = self.oldest;
            if victim == NONE {
                self.raise(Warning::DefragNoMemory, warn);
                return None;
            }
            self.raise(Warning::DefragEvicted, warn);
            self.remove(victim);
            let i = self.free;
            self.free = self.meta(i).host_next;
            i
        };
        self.seq = self.seq.wrapping_add(1);
        let head = self.hosts.get(host).copied().unwrap_or(NONE);
        let mut m = Meta::new(key, host as u32, self.clock, self.seq);
        m.host_next = head;
        m.prev = self.newest;
        self.set_meta(i, &m);
        if let Some(h) = self.hosts.get_mut(host) {
            *h = i;
        }
        self.link_newest(i);
        self.pending += 1;
        Some(i)
    }

    /// Append `i` (whose `prev` is already `self.newest`) to the age list.
    fn link_newest(&mut self, i: u32) {
        if self.newest != NONE {
            let mut n = self.meta(self.newest);
            n.next = i;
            self.set_meta(self.newest, &n);
        } else {
            self.oldest = i;
        }
        self.newest = i;
    }

    fn unlink_age(&mut self, m: &Meta) {
        if m.prev != NONE {
            let mut p = self.meta(m.prev);
            p.next = m.next;
            self.set_meta(m.prev, &p);
        } else {
            self.oldest = m.next;
        }
        if m.next != NONE {
            let mut n = self.meta(m.next);
            n.prev = m.prev;
            self.set_meta(m.next, &n);
        } else {
            self.newest = m.prev;
        }
    }

    /// A fragment for `i` arrived: it becomes the newest.
    fn touch(&mut self, i: u32) {
        let mut m = self.meta(i);
        self.unlink_age(&m);
        self.seq = self.seq.wrapping_add(1);
        m.seq = self.seq;
        m.touched = self.clock;
        m.prev = self.newest;
        m.next = NONE;
        self.set_meta(i, &m);
        self.link_newest(i);
    }

    /// Take `i` off its host list and the age list (the slot is not freed).
    fn unlink(&mut self, i: u32) {
        let m = self.meta(i);
        self.unlink_age(&m);
        let host = m.host as usize;
        let head = self.hosts.get(host).copied().unwrap_or(NONE);
        if head == i {
            if let Some(h) = self.hosts.get_mut(host) {
                *h = m.host_next;
            }
        } else {
            let mut j = head;
            let mut guard = self.slots;
            while j != NONE && guard > 0 {
                let mut jm = self.meta(j);
                if jm.host_next == i {
                    jm.host_next = m.host_next;
                    self.set_meta(j, &jm);
                    break;
                }
                j = jm.host_next;
                guard -= 1;
            }
        }
        self.pending = self.pending.saturating_sub(1);
    }

    fn remove(&mut self, i: u32) {
        self.unlink(i);
        self.push_free(i);
    }

    fn drop_datagram(
        &mut self,
        i: u32,
        w: Warning,
        warn: &mut impl FnMut(Warning),
    ) -> Option<&[u8]> {
        self.raise(w, warn);
        self.remove(i);
        None
    }

    /// Merge fragment `start..end` of `p` into datagram `i`; deliver it if whole.
    fn add(
        &mut self,
        i: u32,
        p: &Packet<'_>,
        f: &Fragment,
        start: u16,
        end: u16,
        warn: &mut impl FnMut(Warning),
    ) -> Option<&[u8]> {
        let mut m = self.meta(i);
        let recs_len = self.scratch_len();
        let room = self.config.max_header;
        let r = self.range(i);
        // Consistency of the datagram's end.
        let held_end = if m.count > 0 {
            let recs = self
                .mem
                .get(r.start + META..r.start + META + recs_len)
                .unwrap_or(&[]);
            pieces::get(recs, usize::from(m.count) - 1).end
        } else {
            0
        };
        let have_last = m.flags & HAVE_LAST != 0;
        if !f.more {
            if (have_last && m.end != end) || held_end > end {
                return self.drop_datagram(i, Warning::DefragInvalid, warn);
            }
            m.flags |= HAVE_LAST;
            m.end = end;
        } else if have_last && end > m.end {
            return self.drop_datagram(i, Warning::DefragInvalid, warn);
        }
        let mut holds_zero = false;
        if start < end {
            let data = p.payload();
            let policy = self.config.policy;
            let cut = r.start.min(self.mem.len());
            let (lo, hi) = self.mem.split_at_mut(cut);
            let scratch = lo.get_mut(..recs_len).unwrap_or(&mut []);
            let slot = hi.get_mut(..r.len()).unwrap_or(&mut []);
            let (head, tail) = slot.split_at_mut((META + recs_len).min(slot.len()));
            let recs = head.get_mut(META..).unwrap_or(&mut []);
            let payload = tail.get_mut(room..).unwrap_or(&mut []);
            let res = pieces::apply(
                policy,
                recs,
                usize::from(m.count),
                start,
                end,
                scratch,
                |a, b| {
                    let (a, b) = (usize::from(a), usize::from(b));
                    let off = usize::from(start);
                    if let (Some(dst), Some(src)) =
                        (payload.get_mut(a..b), data.get(a - off..b - off))
                    {
                        dst.copy_from_slice(src);
                    }
                },
            );
            let Ok(done) = res else {
                return self.drop_datagram(i, Warning::DefragNoMemory, warn);
            };
            let n = done.count * RECORD;
            if let (Some(d), Some(s)) = (recs.get_mut(..n), scratch.get(..n)) {
                d.copy_from_slice(s);
            }
            m.count = u8::try_from(done.count).unwrap_or(u8::MAX);
            m.held = (0..done.count)
                .map(|k| pieces::get(recs, k).len() as u32)
                .fold(0u32, u32::saturating_add);
            holds_zero = done.holds_zero;
            if done.overlap {
                self.raise(Warning::DefragOverlap, warn);
            }
        }
        if f.offset == 0 && (m.flags & HAVE_HEADER == 0 || holds_zero) {
            let hlen = f.unfragmentable_len;
            let at = (r.start + META + recs_len + room).saturating_sub(hlen);
            let ok = match (self.mem.get_mut(at..at + hlen), p.bytes.get(..hlen)) {
                (Some(d), Some(s)) => {
                    d.copy_from_slice(s);
                    match p.version {
                        Version::V4 => true,
                        Version::V6 => match d.get_mut(f.next_header_at) {
                            Some(b) if f.next_header_at >= 6 => {
                                *b = p.protocol;
                                true
                            }
                            _ => false,
                        },
                    }
                }
                _ => false,
            };
            if !ok {
                return self.drop_datagram(i, Warning::DefragInvalid, warn);
            }
            m.flags |= HAVE_HEADER;
            m.header_len = hlen as u16;
        }
        self.set_meta(i, &m);
        if m.flags & (HAVE_LAST | HAVE_HEADER) != HAVE_LAST | HAVE_HEADER {
            return None;
        }
        // Whole when the pieces run without a gap from 0 to the end.
        let recs = self
            .mem
            .get(r.start + META..r.start + META + recs_len)
            .unwrap_or(&[]);
        let mut cur = 0u16;
        for k in 0..usize::from(m.count) {
            let pc: Piece = pieces::get(recs, k);
            if pc.start != cur {
                return None;
            }
            cur = pc.end;
        }
        if cur != m.end {
            return None;
        }
        self.deliver(i, &m, warn)
    }

    /// Fix the header of whole datagram `i` and hand it out.
    fn deliver(&mut self, i: u32, m: &Meta, warn: &mut impl FnMut(Warning)) -> Option<&[u8]> {
        let hlen = usize::from(m.header_len);
        let end = usize::from(m.end);
        let total = hlen + end;
        let fits = match m.key.version {
            Version::V4 => total <= self.config.v4_total(),
            Version::V6 => total <= self.config.max_datagram && hlen >= V6_HEADER,
        };
        if !fits {
            return self.drop_datagram(i, Warning::DefragOversized, warn);
        }
        let r = self.range(i);
        let at =
            (r.start + META + self.scratch_len() + self.config.max_header).saturating_sub(hlen);
        let Some(h) = self.mem.get_mut(at..at + hlen) else {
            return self.drop_datagram(i, Warning::DefragInvalid, warn);
        };
        match m.key.version {
            Version::V4 => {
                if h.len() < V4_MIN_HEADER {
                    return self.drop_datagram(i, Warning::DefragInvalid, warn);
                }
                h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
                h[6] &= 0xc0; // keep reserved and DF; clear MF and the offset
                h[7] = 0;
                h[10] = 0;
                h[11] = 0;
                let c = !(checksum::sum(h) as u16);
                h[10..12].copy_from_slice(&c.to_be_bytes());
            }
            Version::V6 => {
                let plen = (total - V6_HEADER) as u16;
                if let Some(b) = h.get_mut(4..6) {
                    b.copy_from_slice(&plen.to_be_bytes());
                }
            }
        }
        self.unlink(i);
        self.done = i;
        bump(&mut self.stats.reassembled);
        self.mem.get(at..at + total)
    }
}

#[cfg(test)]
mod tests;

//! Where the stream table lives: [`Memory`] kinds ([`Arrays`] owned by the
//! engine, `Heap` sized at run time (feature `alloc`), [`Borrowed`] from the caller), the
//! [`Tables`] they hold, and the [`Plan`] that says how much memory an engine
//! takes.
//!
//! One engine type, [`crate::Engine`], runs over any of them; [`crate::Nids`]
//! is that engine over [`Arrays`] (its sizes are const generics, for firmware
//! and `static`s), as heapless' `Vec<T, N>` is its `VecView<T>` with `N` known.
//!
//! Nothing is touched before it is used: stream entries are initialised one by
//! one as streams arrive ([`crate::slots::Slots`]), and the buckets are zeroed
//! memory (on a host, `vec![0; n]`, which the allocator maps lazily with
//! `calloc`). So building a table costs O(1) however large it is, as with
//! libnids' `calloc`'d tables, and its resident memory grows with the streams
//! really open.

use core::marker::PhantomData;

use crate::slots::Slots;

/// The storage of one stream: the table entry (its links, flow key and tuple)
/// around the stream's state. Size it with `size_of::<StreamSlot<U>>()` or
/// [`Plan::table_bytes`].
pub type StreamSlot<U> = crate::tcp::table::Entry<crate::tcp::Slot<U>>;

/// A kind of memory for the stream table: the types of its entries and of its
/// buckets (4 bytes each, zeroed).
pub trait Memory<U> {
    /// Stream entries, initialised as they are used.
    type Entries: Slots<StreamSlot<U>>;
    /// Hash buckets, zeroed.
    type Buckets: AsRef<[u32]> + AsMut<[u32]>;
}

/// Tables owned by the engine, `STREAMS` entries and buckets: the engine's size
/// is known at compile time (about `size_of::<StreamSlot<U>>() + 4` bytes per
/// stream), it can live in a `static`, and needs no heap.
pub struct Arrays<const STREAMS: usize>;

impl<U, const STREAMS: usize> Memory<U> for Arrays<STREAMS> {
    type Entries = heapless::Vec<StreamSlot<U>, STREAMS>;
    type Buckets = [u32; STREAMS];
}

/// Tables on the heap, sized at run time ([`Tables::heap`]; feature `alloc`).
#[cfg(any(feature = "alloc", test))]
pub struct Heap;

#[cfg(any(feature = "alloc", test))]
impl<U> Memory<U> for Heap {
    type Entries = alloc::vec::Vec<StreamSlot<U>>;
    type Buckets = alloc::vec::Vec<u32>;
}

/// Tables borrowed from the caller for `'s`, sized at run time by the caller's
/// storage: a heapless `VecView` of entries (any `heapless::Vec<_, N>`'s
/// `as_mut_view()`) and zeroed buckets.
pub struct Borrowed<'s>(PhantomData<&'s mut ()>);

impl<'s, U: 's> Memory<U> for Borrowed<'s> {
    type Entries = &'s mut heapless::vec::VecView<StreamSlot<U>>;
    type Buckets = &'s mut [u32];
}

/// The stream table's storage of memory kind `M`.
pub struct Tables<U, M: Memory<U>> {
    /// Stream entries: their capacity is the number of stream slots (libnids'
    /// `n_tcp_streams`).
    pub entries: M::Entries,
    /// Hash buckets, all zero (one per stream slot is libnids' choice).
    pub buckets: M::Buckets,
}

impl<U, const STREAMS: usize> Tables<U, Arrays<STREAMS>> {
    /// Empty arrays. O(`STREAMS`) for the zeroed buckets only; the entries are
    /// not touched.
    pub fn arrays() -> Self {
        Tables {
            entries: heapless::Vec::new(),
            buckets: [0; STREAMS],
        }
    }
}

#[cfg(any(feature = "alloc", test))]
impl<U> Tables<U, Heap> {
    /// Tables for `streams` stream slots on the heap, reserved in one step each
    /// and touched only as streams arrive: O(1) time, and resident memory that
    /// grows with the streams open, up to `Plan::table_bytes` for `streams`.
    /// `streams` above `u32::MAX - 1` is capped.
    pub fn heap(streams: usize) -> Self {
        let n = streams.min(u32::MAX as usize - 1);
        Tables {
            entries: alloc::vec::Vec::with_capacity(n),
            buckets: alloc::vec![0; n],
        }
    }
}

/// How much memory an engine takes: its stream slots and its byte budgets.
/// The planner for a host that takes sizes at run time (libnids'
/// `n_tcp_streams`), and for a firmware that sizes its `static`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Stream slots.
    pub streams: usize,
    /// Bytes for TCP (out-of-order segments, kept bytes).
    pub tcp_bytes: usize,
    /// Bytes for fragments waiting for their datagram.
    pub defrag_bytes: usize,
}

impl Plan {
    /// Bytes of the stream table for [`Plan::streams`] with user data `U`: one
    /// [`StreamSlot<U>`] and one 4-byte bucket per stream. O(1).
    pub const fn table_bytes<U>(&self) -> usize {
        self.streams
            .saturating_mul(core::mem::size_of::<StreamSlot<U>>() + 4)
    }

    /// All the memory the plan takes outside the engine value itself: the
    /// stream table and both byte budgets. O(1).
    pub const fn bytes<U>(&self) -> usize {
        self.table_bytes::<U>()
            .saturating_add(self.tcp_bytes)
            .saturating_add(self.defrag_bytes)
    }

    /// The stream table on the heap ([`Tables::heap`]).
    #[cfg(any(feature = "alloc", test))]
    pub fn tables<U>(&self) -> Tables<U, Heap> {
        Tables::heap(self.streams)
    }
}

//! [`Slots`]: where a table's entries live, initialised only as they are used.
//!
//! A table never reads an entry it has not written: it keeps a high-water mark
//! (the number of entries initialised so far, [`Slots::live`]) and initialises
//! one more entry ([`Slots::push`]) only when its free list is empty. So
//! building a table costs O(1) and memory is touched only as streams arrive,
//! as with libnids' `calloc`'d tables.
//!
//! Three kinds of storage implement it, all in safe Rust (nids-core's
//! Cargo.toml forbids the other kind):
//! * [`heapless::Vec<T, N>`]: an array owned by the engine (firmware, `static`s;
//!   built in O(1), its entries uninitialised);
//! * `&mut` [`heapless::VecView<T>`]: the same, borrowed, with `N` hidden;
//! * `alloc::vec::Vec<T>` (feature `alloc`): room for `capacity()` entries,
//!   reserved once and never reallocated ([`Slots::push`] refuses beyond it).
//!
//! Any `&mut S` where `S: Slots<T>` is one too.

/// Storage for up to [`Slots::capacity`] entries of `T`, of which the first
/// [`Slots::live`] are initialised.
pub trait Slots<T> {
    /// The entries initialised so far, in order.
    fn live(&self) -> &[T];
    /// [`Slots::live`], writable.
    fn live_mut(&mut self) -> &mut [T];
    /// Most entries this storage holds. O(1).
    fn capacity(&self) -> usize;
    /// Initialise the next entry with `v`; `Err(v)` when full. O(1), never
    /// reallocates.
    fn push(&mut self, v: T) -> Result<(), T>;
}

impl<T, const N: usize> Slots<T> for heapless::Vec<T, N> {
    fn live(&self) -> &[T] {
        self.as_slice()
    }
    fn live_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
    fn capacity(&self) -> usize {
        N
    }
    fn push(&mut self, v: T) -> Result<(), T> {
        heapless::Vec::push(self, v)
    }
}

impl<T> Slots<T> for heapless::vec::VecView<T> {
    fn live(&self) -> &[T] {
        self.as_slice()
    }
    fn live_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
    fn capacity(&self) -> usize {
        heapless::vec::VecView::capacity(self)
    }
    fn push(&mut self, v: T) -> Result<(), T> {
        heapless::vec::VecView::push(self, v)
    }
}

impl<T, S: Slots<T> + ?Sized> Slots<T> for &mut S {
    fn live(&self) -> &[T] {
        (**self).live()
    }
    fn live_mut(&mut self) -> &mut [T] {
        (**self).live_mut()
    }
    fn capacity(&self) -> usize {
        (**self).capacity()
    }
    fn push(&mut self, v: T) -> Result<(), T> {
        (**self).push(v)
    }
}

#[cfg(any(feature = "alloc", test))]
impl<T> Slots<T> for alloc::vec::Vec<T> {
    fn live(&self) -> &[T] {
        self
    }
    fn live_mut(&mut self) -> &mut [T] {
        self
    }
    fn capacity(&self) -> usize {
        alloc::vec::Vec::capacity(self)
    }
    fn push(&mut self, v: T) -> Result<(), T> {
        if self.len() >= alloc::vec::Vec::capacity(self) {
            return Err(v);
        }
        alloc::vec::Vec::push(self, v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill<S: Slots<u8>>(mut s: S) -> usize {
        let mut n = 0;
        while s.push(n as u8).is_ok() {
            n += 1;
        }
        assert_eq!(s.live().len(), n);
        assert_eq!(s.capacity(), n);
        n
    }

    #[test]
    fn test_every_kind_stops_at_capacity() {
        assert_eq!(fill(heapless::Vec::<u8, 5>::new()), 5);
        let mut v = heapless::Vec::<u8, 3>::new();
        assert_eq!(fill(v.as_mut_view()), 3);
        assert_eq!(fill(alloc::vec::Vec::<u8>::with_capacity(7)), 7);
    }
}

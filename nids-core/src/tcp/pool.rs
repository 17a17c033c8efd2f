//! [`Pool`]: TCP byte storage carved from caller memory into blocks of two sizes.
//!
//! The caller hands in any amount of memory (`&mut [u8]` on a microcontroller, a
//! `Vec<u8>` on a host, through [`managed::ManagedSlice`]). Three quarters of it
//! are split into large blocks of `block_size` bytes, the last quarter into small
//! blocks ([`small_size`]) for small out-of-order segments, so a flood of one-byte
//! segments costs a small block each, not a large one. Each block starts with a
//! 4-byte link to the next block of its chain (or of its free list). Out-of-order
//! segments take one block each (a longer segment is split), and bytes a handler
//! keeps with `discard` are a chain of large blocks. Allocation and release are
//! O(1); nothing fragments. A block is charged whole ([`Pool::size_of`]).
//!
//! Limit: when no block of a class is free, [`Pool::alloc`] returns `None`; the
//! caller decides what to drop and warns ([`crate::Warning::TcpStorageFull`]).

use managed::ManagedSlice;

/// "No block": the end of a chain.
pub const NONE: u32 = u32::MAX;

/// Bytes of each block taken by the link to the next block.
pub const LINK: usize = 4;

/// The smallest block size accepted (smaller requests are raised to it).
pub const MIN_BLOCK: usize = 64;

/// The size of the small blocks for large blocks of `block` bytes: an eighth of
/// it, between [`MIN_BLOCK`] and 256 bytes (256 for the default 2 KiB blocks).
pub const fn small_size(block: usize) -> usize {
    let q = block / 8;
    if q < MIN_BLOCK {
        MIN_BLOCK
    } else if q > 256 {
        256
    } else {
        q
    }
}

/// One class of equal blocks: where it starts, its block size, its free list.
struct Class {
    base: usize,
    size: usize,
    blocks: u32,
    free: u32,
    /// Blocks at and above this index were never handed out: free, unlinked.
    fresh: u32,
}

impl Class {
    fn new(base: usize, len: usize, size: usize, limit: u32) -> Class {
        let blocks = u32::try_from(len / size).unwrap_or(limit).min(limit);
        Class {
            base,
            size,
            blocks,
            free: NONE,
            fresh: 0,
        }
    }
}

/// Blocks of two sizes over caller memory, with free lists. Block ids of the
/// large class come first (`0..large`), then the small ones.
pub struct Pool<'a> {
    mem: ManagedSlice<'a, u8>,
    large: Class,
    small: Class,
    in_use: u32,
    in_use_bytes: usize,
}

impl<'a> Pool<'a> {
    /// Split `mem` into large blocks of `block_size` bytes (at least
    /// [`MIN_BLOCK`]; three quarters of `mem`) and small blocks of
    /// [`small_size`] bytes (the last quarter); a tail shorter than a block is
    /// unused. O(1): blocks never handed out are free without being linked, so
    /// the memory is not touched until used.
    pub fn new(mem: impl Into<ManagedSlice<'a, u8>>, block_size: usize) -> Pool<'a> {
        let mem = mem.into();
        let block = block_size.max(MIN_BLOCK);
        let small = small_size(block);
        let split = mem.len() - mem.len() / 4;
        let large = Class::new(0, split, block, (NONE - 1) / 2);
        let small_base = large.blocks as usize * block;
        let small = Class::new(small_base, mem.len() - small_base, small, (NONE - 1) / 2);
        Pool {
            mem,
            large,
            small,
            in_use: 0,
            in_use_bytes: 0,
        }
    }

    /// Size of each large block in bytes (its payload is [`LINK`] bytes less).
    pub fn block_size(&self) -> usize {
        self.large.size
    }

    /// Payload bytes of each large block.
    pub fn capacity(&self) -> usize {
        self.large.size - LINK
    }

    /// Payload bytes of each small block.
    pub fn small_capacity(&self) -> usize {
        self.small.size - LINK
    }

    /// Number of blocks in all (both sizes).
    pub fn blocks(&self) -> u32 {
        self.large.blocks + self.small.blocks
    }

    /// Number of blocks in use.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// Bytes of the blocks in use (each block counted whole).
    #[cfg(any(test, feature = "test-util"))]
    pub fn in_use_bytes(&self) -> usize {
        self.in_use_bytes
    }

    /// Bytes of storage in all (both sizes).
    pub fn total_bytes(&self) -> usize {
        self.large.blocks as usize * self.large.size + self.small.blocks as usize * self.small.size
    }

    /// Free bytes of storage, in whole blocks.
    pub fn free_bytes(&self) -> usize {
        self.total_bytes() - self.in_use_bytes
    }

    /// The size of block `b` (what it is charged).
    pub fn size_of(&self, b: u32) -> usize {
        if b < self.large.blocks {
            self.large.size
        } else {
            self.small.size
        }
    }

    fn addr(&self, b: u32) -> usize {
        if b < self.large.blocks {
            b as usize * self.large.size
        } else {
            self.small.base + (b - self.large.blocks) as usize * self.small.size
        }
    }

    /// Take a free large block (its link set to [`NONE`]), or `None` if none is left.
    pub fn alloc(&mut self) -> Option<u32> {
        self.take(false)
    }

    /// Take a free small block, or `None` if none is left.
    pub fn alloc_small(&mut self) -> Option<u32> {
        self.take(true)
    }

    fn take(&mut self, small: bool) -> Option<u32> {
        let offset = if small { self.large.blocks } else { 0 };
        let class = if small { &self.small } else { &self.large };
        let b = if class.free != NONE {
            let b = class.free;
            let next = self.next(b);
            let class = if small {
                &mut self.small
            } else {
                &mut self.large
            };
            class.free = next;
            b
        } else if class.fresh < class.blocks {
            let class = if small {
                &mut self.small
            } else {
                &mut self.large
            };
            class.fresh += 1;
            class.fresh - 1 + offset
        } else {
            return None;
        };
        self.set_next(b, NONE);
        self.in_use += 1;
        self.in_use_bytes += self.size_of(b);
        Some(b)
    }

    /// Give block `b` back.
    pub fn release(&mut self, b: u32) {
        debug_assert!(b < self.blocks());
        let small = b >= self.large.blocks;
        let free = if small {
            self.small.free
        } else {
            self.large.free
        };
        self.set_next(b, free);
        if small {
            self.small.free = b;
        } else {
            self.large.free = b;
        }
        self.in_use -= 1;
        self.in_use_bytes -= self.size_of(b);
    }

    /// Give back a whole chain starting at `b`.
    pub fn release_chain(&mut self, mut b: u32) {
        while b != NONE {
            let n = self.next(b);
            self.release(b);
            b = n;
        }
    }

    /// The block after `b` in its chain.
    pub fn next(&self, b: u32) -> u32 {
        let at = self.addr(b);
        match self.mem.get(at..at + LINK) {
            Some(l) => u32::from_le_bytes([l[0], l[1], l[2], l[3]]),
            None => NONE,
        }
    }

    /// Set the block after `b`.
    pub fn set_next(&mut self, b: u32, next: u32) {
        let at = self.addr(b);
        if let Some(l) = self.mem.get_mut(at..at + LINK) {
            l.copy_from_slice(&next.to_le_bytes());
        }
    }

    /// The payload of block `b`.
    pub fn data(&self, b: u32) -> &[u8] {
        let at = self.addr(b);
        self.mem.get(at + LINK..at + self.size_of(b)).unwrap_or(&[])
    }

    /// The payload of block `b`, writable.
    pub fn data_mut(&mut self, b: u32) -> &mut [u8] {
        let at = self.addr(b);
        let end = at + self.size_of(b);
        self.mem.get_mut(at + LINK..end).unwrap_or(&mut [])
    }

    /// Copy `n` payload bytes from block `src` at `from` to block `dst` at `to`
    /// (the ranges may be in the same block). Out-of-range requests copy nothing.
    pub fn copy(&mut self, src: u32, from: usize, dst: u32, to: usize, n: usize) {
        let (s, d) = (self.addr(src) + LINK + from, self.addr(dst) + LINK + to);
        let fits = from + n <= self.size_of(src) - LINK && to + n <= self.size_of(dst) - LINK;
        if fits && s + n <= self.mem.len() && d + n <= self.mem.len() {
            self.mem.copy_within(s..s + n, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_alloc_all_then_refuse() {
        let mut mem = [0u8; 64 * 8 + 10];
        let mut p = Pool::new(&mut mem[..], 64);
        // 3/4 of 522 bytes: 6 large blocks; the rest: 2 small ones.
        assert_eq!(p.blocks(), 8);
        let got: std::vec::Vec<u32> = (0..6).map(|_| p.alloc().unwrap()).collect();
        assert_eq!(p.alloc(), None, "full pool refuses");
        let small: std::vec::Vec<u32> = (0..2).map(|_| p.alloc_small().unwrap()).collect();
        assert_eq!(p.alloc_small(), None);
        assert_eq!(p.in_use(), 8);
        assert_eq!(p.in_use_bytes(), 8 * 64);
        assert_eq!(p.free_bytes(), 0);
        for b in got.into_iter().chain(small) {
            p.release(b);
        }
        assert_eq!(p.in_use(), 0);
        assert_eq!(p.in_use_bytes(), 0);
        assert!(p.alloc().is_some());
    }

    #[test]
    fn test_small_blocks_are_charged_their_size() {
        let mut mem = std::vec![0u8; 2048 * 8];
        let mut p = Pool::new(&mut mem[..], 2048);
        assert_eq!(small_size(2048), 256);
        let s = p.alloc_small().unwrap();
        let l = p.alloc().unwrap();
        assert_eq!(p.size_of(s), 256);
        assert_eq!(p.size_of(l), 2048);
        assert_eq!(p.in_use_bytes(), 256 + 2048);
        assert_eq!(p.data(s).len(), 252);
        p.data_mut(s)[..3].copy_from_slice(b"abc");
        p.copy(s, 0, l, 10, 3);
        assert_eq!(&p.data(l)[10..13], b"abc");
        p.copy(l, 10, l, 11, 3);
        assert_eq!(&p.data(l)[11..14], b"abc");
        p.release(s);
        p.release(l);
        assert_eq!(p.in_use_bytes(), 0);
    }

    #[test]
    fn test_chain_release() {
        let mut mem = std::vec![0u8; 64 * 4];
        let mut p = Pool::new(&mut mem[..], 10);
        assert_eq!(p.block_size(), MIN_BLOCK);
        let a = p.alloc().unwrap();
        let b = p.alloc().unwrap();
        p.set_next(a, b);
        p.data_mut(b)[0] = 7;
        assert_eq!(p.data(b)[0], 7);
        p.release_chain(a);
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn test_empty_pool() {
        let mut p = Pool::new(&mut [][..], 64);
        assert_eq!(p.alloc(), None);
    }
}

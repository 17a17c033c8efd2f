//! [`Pool`]: TCP byte storage carved from caller memory into equal blocks.
//!
//! The caller hands in any amount of memory (`&mut [u8]` on a microcontroller, a
//! `Vec<u8>` on a host, through [`managed::ManagedSlice`]). It is split into
//! blocks of `block_size` bytes; each block starts with a 4-byte link to the next
//! block of its chain (or of the free list). Out-of-order segments take one block
//! each (a longer segment is split), and bytes a handler keeps with `discard` are
//! a chain of blocks. Allocation and release are O(1); nothing fragments.
//!
//! Limit: when no block is free, [`Pool::alloc`] returns `None`; the caller
//! decides what to drop and warns ([`crate::Warning::TcpStorageFull`]).

use managed::ManagedSlice;

/// "No block": the end of a chain.
pub const NONE: u32 = u32::MAX;

/// Bytes of each block taken by the link to the next block.
pub const LINK: usize = 4;

/// The smallest block size accepted (smaller requests are raised to it).
pub const MIN_BLOCK: usize = 64;

/// Equal-size blocks over caller memory, with a free list.
pub struct Pool<'a> {
    mem: ManagedSlice<'a, u8>,
    block: usize,
    blocks: u32,
    free: u32,
    in_use: u32,
    /// Blocks at and above this index were never handed out: free, unlinked.
    fresh: u32,
}

impl<'a> Pool<'a> {
    /// Split `mem` into blocks of `block_size` bytes (at least [`MIN_BLOCK`]); a
    /// tail shorter than a block is unused. O(1): blocks never handed out are
    /// free without being linked, so the memory is not touched until used.
    pub fn new(mem: impl Into<ManagedSlice<'a, u8>>, block_size: usize) -> Pool<'a> {
        let mem = mem.into();
        let block = block_size.max(MIN_BLOCK);
        let blocks = u32::try_from(mem.len() / block)
            .unwrap_or(NONE - 1)
            .min(NONE - 1);
        Pool {
            mem,
            block,
            blocks,
            free: NONE,
            in_use: 0,
            fresh: 0,
        }
    }

    /// Size of each block in bytes (its payload is [`LINK`] bytes less).
    pub fn block_size(&self) -> usize {
        self.block
    }

    /// Payload bytes of each block.
    pub fn capacity(&self) -> usize {
        self.block - LINK
    }

    /// Number of blocks in all.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Number of blocks in use.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// Take a free block (its link set to [`NONE`]), or `None` if none is left.
    pub fn alloc(&mut self) -> Option<u32> {
        let b = if self.free != NONE {
            let b = self.free;
            self.free = self.next(b);
            b
        } else if self.fresh < self.blocks {
            self.fresh += 1;
            self.fresh - 1
        } else {
            return None;
        };
        self.set_next(b, NONE);
        self.in_use += 1;
        Some(b)
    }

    /// Give block `b` back.
    pub fn release(&mut self, b: u32) {
        debug_assert!(b < self.blocks);
        self.set_next(b, self.free);
        self.free = b;
        self.in_use -= 1;
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
        let at = b as usize * self.block;
        match self.mem.get(at..at + LINK) {
            Some(l) => u32::from_le_bytes([l[0], l[1], l[2], l[3]]),
            None => NONE,
        }
    }

    /// Set the block after `b`.
    pub fn set_next(&mut self, b: u32, next: u32) {
        let at = b as usize * self.block;
        if let Some(l) = self.mem.get_mut(at..at + LINK) {
            l.copy_from_slice(&next.to_le_bytes());
        }
    }

    /// The payload of block `b`.
    pub fn data(&self, b: u32) -> &[u8] {
        let at = b as usize * self.block;
        self.mem.get(at + LINK..at + self.block).unwrap_or(&[])
    }

    /// The payload of block `b`, writable.
    pub fn data_mut(&mut self, b: u32) -> &mut [u8] {
        let at = b as usize * self.block;
        let end = at + self.block;
        self.mem.get_mut(at + LINK..end).unwrap_or(&mut [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_alloc_all_then_refuse() {
        let mut mem = [0u8; 64 * 5 + 10];
        let mut p = Pool::new(&mut mem[..], 64);
        assert_eq!(p.blocks(), 5);
        let got: std::vec::Vec<u32> = (0..5).map(|_| p.alloc().unwrap()).collect();
        assert_eq!(p.alloc(), None, "full pool refuses");
        assert_eq!(p.in_use(), 5);
        for b in got {
            p.release(b);
        }
        assert_eq!(p.in_use(), 0);
        assert!(p.alloc().is_some());
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

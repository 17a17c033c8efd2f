//! [`Storage`]: the caller's memory for bytes that must wait.

use managed::ManagedSlice;

/// Byte storage handed to the engine: one area for TCP (out-of-order segments,
/// bytes a handler keeps) and one for IP fragments waiting for their datagram.
/// Nothing else in the engine grows.
///
/// A plain `&mut [u8]` converts with [`Storage::shared`]'s split: a quarter for
/// fragments, the rest for TCP. Size the fragment part with
/// [`crate::defrag::Defrag::storage_for`] (about 66 KiB per pending datagram with
/// the defaults; give it nothing to drop every fragment with
/// [`crate::Warning::DefragNoMemory`]).
pub struct Storage<'a> {
    /// For TCP.
    pub tcp: ManagedSlice<'a, u8>,
    /// For defragmentation.
    pub defrag: ManagedSlice<'a, u8>,
}

impl<'a> Storage<'a> {
    /// Separate areas for TCP and for fragments.
    pub fn new(
        tcp: impl Into<ManagedSlice<'a, u8>>,
        defrag: impl Into<ManagedSlice<'a, u8>>,
    ) -> Self {
        Storage {
            tcp: tcp.into(),
            defrag: defrag.into(),
        }
    }

    /// One area, split: the first three quarters for TCP, the last quarter for
    /// fragments.
    pub fn shared(mem: &'a mut [u8]) -> Self {
        let at = mem.len() - mem.len() / 4;
        let (tcp, defrag) = mem.split_at_mut(at);
        Storage {
            tcp: tcp.into(),
            defrag: defrag.into(),
        }
    }
}

impl<'a> From<&'a mut [u8]> for Storage<'a> {
    fn from(mem: &'a mut [u8]) -> Self {
        Storage::shared(mem)
    }
}

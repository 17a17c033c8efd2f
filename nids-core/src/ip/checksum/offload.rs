//! [`Offload`]: the senders [`super::Policy::Auto`] has seen with offloaded
//! checksums.

use core::net::IpAddr;

use crate::time::Instant;

/// How many senders the automatic checksum policy remembers.
pub const OFFLOAD_SOURCES: usize = 16;

#[derive(Debug, Clone, Copy)]
pub(super) struct OffloadEntry {
    pub(super) src: IpAddr,
    pub(super) peer: IpAddr,
    pub(super) confirmed: bool,
    pub(super) seen: Instant,
}

/// The state of [`super::Policy::Auto`]: senders seen with offloaded checksums.
/// Size: [`OFFLOAD_SOURCES`] entries of about 48 bytes.
#[derive(Debug, Clone)]
pub struct Offload {
    pub(super) entries: [Option<OffloadEntry>; OFFLOAD_SOURCES],
}

impl Offload {
    /// An empty table.
    pub const fn new() -> Offload {
        Offload {
            entries: [None; OFFLOAD_SOURCES],
        }
    }

    /// Whether `src`'s TCP/UDP checksums are no longer verified.
    pub fn confirmed(&self, src: IpAddr) -> bool {
        self.entries
            .iter()
            .flatten()
            .any(|e| e.confirmed && e.src == src)
    }

    /// A packet from `src` to `dst` carried the offload signature: remember it.
    /// Returns `true` when the table was full and the least recently seen
    /// sender was forgotten to make room.
    pub fn suspect(&mut self, now: Instant, src: IpAddr, dst: IpAddr) -> bool {
        if let Some(e) = self.entries.iter_mut().flatten().find(|e| e.src == src) {
            e.seen = now;
            e.peer = dst;
            return false;
        }
        let entry = OffloadEntry {
            src,
            peer: dst,
            confirmed: false,
            seen: now,
        };
        // An empty entry sorts first (`None < Some`), then the oldest.
        match self.entries.iter_mut().min_by_key(|e| e.map(|e| e.seen)) {
            Some(slot) => {
                let forgot = slot.is_some();
                *slot = Some(entry);
                forgot
            }
            None => false,
        }
    }

    /// A packet with a correct checksum went from `src` to `dst`: if `dst` is a
    /// suspected sender and `src` its peer, confirm it.
    pub fn answered(&mut self, now: Instant, src: IpAddr, dst: IpAddr) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .flatten()
            .find(|e| e.src == dst && e.peer == src)
        {
            e.confirmed = true;
            e.seen = now;
        }
    }
}

impl Default for Offload {
    fn default() -> Self {
        Offload::new()
    }
}

//! The engine's sizing, the same on every board, and the compile-time RAM
//! budget check.
//!
//! Every count here is fixed at compile time; [`STREAMS`] can be set at build
//! time with the environment variable `NIDS_FW_STREAMS` (for example to see
//! the budget check fail: `NIDS_FW_STREAMS=4096 cargo build --release`).
//! [`fits`] adds up what the firmware keeps in RAM; each board's binary
//! states its RAM budget once (`crate::app::Board::new`) and refuses to build
//! when [`fits`] says no:
//!
//! ```text
//! error[E0080]: evaluation panicked: nids-embedded-example: the engine, its
//!               storage and the receive buffers do not fit this board's RAM budget …
//! ```

use core::mem::size_of;

use heapless::pool::object::ObjectBlock;
use nids_core::defrag::Defrag;
use nids_core::{Config, Nids};

use crate::rx::{FrameQueue, BUFFERS, FRAME_BUF};
use crate::tap::Digests;

/// TCP stream slots (at most 3/4 of them open at once: libnids' rule), from
/// `NIDS_FW_STREAMS` at build time if set, else 16.
pub const STREAMS: usize = match option_env!("NIDS_FW_STREAMS") {
    Some(s) => parse(s),
    None => 16,
};
/// The profile built: `"full"` (cargo feature `full`, the default) or
/// `"minimal"` (TCP over IPv4 on Ethernet; see the README).
pub const PROFILE: &str = if cfg!(feature = "full") {
    "full"
} else {
    "minimal"
};

/// Defragmentation host slots (the minimal profile has no defragmentation;
/// `Defrag` needs one slot, 4 bytes, all the same).
pub const HOSTS: usize = if cfg!(feature = "full") { 4 } else { 1 };
/// Port-scan detector sources (552 bytes each; none without scan detection).
pub const SCAN_HOSTS: usize = if cfg!(feature = "full") { 2 } else { 0 };
/// Bytes for out-of-order TCP segments and kept bytes: 12 KiB (full), 3 KiB
/// (minimal), in 256-byte blocks (and 64-byte small ones).
pub const TCP_POOL: usize = if cfg!(feature = "full") {
    12 * 1024
} else {
    3 * 1024
};
/// Fragmented datagrams that can be pending at once.
pub const DEFRAG_DATAGRAMS: usize = if cfg!(feature = "full") { 2 } else { 0 };
/// Stack the firmware needs (measured peak: about 7.5 KiB in the full
/// profile, under 4 KiB in the minimal one, see the README), with room to
/// spare.
pub const STACK: usize = if cfg!(feature = "full") {
    10 * 1024
} else {
    5 * 1024
};
/// Everything else in RAM: driver state, the defmt logger, the statics of the
/// libraries (about 120 bytes measured).
pub const OTHER: usize = if cfg!(feature = "full") { 1024 } else { 512 };

/// The engine's settings: libnids' behaviour with limits for 64 KiB of RAM
/// (full profile) or 24 KiB (minimal profile: less queued per half).
pub const fn config() -> Config<'static> {
    let mut c = Config::new();
    c.tcp.block_size = 256;
    c.tcp.max_queue = if cfg!(feature = "full") {
        4 * 1024
    } else {
        2 * 1024
    };
    c.tcp.max_kept = 1024;
    c.defrag.max_datagram = 1600;
    c.defrag.max_fragments = 16;
    c.defrag.max_host_bytes = 4 * 1024;
    c
}

/// Bytes of the defragmentation pool.
pub const DEFRAG_POOL: usize =
    Defrag::<'static, HOSTS>::storage_for(&config().defrag, DEFRAG_DATAGRAMS);

/// The engine, as sized here.
pub type Engine = Nids<'static, Digests, STREAMS, HOSTS, SCAN_HOSTS>;

/// RAM the firmware needs: engine, TCP and fragment pools, receive buffers
/// and queue, stack, and the rest.
pub const RAM_NEEDED: usize = size_of::<Engine>()
    + TCP_POOL
    + DEFRAG_POOL
    + BUFFERS * size_of::<ObjectBlock<[u8; FRAME_BUF]>>()
    + size_of::<FrameQueue>()
    + STACK
    + OTHER;

/// Whether the firmware fits `ram` bytes (checked by `Board::new`).
pub const fn fits(ram: usize) -> bool {
    RAM_NEEDED <= ram
}

/// A decimal number, at compile time (a bad one fails the build).
const fn parse(s: &str) -> usize {
    let b = s.as_bytes();
    assert!(!b.is_empty(), "NIDS_FW_STREAMS: empty");
    let mut n = 0usize;
    let mut i = 0;
    while i < b.len() {
        assert!(
            b[i].is_ascii_digit(),
            "NIDS_FW_STREAMS: not a decimal number"
        );
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    n
}

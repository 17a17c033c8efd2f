//! [`Engine`]: nids-host's [`Session`] over the C library's frames, built
//! with the stream slots `nids_params.n_tcp_streams` asks for.
//!
//! The stream table is sized at run time ([`Session::with_slots`]), so any
//! `n_tcp_streams` gets exactly that many slots, as in libnids, touched only as
//! streams open. The concurrent-stream limit is libnids' own,
//! `3 * n_tcp_streams / 4 + 1`.

use nids_core::{Config, LinkType, Storage};
use nids_host::run::TCP_STORAGE;
use nids_host::session::Session;

pub use crate::ffi::Memory;
use crate::stream::CStream;

/// Bytes for IP fragments waiting for their datagram (as the `nids` command).
pub const DEFRAG_STORAGE: usize = 16 << 20;

/// The engine behind the C library: a session fed frames
/// ([`Session::feed`], libnids' `nids_pcap_handler` after the header).
pub type Engine = Session<'static, Box<CStream>>;

/// Why an engine could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// Storage could not be allocated.
    NoMemory,
    /// The link type is not one the engine decodes.
    LinkType(LinkType),
}

/// The stream slots of an engine for `n_tcp_streams`: that many, and one
/// when it is 0 (libnids then follows no TCP; the one slot is never touched).
pub fn slots(n_tcp_streams: usize) -> usize {
    n_tcp_streams.max(1)
}

/// An engine for frames of `link` with `n_tcp_streams` stream slots, of which
/// at most `3 * n_tcp_streams / 4 + 1` are open at once (libnids' rule).
/// O(1) in `n_tcp_streams`; its storage ([`TCP_STORAGE`] and
/// [`DEFRAG_STORAGE`]) is allocated here and touched as it is used.
///
/// The engine borrows its storage for `'static`: the returned [`Memory`] owns
/// it and must be dropped after the engine.
pub fn build(
    n_tcp_streams: usize,
    link: LinkType,
    mut config: Config<'static>,
) -> Result<(Box<Engine>, Memory), BuildError> {
    if !link.is_supported() {
        return Err(BuildError::LinkType(link));
    }
    let n = slots(n_tcp_streams);
    config.tcp.max_streams = Some(3 * n_tcp_streams / 4 + 1);
    let (memory, area) = Memory::new(TCP_STORAGE + DEFRAG_STORAGE).ok_or(BuildError::NoMemory)?;
    let (tcp, defrag) = area.split_at_mut(TCP_STORAGE);
    let storage = Storage::new(tcp, defrag);
    let engine =
        Session::with_slots(link, config, n, storage).map_err(|_| BuildError::LinkType(link))?;
    Ok((Box::new(engine), memory))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_any_n_tcp_streams_is_the_table_size() {
        for n in [0, 1, 7, 1040, 1041, 70_000] {
            let (e, memory) = build(n, LinkType::ETHERNET, Config::new()).unwrap();
            assert_eq!(e.engine().map(|e| e.stream_slots()), Some(slots(n)));
            // the engine borrows the memory: it goes first
            drop(e);
            drop(memory);
        }
        assert!(matches!(
            build(1040, LinkType(0xdead), Config::new()),
            Err(BuildError::LinkType(LinkType(0xdead)))
        ));
    }
}

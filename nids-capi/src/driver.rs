//! [`Engine`]: nids-host's [`Session`] over the C library's frames, built
//! with the stream slots `nids_params.n_tcp_streams` asks for.
//!
//! The engine's capacity is a compile-time parameter, so the library carries
//! the host's [`STREAM_CLASSES`] and [`stream_class`] picks the smallest one
//! with room for `n_tcp_streams` (libnids' table size). The concurrent-stream
//! limit is libnids' own, `3 * n_tcp_streams / 4 + 1`, whatever the class.

use nids_core::{Config, Instant, LinkType, Stats, Storage};
use nids_host::run::TCP_STORAGE;
use nids_host::session::{stream_class, Session, STREAM_CLASSES};

pub use crate::ffi::Memory;
use crate::glue::Glue;
use crate::stream::CStream;

/// Bytes for IP fragments waiting for their datagram (as the `nids` command).
pub const DEFRAG_STORAGE: usize = 16 << 20;

/// A session of some size, behind one interface.
pub trait Engine {
    /// Processes one frame (libnids' `nids_pcap_handler` after the header).
    fn feed(&mut self, ts: Instant, frame: &[u8], h: &mut Glue);
    /// Ends every open stream with `Exiting`.
    fn finish(&mut self, h: &mut Glue);
    /// The engine's counters.
    fn stats(&self) -> Stats;
}

impl<const S: usize> Engine for Session<'static, Box<CStream>, S> {
    fn feed(&mut self, ts: Instant, frame: &[u8], h: &mut Glue) {
        // The link type was checked when the session was built.
        let _ = Session::feed(self, ts, frame, h);
    }

    fn finish(&mut self, h: &mut Glue) {
        Session::finish(self, h);
    }

    fn stats(&self) -> Stats {
        Session::stats(self)
    }
}

/// Why an engine could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// Storage could not be allocated.
    NoMemory,
    /// The link type is not one the engine decodes.
    LinkType(LinkType),
}

fn sized<const S: usize>(
    link: LinkType,
    config: Config<'static>,
    storage: Storage<'static>,
) -> Result<Box<dyn Engine>, BuildError> {
    Session::<Box<CStream>, S>::new(link, config, storage)
        .map(|s| Box::new(s) as Box<dyn Engine>)
        .map_err(|_| BuildError::LinkType(link))
}

/// An engine for frames of `link` with room for `n_tcp_streams` slots (the
/// largest class when more are asked for).
///
/// The engine borrows its storage for `'static`: the returned [`Memory`] owns
/// it and must be dropped after the engine.
pub fn build(
    n_tcp_streams: usize,
    link: LinkType,
    mut config: Config<'static>,
) -> Result<(Box<dyn Engine>, Memory), BuildError> {
    if !link.is_supported() {
        return Err(BuildError::LinkType(link));
    }
    config.tcp.max_streams = Some(3 * n_tcp_streams / 4 + 1);
    let (memory, area) = Memory::new(TCP_STORAGE + DEFRAG_STORAGE).ok_or(BuildError::NoMemory)?;
    let (tcp, defrag) = area.split_at_mut(TCP_STORAGE);
    let storage = Storage::new(tcp, defrag);
    let engine = sized_for(n_tcp_streams, link, config, storage)?;
    Ok((engine, memory))
}

fn sized_for(
    n_tcp_streams: usize,
    link: LinkType,
    config: Config<'static>,
    storage: Storage<'static>,
) -> Result<Box<dyn Engine>, BuildError> {
    match stream_class(n_tcp_streams).unwrap_or(STREAM_CLASSES[3]) {
        c if c == STREAM_CLASSES[0] => sized::<{ STREAM_CLASSES[0] }>(link, config, storage),
        c if c == STREAM_CLASSES[1] => sized::<{ STREAM_CLASSES[1] }>(link, config, storage),
        c if c == STREAM_CLASSES[2] => sized::<{ STREAM_CLASSES[2] }>(link, config, storage),
        _ => sized::<{ STREAM_CLASSES[3] }>(link, config, storage),
    }
}

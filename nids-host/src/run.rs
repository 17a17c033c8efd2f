//! Driving the engine over a capture file.

use nids_core::{Config, Handler, LinkType, NidsHeap, Stats};

use crate::capture::{self, CaptureFile};
use crate::session::Session;

/// Stream slots of the engine the host tools build unless
/// `Config::tcp.max_streams` asks for another number (libnids' default).
pub const STREAMS: usize = 1040;
/// Defragmentation host slots compiled in (`--hosts` uses up to this many;
/// libnids' default is 256).
pub const HOSTS: usize = 4096;
/// Bytes of TCP storage (out-of-order segments, kept bytes): 64 MiB.
pub const TCP_STORAGE: usize = 64 << 20;

/// The engine type the host tools use: its stream table is sized at run time,
/// on the heap, and touched only as streams arrive.
pub type Engine<'a, U> = NidsHeap<'a, U, HOSTS>;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The capture could not be read (the packets before the problem were
    /// processed, and their streams reported).
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// The file declares no supported link type (a pcapng file may mix
    /// supported ones; frames of unsupported interfaces are counted as
    /// `link.unsupported`).
    #[error("{path}: unsupported link type {link} (`nids help` lists the link types read)")]
    LinkType {
        /// The capture.
        path: String,
        /// The link type.
        link: LinkType,
    },
    /// An af-packet ring could not be opened or read.
    #[cfg(target_os = "linux")]
    #[error(transparent)]
    AfPacket(#[from] crate::afpacket::Error),
    /// A live interface could not be opened or read.
    #[cfg(feature = "libpcap")]
    #[error("{iface}: cannot capture")]
    Live {
        /// The interface.
        iface: String,
        /// What libpcap said.
        #[source]
        source: pcap::Error,
    },
    /// A BPF filter could not be compiled or set.
    #[cfg(feature = "libpcap")]
    #[error("bad filter {filter:?}")]
    Filter {
        /// The expression.
        filter: String,
        /// What libpcap said.
        #[source]
        source: pcap::Error,
    },
}

/// Run every packet of `file` through an engine with `config`, then end all
/// open streams (`Exiting`). Returns the engine's counters. On a read error the
/// streams seen so far are still ended and reported, then the error is returned.
///
/// A [`Session`] gives the same with more control (one packet at a time, more
/// stream slots, frames captured elsewhere).
pub fn run_file<U, H: Handler<U>>(
    file: &CaptureFile,
    config: Config<'_>,
    h: &mut H,
) -> Result<Stats, Error> {
    let (stats, result) = run_file_stats(file, config, h);
    result.map(|()| stats)
}

/// [`run_file`], also giving the counters when reading failed part way.
pub fn run_file_stats<U, H: Handler<U>>(
    file: &CaptureFile,
    config: Config<'_>,
    h: &mut H,
) -> (Stats, Result<(), Error>) {
    let mut storage = vec![0u8; TCP_STORAGE];
    let mut session = match Session::<U>::from_file_ref(file, config, &mut storage[..]) {
        Ok(s) => s,
        Err(e) => return (Stats::new(), Err(e)),
    };
    let result = session.run(h).map(drop);
    (session.stats(), result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million stream slots built on the heap from a thread with a 1 MiB
    /// stack: the table is sized at run time, so the engine value is small.
    #[test]
    fn test_million_streams_in_place() {
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(|| {
                let mut storage = vec![0u8; 1 << 20];
                let e = Engine::<()>::heap(
                    LinkType::ETHERNET,
                    Config::new(),
                    1_000_000,
                    &mut storage[..],
                )
                .unwrap();
                assert_eq!(e.streams(), 0);
                assert_eq!(e.stream_slots(), 1_000_000);
                assert!(std::mem::size_of_val(&e) < 256 * 1024, "no table inside");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

//! Errors of the capture-file reader.
//!
//! Every message is one line that starts with the file name. The `io::Error` of
//! [`Error::Io`] is its `source`, so print the chain (`{:#}` with anyhow) to see it.
//! Reaching the end of the file is not an error: the packet iterator simply ends.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

/// Why a capture file could not be opened or read to its end.
///
/// Opening fails with `Io`, `NotACapture`, `TruncatedHeader` or `BadRecord`;
/// [`Packets`](super::Packets) yields at most one of `Truncated`, `BadRecord` or
/// `UnknownInterface` and then ends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, inspected, mapped or read.
    #[error("{}: cannot read the capture file", path.display())]
    Io {
        /// The file name as given (`<stdin>` for `-`).
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// The file does not start with a pcap or pcapng magic number.
    #[error("{}: not a pcap or pcapng file ({})", path.display(), describe_start(start))]
    NotACapture {
        /// The file name.
        path: PathBuf,
        /// The first bytes of the file (at most 4; empty for an empty file).
        start: Vec<u8>,
    },

    /// The file is compressed, but what it holds is not a capture.
    #[error(
        "{}: not a pcap or pcapng file inside its {compression} compression ({})",
        path.display(),
        describe_start(start)
    )]
    NotACaptureInside {
        /// The file name.
        path: PathBuf,
        /// `gzip` or `zstd`.
        compression: &'static str,
        /// The first decompressed bytes (at most 4).
        start: Vec<u8>,
    },

    /// The file has a capture magic number but ends inside its file header
    /// (pcap) or first section header block (pcapng).
    #[error(
        "{}: truncated capture: the file header needs {needed} bytes but the file has only {len}",
        path.display()
    )]
    TruncatedHeader {
        /// The file name.
        path: PathBuf,
        /// The file length in bytes.
        len: usize,
        /// The bytes the header needs.
        needed: usize,
    },

    /// A packet record (pcap) or block (pcapng) runs past the end of the file,
    /// as when a capture was copied while it was still being written.
    #[error(
        "{}: truncated capture: the record at byte {offset} runs past the end of the file \
         (read {packets_read} packets)",
        path.display()
    )]
    Truncated {
        /// The file name.
        path: PathBuf,
        /// Where the cut record or block starts, in bytes from the start of the file.
        offset: usize,
        /// Packets yielded before the cut one.
        packets_read: u64,
    },

    /// A record or block has a header that cannot be right, so the rest of the
    /// file cannot be found.
    #[error(
        "{}: bad capture record at byte {offset}: {reason} (read {packets_read} packets)",
        path.display()
    )]
    BadRecord {
        /// The file name.
        path: PathBuf,
        /// Where the bad record or block starts, in bytes from the start of the file.
        offset: usize,
        /// Packets yielded before the bad record.
        packets_read: u64,
        /// What is wrong with it.
        reason: Reason,
    },

    /// A pcapng packet block names an interface that its section has not described.
    #[error(
        "{}: the packet at byte {offset} is on interface {id}, but its section describes only \
         {count} interfaces (read {packets_read} packets)",
        path.display()
    )]
    UnknownInterface {
        /// The file name.
        path: PathBuf,
        /// Where the packet block starts.
        offset: usize,
        /// Packets yielded before this one.
        packets_read: u64,
        /// The interface number in the block.
        id: u32,
        /// How many Interface Description Blocks the section has had so far.
        count: usize,
    },
}

/// What is wrong with a record or block, in [`Error::BadRecord`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// A pcap record claims more captured bytes than any real capture holds.
    #[error("its captured length {len} is larger than the limit of {max} bytes")]
    CaplenTooLarge {
        /// The captured length in the record header.
        len: u32,
        /// The limit, [`MAX_CAPLEN`](super::MAX_CAPLEN).
        max: u32,
    },

    /// A pcapng block length is not a multiple of 4.
    #[error("its block length {len} is not a multiple of 4")]
    LengthUnaligned {
        /// The block total length.
        len: u32,
    },

    /// A pcapng block length is below the 12 bytes of an empty block.
    #[error("its block length {len} is shorter than the minimum of 12")]
    LengthTooShort {
        /// The block total length.
        len: u32,
    },

    /// The block length at the end of a pcapng block differs from the one at its start.
    #[error("its trailing block length {trailer} differs from its leading length {len}")]
    LengthMismatch {
        /// The leading block total length.
        len: u32,
        /// The trailing copy.
        trailer: u32,
    },

    /// A pcapng block is too short for the fixed fields of its type.
    #[error("its block length {len} is too short for a {block} block")]
    BlockTooShort {
        /// The block type's name.
        block: &'static str,
        /// The block total length.
        len: u32,
    },

    /// The captured length of a pcapng packet block overruns the block.
    #[error("its captured length {caplen} runs past the end of its {len}-byte block")]
    CaplenOverrun {
        /// The captured length in the block.
        caplen: u32,
        /// The block total length.
        len: u32,
    },

    /// A pcapng section header has a byte-order magic other than 0x1A2B3C4D.
    #[error("its section header has the unknown byte-order magic {magic:02x?}")]
    ByteOrder {
        /// The four bytes where the magic should be.
        magic: [u8; 4],
    },

    /// A record or block too long to be held while the capture is streamed
    /// (from standard input, a pipe or a compressed file).
    #[error("its length {len} is more than the {max} bytes a streamed capture may hold at once")]
    TooLongToStream {
        /// The record or block length.
        len: usize,
        /// The limit, [`MAX_RECORD`](super::stream::MAX_RECORD).
        max: usize,
    },

    /// A pcapng section header has a major version other than 1.
    #[error("its section header has the unsupported version {major}.{minor}")]
    Version {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
}

/// Describes the first bytes of a file for [`Error::NotACapture`].
fn describe_start(start: &[u8]) -> String {
    if start.is_empty() {
        return "it is empty".to_owned();
    }
    let mut s = String::from("it starts with");
    for b in start {
        let _ = write!(s, " {b:02x}");
    }
    s
}

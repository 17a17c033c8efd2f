//! Capture-file reader: classic pcap and pcapng, in pure Rust, without libpcap.
//!
//! [`CaptureFile::open`] maps a regular file into memory (or reads stdin, a pipe or
//! any other non-regular file fully into memory), checks its file header, and
//! [`CaptureFile::packets`] then walks the records without copying: every
//! [`Packet::data`] borrows from the [`CaptureFile`].
//!
//! ```no_run
//! # fn main() -> Result<(), nids_host::capture::Error> {
//! use nids_host::capture::CaptureFile;
//! let file = CaptureFile::open("trace.pcapng".as_ref())?;
//! for packet in file.packets() {
//!     let packet = packet?;
//!     println!("{} {} {}", packet.ts_us, packet.link_type, packet.data.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Supported: pcap in both byte orders with microsecond (`a1b2c3d4`) or nanosecond
//! (`a1b23c4d`) timestamps; pcapng with any number of sections (each in its own byte
//! order) and interfaces, `if_tsresol` (powers of 10 and of 2) and `if_tsoffset`,
//! Enhanced, Simple and obsolete Packet Blocks. Every other pcapng block is skipped.
//! **Not supported**: the modified ("Kuznetzov", `a1b2cd34`) pcap format, compressed
//! files, and reading a file that is still being written.
//!
//! The end of the file ends the iterator; a damaged file yields its good packets,
//! then one [`Error`], then ends.

mod error;
mod pcap;
mod pcapng;

pub use error::{Error, Reason};

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::iter::FusedIterator;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

/// The largest captured length accepted in a pcap record: 16 MiB.
///
/// libpcap itself refuses records over 256 KiB for most link types; a larger
/// length means the file is damaged, so reading stops with [`Reason::CaplenTooLarge`].
/// pcapng packets need no such limit: they must fit in their block.
pub const MAX_CAPLEN: u32 = 16 * 1024 * 1024;

/// Byte order of a pcap file or of a pcapng section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endianness {
    /// Least significant byte first (files written on x86 and most ARM hosts).
    Little,
    /// Most significant byte first.
    Big,
}

impl Endianness {
    /// Decodes a `u16` in this byte order.
    fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endianness::Little => u16::from_le_bytes(b),
            Endianness::Big => u16::from_be_bytes(b),
        }
    }

    /// Decodes a `u32` in this byte order.
    fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endianness::Little => u32::from_le_bytes(b),
            Endianness::Big => u32::from_be_bytes(b),
        }
    }

    /// Decodes an `i64` in this byte order.
    fn i64(self, b: [u8; 8]) -> i64 {
        match self {
            Endianness::Little => i64::from_le_bytes(b),
            Endianness::Big => i64::from_be_bytes(b),
        }
    }
}

/// The format of a capture file, found from its first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Classic pcap (libpcap's savefile format).
    Pcap {
        /// Byte order of every header in the file.
        endianness: Endianness,
        /// Whether timestamps are in nanoseconds (magic `a1b23c4d`) rather than
        /// microseconds (magic `a1b2c3d4`).
        nanos: bool,
    },
    /// pcapng; each section declares its own byte order.
    Pcapng,
}

/// One captured packet, borrowed from its [`CaptureFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture time in microseconds since the Unix epoch. Finer timestamps
    /// (nanosecond pcap, pcapng `if_tsresol`) are truncated to microseconds;
    /// a pcapng Simple Packet Block, which has no timestamp, gets the previous
    /// packet's (0 for the first packet).
    pub ts_us: u64,
    /// The `LINKTYPE_` value of the packet's interface (1 is Ethernet). For pcap
    /// it is the file header's, for pcapng that of the interface in
    /// [`interface`](Self::interface), so it can change from packet to packet.
    pub link_type: u32,
    /// The captured bytes; shorter than [`orig_len`](Self::orig_len) when the
    /// snapshot length cut the packet.
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub orig_len: u32,
    /// The pcapng interface number within its section; always 0 for pcap.
    pub interface: u32,
}

/// An interface declared by a pcap file header or a pcapng Interface Description Block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    /// Its `LINKTYPE_` value (low 16 bits of the pcap header field; FCS bits dropped).
    pub link_type: u32,
    /// Its snapshot length (0 means unlimited in pcapng).
    pub snaplen: u32,
    /// How its timestamps convert to microseconds.
    clock: pcapng::Clock,
}

/// Where a [`CaptureFile`]'s bytes live.
enum Bytes {
    /// A regular file mapped read-only.
    Map(Mmap),
    /// Bytes read from a pipe or stdin, or given to [`CaptureFile::from_bytes`].
    Owned(Vec<u8>),
}

impl Bytes {
    /// The whole file.
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// What the file header said, kept for [`CaptureFile::packets`].
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A pcap file with this header.
    Pcap(pcap::Header),
    /// A pcapng file.
    Pcapng,
}

/// A capture file held in memory, with a checked file header.
///
/// Costs: opening a regular file maps it (no copy; pages are read as the packets
/// are walked); anything else is read fully into a `Vec`. The file must not be
/// truncated while it is mapped (see [`open`](Self::open)).
pub struct CaptureFile {
    path: PathBuf,
    bytes: Bytes,
    kind: Kind,
}

impl fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureFile")
            .field("path", &self.path)
            .field("len", &self.len())
            .field("format", &self.format())
            .finish()
    }
}

/// A read or parse problem before the file name and packet count are known;
/// [`Packets`] and [`CaptureFile`] turn it into an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fault {
    /// The record at `offset` needs `needed` bytes but the file ends first.
    Truncated { offset: usize, needed: usize },
    /// The record at `offset` is malformed.
    Bad { offset: usize, reason: Reason },
    /// The packet block at `offset` names an undeclared interface.
    UnknownInterface {
        offset: usize,
        id: u32,
        count: usize,
    },
}

/// Reads `N` bytes at `at`, or `None` when they run past the end of `bytes`.
fn take<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Maps `file` read-only.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because another process could modify or
    // truncate the file while it is mapped, changing bytes behind a `&[u8]` or
    // raising SIGBUS. We map only regular files given to us to read, never write
    // them, and document that a capture must not be truncated while it is being
    // read (the same trade-off ripgrep makes); changed bytes are only ever parsed
    // with bounds checks, never trusted.
    let map = unsafe { Mmap::map(file) }?;
    // Read ahead: packets are walked in order.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Drops the pages of `range` of a read-only file mapping from this process's
/// resident set.
#[allow(unsafe_code)]
fn drop_pages(map: &Mmap, range: std::ops::Range<usize>) {
    // SAFETY: `madvise(MADV_DONTNEED)` on a *shared, read-only file* mapping
    // (what `Mmap::map` creates) only unmaps the pages: a later read faults them
    // in again from the file, with the same bytes (the file must not change while
    // mapped, as for `map` above). memmap2 marks the call unsafe because on private
    // or anonymous mappings the bytes would become zeros; that cannot happen here,
    // so a `&[u8]` into the range, if any were alive, would still read the same
    // bytes. The range is within the map (checked by the caller).
    let _ = unsafe {
        map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len())
    };
}

impl CaptureFile {
    /// Tells the system that bytes `from..to` will not be read again: for a
    /// mapped file their pages leave the process's resident set (they would be
    /// read again from the file if touched), so reading a capture of any size
    /// keeps memory flat. Whole pages only; no-op for bytes held in memory.
    pub fn release(&self, from: usize, to: usize) {
        const PAGE: usize = 4096;
        if let Bytes::Map(m) = &self.bytes {
            let start = from.div_ceil(PAGE) * PAGE;
            let end = (to.min(m.len()) / PAGE) * PAGE;
            if start < end {
                drop_pages(m, start..end);
            }
        }
    }

    /// Opens a capture file and checks its header; `-` means stdin.
    ///
    /// A regular, non-empty file is memory-mapped (O(1)); stdin, pipes and other
    /// non-regular files are read to their end into memory (O(file size) bytes).
    /// A mapped file must not be truncated by another process while this value
    /// lives, or the process may be killed by SIGBUS.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened or read, [`Error::NotACapture`]
    /// for an unknown magic number (an empty file included),
    /// [`Error::TruncatedHeader`] or [`Error::BadRecord`] for a bad file header.
    pub fn open(path: &Path) -> Result<CaptureFile, Error> {
        let io_err = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        if path.as_os_str() == "-" {
            let mut v = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut v)
                .map_err(|source| Error::Io {
                    path: PathBuf::from("<stdin>"),
                    source,
                })?;
            return Self::parse(PathBuf::from("<stdin>"), Bytes::Owned(v));
        }
        let mut file = File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        let bytes = if meta.is_file() && meta.len() > 0 {
            Bytes::Map(map(&file).map_err(io_err)?)
        } else {
            let mut v = Vec::new();
            file.read_to_end(&mut v).map_err(io_err)?;
            Bytes::Owned(v)
        };
        Self::parse(path.to_owned(), bytes)
    }

    /// Takes a capture already in memory and checks its header; errors name it `<memory>`.
    ///
    /// # Errors
    /// As [`open`](Self::open), except `Io`.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CaptureFile, Error> {
        Self::parse(PathBuf::from("<memory>"), Bytes::Owned(bytes))
    }

    /// Finds the format from the magic number and checks the file header.
    fn parse(path: PathBuf, bytes: Bytes) -> Result<CaptureFile, Error> {
        let b = bytes.as_slice();
        let Some(magic) = take::<4>(b, 0) else {
            return Err(Error::NotACapture {
                path,
                start: b.to_vec(),
            });
        };
        let checked = match magic {
            [0x0a, 0x0d, 0x0d, 0x0a] => pcapng::check_header(b).map(|()| Kind::Pcapng),
            _ => match pcap::format(magic) {
                Some((endianness, nanos)) => {
                    pcap::Header::parse(b, endianness, nanos).map(Kind::Pcap)
                }
                None => {
                    return Err(Error::NotACapture {
                        path,
                        start: magic.to_vec(),
                    })
                }
            },
        };
        match checked {
            Ok(kind) => Ok(CaptureFile { path, bytes, kind }),
            Err(Fault::Truncated { offset, needed }) => Err(Error::TruncatedHeader {
                path,
                len: b.len(),
                needed: offset.saturating_add(needed),
            }),
            Err(fault) => Err(error(&path, fault, 0)),
        }
    }

    /// The file format found by [`open`](Self::open). O(1).
    pub fn format(&self) -> Format {
        match self.kind {
            Kind::Pcap(h) => Format::Pcap {
                endianness: h.endianness,
                nanos: h.nanos,
            },
            Kind::Pcapng => Format::Pcapng,
        }
    }

    /// The name used in errors: the path as given, `<stdin>` or `<memory>`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The file length in bytes: the total for a progress bar whose position is
    /// [`Packets::offset`].
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// Whether the file has no bytes; never true for an opened file, whose
    /// header at least is there.
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// An iterator over the packets, from the start of the file. Cheap: each call
    /// starts a new walk, and the walk itself allocates only for pcapng interfaces.
    pub fn packets(&self) -> Packets<'_> {
        Packets {
            path: &self.path,
            bytes: self.bytes(),
            cursor: self.cursor(),
        }
    }

    /// A position at the start of the file's packets, for
    /// [`next_packet`](Self::next_packet). Unlike [`Packets`] it borrows nothing,
    /// so it can live beside the file in one struct.
    pub fn cursor(&self) -> Cursor {
        let state = match self.kind {
            Kind::Pcap(h) => State::Pcap(pcap::Reader::new(h)),
            Kind::Pcapng => State::Pcapng(pcapng::Reader::new()),
        };
        Cursor {
            offset: match self.kind {
                Kind::Pcap(_) => pcap::HEADER_LEN,
                Kind::Pcapng => 0,
            },
            packets_read: 0,
            done: false,
            state,
        }
    }

    /// The packet at `cursor`, moving it on; the same contract as [`Packets`]
    /// (`Ok` packets, then at most one `Err`, then `None`). `cursor` must come
    /// from this file's [`cursor`](Self::cursor).
    pub fn next_packet(&self, cursor: &mut Cursor) -> Option<Result<Packet<'_>, Error>> {
        cursor.next(&self.path, self.bytes())
    }

    /// The link types declared before the first packet: the pcap header's one, or
    /// those of the pcapng Interface Description Blocks that precede the first
    /// packet block, in interface order.
    ///
    /// Use it to refuse an unsupported link type up front. pcapng may declare
    /// more interfaces later (and a new section replaces them all), so the type
    /// that counts is [`Packet::link_type`]. Costs one walk up to the first
    /// packet (the whole file when it has none).
    pub fn link_types(&self) -> Vec<u32> {
        let mut packets = self.packets();
        let _ = packets.next();
        packets.interfaces().iter().map(|i| i.link_type).collect()
    }
}

/// Format-specific walking state of [`Packets`].
#[derive(Debug, Clone)]
enum State {
    /// Reading pcap records.
    Pcap(pcap::Reader),
    /// Reading pcapng blocks.
    Pcapng(pcapng::Reader),
}

/// Iterator over the packets of a [`CaptureFile`], from [`CaptureFile::packets`].
///
/// Yields `Ok` packets in file order; at a truncated or malformed record it yields
/// one `Err` and then only `None`. Each step is O(1) for pcap, and O(blocks
/// skipped) for pcapng; nothing is copied.
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    cursor: Cursor,
}

impl Packets<'_> {
    /// Bytes consumed so far: the offset of the next record, or of the bad one
    /// after an error. With [`CaptureFile::len`] it drives a progress bar.
    pub fn offset(&self) -> usize {
        self.cursor.offset
    }

    /// How many packets have been yielded.
    pub fn packets_read(&self) -> u64 {
        self.cursor.packets_read
    }

    /// The interfaces declared so far: the pcap header's single one, or the
    /// current pcapng section's, indexed by [`Packet::interface`].
    pub fn interfaces(&self) -> &[Interface] {
        self.cursor.interfaces()
    }
}

/// A position in a [`CaptureFile`]'s packets that borrows nothing; see
/// [`CaptureFile::cursor`] and [`CaptureFile::next_packet`].
#[derive(Debug, Clone)]
pub struct Cursor {
    offset: usize,
    packets_read: u64,
    done: bool,
    state: State,
}

impl Cursor {
    /// Bytes consumed so far: the offset of the next record, or of the bad one
    /// after an error. With [`CaptureFile::len`] it drives a progress bar.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// How many packets have been yielded.
    pub fn packets_read(&self) -> u64 {
        self.packets_read
    }

    /// The interfaces declared so far: the pcap header's single one, or the
    /// current pcapng section's, indexed by [`Packet::interface`].
    pub fn interfaces(&self) -> &[Interface] {
        match &self.state {
            State::Pcap(r) => r.interfaces(),
            State::Pcapng(r) => r.interfaces(),
        }
    }

    /// Whether the end of the file, or an error, has been reached.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// A copy of `c` that yields nothing more (after an error found by the
    /// caller).
    pub fn exhausted(c: &Cursor) -> Cursor {
        Cursor {
            done: true,
            ..c.clone()
        }
    }

    fn next<'a>(&mut self, path: &Path, bytes: &'a [u8]) -> Option<Result<Packet<'a>, Error>> {
        if self.done {
            return None;
        }
        let step = match &mut self.state {
            State::Pcap(r) => r.next(bytes, &mut self.offset),
            State::Pcapng(r) => r.next(bytes, &mut self.offset),
        };
        match step {
            Ok(Some(p)) => {
                self.packets_read += 1;
                Some(Ok(p))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(fault) => {
                self.done = true;
                Some(Err(error(path, fault, self.packets_read)))
            }
        }
    }
}

/// Turns a [`Fault`] into an [`Error`] naming the file and the packets read.
fn error(path: &Path, fault: Fault, packets_read: u64) -> Error {
    let path = path.to_owned();
    match fault {
        Fault::Truncated { offset, .. } => Error::Truncated {
            path,
            offset,
            packets_read,
        },
        Fault::Bad { offset, reason } => Error::BadRecord {
            path,
            offset,
            packets_read,
            reason,
        },
        Fault::UnknownInterface { offset, id, count } => Error::UnknownInterface {
            path,
            offset,
            packets_read,
            id,
            count,
        },
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.cursor.next(self.path, self.bytes)
    }
}

impl FusedIterator for Packets<'_> {}

#[cfg(test)]
mod tests {
    use super::pcap::tests::{pcap_file, Rec};
    use super::pcapng::tests::{block, epb, idb, shb};
    use super::*;

    /// Walks every packet, checking the contract: `Ok`s, then at most one `Err`, then `None`.
    fn walk(file: &CaptureFile) -> (Vec<Packet<'_>>, Option<Error>) {
        let mut it = file.packets();
        let mut ok = Vec::new();
        let mut err = None;
        for r in it.by_ref() {
            match r {
                Ok(p) => {
                    assert!(err.is_none(), "packet after an error");
                    ok.push(p);
                }
                Err(e) => {
                    assert!(err.is_none(), "two errors");
                    err = Some(e);
                }
            }
        }
        assert!(it.next().is_none(), "not fused");
        assert!(it.offset() <= file.len());
        (ok, err)
    }

    /// Checks that every prefix of `bytes` opens or fails cleanly, never panics, and
    /// yields at most one error after its packets; returns how many prefixes opened.
    fn every_prefix(bytes: &[u8], packets: usize) -> usize {
        let mut opened = 0;
        for n in 0..=bytes.len() {
            match CaptureFile::from_bytes(bytes[..n].to_vec()) {
                Ok(f) => {
                    opened += 1;
                    let (ok, err) = walk(&f);
                    assert!(ok.len() <= packets);
                    if n == bytes.len() {
                        assert!(err.is_none());
                        assert_eq!(ok.len(), packets);
                    }
                    if let Some(e) = err {
                        assert!(matches!(e, Error::Truncated { .. }), "{n}: {e}");
                    }
                }
                Err(e) => assert!(
                    matches!(e, Error::NotACapture { .. } | Error::TruncatedHeader { .. }),
                    "{n}: {e}"
                ),
            }
        }
        opened
    }

    #[test]
    fn test_every_prefix_pcap() {
        let recs = [
            Rec::new(1, 2, b"abc"),
            Rec::new(3, 4, b""),
            Rec::new(5, 6, &[7; 64]),
        ];
        let bytes = pcap_file(Endianness::Big, true, 1, &recs);
        let opened = every_prefix(&bytes, 3);
        assert_eq!(opened, bytes.len() - pcap::HEADER_LEN + 1);
    }

    #[test]
    fn test_every_prefix_pcapng() {
        let e = Endianness::Little;
        let mut bytes = shb(e);
        bytes.extend(idb(e, 1, 0, &[]));
        bytes.extend(block(e, 5, &[1, 2, 3, 4])); // statistics block: skipped
        bytes.extend(epb(e, 0, 10, b"hello"));
        bytes.extend(shb(Endianness::Big));
        bytes.extend(idb(Endianness::Big, 101, 0, &[]));
        bytes.extend(epb(Endianness::Big, 0, 11, b""));
        every_prefix(&bytes, 2);
    }

    #[test]
    fn test_open_file_empty_missing_dir() {
        let dir = std::env::temp_dir().join(format!("nids-capture-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bytes = pcap_file(Endianness::Little, false, 1, &[Rec::new(9, 8, b"xy")]);

        let path = dir.join("a.pcap");
        std::fs::write(&path, &bytes).unwrap();
        let f = CaptureFile::open(&path).unwrap();
        assert_eq!(f.len(), bytes.len());
        assert_eq!(f.path(), path);
        let (ok, err) = walk(&f);
        assert!(err.is_none());
        assert_eq!(ok[0].data, b"xy");
        assert_eq!(ok[0].ts_us, 9_000_008);

        let empty = dir.join("empty.pcap");
        std::fs::write(&empty, b"").unwrap();
        let e = CaptureFile::open(&empty).unwrap_err();
        assert!(matches!(e, Error::NotACapture { ref start, .. } if start.is_empty()));
        assert!(e
            .to_string()
            .ends_with("empty.pcap: not a pcap or pcapng file (it is empty)"));

        let missing = dir.join("missing.pcap");
        let e = CaptureFile::open(&missing).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        assert!(std::error::Error::source(&e).is_some());
        assert!(e
            .to_string()
            .ends_with("missing.pcap: cannot read the capture file"));

        // A directory is not a regular file: it is read, and reading fails.
        let e = CaptureFile::open(&dir).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn test_open_fifo_reads_fully() {
        let dir = std::env::temp_dir().join(format!("nids-capture-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("p.pcap");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            std::fs::remove_dir_all(&dir).unwrap();
            return; // no mkfifo here: nothing to test
        }
        let recs: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; 1000]).collect();
        let recs: Vec<Rec> = recs.iter().map(|d| Rec::new(1, 2, d)).collect();
        let bytes = pcap_file(Endianness::Big, false, 1, &recs);
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || {
                use std::io::Write as _;
                let mut w = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                // Several writes, so the reader sees several short reads.
                for chunk in bytes.chunks(999) {
                    w.write_all(chunk).unwrap();
                }
            })
        };
        let f = CaptureFile::open(&fifo).unwrap();
        writer.join().unwrap();
        assert_eq!(f.bytes(), bytes);
        let (ok, err) = walk(&f);
        assert!(err.is_none());
        assert_eq!(ok.len(), 50);
        assert_eq!(ok[49].data, [49; 1000]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_link_types() {
        let f = CaptureFile::from_bytes(pcap_file(Endianness::Little, false, 228, &[])).unwrap();
        assert_eq!(f.link_types(), [228]);
        assert!(!f.is_empty());

        let e = Endianness::Big;
        let mut b = shb(e);
        b.extend(idb(e, 1, 0, &[]));
        b.extend(idb(e, 113, 0, &[]));
        b.extend(epb(e, 1, 0, b"p"));
        b.extend(idb(e, 12, 0, &[]));
        let f = CaptureFile::from_bytes(b).unwrap();
        assert_eq!(f.link_types(), [1, 113]);
        let mut it = f.packets();
        while it.next().is_some() {}
        let all: Vec<u32> = it.interfaces().iter().map(|i| i.link_type).collect();
        assert_eq!(all, [1, 113, 12]);
        assert_eq!(it.offset(), f.len());
        assert_eq!(it.packets_read(), 1);
    }

    #[test]
    fn test_debug_is_short() {
        let f = CaptureFile::from_bytes(vec![0xd4, 0xc3, 0xb2, 0xa1])
            .map(|f| format!("{f:?}"))
            .unwrap_err();
        assert!(matches!(
            f,
            Error::TruncatedHeader {
                len: 4,
                needed: 24,
                ..
            }
        ));
        let f = CaptureFile::from_bytes(pcap_file(Endianness::Little, false, 1, &[])).unwrap();
        let s = format!("{f:?}");
        assert!(s.contains("len: 24") && s.contains("Pcap"), "{s}");
    }

    #[test]
    fn test_types_are_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<CaptureFile>();
        check::<Packets<'static>>();
        check::<Error>();
    }

    #[test]
    fn test_bad_magic() {
        let e = CaptureFile::from_bytes(b"GET / HTTP/1.1\r\n".to_vec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "<memory>: not a pcap or pcapng file (it starts with 47 45 54 20)"
        );
        let e = CaptureFile::from_bytes(vec![0xa1, 0xb2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "<memory>: not a pcap or pcapng file (it starts with a1 b2)"
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes after a valid magic number: no panic, and the contract holds.
            #[test]
            fn prop_garbage_never_panics(
                magic in prop::sample::select(vec![
                    [0xd4u8, 0xc3, 0xb2, 0xa1],
                    [0xa1, 0xb2, 0x3c, 0x4d],
                    [0x0a, 0x0d, 0x0d, 0x0a],
                ]),
                rest in prop::collection::vec(any::<u8>(), 0..400),
            ) {
                let mut b = magic.to_vec();
                b.extend(rest);
                if let Ok(f) = CaptureFile::from_bytes(b) {
                    let _ = walk(&f);
                    let _ = f.link_types();
                }
            }

            /// Flipping one byte of a valid pcapng file: no panic, and the contract holds.
            #[test]
            fn prop_mutated_pcapng(at in 0usize..200, val in any::<u8>()) {
                let e = Endianness::Little;
                let mut b = shb(e);
                b.extend(idb(e, 1, 0, &[9, 0, 1, 3, 0, 0, 0, 0]));
                b.extend(epb(e, 0, 10, b"hello"));
                b.extend(block(e, 3, &[3, 0, 0, 0, b'x', b'y', b'z', 0]));
                b.extend(epb(e, 0, 11, b"world!"));
                let at = at % b.len();
                b[at] = val;
                if let Ok(f) = CaptureFile::from_bytes(b) {
                    let _ = walk(&f);
                }
            }

            /// Flipping one byte of a valid pcap file: no panic, and the contract holds.
            #[test]
            fn prop_mutated_pcap(at in 0usize..100, val in any::<u8>()) {
                let recs = [Rec::new(1, 2, b"abc"), Rec::new(3, 4, &[5; 20])];
                let mut b = pcap_file(Endianness::Little, false, 1, &recs);
                let at = at % b.len();
                b[at] = val;
                if let Ok(f) = CaptureFile::from_bytes(b) {
                    let _ = walk(&f);
                }
            }
        }
    }
}

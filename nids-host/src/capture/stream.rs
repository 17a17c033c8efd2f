//! [`Stream`]: a capture read as it arrives, from standard input, a pipe or a
//! compressed file, in bounded memory; and [`Input`], a capture opened the best
//! way for what it is.
//!
//! A stream holds only the record being read, plus at most one read of
//! [`CHUNK`] bytes: a record is handed out as soon as its last byte has been
//! read (so `tcpdump -U -w - | nids streams -` sees each packet as tcpdump
//! writes it), and memory does not grow with the capture.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{header, CaptureFile, Cursor, Error, Format, Interface, Kind, Packet, Reason, Step};

/// Bytes asked of the source per read: 64 KiB.
pub const CHUNK: usize = 64 * 1024;

/// The longest record or block a stream holds: 64 MiB (a pcap record is at
/// most [`MAX_CAPLEN`](super::MAX_CAPLEN); a longer pcapng block is refused
/// with [`Reason::TooLongToStream`] rather than buffered).
pub const MAX_RECORD: usize = 64 << 20;

/// The compression of a capture file, found from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`1f 8b`), any number of members (`cat a.gz b.gz`).
    Gzip,
    /// Zstandard (`28 b5 2f fd`), any number of frames.
    Zstd,
}

impl Compression {
    /// The compression whose magic number starts `b`, if any.
    pub fn of(b: &[u8]) -> Option<Compression> {
        if b.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

impl Compression {
    /// `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Decodes zstd frame after frame until the source ends.
struct ZstdFrames<R: Read> {
    /// The source, between frames.
    source: Option<BufReader<R>>,
    /// The frame being decoded.
    frame: Option<ruzstd::decoding::StreamingDecoder<BufReader<R>, ruzstd::decoding::FrameDecoder>>,
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(f) = self.frame.as_mut() {
                let n = f.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.source = self.frame.take().map(|f| f.into_inner());
            }
            let Some(mut source) = self.source.take() else {
                return Ok(0);
            };
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let frame =
                ruzstd::decoding::StreamingDecoder::new(source).map_err(io::Error::other)?;
            self.frame = Some(frame);
        }
    }
}

/// `source`, decompressed as `c` says.
fn decompress(c: Option<Compression>, source: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    match c {
        None => source,
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(source)),
        Some(Compression::Zstd) => Box::new(ZstdFrames {
            source: Some(BufReader::new(source)),
            frame: None,
        }),
    }
}

/// A capture read from any byte source as a stream, in bounded memory: only the
/// record being read is held, plus at most one read of [`CHUNK`] bytes, and a
/// record is handed out as soon as its last byte has been read (so
/// `tcpdump -U -w - | nids streams -` sees each packet as tcpdump writes it).
///
/// Costs: the longest record read so far plus [`CHUNK`] bytes of buffer; each
/// byte is copied once from the source (decompressed first, if it is).
pub struct Stream {
    path: PathBuf,
    source: Box<dyn Read + Send>,
    /// Bytes of the file from offset `base` on.
    buf: Vec<u8>,
    base: usize,
    /// Whether the source has ended.
    eof: bool,
    kind: Kind,
    cursor: Cursor,
}

impl Stream {
    /// Reads a capture from `source`, named `path` in errors (`<stdin>` for
    /// standard input). A gzip or zstd source is decompressed on the way.
    /// Blocks until the file header has been read.
    ///
    /// # Errors
    /// As [`CaptureFile::open`].
    pub fn new(path: PathBuf, source: Box<dyn Read + Send>) -> Result<Stream, Error> {
        let mut raw = Head::new(source);
        raw.fill(&path, 4)?;
        let c = Compression::of(&raw.buf);
        let source = decompress(c, Box::new(raw));
        let mut s = Stream {
            path,
            source,
            buf: Vec::new(),
            base: 0,
            eof: false,
            kind: Kind::Pcapng,
            cursor: Cursor::start(Kind::Pcapng),
        };
        s.fill(4)?;
        loop {
            match header(&s.path, &s.buf) {
                Ok(kind) => {
                    s.kind = kind;
                    s.cursor = Cursor::start(kind);
                    return Ok(s);
                }
                Err(Error::TruncatedHeader { needed, .. })
                    if !s.eof && needed > s.buf.len() && needed <= MAX_RECORD =>
                {
                    s.fill(needed)?;
                }
                Err(Error::NotACapture { path, start }) => {
                    return Err(match c {
                        Some(c) => Error::NotACaptureInside {
                            path,
                            compression: c.name(),
                            start,
                        },
                        None => Error::NotACapture { path, start },
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads more from the source until `need` bytes from the cursor's offset
    /// are in the buffer, or the source ends. Drops the bytes before the
    /// cursor first.
    fn fill(&mut self, need: usize) -> Result<(), Error> {
        let consumed = self
            .cursor
            .offset
            .saturating_sub(self.base)
            .min(self.buf.len());
        if consumed > 0 {
            self.buf.drain(..consumed);
            self.base += consumed;
        }
        while self.buf.len() < need && !self.eof {
            let old = self.buf.len();
            self.buf.resize(old + (need - old).max(CHUNK), 0);
            let got = self.source.read(&mut self.buf[old..]);
            self.buf.truncate(old + *got.as_ref().unwrap_or(&0));
            match got {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    /// The next packet; the same contract as [`CaptureFile::next_packet`].
    /// Blocks until the packet's last byte has been read.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, Error>> {
        // The packet's place in the buffer: the borrow checker cannot yet see
        // that a packet returned from the loop ends the buffer's mutation.
        let (meta, range) = loop {
            match self
                .cursor
                .step(&self.path, &self.buf, self.base, !self.eof)
            {
                Step::Packet(p) => {
                    let start = p.data.as_ptr() as usize - self.buf.as_ptr() as usize;
                    let meta = Packet { data: &[], ..p };
                    break (meta, start..start + p.data.len());
                }
                Step::End => return None,
                Step::Error(e) => return Some(Err(e)),
                Step::More(need) if need > MAX_RECORD => {
                    let offset = self.cursor.offset;
                    self.cursor = Cursor::exhausted(&self.cursor);
                    return Some(Err(Error::BadRecord {
                        path: self.path.clone(),
                        offset,
                        packets_read: self.cursor.packets_read,
                        reason: Reason::TooLongToStream {
                            len: need,
                            max: MAX_RECORD,
                        },
                    }));
                }
                Step::More(need) => {
                    if let Err(e) = self.fill(need) {
                        self.cursor = Cursor::exhausted(&self.cursor);
                        return Some(Err(e));
                    }
                }
            }
        };
        Some(Ok(Packet {
            data: &self.buf[range],
            ..meta
        }))
    }

    /// Whether [`next_packet`](Self::next_packet) would return without
    /// reading the source (the next record, the end or an error is already
    /// buffered): a caller holding work back can hand it on before a read
    /// that may wait. Costs a copy of the reading position (pcapng: its
    /// interface list).
    pub fn ready(&self) -> bool {
        let mut c = self.cursor.clone();
        !matches!(
            c.step(&self.path, &self.buf, self.base, !self.eof),
            Step::More(_)
        )
    }

    /// The name used in errors.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file format.
    pub fn format(&self) -> Format {
        Format::of(self.kind)
    }

    /// Bytes of the (decompressed) capture consumed so far.
    pub fn offset(&self) -> usize {
        self.cursor.offset
    }

    /// How many packets have been yielded.
    pub fn packets_read(&self) -> u64 {
        self.cursor.packets_read
    }

    /// The interfaces declared so far (see [`Cursor::interfaces`]): a pcap
    /// file's one from the start, pcapng ones as their blocks are read.
    pub fn interfaces(&self) -> &[Interface] {
        self.cursor.interfaces()
    }
}

/// The first bytes of a source, read to find its compression, then the rest.
struct Head {
    buf: Vec<u8>,
    at: usize,
    source: Box<dyn Read + Send>,
}

impl Head {
    fn new(source: Box<dyn Read + Send>) -> Head {
        Head {
            buf: Vec::new(),
            at: 0,
            source,
        }
    }

    /// Reads until `n` bytes are held or the source ends.
    fn fill(&mut self, path: &Path, n: usize) -> Result<(), Error> {
        let mut chunk = [0u8; 4];
        while self.buf.len() < n {
            match self.source.read(&mut chunk[..n - self.buf.len()]) {
                Ok(0) => break,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        path: path.to_owned(),
                        source,
                    })
                }
            }
        }
        Ok(())
    }
}

impl Read for Head {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at < self.buf.len() {
            let n = out.len().min(self.buf.len() - self.at);
            out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.source.read(out)
    }
}

/// A capture opened for reading packets in order: mapped when it is a regular
/// uncompressed file, streamed otherwise ([`Input::open`]).
pub enum Input {
    /// A regular file, memory-mapped, and the position in it.
    Mapped {
        /// The file.
        file: CaptureFile,
        /// The position.
        cursor: Cursor,
        /// Offset up to which pages were given back ([`CaptureFile::release`]).
        released: usize,
    },
    /// Standard input, a pipe, or a compressed file.
    Streamed(Box<Stream>),
}

impl Input {
    /// Opens `path` (`-`: standard input). A regular file is memory-mapped,
    /// unless it is compressed (gzip or zstd, found from its first bytes, not
    /// its name); standard input, pipes and compressed files are streamed in
    /// bounded memory.
    ///
    /// # Errors
    /// As [`CaptureFile::open`]; [`Error::NotACaptureInside`] when a compressed file
    /// does not hold a capture.
    pub fn open(path: &Path) -> Result<Input, Error> {
        if path.as_os_str() == "-" {
            return Self::stream(PathBuf::from("<stdin>"), Box::new(io::stdin()));
        }
        let io_err = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if !meta.is_file() || meta.len() == 0 {
            return Self::stream(path.to_owned(), Box::new(file));
        }
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(io_err)?;
        if Compression::of(&magic[..n]).is_some() {
            let file = File::open(path).map_err(io_err)?;
            return Self::stream(path.to_owned(), Box::new(file));
        }
        Ok(Self::mapped(CaptureFile::open(path)?))
    }

    /// A capture read from `source` as a stream, named `name` in errors.
    ///
    /// # Errors
    /// As [`Stream::new`].
    pub fn stream(name: PathBuf, source: Box<dyn Read + Send>) -> Result<Input, Error> {
        Ok(Input::Streamed(Box::new(Stream::new(name, source)?)))
    }

    /// A capture file already open.
    pub fn mapped(file: CaptureFile) -> Input {
        let cursor = file.cursor();
        Input::Mapped {
            file,
            cursor,
            released: 0,
        }
    }

    /// The next packet; the same contract as [`CaptureFile::next_packet`].
    /// The pages of a mapped file are given back to the system as packets are
    /// read, so memory stays flat whatever the file's size.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, Error>> {
        match self {
            Input::Mapped {
                file,
                cursor,
                released,
            } => {
                file.release_read(cursor, released);
                file.next_packet(cursor)
            }
            Input::Streamed(s) => s.next_packet(),
        }
    }

    /// The name used in errors.
    pub fn path(&self) -> &Path {
        match self {
            Input::Mapped { file, .. } => file.path(),
            Input::Streamed(s) => s.path(),
        }
    }

    /// The link types known before the first packet (see
    /// [`CaptureFile::link_types`]; a streamed pcapng file declares them as it
    /// goes, so none are known yet).
    pub fn link_types(&self) -> Vec<u32> {
        match self {
            Input::Mapped { file, .. } => file.link_types(),
            Input::Streamed(s) => s.interfaces().iter().map(|i| i.link_type).collect(),
        }
    }

    /// Packets read so far.
    pub fn packets_read(&self) -> u64 {
        match self {
            Input::Mapped { cursor, .. } => cursor.packets_read(),
            Input::Streamed(s) => s.packets_read(),
        }
    }

    /// Bytes read so far, and the file's length when it is known (a mapped
    /// file): a progress bar.
    pub fn progress(&self) -> (u64, Option<u64>) {
        match self {
            Input::Mapped { file, cursor, .. } => (cursor.offset() as u64, Some(file.len() as u64)),
            Input::Streamed(s) => (s.offset() as u64, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pcap::tests::{pcap_file, Rec};
    use super::super::pcapng::tests::{epb, idb, shb};
    use super::super::Endianness;
    use super::*;

    /// A source that gives one byte per read, as the slowest pipe would.
    struct OneByte(Vec<u8>, usize);

    impl Read for OneByte {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.get(self.1), out.first_mut()) {
                (Some(&b), Some(o)) => {
                    *o = b;
                    self.1 += 1;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    /// Everything a walk gives, as text: packets, then the error if any.
    fn walk(next: &mut dyn FnMut() -> Option<Result<String, Error>>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(r) = next() {
            out.push(r.unwrap_or_else(|e| e.to_string()));
        }
        out
    }

    /// The packets of `bytes` streamed one byte at a time, and what the
    /// mapped reader gives for the same bytes.
    fn both(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
        let show = |p: Packet<'_>| format!("{} {} {:?}", p.ts_us, p.link_type, p.data);
        let file = CaptureFile::from_bytes(bytes.to_vec()).unwrap();
        let mut it = file.packets();
        let mapped = walk(&mut || it.next().map(|r| r.map(show)));
        let src = Box::new(OneByte(bytes.to_vec(), 0));
        let mut s = Stream::new(PathBuf::from("<memory>"), src).unwrap();
        let streamed = walk(&mut || s.next_packet().map(|r| r.map(show)));
        assert!(
            s.buf.len() <= bytes.len().min(CHUNK + 64),
            "held {}",
            s.buf.len()
        );
        (mapped, streamed)
    }

    #[test]
    fn test_stream_equals_mapped() {
        let recs = [
            Rec::new(1, 2, b"abc"),
            Rec::new(3, 4, b""),
            Rec::new(5, 6, &[7; 64]),
        ];
        let pcap = pcap_file(Endianness::Big, true, 101, &recs);
        let e = Endianness::Little;
        let mut ng = shb(e);
        ng.extend(idb(e, 1, 0, &[]));
        ng.extend(epb(e, 0, 10, b"hello"));
        ng.extend(shb(Endianness::Big));
        ng.extend(idb(Endianness::Big, 101, 0, &[]));
        ng.extend(epb(Endianness::Big, 0, 11, b"world"));
        for bytes in [pcap, ng] {
            let (mapped, streamed) = both(&bytes);
            assert!(mapped.len() >= 2);
            assert_eq!(streamed, mapped);
            // Cut short: the same packets, then the same error (same offset).
            let cut = &bytes[..bytes.len() - 3];
            let (mapped, streamed) = both(cut);
            assert!(mapped.last().unwrap().contains("truncated capture"));
            assert_eq!(streamed, mapped);
        }
    }

    #[test]
    fn test_stream_header_errors() {
        let err = |b: &[u8]| {
            Stream::new(PathBuf::from("x"), Box::new(OneByte(b.to_vec(), 0)))
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(err(b""), "x: not a pcap or pcapng file (it is empty)");
        assert!(err(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).contains("the file header needs 24 bytes"));
        assert!(err(b"GET / HTTP").contains("it starts with 47 45 54 20"));
    }

    #[test]
    fn test_huge_pcapng_block_is_refused() {
        let e = Endianness::Little;
        let mut ng = shb(e);
        // An EPB header claiming 1 GiB.
        ng.extend(6u32.to_le_bytes());
        ng.extend((1u32 << 30).to_le_bytes());
        ng.extend([0; 64]);
        let mut s = Stream::new(PathBuf::from("x"), Box::new(OneByte(ng, 0))).unwrap();
        let e = s.next_packet().unwrap().unwrap_err().to_string();
        assert!(e.contains("a streamed capture may hold at once"), "{e}");
        assert!(s.next_packet().is_none());
    }
}

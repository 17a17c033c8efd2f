//! Where the reader of a sharded run gets its frames: capture files (mapped
//! or streamed, one after the other) or a live interface.

use std::collections::VecDeque;

use nids_core::{Instant, LinkType};

use crate::capture::{CaptureFile, Cursor, Input, Packet, Stream};
use crate::run::Error;

/// A frame read by a [`Frames`] source.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'d> {
    /// Capture time.
    pub ts: Instant,
    /// Link type.
    pub link: LinkType,
    /// Captured bytes.
    pub data: &'d [u8],
}

/// What a [`Frames`] source gave.
pub enum Read<'f, 't> {
    /// A frame that lives as long as the source (a mapped file): not copied.
    Lasting(Frame<'f>),
    /// A frame valid until the next read (a stream's, a live capture's): copied.
    Passing(Frame<'t>),
    /// No frame within the read timeout: packet time runs to this (wall) time.
    Idle(Instant),
    /// Nothing to do: a frame the filter dropped, or the end of one of
    /// several captures.
    Skipped,
    /// Nothing more.
    End,
}

/// Where the reader gets frames.
pub trait Frames<'f>: Send {
    /// The next frame, or why there is none.
    ///
    /// # Errors
    /// The source cannot be read further.
    fn read(&mut self) -> Result<Read<'f, '_>, Error>;
    /// The mapped capture files, in reading order, for their pages to be
    /// given back as rounds end.
    fn files(&self) -> Vec<&'f CaptureFile> {
        Vec::new()
    }
    /// Where the reader is: the index in [`files`](Self::files) of the file
    /// being read (or of the next one, while a stream is read) and the offset
    /// in it.
    fn position(&self) -> (usize, usize) {
        (0, 0)
    }
    /// Bytes read so far, over all captures (a progress bar).
    fn progress(&self) -> u64 {
        0
    }
    /// The name of the source being read, for errors.
    fn name(&self) -> String {
        "<live>".to_owned()
    }
    /// Whether the next read returns without waiting for input (a pipe with
    /// no whole packet buffered would wait): the reader hands on the round
    /// it holds before a read that may wait, so a quiet pipe's last packets
    /// are processed and printed as they come.
    fn ready(&self) -> bool {
        true
    }
}

/// Captures opened for a sharded run ([`Held::new`]): the mapped files stay
/// here while the run lasts (the shards read their frames in place), the
/// streams (standard input, pipes, gzip or zstd files) go to the reader.
pub struct Held {
    mapped: Vec<CaptureFile>,
    order: Vec<Option<Box<Stream>>>,
}

impl Held {
    /// Holds `inputs`, to be read one after the other as one stream of
    /// packets (as [`crate::session::Session::from_inputs`]). O(inputs).
    ///
    /// # Errors
    /// [`Error::LinkType`] when a capture declares only unsupported link types.
    pub fn new(inputs: Vec<Input>) -> Result<Held, Error> {
        let mut held = Held {
            mapped: Vec::new(),
            order: Vec::new(),
        };
        for i in inputs {
            crate::session::first_supported(i.path(), &i.link_types())?;
            match i {
                Input::Mapped { file, .. } => {
                    held.mapped.push(file);
                    held.order.push(None);
                }
                Input::Streamed(s) => held.order.push(Some(s)),
            }
        }
        Ok(held)
    }

    /// Whether every capture is a mapped file, so that [`walk`](Self::walk)
    /// sees every frame. O(files).
    pub fn walkable(&self) -> bool {
        self.order.iter().all(Option::is_none)
    }

    /// A walk over the frames of the mapped files, from the start, which may be
    /// made as many times as wanted (one per shard, each on its own thread: the
    /// frames are read in place, never copied). Streams (standard input, pipes,
    /// compressed files), which only one reader can read, are not in it: it is
    /// the whole input when [`walkable`](Self::walkable). O(files).
    pub fn walk(&self) -> FileFrames<'_> {
        FileFrames::of(self.mapped.iter().map(Part::Mapped).collect())
    }

    /// The frames of every capture, in order (once: the streams move to the
    /// result).
    pub fn frames(&mut self) -> FileFrames<'_> {
        let mut mapped = self.mapped.iter();
        let parts = self
            .order
            .iter_mut()
            .filter_map(|slot| match slot.take() {
                Some(s) => Some(Part::Streamed(s)),
                None => mapped.next().map(Part::Mapped),
            })
            .collect();
        FileFrames::of(parts)
    }
}

/// One capture of [`FileFrames`].
enum Part<'f> {
    Mapped(&'f CaptureFile),
    Streamed(Box<Stream>),
}

/// The frames of capture files read one after the other, optionally through
/// a BPF filter: those of mapped files lent in place, those of streams copied.
pub struct FileFrames<'f> {
    parts: VecDeque<Part<'f>>,
    /// The position in the mapped file at the front.
    cursor: Option<Cursor>,
    /// The mapped files, in order.
    files: Vec<&'f CaptureFile>,
    /// Mapped files read to their end.
    mapped_done: usize,
    /// Bytes of the captures read to their end.
    bytes_done: u64,
    /// The capture at the front was read to its end (or failed).
    next_part: bool,
    /// A capture could not be read: the ones after it are not read.
    failed: bool,
    filter: Filter,
}

/// A BPF filter for file frames, if any (the `libpcap` feature).
#[cfg(feature = "libpcap")]
type Filter = Option<crate::live::FileFilter>;
#[cfg(not(feature = "libpcap"))]
type Filter = ();

impl<'f> FileFrames<'f> {
    /// Every frame of `file`, from the start.
    ///
    /// # Errors
    /// [`Error::LinkType`] when the file declares only unsupported link types.
    pub fn new(file: &'f CaptureFile) -> Result<Self, Error> {
        crate::session::first_supported(file.path(), &file.link_types())?;
        Ok(Self::of(VecDeque::from([Part::Mapped(file)])))
    }

    /// Every frame of the mapped `files`, one after the other, from the start
    /// (no check of their link types: [`Held::new`] made it). O(files).
    pub fn mapped(files: &[&'f CaptureFile]) -> Self {
        Self::of(files.iter().map(|&f| Part::Mapped(f)).collect())
    }

    fn of(parts: VecDeque<Part<'f>>) -> Self {
        let files = parts
            .iter()
            .filter_map(|p| match p {
                Part::Mapped(f) => Some(*f),
                Part::Streamed(_) => None,
            })
            .collect();
        let cursor = match parts.front() {
            Some(Part::Mapped(f)) => Some(f.cursor()),
            _ => None,
        };
        FileFrames {
            parts,
            cursor,
            files,
            mapped_done: 0,
            bytes_done: 0,
            next_part: false,
            failed: false,
            filter: Filter::default(),
        }
    }

    /// Moves on from the capture at the front (all of them after an error).
    fn pop(&mut self) {
        if self.failed {
            self.parts.clear();
        }
        if let Some(done) = self.parts.pop_front() {
            self.bytes_done += match done {
                Part::Mapped(f) => {
                    self.mapped_done += 1;
                    f.len() as u64
                }
                Part::Streamed(s) => s.offset() as u64,
            };
        }
        self.cursor = match self.parts.front() {
            Some(Part::Mapped(f)) => Some(f.cursor()),
            _ => None,
        };
    }

    /// The total length of the captures, when all are mapped files.
    pub fn total(&self) -> Option<u64> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Mapped(f) => Some(f.len() as u64),
                Part::Streamed(_) => None,
            })
            .sum()
    }

    /// Only the frames that match the BPF expression `filter`, compiled for
    /// each frame's link type (as [`crate::session::Session::set_filter`]).
    ///
    /// # Errors
    /// [`Error::Filter`] when libpcap cannot compile it.
    #[cfg(feature = "libpcap")]
    pub fn set_filter(&mut self, filter: &str) -> Result<(), Error> {
        let mut f = crate::live::FileFilter::new(filter);
        let link = self
            .parts
            .front()
            .and_then(|p| {
                let declared = match p {
                    Part::Mapped(f) => f.link_types(),
                    Part::Streamed(s) => s.interfaces().iter().map(|i| i.link_type).collect(),
                };
                declared.first().copied()
            })
            .map_or(LinkType::ETHERNET, LinkType);
        // Compiled now, so a bad expression is told before any packet is read.
        f.matches(link, &[])?;
        self.filter = Some(f);
        Ok(())
    }

    /// Whether the filter, if any, lets `p` through.
    #[cfg(feature = "libpcap")]
    fn passes(filter: &mut Filter, p: &Packet<'_>) -> Result<bool, Error> {
        match filter {
            Some(f) => f.matches(LinkType(p.link_type), p.data),
            None => Ok(true),
        }
    }

    #[cfg(not(feature = "libpcap"))]
    #[allow(clippy::unnecessary_wraps)]
    fn passes(_: &mut Filter, _: &Packet<'_>) -> Result<bool, Error> {
        Ok(true)
    }
}

/// A packet as a [`Frame`].
fn frame<'d>(p: &Packet<'d>) -> Frame<'d> {
    Frame {
        ts: Instant::from_micros(p.ts_us),
        link: LinkType(p.link_type),
        data: p.data,
    }
}

impl<'f> Frames<'f> for FileFrames<'f> {
    fn read(&mut self) -> Result<Read<'f, '_>, Error> {
        if std::mem::take(&mut self.next_part) {
            self.pop();
        }
        loop {
            // The mapped files' frames are the file's ('f), not `self`'s.
            let file: &'f CaptureFile = match self.parts.front() {
                None => return Ok(Read::End),
                Some(Part::Streamed(_)) => break,
                Some(Part::Mapped(f)) => f,
            };
            let Some(cursor) = self.cursor.as_mut() else {
                return Ok(Read::End);
            };
            match file.next_packet(cursor) {
                Some(Err(e)) => {
                    self.parts.clear();
                    return Err(e.into());
                }
                Some(Ok(p)) if Self::passes(&mut self.filter, &p)? => {
                    return Ok(Read::Lasting(frame(&p)));
                }
                Some(Ok(_)) => {}
                None => self.pop(),
            }
        }
        // A stream lends its packet until the next read: what is returned
        // borrows `self.parts`, so the stream is left at the front here and
        // moved on from at the next read.
        let Some(Part::Streamed(s)) = self.parts.front_mut() else {
            return Ok(Read::End);
        };
        match s.next_packet() {
            Some(Ok(p)) if Self::passes(&mut self.filter, &p)? => Ok(Read::Passing(frame(&p))),
            Some(Ok(_)) => Ok(Read::Skipped),
            Some(Err(e)) => {
                self.failed = true;
                self.next_part = true;
                Err(e.into())
            }
            None => {
                self.next_part = true;
                Ok(Read::Skipped)
            }
        }
    }

    fn files(&self) -> Vec<&'f CaptureFile> {
        self.files.clone()
    }

    fn position(&self) -> (usize, usize) {
        (
            self.mapped_done,
            self.cursor.as_ref().map_or(0, Cursor::offset),
        )
    }

    fn progress(&self) -> u64 {
        self.bytes_done
            + match self.parts.front() {
                Some(Part::Mapped(_)) => self.cursor.as_ref().map_or(0, Cursor::offset) as u64,
                Some(Part::Streamed(s)) => s.offset() as u64,
                None => 0,
            }
    }

    fn ready(&self) -> bool {
        match self.parts.front() {
            Some(Part::Streamed(s)) if !self.next_part => s.ready(),
            _ => true,
        }
    }

    fn name(&self) -> String {
        match self.parts.front() {
            Some(Part::Mapped(f)) => f.path().display().to_string(),
            Some(Part::Streamed(s)) => s.path().display().to_string(),
            None => "<end>".to_owned(),
        }
    }
}

#[cfg(feature = "libpcap")]
impl<'f> Frames<'f> for crate::live::Live {
    fn read(&mut self) -> Result<Read<'f, '_>, Error> {
        use crate::live::LiveRead;
        let link = self.link_type();
        Ok(match self.read_frame()? {
            LiveRead::Frame(ts, data) => Read::Passing(Frame { ts, link, data }),
            LiveRead::Timeout(now) => Read::Idle(now),
            LiveRead::End => Read::End,
        })
    }

    fn name(&self) -> String {
        crate::live::Live::name(self).to_owned()
    }
}

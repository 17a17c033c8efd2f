//! [`Session`]: a packet source and an engine, with libnids' loop API.
//!
//! | libnids | here |
//! |---|---|
//! | `nids_init` | [`Session::open`], [`Session::from_file`], [`Session::new`] (no source) |
//! | `nids_run` | [`Session::run`]: every packet, then [`Session::finish`] |
//! | `nids_next` | [`Session::next`]: one packet |
//! | `nids_dispatch(n)` | [`Session::dispatch`]: up to `n` packets |
//! | `nids_pcap_handler` | [`Session::feed`]: a frame captured elsewhere |
//! | `nids_exit` | [`Session::finish`]: open streams end with `Exiting` |
//!
//! ```no_run
//! use nids_core::{Config, Handler, Stream, TcpEvent};
//! use nids_host::session::Session;
//!
//! struct Lines;
//! impl Handler for Lines {
//!     fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
//!         if s.event() == TcpEvent::JustEstablished {
//!             s.server_mut().collect = true;
//!         } else if s.event() == TcpEvent::Data {
//!             println!("{} {} bytes", s.tuple(), s.new_data().len());
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), nids_host::run::Error> {
//! let mut storage = vec![0u8; 16 << 20]; // out-of-order segments, kept bytes, fragments
//! let mut session = Session::<()>::open("trace.pcap".as_ref(), Config::new(), &mut storage[..])?;
//! // Step by step (nids_next), e.g. between other work:
//! while session.next(&mut Lines)? {}
//! session.finish(&mut Lines); // streams still open end with Exiting
//! println!("{} frames", session.stats().frames);
//! # Ok(())
//! # }
//! ```
//!
//! The engine is built on the heap when the first packet arrives (its link type
//! decides the decoder), with its stream table sized at run time
//! ([`stream_slots`]): any number of slots, one code path.

use nids_core::storage::Storage;
use nids_core::{Config, Handler, Instant, LinkType, Stats};

use std::collections::VecDeque;
use std::path::Path;

use crate::capture::{CaptureFile, Cursor, Input, Packet};
use crate::run::{Engine, Error, STREAMS};

/// The stream slots of the engine a session builds for `config`:
/// `config.tcp.max_streams` when it is set (at least 1; so `nids --streams N`
/// has exactly N slots), else [`STREAMS`] (libnids' 1040, of which 781 may be
/// open at once). A slot costs [`nids_core::Plan::table_bytes`] (a few hundred
/// bytes plus the handler's per-stream data `U`), touched only when a stream
/// uses it. O(1).
pub fn stream_slots(config: &Config<'_>) -> usize {
    config.tcp.max_streams.map_or(STREAMS, |n| n.max(1))
}

/// Where packets come from.
enum Source<'a> {
    /// Frames given with [`Session::feed`] only.
    None,
    /// A borrowed capture file, the position in it, and the offset up to
    /// which its pages were given back.
    Borrowed {
        file: &'a CaptureFile,
        cursor: Cursor,
        released: usize,
    },
    /// Captures read one after the other (the first is being read).
    Inputs(Inputs),
    /// A live interface (the `libpcap` feature).
    #[cfg(feature = "libpcap")]
    Live(crate::live::Live),
}

/// Captures read one after the other, as one stream of packets.
struct Inputs {
    /// The capture being read, then the next ones.
    queue: VecDeque<Input>,
    /// The total length of the captures, when all are mapped files.
    total: Option<u64>,
    /// Bytes of the captures already read to their end.
    done: u64,
    /// Packets of the captures already read to their end.
    packets: u64,
}

/// A packet source and the engine run over it. See the [module docs](self).
///
/// `U` is the handler's per-stream data; the engine's stream slots come from
/// the config ([`stream_slots`]). Costs: the engine's stream table (a few
/// hundred bytes per slot plus `U`, on the heap, touched only as streams open)
/// and the storage handed in; packets are not copied.
pub struct Session<'a, U> {
    source: Source<'a>,
    config: Config<'a>,
    /// The link type of the engine to build (from the file header or `new`).
    link: Option<LinkType>,
    /// Storage for the engine, until it is built.
    storage: Option<Storage<'a>>,
    engine: Option<Box<Engine<'a, U>>>,
    finished: bool,
    /// A BPF filter for file packets.
    #[cfg(feature = "libpcap")]
    filter: Option<crate::live::FileFilter>,
}

impl<'a, U> Session<'a, U> {
    fn with(source: Source<'a>, config: Config<'a>, storage: Storage<'a>) -> Self {
        Session {
            source,
            config,
            link: None,
            storage: Some(storage),
            engine: None,
            finished: false,
            #[cfg(feature = "libpcap")]
            filter: None,
        }
    }

    /// A session without a source, for frames of link type `link` given to
    /// [`feed`](Self::feed) (libnids' `nids_pcap_handler`).
    ///
    /// # Errors
    /// [`Error::LinkType`] when `link` is not supported.
    pub fn new(
        link: LinkType,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let slots = stream_slots(&config);
        Self::with_slots(link, config, slots, storage)
    }

    /// [`Session::new`] with `slots` stream slots whatever `config` says
    /// (libnids' `n_tcp_streams`: unless `config.tcp.max_streams` is set, at
    /// most `3 * slots / 4 + 1` streams are open at once, libnids' rule).
    /// O(1): slots are touched only as streams open.
    ///
    /// # Errors
    /// [`Error::LinkType`] when `link` is not supported.
    pub fn with_slots(
        link: LinkType,
        config: Config<'a>,
        slots: usize,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let mut s = Self::with(Source::None, config, storage.into());
        s.build(link, "<feed>", slots)?;
        Ok(s)
    }

    /// Opens a capture (see [`Input::open`]: `-` is standard input; pipes and
    /// gzip or zstd files are streamed in bounded memory).
    ///
    /// # Errors
    /// The file cannot be read or is not a capture, or its link type is not
    /// supported.
    pub fn open(
        path: &std::path::Path,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        Self::open_all(&[path], config, storage)
    }

    /// Opens several captures, read one after the other as one stream of
    /// packets (concatenated in the order given, as `mergecap -a`; packet
    /// times are taken as they are). Each is opened, and its header checked,
    /// before any packet is read.
    ///
    /// # Errors
    /// As [`open`](Self::open), for the first capture that fails.
    pub fn open_all<P: AsRef<std::path::Path>>(
        paths: &[P],
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let inputs = paths
            .iter()
            .map(|p| Input::open(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_inputs(inputs, config, storage)
    }

    /// A session over captures already open, read one after the other (see
    /// [`open_all`](Self::open_all)).
    ///
    /// # Errors
    /// [`Error::LinkType`] when a capture declares only unsupported link types.
    pub fn from_inputs(
        inputs: Vec<Input>,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let mut link = None;
        for i in &inputs {
            let declared = first_supported(i.path(), &i.link_types())?;
            link = link.or(declared);
        }
        let total = inputs.iter().map(|i| i.progress().1).sum::<Option<u64>>();
        let source = Source::Inputs(Inputs {
            queue: inputs.into(),
            total,
            done: 0,
            packets: 0,
        });
        let mut s = Self::with(source, config, storage.into());
        s.link = link;
        Ok(s)
    }

    /// A session over a capture file already open.
    ///
    /// # Errors
    /// [`Error::LinkType`] when the file declares only unsupported link types.
    pub fn from_file(
        file: CaptureFile,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        Self::from_inputs(vec![Input::mapped(file)], config, storage)
    }

    /// A session over a borrowed capture file.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_file_ref(
        file: &'a CaptureFile,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let link = first_supported(file.path(), &file.link_types())?;
        let source = Source::Borrowed {
            file,
            cursor: file.cursor(),
            released: 0,
        };
        let mut s = Self::with(source, config, storage.into());
        s.link = link;
        Ok(s)
    }

    /// A session over a live interface (the `libpcap` feature): see
    /// [`crate::live`]. [`run`](Self::run) then reads until the capture ends,
    /// so a program usually calls [`next`](Self::next) in a loop it can stop.
    ///
    /// # Errors
    /// The interface cannot be opened, or its link type is not supported.
    #[cfg(feature = "libpcap")]
    pub fn live(
        iface: &str,
        options: &crate::live::Options,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let live = crate::live::Live::open(iface, options)?;
        let link = live.link_type();
        let mut s = Self::with(Source::Live(live), config, storage.into());
        s.build(link, iface, stream_slots(&config))?;
        Ok(s)
    }

    /// Reads only the packets that match the BPF expression `filter` (the
    /// `libpcap` feature). On a live source the kernel filters; on a file each
    /// frame is checked in user space, by the filter compiled for its own link
    /// type (raw IP included). Frames given to [`feed`](Self::feed) are not
    /// filtered.
    ///
    /// # Errors
    /// [`Error::Filter`] when libpcap cannot compile it (or the file has no
    /// link type yet).
    #[cfg(feature = "libpcap")]
    pub fn set_filter(&mut self, filter: &str) -> Result<(), Error> {
        match &mut self.source {
            Source::Live(l) => l.set_filter(filter),
            _ => {
                let mut f = crate::live::FileFilter::new(filter);
                // Compiled now for the first link type, so a bad expression is
                // told before any packet is read.
                f.matches(self.link.unwrap_or(LinkType::ETHERNET), &[])?;
                self.filter = Some(f);
                Ok(())
            }
        }
    }

    /// The live capture, to inject frames or to poll its descriptor
    /// (`AsRawFd`) beside other work; `None` for other sources.
    #[cfg(feature = "libpcap")]
    pub fn live_source(&mut self) -> Option<&mut crate::live::Live> {
        match &mut self.source {
            Source::Live(l) => Some(l),
            _ => None,
        }
    }

    /// Builds the engine for `link` with `slots` stream slots (once).
    fn build(&mut self, link: LinkType, name: &str, slots: usize) -> Result<(), Error> {
        if let Some(e) = &self.engine {
            if e.link_type() == link {
                return Ok(());
            }
            // Frames fed or read live have the session's one link type (files
            // mixing link types go through `Nids::process_as` instead).
            return Err(Error::LinkType {
                path: name.to_owned(),
                link,
            });
        }
        let unsupported = || Error::LinkType {
            path: name.to_owned(),
            link,
        };
        let storage = self.storage.take().ok_or_else(unsupported)?;
        let e = Engine::heap_boxed(link, self.config, slots, storage).map_err(|_| unsupported())?;
        self.link = Some(link);
        self.engine = Some(e);
        Ok(())
    }

    /// The name used in errors.
    fn name(&self) -> String {
        match &self.source {
            Source::None => "<feed>".to_owned(),
            Source::Borrowed { file, .. } => file.path().display().to_string(),
            Source::Inputs(i) => i
                .queue
                .front()
                .map_or_else(|| "<end>".to_owned(), |i| i.path().display().to_string()),
            #[cfg(feature = "libpcap")]
            Source::Live(l) => l.name().to_owned(),
        }
    }

    /// Processes one frame captured elsewhere, of the session's link type
    /// (libnids' `nids_pcap_handler`). A file session's link type is its first
    /// declared one. Frames are ignored after [`finish`](Self::finish).
    ///
    /// # Errors
    /// [`Error::LinkType`] when no link type is known yet or it is unsupported.
    pub fn feed<H: Handler<U>>(
        &mut self,
        ts: Instant,
        frame: &[u8],
        h: &mut H,
    ) -> Result<(), Error> {
        if self.engine.is_none() {
            let link = self.link.unwrap_or(LinkType(u32::MAX));
            let name = self.name();
            self.build(link, &name, stream_slots(&self.config))?;
        }
        if let (Some(e), false) = (self.engine.as_mut(), self.finished) {
            e.process(ts, frame, h);
        }
        Ok(())
    }

    /// Reads and processes one packet (libnids' `nids_next`). `Ok(false)` when
    /// the source is exhausted (or has none), `Ok(true)` otherwise; a live
    /// source returns `Ok(true)` after its read timeout without a packet, and
    /// lets packet time run to the wall clock then.
    ///
    /// # Errors
    /// The capture could not be read further, or a packet's link type is not
    /// supported. Later calls return `Ok(false)`; call
    /// [`finish`](Self::finish) to report the streams.
    pub fn next<H: Handler<U>>(&mut self, h: &mut H) -> Result<bool, Error> {
        if self.finished {
            return Ok(false);
        }
        let Session {
            source,
            engine,
            storage,
            config,
            link,
            #[cfg(feature = "libpcap")]
            filter,
            ..
        } = self;
        let mut parts = Parts {
            engine,
            storage,
            config: *config,
            link,
            #[cfg(feature = "libpcap")]
            filter,
        };
        match source {
            Source::None => Ok(false),
            Source::Borrowed {
                file,
                cursor,
                released,
            } => {
                file.release_read(cursor, released);
                let r = match file.next_packet(cursor) {
                    None => return Ok(false),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(p)) => parts.process(p, h),
                };
                if r.is_err() {
                    *cursor = Cursor::exhausted(cursor);
                }
                r.map(|()| true).map_err(|e| e.named(file.path()))
            }
            Source::Inputs(inputs) => loop {
                let Some(input) = inputs.queue.front_mut() else {
                    return Ok(false);
                };
                let r = match input.next_packet() {
                    None => {
                        let (at, _) = input.progress();
                        inputs.done += at;
                        inputs.packets += input.packets_read();
                        inputs.queue.pop_front();
                        continue;
                    }
                    Some(Err(e)) => Err(Refused::Error(e.into())),
                    Some(Ok(p)) => parts.process(p, h),
                };
                let r = r.map(|()| true).map_err(|e| e.named(input.path()));
                if r.is_err() {
                    // The captures after a damaged one are not read.
                    inputs.queue.clear();
                }
                return r;
            },
            #[cfg(feature = "libpcap")]
            Source::Live(live) => {
                let Some(e) = parts.engine else {
                    return Ok(false);
                };
                live.next(e, h)
            }
        }
    }

    /// Processes up to `n` packets (libnids' `nids_dispatch`); returns how many
    /// were read (0 when the source is exhausted). Stops early at the end of a
    /// file, or after a live read timeout.
    ///
    /// # Errors
    /// As [`next`](Self::next); the packets before the error were processed.
    pub fn dispatch<H: Handler<U>>(&mut self, n: usize, h: &mut H) -> Result<usize, Error> {
        let mut done = 0;
        while done < n {
            let before = self.packets_read();
            if !self.next(h)? {
                break;
            }
            if self.packets_read() == before {
                break; // a live timeout: return to the caller
            }
            done += 1;
        }
        Ok(done)
    }

    /// Every packet, then [`finish`](Self::finish) (libnids' `nids_run`).
    /// Returns the counters.
    ///
    /// # Errors
    /// As [`next`](Self::next). The streams are ended and reported before the
    /// error is returned, and [`stats`](Self::stats) still has the counters.
    pub fn run<H: Handler<U>>(&mut self, h: &mut H) -> Result<Stats, Error> {
        let result = loop {
            match self.next(h) {
                Ok(true) => {}
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.finish(h);
        result.map(|()| self.stats())
    }

    /// Ends every open stream with `Exiting` (libnids' `nids_exit`). Later
    /// calls, and later packets, do nothing.
    pub fn finish<H: Handler<U>>(&mut self, h: &mut H) {
        if !self.finished {
            self.finished = true;
            if let Some(e) = self.engine.as_mut() {
                e.finish(h);
            }
        }
    }

    /// Lets packet time run to `now` without a packet, so idle timeouts fire
    /// on a quiet link.
    pub fn advance<H: Handler<U>>(&mut self, now: Instant, h: &mut H) {
        if let Some(e) = self.engine.as_mut() {
            e.advance(now, h);
        }
    }

    /// The engine's counters (all zero before the first packet).
    pub fn stats(&self) -> Stats {
        self.engine
            .as_ref()
            .map_or_else(Stats::new, |e| e.stats().clone())
    }

    /// The engine, once built.
    pub fn engine(&self) -> Option<&Engine<'a, U>> {
        self.engine.as_deref()
    }

    /// Packets read from the source so far.
    pub fn packets_read(&self) -> u64 {
        match &self.source {
            Source::None => 0,
            Source::Borrowed { cursor, .. } => cursor.packets_read(),
            Source::Inputs(i) => i.packets + i.queue.front().map_or(0, |c| c.packets_read()),
            #[cfg(feature = "libpcap")]
            Source::Live(l) => l.packets_read(),
        }
    }

    /// For a file: bytes read so far and the file's length (a progress bar).
    pub fn progress(&self) -> Option<(u64, u64)> {
        match &self.source {
            Source::Borrowed { file, cursor, .. } => {
                Some((cursor.offset() as u64, file.len() as u64))
            }
            Source::Inputs(i) => {
                let total = i.total?;
                let at = i.queue.front().map_or(0, |c| c.progress().0);
                Some((i.done + at, total))
            }
            _ => None,
        }
    }

    /// Whether the session reads a live interface.
    pub fn is_live(&self) -> bool {
        #[cfg(feature = "libpcap")]
        if let Source::Live(_) = self.source {
            return true;
        }
        false
    }
}

/// The parts of a [`Session`] that process a packet read from a file.
struct Parts<'s, 'a, U> {
    engine: &'s mut Option<Box<Engine<'a, U>>>,
    storage: &'s mut Option<Storage<'a>>,
    config: Config<'a>,
    link: &'s mut Option<LinkType>,
    #[cfg(feature = "libpcap")]
    filter: &'s mut Option<crate::live::FileFilter>,
}

/// Why a packet read from a file could not be processed.
enum Refused {
    /// The engine cannot be built for its link type.
    Link(LinkType),
    /// Anything else.
    Error(Error),
}

impl Refused {
    /// The error, naming the capture `path`.
    fn named(self, path: &Path) -> Error {
        match self {
            Refused::Link(link) => Error::LinkType {
                path: path.display().to_string(),
                link,
            },
            Refused::Error(e) => e,
        }
    }
}

impl<'a, U> Parts<'_, 'a, U> {
    /// Filters `p`, builds the engine for its link type if it is the first
    /// packet, and runs it through the engine.
    fn process<H: Handler<U>>(&mut self, p: Packet<'_>, h: &mut H) -> Result<(), Refused> {
        let plink = LinkType(p.link_type);
        #[cfg(feature = "libpcap")]
        if let Some(f) = self.filter.as_mut() {
            if !f.matches(plink, p.data).map_err(Refused::Error)? {
                return Ok(());
            }
        }
        let e = match self.engine {
            // A pcapng interface of another link type than the first, or a
            // later capture of another link type: the engine decodes it as such
            // (or counts it unsupported).
            Some(e) => e,
            None => {
                let st = self.storage.take().ok_or(Refused::Link(plink))?;
                let slots = stream_slots(&self.config);
                let e = Engine::heap_boxed(plink, self.config, slots, st)
                    .map_err(|_| Refused::Link(plink))?;
                *self.link = Some(plink);
                self.engine.insert(e)
            }
        };
        e.process_as(Instant::from_micros(p.ts_us), plink, p.data, h);
        Ok(())
    }
}

/// The first link type `declared` that the engine supports, or `None` when
/// nothing is declared yet.
///
/// # Errors
/// [`Error::LinkType`] when link types are declared but none is supported.
pub fn first_supported(path: &Path, declared: &[u32]) -> Result<Option<LinkType>, Error> {
    match declared.first() {
        None => Ok(None),
        Some(&first) if !declared.iter().any(|&l| LinkType(l).is_supported()) => {
            Err(Error::LinkType {
                path: path.display().to_string(),
                link: LinkType(first),
            })
        }
        Some(&first) => Ok(Some(LinkType(first))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_stream_slots_follow_the_config() {
        let mut c = Config::new();
        assert_eq!(stream_slots(&c), STREAMS);
        for n in [1, 1041, 300_000, 4_194_304] {
            c.tcp.max_streams = Some(n);
            assert_eq!(stream_slots(&c), n);
            let s = Session::<()>::new(LinkType::ETHERNET, c, &mut [][..]).unwrap();
            assert_eq!(s.engine().map(|e| e.stream_slots()), Some(n));
        }
    }
}

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

use crate::capture::{CaptureFile, Cursor};
use crate::run::{Engine, Error, STREAMS};

/// The stream slots of the engine a session builds for `config`:
/// `config.tcp.max_streams` when it is set (at least 1; so `nids --streams N`
/// has exactly N slots), else [`STREAMS`] (libnids' 1040, of which 781 may be
/// open at once). A slot costs [`nids_core::Plan::table_bytes`], touched only
/// when a stream uses it.
pub fn stream_slots(config: &Config<'_>) -> usize {
    config.tcp.max_streams.map_or(STREAMS, |n| n.max(1))
}

/// A capture file, owned or borrowed.
enum File<'a> {
    Owned(Box<CaptureFile>),
    Borrowed(&'a CaptureFile),
}

impl File<'_> {
    fn get(&self) -> &CaptureFile {
        match self {
            File::Owned(f) => f,
            File::Borrowed(f) => f,
        }
    }
}

/// Where packets come from.
enum Source<'a> {
    /// Frames given with [`Session::feed`] only.
    None,
    /// A capture file and the position in it.
    File { file: File<'a>, cursor: Cursor },
    /// A live interface (the `libpcap` feature).
    #[cfg(feature = "libpcap")]
    Live(crate::live::Live),
}

/// How many bytes of a mapped capture are walked between two releases of their
/// pages ([`CaptureFile::release`]).
const RELEASE_EVERY: usize = 1 << 20;

/// A packet source and the engine run over it. See the [module docs](self).
///
/// `U` is the handler's per-stream data; the engine's stream slots come from
/// the config ([`stream_slots`]).
/// Costs: the engine (about 280 bytes per slot, on the heap) and the storage
/// handed in; packets are not copied.
pub struct Session<'a, U> {
    source: Source<'a>,
    config: Config<'a>,
    /// The link type of the engine to build (from the file header or `new`).
    link: Option<LinkType>,
    /// Storage for the engine, until it is built.
    storage: Option<Storage<'a>>,
    engine: Option<Box<Engine<'a, U>>>,
    finished: bool,
    /// File offset up to which the mapped pages were given back.
    released: usize,
    /// A BPF filter for file packets.
    #[cfg(feature = "libpcap")]
    filter: Option<crate::live::Filter>,
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
            released: 0,
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
        let mut s = Self::with(Source::None, config, storage.into());
        s.build(link, "<feed>")?;
        Ok(s)
    }

    /// Opens a capture file (see [`CaptureFile::open`]; `-` is stdin).
    ///
    /// # Errors
    /// The file cannot be read or is not a capture, or its link type is not
    /// supported.
    pub fn open(
        path: &std::path::Path,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        let file = CaptureFile::open(path)?;
        Self::from_file(file, config, storage)
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
        Self::file(File::Owned(Box::new(file)), config, storage.into())
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
        Self::file(File::Borrowed(file), config, storage.into())
    }

    fn file(file: File<'a>, config: Config<'a>, storage: Storage<'a>) -> Result<Self, Error> {
        let f = file.get();
        let declared = f.link_types();
        if let Some(&first) = declared.first() {
            if !declared.iter().any(|&l| LinkType(l).is_supported()) {
                return Err(Error::LinkType {
                    path: f.path().display().to_string(),
                    link: LinkType(first),
                });
            }
        }
        let link = declared.first().map(|&l| LinkType(l));
        let cursor = f.cursor();
        let mut s = Self::with(Source::File { file, cursor }, config, storage);
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
        s.build(link, iface)?;
        Ok(s)
    }

    /// Reads only the packets that match the BPF expression `filter` (the
    /// `libpcap` feature). On a live source the kernel filters; on a file each
    /// frame is checked in user space, for the file's first link type. Frames
    /// given to [`feed`](Self::feed) are not filtered.
    ///
    /// # Errors
    /// [`Error::Filter`] when libpcap cannot compile it (or the file has no
    /// link type yet).
    #[cfg(feature = "libpcap")]
    pub fn set_filter(&mut self, filter: &str) -> Result<(), Error> {
        match &mut self.source {
            Source::Live(l) => l.set_filter(filter),
            _ => {
                let link = self.link.unwrap_or(LinkType::ETHERNET);
                self.filter = Some(crate::live::Filter::compile(filter, link)?);
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

    /// Builds the engine for `link` (once).
    fn build(&mut self, link: LinkType, name: &str) -> Result<(), Error> {
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
        let e = Engine::heap(link, self.config, stream_slots(&self.config), storage)
            .map_err(|_| unsupported())?;
        self.link = Some(link);
        self.engine = Some(Box::new(e));
        Ok(())
    }

    /// The name used in errors.
    fn name(&self) -> String {
        match &self.source {
            Source::None => "<feed>".to_owned(),
            Source::File { file, .. } => file.get().path().display().to_string(),
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
            self.build(link, &name)?;
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
            released,
            #[cfg(feature = "libpcap")]
            filter,
            ..
        } = self;
        match source {
            Source::None => Ok(false),
            Source::File { file, cursor } => {
                let f = file.get();
                let p = match f.next_packet(cursor) {
                    None => return Ok(false),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(p)) => p,
                };
                #[cfg(feature = "libpcap")]
                if filter.as_ref().is_some_and(|f| !f.matches(p.data)) {
                    return Ok(true);
                }
                let plink = LinkType(p.link_type);
                let e = match engine {
                    // A pcapng interface of another link type than the first:
                    // the engine decodes it as such (or counts it unsupported).
                    Some(e) => e,
                    None => {
                        let bad = Error::LinkType {
                            path: f.path().display().to_string(),
                            link: plink,
                        };
                        let Some(st) = storage.take() else {
                            return Err(bad);
                        };
                        match Engine::heap(plink, *config, stream_slots(config), st) {
                            Ok(e) => {
                                *link = Some(plink);
                                engine.insert(Box::new(e))
                            }
                            Err(_) => {
                                *cursor = Cursor::exhausted(cursor);
                                return Err(bad);
                            }
                        }
                    }
                };
                e.process_as(Instant::from_micros(p.ts_us), plink, p.data, h);
                // Packets are done with once processed: give their pages back so
                // memory stays flat whatever the file's size.
                let at = cursor.offset();
                if at - *released >= RELEASE_EVERY {
                    f.release(*released, at);
                    *released = at;
                }
                Ok(true)
            }
            #[cfg(feature = "libpcap")]
            Source::Live(live) => {
                let Some(e) = engine else { return Ok(false) };
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
            Source::File { cursor, .. } => cursor.packets_read(),
            #[cfg(feature = "libpcap")]
            Source::Live(l) => l.packets_read(),
        }
    }

    /// For a file: bytes read so far and the file's length (a progress bar).
    pub fn progress(&self) -> Option<(u64, u64)> {
        match &self.source {
            Source::File { file, cursor } => {
                Some((cursor.offset() as u64, file.get().len() as u64))
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

//! Live capture through libpcap (the `libpcap` feature), and BPF filters.
//!
//! [`Live`] is one open interface; build a [`Session`](crate::session::Session)
//! over it with [`Session::live`](crate::session::Session::live). Timestamps are
//! libpcap's (the wall clock at capture), so when the read timeout passes without
//! a packet the engine's time is moved to the wall clock, and idle timeouts fire
//! on a quiet link.

use std::os::fd::{AsRawFd, RawFd};
use std::time::{SystemTime, UNIX_EPOCH};

use nids_core::{Handler, Instant, LinkType};

use crate::run::Error;

/// How an interface is opened. `Default` gives the `nids` command's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Promiscuous mode (default on, as libnids).
    pub promisc: bool,
    /// Bytes kept of each packet (default 262144, libpcap's maximum).
    pub snaplen: i32,
    /// Read timeout in milliseconds: how long a read waits for packets before
    /// [`Session::next`](crate::session::Session::next) returns (default 500).
    pub timeout_ms: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            promisc: true,
            snaplen: 262_144,
            timeout_ms: 500,
        }
    }
}

/// An open live capture.
pub struct Live {
    cap: pcap::Capture<pcap::Active>,
    name: String,
    link: LinkType,
    packets: u64,
}

impl Live {
    /// Opens interface `iface` (`any` for all, on Linux).
    ///
    /// # Errors
    /// [`Error::Live`] when libpcap cannot open it (no such interface, no
    /// permission: capturing needs root or CAP_NET_RAW).
    pub fn open(iface: &str, opts: &Options) -> Result<Live, Error> {
        let err = |source| Error::Live {
            iface: iface.to_owned(),
            source,
        };
        let cap = pcap::Capture::from_device(iface)
            .map_err(err)?
            .promisc(opts.promisc)
            .snaplen(opts.snaplen)
            .timeout(opts.timeout_ms)
            .open()
            .map_err(err)?;
        let link = LinkType(u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX));
        Ok(Live {
            cap,
            name: iface.to_owned(),
            link,
            packets: 0,
        })
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface's link type.
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// Packets read so far.
    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    /// Only packets matching the BPF expression `filter` are read from now on
    /// (the kernel drops the rest).
    ///
    /// # Errors
    /// [`Error::Filter`] when libpcap cannot compile or set it.
    pub fn set_filter(&mut self, filter: &str) -> Result<(), Error> {
        self.cap
            .filter(filter, true)
            .map_err(|source| Error::Filter {
                filter: filter.to_owned(),
                source,
            })
    }

    /// A handle that makes a blocked read return and the capture end
    /// ([`Session::next`](crate::session::Session::next) then returns
    /// `Ok(false)`), from another thread or a signal handler thread.
    pub fn breakloop_handle(&mut self) -> pcap::BreakLoop {
        self.cap.breakloop_handle()
    }

    /// Sends a frame on the interface (for `kill()` RST frames).
    ///
    /// # Errors
    /// [`Error::Live`] when libpcap cannot send it.
    pub fn inject(&mut self, frame: &[u8]) -> Result<(), Error> {
        self.cap.sendpacket(frame).map_err(|source| Error::Live {
            iface: self.name.clone(),
            source,
        })
    }

    /// Reads one packet, or waits up to the read timeout, and runs it through `e`.
    pub(crate) fn next<U, H: Handler<U>>(
        &mut self,
        e: &mut crate::run::Engine<'_, U>,
        h: &mut H,
    ) -> Result<bool, Error> {
        match self.read_frame()? {
            LiveRead::Frame(ts, data) => e.process(ts, data, h),
            LiveRead::Timeout(now) => e.advance(now, h),
            LiveRead::End => return Ok(false),
        }
        Ok(true)
    }

    /// Reads one packet, or waits up to the read timeout.
    ///
    /// # Errors
    /// [`Error::Live`] when libpcap cannot read.
    pub fn read_frame(&mut self) -> Result<LiveRead<'_>, Error> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.packets += 1;
                let secs = u64::try_from(p.header.ts.tv_sec).unwrap_or(0);
                let micros = u64::try_from(p.header.ts.tv_usec).unwrap_or(0);
                let ts =
                    Instant::from_micros(secs.saturating_mul(1_000_000).saturating_add(micros));
                Ok(LiveRead::Frame(ts, p.data))
            }
            Err(pcap::Error::TimeoutExpired) => Ok(LiveRead::Timeout(wall_clock())),
            Err(pcap::Error::NoMorePackets) => Ok(LiveRead::End),
            Err(source) => Err(Error::Live {
                iface: self.name.clone(),
                source,
            }),
        }
    }
}

/// What [`Live::read_frame`] gave.
pub enum LiveRead<'p> {
    /// A packet (valid until the next read) and its capture time.
    Frame(Instant, &'p [u8]),
    /// The read timed out: the wall clock, for packet time to run to.
    Timeout(Instant),
    /// The capture ended.
    End,
}

impl AsRawFd for Live {
    /// A descriptor to `select`/`poll` on: readable when packets are waiting.
    fn as_raw_fd(&self) -> RawFd {
        self.cap.as_raw_fd()
    }
}

/// Now, as a capture timestamp.
fn wall_clock() -> Instant {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Instant::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A compiled BPF filter for packets of one link type, applied in user space
/// (for capture files).
pub struct Filter(pcap::BpfProgram);

/// libpcap's `DLT_` number for a capture file's `LINKTYPE_` value: they are
/// the same but for a few, raw IP among them (`LINKTYPE_RAW` 101 is `DLT_RAW`,
/// 12 on Linux and most systems, 14 on OpenBSD), which `pcap_open_dead` knows
/// only by their `DLT_` number.
pub fn dlt(link: LinkType) -> i32 {
    const LINKTYPE_RAW: u32 = 101;
    const DLT_RAW: i32 = if cfg!(target_os = "openbsd") { 14 } else { 12 };
    match link.0 {
        LINKTYPE_RAW => DLT_RAW,
        l => i32::try_from(l).unwrap_or(-1),
    }
}

impl Filter {
    /// Compiles `expr` for link type `link` (a `LINKTYPE_` value, as in
    /// capture files).
    ///
    /// # Errors
    /// [`Error::Filter`] when libpcap cannot compile it.
    pub fn compile(expr: &str, link: LinkType) -> Result<Filter, Error> {
        let err = |source| Error::Filter {
            filter: expr.to_owned(),
            source,
        };
        let dead = pcap::Capture::dead(pcap::Linktype(dlt(link))).map_err(err)?;
        dead.compile(expr, true).map(Filter).map_err(err)
    }

    /// The program as `tcpdump -ddd` prints it (the number of instructions,
    /// then `code jt jf k` per line), for [`crate::afpacket::parse_cbpf`].
    pub fn cbpf(&self) -> String {
        let insns = self.0.get_instructions();
        let mut s = format!("{}\n", insns.len());
        for i in insns {
            s.push_str(&format!("{i}\n"));
        }
        s
    }

    /// Whether the frame `frame` (its captured bytes) passes.
    pub fn matches(&self, frame: &[u8]) -> bool {
        self.0.filter(frame)
    }
}

/// A BPF expression for the packets of capture files, compiled for each link
/// type when its first packet comes (a pcapng file, or several captures, may
/// mix them). Costs one compiled program per link type seen.
pub struct FileFilter {
    expr: String,
    compiled: Vec<(LinkType, Filter)>,
}

impl FileFilter {
    /// A filter for `expr`, not compiled yet.
    pub fn new(expr: &str) -> FileFilter {
        FileFilter {
            expr: expr.to_owned(),
            compiled: Vec::new(),
        }
    }

    /// Whether `frame`, of link type `link`, passes.
    ///
    /// # Errors
    /// [`Error::Filter`] when the expression cannot be compiled for `link`.
    pub fn matches(&mut self, link: LinkType, frame: &[u8]) -> Result<bool, Error> {
        let i = match self.compiled.iter().position(|(l, _)| *l == link) {
            Some(i) => i,
            None => {
                let f = Filter::compile(&self.expr, link)?;
                self.compiled.push((link, f));
                self.compiled.len() - 1
            }
        };
        Ok(self.compiled[i].1.matches(frame))
    }
}

//! What each command does, given the parsed command line.

use std::error::Error;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant as WallClock;

use nids_core::{Config, Handler, LinkType, Stats, Storage};
use nids_host::capture::CaptureFile;
use nids_host::dump::Dumper;
use nids_host::grep::{self, Grepper};
use nids_host::output::Output;
use nids_host::scan;
use nids_host::session::Session;
use nids_host::streams::StreamPrinter;

use crate::cli::{Command, Input, Opts};
use crate::config;
use crate::progress::Progress;

/// The exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: done (also when the reader of the output went away).
    Success,
    /// 1: `grep` found nothing.
    NoMatch,
    /// 2: an error, printed as one line (clap uses 2 for usage errors too).
    Error,
    /// 130: Ctrl-C stopped a live capture (after its streams were reported).
    Interrupted,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::NoMatch => 1,
            Status::Error => 2,
            Status::Interrupted => 130,
        })
    }
}

/// An error and its causes on one line, joined by `: `.
pub fn one_line(e: &dyn Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&c.to_string());
        cause = c.source();
    }
    if line.contains('\n') {
        // Multi-line messages (a regex error points at the pattern): one line.
        line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    line
}

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What a run over the input gave.
struct Outcome {
    /// The engine's counters.
    stats: Stats,
    /// The read error, if the source could not be read to its end (the
    /// streams are reported anyway).
    read: Result<()>,
    /// Whether Ctrl-C stopped a live capture.
    interrupted: bool,
}

/// Where packets come from.
enum Source {
    File(CaptureFile),
    #[cfg(feature = "libpcap")]
    Live(String, nids_host::live::Options),
}

/// Runs the engine over the input with `h`.
fn drive<U, H: Handler<U>>(input: &Input, h: &mut H) -> Result<Outcome> {
    let settings = config::settings(&input.common);
    let source = source(input)?;
    let mut memory = vec![0u8; settings.tcp_storage + config::DEFRAG_STORAGE];
    let (tcp, defrag) = memory.split_at_mut(settings.tcp_storage);
    let storage = Storage::new(tcp, defrag);
    let c = settings.engine;
    #[cfg(feature = "libpcap")]
    let filter = input.live.filter.as_deref();
    #[cfg(not(feature = "libpcap"))]
    let filter = None;
    sized::<U, H>(source, filter, c, storage, h)
}

/// Opens the capture file, or describes the interface to open.
fn source(input: &Input) -> Result<Source> {
    #[cfg(feature = "libpcap")]
    if let Some(iface) = &input.live.interface {
        let l = &input.live;
        let opts = nids_host::live::Options {
            promisc: !l.no_promisc,
            snaplen: l.snaplen,
            timeout_ms: l.timeout,
        };
        return Ok(Source::Live(iface.clone(), opts));
    }
    let path = input.source.as_deref().ok_or("no SOURCE given")?;
    Ok(Source::File(CaptureFile::open(path)?))
}

/// [`drive`] with `S` stream slots.
fn sized<'a, U, H: Handler<U>>(
    source: Source,
    filter: Option<&str>,
    config: Config<'a>,
    storage: Storage<'a>,
    h: &mut H,
) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut session = match source {
        Source::File(file) => Session::<U>::from_file(file, config, storage)?,
        #[cfg(feature = "libpcap")]
        Source::Live(iface, opts) => {
            let mut s = Session::<U>::live(&iface, &opts, config, storage)?;
            if let Some(live) = s.live_source() {
                on_ctrl_c(Arc::clone(&stop), live.breakloop_handle())?;
            }
            s
        }
    };
    #[cfg(feature = "libpcap")]
    if let Some(f) = filter {
        session.set_filter(f)?;
    }
    #[cfg(not(feature = "libpcap"))]
    let _: Option<&str> = filter;
    let bar = Progress::new(session.progress().map(|p| p.1));
    let mut outbox = Outbox::default();
    let mut n = 0u32;
    let read = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        let mut both = (&mut *h, &mut outbox);
        let more = session.next(&mut both);
        outbox.send(&mut session);
        match more {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e.into()),
        }
        n = n.wrapping_add(1);
        if n.is_multiple_of(1024) {
            bar.set(session.progress().map_or(0, |p| p.0));
        }
    };
    bar.finish();
    session.finish(h);
    Ok(Outcome {
        stats: session.stats(),
        read,
        interrupted: stop.load(Ordering::Relaxed),
    })
}

/// Frames the engine wants sent (`kill()` RSTs), sent after each packet on a
/// live source whose link type they are framed for; dropped on files.
#[derive(Default)]
struct Outbox(Vec<(LinkType, Vec<u8>)>);

impl<U> Handler<U> for Outbox {
    fn transmit(&mut self, link: LinkType, frame: &[u8]) {
        self.0.push((link, frame.to_vec()));
    }
}

impl Outbox {
    fn send<U>(&mut self, session: &mut Session<'_, U>) {
        #[cfg(feature = "libpcap")]
        if let Some(live) = session.live_source() {
            for (link, frame) in self.0.drain(..) {
                if link == live.link_type() {
                    if let Err(e) = live.inject(&frame) {
                        eprintln!("nids: {}", one_line(&e));
                    }
                }
            }
        }
        #[cfg(not(feature = "libpcap"))]
        let _ = session;
        self.0.clear();
    }
}

/// Ctrl-C (or SIGTERM) sets `stop` and breaks the capture's read, so the loop
/// ends and reports the streams; a second one exits at once.
#[cfg(feature = "libpcap")]
fn on_ctrl_c(stop: Arc<AtomicBool>, breakloop: pcap::BreakLoop) -> Result<()> {
    ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
        breakloop.breakloop();
    })?;
    Ok(())
}

/// Ends a printing command: a write error other than a broken pipe is the
/// error; then the read error, if any.
fn finish<W: Write>(out: &mut Output<W>, outcome: Outcome) -> Result<Status> {
    match out.finish() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Status::Success),
        Err(e) => return Err(Box::new(WriteError(e))),
        Ok(()) => {}
    }
    status(outcome)
}

/// The status of a run whose output went well.
fn status(outcome: Outcome) -> Result<Status> {
    outcome.read?;
    Ok(if outcome.interrupted {
        Status::Interrupted
    } else {
        Status::Success
    })
}

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output")]
struct WriteError(#[source] io::Error);

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::new(io::stdout().lock())
}

pub fn run(opts: Opts) -> Result<Status> {
    match opts.command {
        Command::Streams { input, json, udp } => {
            let mut p = StreamPrinter::new(stdout(), json, udp);
            let outcome = drive(&input, &mut p)?;
            let mut out = Output {
                w: p.out,
                error: p.error,
            };
            finish(&mut out, outcome)
        }
        Command::Dump { input, output } => {
            let mut d = Dumper::create(&output)?;
            let outcome = drive(&input, &mut d)?;
            d.finish()?;
            status(outcome)
        }
        Command::Grep {
            pattern,
            input,
            json,
            max_count,
            window,
            kill,
        } => {
            let re = grep::pattern(&pattern).map_err(|e| BadRegex(pattern.clone(), e))?;
            let mut g = Grepper::new(re, stdout(), json, window, max_count.unwrap_or(u64::MAX));
            g.kill = kill;
            let outcome = drive(&input, &mut g)?;
            let status = finish(&mut g.out, outcome)?;
            Ok(if g.matches == 0 && status == Status::Success {
                Status::NoMatch
            } else {
                status
            })
        }
        Command::Scan { input, json } => {
            let mut p = scan::Printer::new(stdout(), json);
            let outcome = drive::<(), _>(&input, &mut p)?;
            finish(&mut p.out, outcome)
        }
        Command::Stats { input } => {
            let start = WallClock::now();
            let mut p = StreamPrinter::counting(io::sink());
            let outcome = drive(&input, &mut p)?;
            let secs = start.elapsed().as_secs_f64();
            let mut out = Output::new(stdout());
            print_stats(&mut out, &outcome.stats, p.streams, secs);
            finish(&mut out, outcome)
        }
    }
}

/// The regex given to `grep` is not valid.
#[derive(Debug, thiserror::Error)]
#[error("bad REGEX {0:?}")]
struct BadRegex(String, #[source] regex::Error);

fn print_stats<W: Write>(out: &mut Output<W>, st: &Stats, reported: u64, secs: f64) {
    out.line(format_args!("frames            {}", st.frames));
    out.line(format_args!("bytes             {}", st.bytes));
    out.line(format_args!("non-ip frames     {}", st.non_ip));
    out.line(format_args!("ipv4 / ipv6       {} / {}", st.ipv4, st.ipv6));
    out.line(format_args!("fragments         {}", st.fragments));
    out.line(format_args!("udp datagrams     {}", st.udp));
    out.line(format_args!("tcp segments      {}", st.tcp_segments));
    out.line(format_args!(
        "tcp streams       {} ({} established, {} reported)",
        st.tcp_streams, st.tcp_established, reported
    ));
    out.line(format_args!("tcp bytes         {}", st.tcp_bytes));
    out.line(format_args!("out of window     {}", st.tcp_out_of_window));
    out.line(format_args!("port scans        {}", st.scans));
    for (w, n) in st.nonzero_warnings() {
        out.line(format_args!("warning {:<28} {n}", w.code()));
    }
    out.line(format_args!(
        "throughput        {:.0} packets/s, {:.1} MB/s ({secs:.3} s)",
        st.frames as f64 / secs,
        st.bytes as f64 / secs / 1e6
    ));
}

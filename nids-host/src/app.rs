//! What each command does, given the parsed command line.

use std::error::Error;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant as WallClock;

use nids_core::ip::checksum::Policy;
use nids_core::{Handler, LinkType, Stats, Storage, Warning};
use nids_host::capture;
use nids_host::conn;
use nids_host::dump::Dumper;
use nids_host::grep::{self, Grepper};
use nids_host::output::Output;
use nids_host::scan;
use nids_host::session::Session;
use nids_host::shard::Recorder;
use nids_host::streams::StreamPrinter;

#[cfg(target_os = "linux")]
use crate::cli::CaptureKind;
use crate::cli::{Command, ConnFormat, Input, Opts};
use crate::config::{self, Settings};
use crate::progress::Progress;
use crate::stdout::Stdout;
use crate::stop::Stop;

/// The exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: done (also when the reader of the output went away).
    Success,
    /// 1: `grep` found nothing.
    NoMatch,
    /// 2: an error, printed as one line (clap uses 2 for usage errors too).
    Error,
    /// 130: Ctrl-C or SIGTERM stopped the run (after its streams were reported).
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

pub(crate) type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What a run over the input gave.
pub(crate) struct Outcome {
    /// The engine's counters.
    pub stats: Stats,
    /// The read error, if the source could not be read to its end (the
    /// streams are reported anyway).
    pub read: Result<()>,
    /// Whether Ctrl-C or SIGTERM stopped the run.
    pub interrupted: bool,
    /// af-packet: the packets the kernel received for the rings, and of them
    /// those it dropped (a ring was full).
    pub kernel: Option<(u64, u64)>,
}

/// Where packets come from.
pub(crate) enum Source {
    /// Captures, read one after the other.
    Files(Vec<capture::Input>),
    #[cfg(feature = "libpcap")]
    Live(String, nids_host::live::Options),
    /// An interface read through af-packet rings, with a cBPF program to
    /// attach, if any.
    #[cfg(target_os = "linux")]
    AfPacket(
        String,
        Option<Vec<nids_host::afpacket::Instruction>>,
        nids_host::afpacket::Options,
    ),
}

/// An input opened and the settings to run the engine with.
pub(crate) struct Run {
    pub source: Source,
    pub settings: Settings,
    /// A BPF filter (the `libpcap` feature).
    #[cfg_attr(not(feature = "libpcap"), allow(dead_code))]
    pub filter: Option<String>,
    pub stop: Stop,
    /// Whether standard input is read: after a stop, it still is for a
    /// moment ([`crate::stop::GRACE`]), so the loop ends with it.
    pub stdin: bool,
}

/// A capture option used in a build without the feature it needs.
#[cfg(not(feature = "libpcap"))]
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} needs the `libpcap` feature, which this nids was built without \
     (build it with `--features libpcap`; libpcap-dev is needed)"
)]
struct NeedsLibpcap(&'static str);

/// Opens the captures (standard input through `stop`, so Ctrl-C ends a wait
/// for input), or describes the interface to open.
pub(crate) fn open(input: &Input, stop: &Stop) -> Result<Run> {
    let settings = config::settings(&input.common);
    let filter = input.live.filter.clone();
    #[cfg(target_os = "linux")]
    if let Some(iface) = &input.live.interface {
        if input.live.capture == Some(CaptureKind::AfPacket) {
            return Ok(Run {
                source: Source::AfPacket(
                    iface.clone(),
                    cbpf(&input.live)?,
                    nids_host::afpacket::Options {
                        blocks: input.live.ring_mb,
                        ..Default::default()
                    },
                ),
                settings,
                filter: None,
                stop: stop.clone(),
                stdin: false,
            });
        }
    }
    if input.live.cbpf.is_some() {
        return Err("--cbpf needs --capture af-packet".into());
    }
    #[cfg(not(feature = "libpcap"))]
    {
        if input.live.interface.is_some() {
            return Err(Box::new(NeedsLibpcap(
                "-i/--interface (live capture) without `--capture af-packet`",
            )));
        }
        if filter.is_some() {
            return Err(Box::new(NeedsLibpcap("--filter (BPF)")));
        }
    }
    #[cfg(feature = "libpcap")]
    if let Some(iface) = &input.live.interface {
        let l = &input.live.pcap;
        let opts = nids_host::live::Options {
            promisc: !l.no_promisc,
            snaplen: l.snaplen,
            timeout_ms: l.timeout,
        };
        return Ok(Run {
            source: Source::Live(iface.clone(), opts),
            settings,
            filter,
            stop: stop.clone(),
            stdin: false,
        });
    }
    let mut files = Vec::new();
    let mut stdin = false;
    for path in input.read.iter().chain(&input.sources) {
        stdin |= path.as_os_str() == "-";
        files.push(if path.as_os_str() == "-" {
            capture::Input::stream(PathBuf::from("<stdin>"), stop.stdin())?
        } else {
            capture::Input::open(path)?
        });
    }
    Ok(Run {
        source: Source::Files(files),
        settings,
        filter,
        stop: stop.clone(),
        stdin,
    })
}

/// The cBPF program of `--cbpf FILE`, or `--filter` compiled by libpcap
/// (the `libpcap` feature), for af-packet rings.
#[cfg(target_os = "linux")]
fn cbpf(live: &crate::cli::Live) -> Result<Option<Vec<nids_host::afpacket::Instruction>>> {
    if let Some(path) = &live.cbpf {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        return Ok(Some(nids_host::afpacket::parse_cbpf(&text)?));
    }
    let Some(expr) = &live.filter else {
        return Ok(None);
    };
    #[cfg(feature = "libpcap")]
    {
        let f = nids_host::live::Filter::compile(expr, LinkType::ETHERNET)?;
        Ok(Some(nids_host::afpacket::parse_cbpf(&f.cbpf())?))
    }
    #[cfg(not(feature = "libpcap"))]
    {
        let _ = expr;
        Err(Box::new(NeedsLibpcap(
            "--filter (BPF; with af-packet, give the program as `tcpdump -ddd` prints it with --cbpf)",
        )))
    }
}

impl Run {
    /// Whether packets come from a live interface.
    pub fn is_live(&self) -> bool {
        match self.source {
            Source::Files(_) => false,
            #[cfg(feature = "libpcap")]
            Source::Live(..) => true,
            #[cfg(target_os = "linux")]
            Source::AfPacket(..) => true,
        }
    }

    /// Whether packets come from af-packet rings (run by the shards, one ring
    /// each, whatever their number).
    pub fn is_af_packet(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Source::AfPacket(..) = self.source {
            return true;
        }
        false
    }

    /// Runs one engine over the input with `h`, on this thread; what `h`
    /// writes to its tape goes to `out` after every packet.
    fn drive<U, H: Recorder<U>, W: Write>(self, h: &mut H, out: &mut Output<W>) -> Result<Outcome> {
        let mut memory = vec![0u8; self.settings.tcp_storage + config::DEFRAG_STORAGE];
        let (tcp, defrag) = memory.split_at_mut(self.settings.tcp_storage);
        let storage = Storage::new(tcp, defrag);
        let policy = self.settings.engine.checksums;
        let outcome = self.session::<U, H, W>(storage, h, out)?;
        if let Some(hint) = checksum_hint(&outcome.stats, policy) {
            eprintln!("nids: {hint}");
        }
        Ok(outcome)
    }

    /// [`drive`](Self::drive) once its storage is allocated: one session,
    /// whose stream table is sized at run time from the settings.
    fn session<'a, U, H: Recorder<U>, W: Write>(
        self,
        storage: Storage<'a>,
        h: &mut H,
        out: &mut Output<W>,
    ) -> Result<Outcome> {
        let config = self.settings.engine;
        let stop = self.stop;
        let drains = self.stdin;
        #[allow(unused_mut)]
        let mut session = match self.source {
            Source::Files(files) => Session::<U>::from_inputs(files, config, storage)?,
            #[cfg(feature = "libpcap")]
            Source::Live(iface, opts) => {
                let mut s = Session::<U>::live(&iface, &opts, config, storage)?;
                if let Some(live) = s.live_source() {
                    let breakloop = live.breakloop_handle();
                    stop.on_stop(move || breakloop.breakloop());
                }
                s
            }
            #[cfg(target_os = "linux")]
            Source::AfPacket(..) => return Err("af-packet rings are read by the shards".into()),
        };
        #[cfg(feature = "libpcap")]
        if let Some(f) = &self.filter {
            session.set_filter(f)?;
        }
        let bar = Progress::new(session.progress().map(|p| p.1));
        let mut outbox = Outbox::default();
        let mut n = 0u32;
        let read = loop {
            if stop.is_set() && !drains {
                break Ok(());
            }
            let mut both = (&mut *h, &mut outbox);
            let more = session.next(&mut both);
            outbox.send(&mut session);
            pump(h, out);
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
        pump(h, out);
        Ok(Outcome {
            stats: session.stats(),
            read,
            interrupted: stop.is_set(),
            kernel: None,
        })
    }
}

/// What `h` wrote since the last call, to `out`.
fn pump<U, H: Recorder<U>, W: Write>(h: &mut H, out: &mut Output<W>) {
    let tape = h.tape();
    if !tape.is_empty() {
        out.bytes(tape);
        tape.clear();
    }
}

/// Runs the input through `threads` engines, with a handler from `make` for
/// each: one on this thread, or several behind a shard hash
/// ([`crate::sharded::drive`], which makes one more handler for the merge).
/// What they write goes to `out`, in one engine's order either way. Returns
/// the outcome and the handlers.
fn drive<U, H: Recorder<U>, W: Write>(
    run: Run,
    threads: usize,
    mut make: impl FnMut() -> H,
    out: &mut Output<W>,
) -> Result<(Outcome, Vec<H>)> {
    if threads > 1 || run.is_af_packet() {
        return crate::sharded::drive(run, threads, make, out);
    }
    let mut h = make();
    let outcome = run.drive(&mut h, out)?;
    Ok((outcome, vec![h]))
}

/// One line for stderr when most TCP segments, or most IPv4 headers, failed
/// their checksum (the capture was probably taken where checksum offload is
/// on, or on a loopback or virtual interface that leaves IPv4 header
/// checksums unfilled), naming the option that accepts them.
pub(crate) fn checksum_hint(st: &Stats, policy: Policy<'_>) -> Option<String> {
    let most =
        |bad: u64, good: u64| (bad > 0 && bad > good).then_some((bad, bad.saturating_add(good)));
    let mut what = Vec::new();
    if let Some((bad, all)) = most(st.warning(Warning::Ipv4BadChecksum), st.ipv4) {
        what.push(format!("{bad} of {all} IPv4 headers"));
    }
    if let Some((bad, all)) = most(st.warning(Warning::TcpBadChecksum), st.tcp_segments) {
        what.push(format!("{bad} of {all} TCP segments"));
    }
    if what.is_empty() {
        return None;
    }
    let how = match policy {
        Policy::Verify => {
            "`--checksum auto` accepts those of senders with checksum offload (as a capture \
             on the sending host shows them) and IPv4 headers left unfilled (zero, as on \
             macOS loopback), `--checksum off` all"
        }
        _ => "`--checksum off` accepts them",
    };
    Some(format!(
        "{} failed their checksum and were dropped; {how}",
        what.join(" and ")
    ))
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

/// Ends a printing command: a write error other than a broken pipe is the
/// error; then the read error, if any.
pub(crate) fn finish<W: Write>(out: &mut Output<W>, outcome: Outcome) -> Result<Status> {
    match out.finish() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Status::Success),
        Err(e) => return Err(Box::new(WriteError(e))),
        Ok(()) => {}
    }
    status(outcome)
}

/// The status of a run whose output went well: after Ctrl-C or SIGTERM, 130
/// (a read cut short by it is no error).
pub(crate) fn status(outcome: Outcome) -> Result<Status> {
    if outcome.interrupted {
        return Ok(Status::Interrupted);
    }
    outcome.read?;
    Ok(Status::Success)
}

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output")]
pub(crate) struct WriteError(#[source] io::Error);

/// What `grep` prints, from its command line.
pub(crate) struct GrepOpts {
    pub json: bool,
    pub max_count: Option<i64>,
    pub count: bool,
    pub files_with_matches: bool,
    pub window: usize,
    pub kill: bool,
}

/// The `grep` handler `o` asks for, writing to `out` (`live`: searching
/// each segment as it arrives).
pub(crate) fn grepper<W: Write>(
    re: regex::bytes::Regex,
    out: W,
    o: &GrepOpts,
    live: bool,
) -> Grepper<W> {
    let mut g = Grepper::new(
        re,
        out,
        o.json,
        o.window,
        o.max_count.map_or(u64::MAX, i64::unsigned_abs),
    );
    g.kill = o.kill;
    g.eager = o.kill || live;
    g.report = if o.count {
        grep::Report::Count
    } else if o.files_with_matches {
        grep::Report::Streams
    } else {
        grep::Report::Matches
    };
    g
}

pub fn run(opts: Opts) -> Result<Status> {
    let stop = Stop::install()?;
    match opts.command {
        Command::Streams {
            input,
            json,
            udp,
            community,
        } => {
            let run = open(&input, &stop)?;
            let mut out = Output::new(Stdout::new(run.is_live()));
            let seed = community.seed();
            let make = || {
                let mut p = StreamPrinter::new(Vec::new(), json, udp);
                p.community_id = seed;
                p
            };
            let (outcome, _) = drive(run, input.common.threads, make, &mut out)?;
            finish(&mut out, outcome)
        }
        Command::Dump { input, output } => {
            // The input first: a bad one leaves no directory behind.
            let run = open(&input, &stop)?;
            let index = Dumper::create(&output)?;
            let mut out = Output::new(index.index);
            let make = || Dumper::with_index(&output, Vec::new());
            let (outcome, dumpers) = drive(run, input.common.threads, make, &mut out)?;
            for d in dumpers {
                d.finish()?;
            }
            out.finish().map_err(|source| nids_host::dump::Error {
                path: output.join(nids_host::dump::INDEX),
                source,
            })?;
            status(outcome)
        }
        Command::Grep {
            pattern,
            input,
            json,
            max_count,
            ignore_case,
            count,
            files_with_matches,
            window,
            kill,
        } => {
            let re = grep::pattern_with(&pattern, ignore_case)
                .map_err(|e| BadRegex(pattern.clone(), e))?;
            let run = open(&input, &stop)?;
            let live = run.is_live();
            let threads = input.common.threads;
            if kill && live && threads > 1 {
                return Err("--kill on a live interface needs --threads 1".into());
            }
            let o = GrepOpts {
                json,
                max_count,
                count,
                files_with_matches,
                window,
                kill,
            };
            let make = || grepper(re.clone(), Vec::new(), &o, live);
            let mut out = Output::new(Stdout::new(live));
            let (outcome, greppers) = drive(run, threads, make, &mut out)?;
            let matches: u64 = greppers.iter().map(|g| g.matches).sum();
            let status = finish(&mut out, outcome)?;
            Ok(if matches == 0 && status == Status::Success {
                Status::NoMatch
            } else {
                status
            })
        }
        Command::Scan {
            input,
            json,
            udp_scans,
        } => {
            let mut run = open(&input, &stop)?;
            run.settings.engine.scan.udp = udp_scans;
            let mut out = Output::new(Stdout::new(run.is_live()));
            let make = || scan::Printer::new(Vec::new(), json);
            let (outcome, _) = drive::<(), _, _>(run, input.common.threads, make, &mut out)?;
            finish(&mut out, outcome)
        }
        Command::Split {
            capture,
            shards,
            output,
            key,
        } => crate::sharded::split(&capture, shards, &output, key),
        Command::Conn {
            input,
            json,
            format,
            community,
        } => {
            let run = open(&input, &stop)?;
            let mut out = Output::new(Stdout::new(run.is_live()));
            let format = match format {
                ConnFormat::Eve => conn::Format::Eve,
                ConnFormat::Zeek if json => conn::Format::Json,
                ConnFormat::Zeek => conn::Format::Tsv,
            };
            let seed = community.seed();
            let make = || conn::ConnPrinter::new(format, seed);
            let (outcome, mut printers) = drive::<(), _, _>(run, 1, make, &mut out)?;
            for p in &mut printers {
                p.finish();
                out.bytes(&p.out);
            }
            finish(&mut out, outcome)
        }
        Command::Stats { input, json } => {
            let run = open(&input, &stop)?;
            let start = WallClock::now();
            let mut sink = Output::new(io::sink());
            let make = || StreamPrinter::counting(Vec::new());
            let (outcome, printers) = drive(run, input.common.threads, make, &mut sink)?;
            let secs = start.elapsed().as_secs_f64();
            let streams = printers.iter().map(|p| p.streams).sum();
            let span = printers
                .iter()
                .filter_map(|p| p.span)
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
            let mut out = Output::new(Stdout::new(false));
            if json {
                out.line(format_args!(
                    "{}",
                    stats_json(&outcome.stats, streams, span, secs, outcome.kernel)
                ));
            } else {
                print_stats(&mut out, &outcome.stats, streams, secs);
                if let Some((packets, drops)) = outcome.kernel {
                    out.line(format_args!(
                        "kernel drops      {drops} of {packets} packets (af-packet rings full)"
                    ));
                }
            }
            finish(&mut out, outcome)
        }
    }
}

/// The regex given to `grep` is not valid.
#[derive(Debug, thiserror::Error)]
#[error("bad REGEX {0:?}")]
pub(crate) struct BadRegex(pub String, #[source] pub regex::Error);

/// `nids stats --json`: one object with every counter of [`Stats`] by its
/// name, every warning by code (zeros too, so the keys are the same every run), the streams reported, the first and last IP
/// packets' times (`ts`, `last_ts`, as every record's) and the wall-clock
/// seconds.
pub(crate) fn stats_json(
    st: &Stats,
    reported: u64,
    span: Option<(nids_core::Instant, nids_core::Instant)>,
    secs: f64,
    kernel: Option<(u64, u64)>,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("{\"kind\":\"stats\"");
    for (name, n) in st.counters().take(Stats::NAMES.len()) {
        let _ = write!(s, ",\"{name}\":{n}");
    }
    let _ = write!(s, ",\"streams\":{reported},\"warnings\":{{");
    for (i, w) in Warning::ALL.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(s, "{sep}\"{}\":{}", w.code(), st.warning(*w));
    }
    match span {
        Some((first, last)) => {
            let _ = write!(s, "}},\"ts\":{first},\"last_ts\":{last}");
        }
        None => s.push_str("},\"ts\":null,\"last_ts\":null"),
    }
    if let Some((packets, drops)) = kernel {
        // live capture on af-packet rings: what the kernel saw and dropped
        let _ = write!(s, ",\"kernel_packets\":{packets},\"kernel_drops\":{drops}");
    }
    let _ = write!(s, ",\"seconds\":{secs:.6}}}");
    s
}

pub(crate) fn print_stats<W: Write>(out: &mut Output<W>, st: &Stats, reported: u64, secs: f64) {
    out.line(format_args!("frames            {}", st.frames));
    out.line(format_args!("bytes             {}", st.bytes));
    out.line(format_args!("non-ip frames     {}", st.non_ip));
    out.line(format_args!("ipv4 / ipv6       {} / {}", st.ipv4, st.ipv6));
    out.line(format_args!("fragments         {}", st.fragments));
    out.line(format_args!("decapsulated      {}", st.decapsulated));
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

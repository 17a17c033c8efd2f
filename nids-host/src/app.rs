//! What each command does, given the parsed command line.

use std::error::Error;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant as WallClock;

use nids_core::{Config, Handler, Stats, Storage};
use nids_host::capture::CaptureFile;
use nids_host::dump::Dumper;
use nids_host::grep::{self, Grepper};
use nids_host::output::Output;
use nids_host::scan;
use nids_host::session::{Session, STREAM_CLASSES};
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
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::NoMatch => 1,
            Status::Error => 2,
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

/// Runs the engine over the input with `h`: the counters, and the read error
/// if the capture could not be read to its end (the streams are reported anyway).
fn drive<U, H: Handler<U>>(input: &Input, h: &mut H) -> Result<(Stats, Result<()>)> {
    let settings = config::settings(&input.common);
    let file = CaptureFile::open(&input.source)?;
    let mut memory = vec![0u8; settings.tcp_storage + config::DEFRAG_STORAGE];
    let (tcp, defrag) = memory.split_at_mut(settings.tcp_storage);
    let storage = Storage::new(tcp, defrag);
    let c = settings.engine;
    match settings.slots {
        n if n <= STREAM_CLASSES[0] => sized::<U, H, { STREAM_CLASSES[0] }>(file, c, storage, h),
        n if n <= STREAM_CLASSES[1] => sized::<U, H, { STREAM_CLASSES[1] }>(file, c, storage, h),
        n if n <= STREAM_CLASSES[2] => sized::<U, H, { STREAM_CLASSES[2] }>(file, c, storage, h),
        _ => sized::<U, H, { STREAM_CLASSES[3] }>(file, c, storage, h),
    }
}

/// [`drive`] with `S` stream slots.
fn sized<'a, U, H: Handler<U>, const S: usize>(
    file: CaptureFile,
    config: Config<'a>,
    storage: Storage<'a>,
    h: &mut H,
) -> Result<(Stats, Result<()>)> {
    let mut session = Session::<U, S>::from_file(file, config, storage)?;
    let bar = Progress::new(session.progress().map(|p| p.1));
    let result = loop {
        match session.dispatch(1024, h) {
            Ok(0) => break Ok(()),
            Ok(_) => bar.set(session.progress().map_or(0, |p| p.0)),
            Err(e) => break Err(e.into()),
        }
    };
    bar.finish();
    session.finish(h);
    Ok((session.stats(), result))
}

/// Ends a printing command: a write error other than a broken pipe is the
/// error; then the read error, if any.
fn finish<W: Write>(out: &mut Output<W>, read: Result<()>) -> Result<Status> {
    match out.finish() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Status::Success),
        Err(e) => return Err(Box::new(WriteError(e))),
        Ok(()) => {}
    }
    read.map(|()| Status::Success)
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
            let (_, read) = drive(&input, &mut p)?;
            let mut out = Output {
                w: p.out,
                error: p.error,
            };
            finish(&mut out, read)
        }
        Command::Dump { input, output } => {
            let mut d = Dumper::create(&output)?;
            let (_, read) = drive(&input, &mut d)?;
            d.finish()?;
            read.map(|()| Status::Success)
        }
        Command::Grep {
            pattern,
            input,
            json,
            max_count,
            window,
        } => {
            let re = grep::pattern(&pattern).map_err(|e| BadRegex(pattern.clone(), e))?;
            let mut g = Grepper::new(re, stdout(), json, window, max_count.unwrap_or(u64::MAX));
            let (_, read) = drive(&input, &mut g)?;
            let status = finish(&mut g.out, read)?;
            Ok(if g.matches == 0 && status == Status::Success {
                Status::NoMatch
            } else {
                status
            })
        }
        Command::Scan { input, json } => {
            let mut p = scan::Printer::new(stdout(), json);
            let (_, read) = drive::<(), _>(&input, &mut p)?;
            finish(&mut p.out, read)
        }
        Command::Stats { input } => {
            let start = WallClock::now();
            let mut p = StreamPrinter::counting(io::sink());
            let (st, read) = drive(&input, &mut p)?;
            let secs = start.elapsed().as_secs_f64();
            let mut out = Output::new(stdout());
            print_stats(&mut out, &st, p.streams, secs);
            finish(&mut out, read)
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

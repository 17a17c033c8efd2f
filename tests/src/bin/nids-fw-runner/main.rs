//! `nids-fw-runner`: feed a capture to the nids-embedded-example firmware running
//! in QEMU (board `lm3s6965evb` or `mps2-an385`), decode what the firmware logs
//! through defmt, and print it as JSON lines.
//!
//! ```text
//! nids-fw-runner [OPTIONS] CAPTURE.pcap
//!   --board NAME      lm3s6965evb (default) or mps2-an385
//!   --elf FILE        firmware ELF (default: $FW_DIR/nids-fw-BOARD, else the
//!                     release build under nids-embedded-example/target)
//!   --qemu BIN        QEMU binary (default: $QEMU, else qemu-system-arm)
//!   --check           also run the host engine (`nids streams --json`) over the
//!                     capture; fail unless streams and Stats are equal
//!   --irq             the firmware sleeps until the MAC's receive interrupt
//!                     instead of polling
//!   --icount          run QEMU with `-icount shift=0` and report instructions
//!                     (deterministic)
//!   --kill-port PORT  the firmware resets (kill()) every stream to PORT; every
//!                     frame it sends back must be one of the RST segments
//!   --max-fps N       send at most N frames a second (default: as fast as the
//!                     emulated MAC takes them)
//!   --window BYTES    flow-control window (default: 0 on lm3s6965evb, 8192 on
//!                     mps2-an385, whose MAC drops frames on a full FIFO)
//!   --timeout SECS    give up after SECS (default 60)
//! ```
//!
//! Standard output: one JSON line per TCP stream the firmware reports, with the
//! keys of `nids streams --json`; one `{"kind":"warning",…}` line per warning
//! the firmware logged (the first of each kind); the engine's `Stats`
//! (`"kind":"stats"`); the firmware's own counters and memory and time figures
//! (`"kind":"firmware"`, with `engine_insns`, `hash_insns` and `busy_insns` added under
//! `--icount`). Anything else the firmware logs goes to standard error. Exit
//! status 0 when all is well, 1 on any failure or mismatch, 2 for bad usage.
//!
//! How (see shared/reference/embedded-qemu.md): the runner listens on a unix
//! socket, starts QEMU with the MAC on a `-netdev stream` backend connected to
//! it and semihosting on stdout, decodes the defmt frames on stdout as they
//! come (`defmt-decoder`, with the table from the ELF), waits for `READY`, then
//! writes every frame of the capture (4-byte big-endian length + frame), each
//! preceded by a control frame carrying its timestamp (EtherType 0x88B5,
//! `TIM` + u64 µs), and finally an `END` control frame ([`qemu`] for the
//! pacing).

mod qemu;
mod report;

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_host::streams::StreamPrinter;

use qemu::{Board, Pace, BOARDS};
use report::Message;

struct Args {
    board: Board,
    elf: Option<PathBuf>,
    qemu: String,
    check: bool,
    irq: bool,
    icount: bool,
    kill_port: Option<u16>,
    max_fps: u32,
    window: Option<usize>,
    timeout: Duration,
    capture: PathBuf,
}

const USAGE: &str = "usage: nids-fw-runner [--board lm3s6965evb|mps2-an385] [--elf FILE] \
[--qemu BIN] [--check] [--irq] [--icount] [--kill-port PORT] [--max-fps N] [--window BYTES] \
[--timeout SECS] CAPTURE.pcap";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        board: BOARDS[0],
        elf: None,
        qemu: std::env::var("QEMU").unwrap_or_else(|_| "qemu-system-arm".into()),
        check: false,
        irq: false,
        icount: false,
        kill_port: None,
        max_fps: 0,
        window: None,
        timeout: Duration::from_secs(60),
        capture: PathBuf::new(),
    };
    let mut capture = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--board" => {
                let v = value("--board")?;
                a.board = *BOARDS
                    .iter()
                    .find(|b| b.name == v)
                    .ok_or(format!("unknown board {v:?}"))?;
            }
            "--elf" => a.elf = Some(value("--elf")?.into()),
            "--qemu" => a.qemu = value("--qemu")?,
            "--check" => a.check = true,
            "--irq" => a.irq = true,
            "--icount" => a.icount = true,
            "--kill-port" => {
                let v = value("--kill-port")?;
                a.kill_port = Some(v.parse().map_err(|_| format!("bad port {v:?}"))?);
            }
            "--max-fps" => {
                let v = value("--max-fps")?;
                a.max_fps = v.parse().map_err(|_| format!("bad rate {v:?}"))?;
            }
            "--window" => {
                let v = value("--window")?;
                a.window = Some(v.parse().map_err(|_| format!("bad window {v:?}"))?);
            }
            "--timeout" => {
                let v = value("--timeout")?;
                let s: u64 = v.parse().map_err(|_| format!("bad timeout {v:?}"))?;
                a.timeout = Duration::from_secs(s);
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if capture.is_some() => return Err("one capture only".into()),
            _ => capture = Some(PathBuf::from(arg)),
        }
    }
    a.capture = capture.ok_or("no capture given")?;
    Ok(a)
}

/// The firmware ELF for `board`: `--elf`, else `$FW_DIR/nids-fw-BOARD`, else
/// the release build in the source tree.
fn elf_path(a: &Args) -> PathBuf {
    let name = format!("nids-fw-{}", a.board.name);
    if let Some(e) = &a.elf {
        return e.clone();
    }
    match std::env::var_os("FW_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join(name),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../nids-embedded-example/target/thumbv7m-none-eabi/release")
            .join(name),
    }
}

/// The value of `"key":NUMBER` in a flat JSON line.
/// A string value of a flat JSON line (no escapes in it).
fn json_str(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let at = line.find(&pat)? + pat.len();
    let len = line[at..].find('"')?;
    Some(line[at..at + len].to_owned())
}

fn json_u64(line: &str, key: &str) -> Option<u64> {
    let pat = format!("\"{key}\":");
    let at = line.find(&pat)? + pat.len();
    let digits: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// What one run of the firmware gave.
#[derive(Default)]
struct Run {
    streams: Vec<String>,
    warnings: Vec<String>,
    warning_codes: Vec<String>,
    stats: Option<String>,
    firmware: Option<String>,
    done: bool,
    panicked: bool,
    other: Vec<String>,
    returned: Vec<Vec<u8>>,
    syns: u32,
    exit: Option<std::process::ExitStatus>,
    stderr: String,
    timed_out: bool,
    errors: Vec<String>,
}

impl Run {
    /// File one decoded message.
    fn take(&mut self, m: Message) {
        let kind = m.text.split_whitespace().next().unwrap_or("");
        let line = match (m.level.as_str(), kind) {
            ("ERROR", _) => {
                self.panicked |= m.text.starts_with("PANIC");
                self.other.push(m.text);
                return;
            }
            (_, "tcp") => report::stream_line(&m.args).map(|l| self.streams.push(l)),
            (_, "warning") => report::warning_line(&m.args).map(|l| {
                self.warnings.push(l);
                self.warning_codes.extend(m.args.first().cloned());
            }),
            (_, "stats") => report::stats_line(&m.args).map(|l| self.stats = Some(l)),
            (_, "firmware") => report::firmware_line(&m.text).map(|l| self.firmware = Some(l)),
            (_, "DONE") => {
                self.done = true;
                Ok(())
            }
            _ => {
                self.other.push(m.text);
                Ok(())
            }
        };
        if let Err(e) = line {
            self.errors
                .push(format!("undecodable firmware message: {e}"));
        }
    }
}

/// Frames to send, with what the firmware should count.
struct Plan {
    frames: Vec<Vec<u8>>,
    data_frames: u64,
    delivered: u64,
    oversized: u64,
    undersized: u64,
    control_frames: u64,
}

fn plan(file: &CaptureFile, board: &Board, kill_port: Option<u16>) -> Result<Plan, String> {
    let mut p = Plan {
        frames: Vec::new(),
        data_frames: 0,
        delivered: 0,
        oversized: 0,
        undersized: 0,
        control_frames: 0,
    };
    if let Some(port) = kill_port {
        let mut c = b"KIL".to_vec();
        c.extend_from_slice(&port.to_be_bytes());
        p.frames.push(qemu::control(&c));
        p.control_frames += 1;
    }
    for pkt in file.packets() {
        let pkt = pkt.map_err(|e| format!("{}: {e}", file.path().display()))?;
        if pkt.link_type != 1 {
            return Err(format!(
                "{}: link type {} (the firmware's MAC takes Ethernet frames only)",
                file.path().display(),
                pkt.link_type
            ));
        }
        let mut c = b"TIM".to_vec();
        c.extend_from_slice(&pkt.ts_us.to_be_bytes());
        p.frames.push(qemu::control(&c));
        p.control_frames += 1;
        p.frames.push(pkt.data.to_vec());
        p.data_frames += 1;
        if pkt.data.len() > board.max_frame {
            p.oversized += 1;
        } else if pkt.data.len() < board.min_frame {
            p.undersized += 1;
        } else {
            p.delivered += 1;
        }
    }
    p.frames.push(qemu::control(b"END"));
    p.control_frames += 1;
    Ok(p)
}

fn run(a: &Args, elf: &Path, plan: &Plan) -> Result<Run, String> {
    let elf_bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let sock = qemu::socket_path();
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    let result = run_with(a, elf, elf_bytes, plan, &listener, &sock);
    let _ = std::fs::remove_file(&sock);
    result
}

fn run_with(
    a: &Args,
    elf: &Path,
    elf_bytes: Vec<u8>,
    plan: &Plan,
    listener: &UnixListener,
    sock: &Path,
) -> Result<Run, String> {
    let deadline = Instant::now() + a.timeout;
    let mut child = qemu::spawn(&a.qemu, &a.board, elf, sock, a.irq, a.icount)
        .map_err(|e| format!("cannot start {}: {e}", a.qemu))?;
    // Decode QEMU's stdout all the time: a QEMU blocked in a semihosting
    // write stops reading the socket, and our writes would block.
    let (tx, messages) = mpsc::channel::<Message>();
    let stdout = child.stdout.take().expect("piped");
    let out_thread = thread::spawn(move || {
        report::decode(&elf_bytes, stdout, |m| {
            let _ = tx.send(m);
        })
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_thread = thread::spawn(move || {
        let mut s = String::new();
        let _ = io::Read::read_to_string(&mut stderr, &mut s);
        s
    });

    let outcome = feed(a, plan, listener, &mut child, &messages, deadline);
    // Wait for the firmware to exit, or kill QEMU at the deadline (SIGKILL:
    // SIGTERM is not served while the vCPU is stuck in a semihosting call).
    let mut timed_out = false;
    let exit = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if Instant::now() > deadline || outcome.is_err() => {
                timed_out = outcome.is_ok();
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let decoded = out_thread
        .join()
        .unwrap_or_else(|_| Err("the decoder thread panicked".into()));
    let stderr = err_thread.join().unwrap_or_default();
    let (early, conn) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let mut msg = e;
            for m in messages.try_iter() {
                let _ = write!(msg, "\n  firmware: {}", m.text);
            }
            if let Err(d) = decoded {
                let _ = write!(msg, "\n  {d}");
            }
            if !stderr.trim().is_empty() {
                let _ = write!(msg, "\n  qemu stderr: {}", stderr.trim());
            }
            return Err(msg);
        }
    };
    let _ = conn.sock.shutdown(std::net::Shutdown::Both);
    let mut r = Run {
        returned: conn.reader.join().unwrap_or_default(),
        syns: conn.syns,
        exit,
        stderr,
        timed_out,
        ..Run::default()
    };
    if let Err(e) = decoded {
        r.errors.push(e);
    }
    for m in early.into_iter().chain(messages.try_iter()) {
        r.take(m);
    }
    Ok(r)
}

struct Conn {
    sock: UnixStream,
    reader: thread::JoinHandle<Vec<Vec<u8>>>,
    syns: u32,
}

/// Connect, wait for READY, send everything. Returns the messages read so far.
fn feed(
    a: &Args,
    plan: &Plan,
    listener: &UnixListener,
    child: &mut Child,
    messages: &mpsc::Receiver<Message>,
    deadline: Instant,
) -> Result<(Vec<Message>, Conn), String> {
    let sock = qemu::accept(listener, child, deadline)?;
    let mut early = Vec::new();
    // Frames sent before the receiver is on are dropped: wait for READY.
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match messages.recv_timeout(left) {
            Ok(m) => {
                let ready = m.text.starts_with("READY");
                early.push(m);
                if ready {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err("the firmware did not log READY in time".into())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let seen: Vec<&str> = early.iter().map(|m| m.text.as_str()).collect();
                return Err(format!("QEMU exited before READY: {seen:?}"));
            }
        }
    }
    let rd = sock.try_clone().map_err(|e| e.to_string())?;
    let (ack_tx, acks) = mpsc::channel();
    let reader = thread::spawn(move || qemu::read_frames(rd, ack_tx));
    let ws = sock.try_clone().map_err(|e| e.to_string())?;
    let pace = &Pace {
        max_fps: a.max_fps,
        window: a.window.unwrap_or(a.board.window),
        deadline,
    };
    // Write from a thread, so a firmware that stops reading cannot hold the
    // runner past the deadline: QEMU is killed then, and the write fails.
    let sent = thread::scope(|sc| {
        let writer = sc.spawn(move || {
            qemu::send(
                &plan.frames,
                pace,
                &acks,
                &mut BufWriter::with_capacity(64 * 1024, ws),
            )
        });
        while !writer.is_finished() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = sock.shutdown(std::net::Shutdown::Both);
                let _ = writer.join();
                return Err("timed out while sending frames: QEMU killed".to_string());
            }
            thread::sleep(Duration::from_millis(2));
        }
        match writer.join() {
            Ok(Ok(syns)) => Ok(syns),
            Ok(Err(e)) => Err(format!("sending to QEMU: {e}")),
            Err(_) => Err("the writer thread panicked".into()),
        }
    });
    let syns = sent?;
    Ok((early, Conn { sock, reader, syns }))
}

/// Whether `f` is one of the RST segments of `kill()`: Ethernet, IPv4 or IPv6,
/// TCP with exactly the RST flag.
fn is_rst(f: &[u8]) -> bool {
    let tcp = match f.get(12..14) {
        Some([0x08, 0x00]) => f.get(14).map(|b| 14 + usize::from(b & 0x0f) * 4),
        Some([0x86, 0xdd]) => Some(14 + 40),
        _ => None,
    };
    tcp.and_then(|t| f.get(t + 13))
        .is_some_and(|flags| *flags == 0x04)
}

/// Which lines only one side has (the first few of each).
fn diff(host: &[String], fw: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut msg = format!(
        "streams differ from the host's ({} on the host, {} from the firmware):",
        host.len(),
        fw.len()
    );
    for (side, a, b) in [("host only:    ", host, fw), ("firmware only:", fw, host)] {
        let only: Vec<&String> = a.iter().filter(|l| !b.contains(l)).collect();
        for l in only.iter().take(SHOWN) {
            let _ = write!(msg, "\n  {side} {l}");
        }
        if only.len() > SHOWN {
            let _ = write!(msg, "\n  {side} … {} more", only.len() - SHOWN);
        }
    }
    if host.len() == fw.len() && host.iter().all(|l| fw.contains(l)) {
        msg.push_str("\n  (same lines, in a different order)");
    }
    msg
}

/// The firmware's stats line without its `scan.table_full` count: its scan table
/// holds 2 sources (RAM), the host's 256, so only that warning may differ.
fn without_scan_table_full(line: &str) -> String {
    let Some(at) = line.find("\"scan.table_full\":") else {
        return line.to_owned();
    };
    let end = line[at..].find([',', '}']).map_or(line.len(), |e| at + e);
    let (mut head, mut tail) = (line[..at].to_owned(), &line[end..]);
    if tail.starts_with(',') {
        tail = &tail[1..];
    } else if head.ends_with(',') {
        head.pop();
    }
    head + tail
}

/// The host engine's settings for a firmware of profile `profile` (the
/// `firmware` line's `profile=`) with `tcp_pool` bytes of TCP storage: the
/// full profile is compared with the host's defaults (its limits are not
/// reached by the captures the tests use); the minimal one with what it was
/// built with (nids-embedded-example/src/config.rs): 16 slots, its TCP
/// storage and queue limits, no tunnel decoders, no scan detection. (IPv6
/// and defragmentation cannot be left out of the host's build: captures
/// with IPv6 or fragments differ by design, the firmware warning
/// `engine.feature_disabled`.)
fn host_config(
    profile: Option<&str>,
    tcp_pool: Option<u64>,
) -> (nids_core::Config<'static>, Option<usize>) {
    let mut c = nids_core::Config::new();
    if profile != Some("minimal") {
        return (c, None);
    }
    c.tcp.block_size = 256;
    c.tcp.max_queue = 2 * 1024;
    c.tcp.max_kept = 1024;
    c.tcp.max_streams = Some(16);
    c.tunnels = nids_core::tunnel::Config::off();
    c.scan.num_ports = 0;
    (c, tcp_pool.map(|n| n as usize))
}

fn host_run(capture: &Path, fw: &str) -> Result<(Vec<String>, String), String> {
    let file = CaptureFile::open(capture).map_err(|e| e.to_string())?;
    let mut p = StreamPrinter::new(Vec::new(), true, false);
    let (config, pool) = host_config(json_str(fw, "profile").as_deref(), json_u64(fw, "tcp_pool"));
    let stats = match pool {
        None => run_file(&file, config, &mut p).map_err(|e| e.to_string())?,
        Some(bytes) => {
            let mut tcp = vec![0u8; bytes];
            let storage = nids_core::Storage::new(&mut tcp[..], &mut [][..]);
            let mut session = nids_host::session::Session::from_file_ref(&file, config, storage)
                .map_err(|e| e.to_string())?;
            session.run(&mut p).map_err(|e| e.to_string())?
        }
    };
    let streams = String::from_utf8(p.out)
        .map_err(|e| e.to_string())?
        .lines()
        .map(str::to_owned)
        .collect();
    Ok((streams, report::stats_json(stats.counters())))
}

/// Instructions from SysTick ticks, given the ticks of the firmware's
/// 2,000,000-instruction calibration loop (meaningful under `-icount`).
fn instructions(ticks: u64, calibration: u64) -> u64 {
    if calibration == 0 {
        return 0;
    }
    (u128::from(ticks) * 2_000_000 / u128::from(calibration)) as u64
}

/// Add `engine_insns`, `hash_insns` and `busy_insns` to the firmware line.
fn with_instructions(fw: &str) -> String {
    let cal = json_u64(fw, "calibration_ticks").unwrap_or(0);
    let mut line = fw.strip_suffix('}').unwrap_or(fw).to_owned();
    for what in ["engine", "hash", "busy"] {
        let n = instructions(json_u64(fw, &format!("{what}_ticks")).unwrap_or(0), cal);
        let _ = write!(line, ",\"{what}_insns\":{n}");
    }
    line + "}"
}

/// Every check of one run; the errors found.
fn check(a: &Args, plan: &Plan, r: &Run) -> Vec<String> {
    let mut errors = r.errors.clone();
    if r.timed_out {
        errors.push(format!(
            "timed out after {} s: QEMU killed",
            a.timeout.as_secs()
        ));
    }
    match r.exit {
        Some(st) if st.success() => {}
        Some(st) => errors.push(format!("QEMU exited with {st}")),
        None => errors.push("QEMU's exit status is unknown".into()),
    }
    if r.panicked {
        errors.push("the firmware panicked".into());
    }
    if !r.done {
        errors.push("no DONE from the firmware".into());
    }
    let (Some(st), Some(fw)) = (&r.stats, &r.firmware) else {
        errors.push("no stats or firmware message from the firmware".into());
        return errors;
    };
    if json_u64(st, "frames") != Some(plan.delivered) {
        errors.push(format!(
            "the engine saw {:?} frames, {} were delivered",
            json_u64(st, "frames"),
            plan.delivered
        ));
    }
    let control = plan.control_frames + u64::from(r.syns);
    if json_u64(fw, "control_frames") != Some(control) {
        errors.push(format!(
            "the firmware saw {:?} control frames, {control} were sent",
            json_u64(fw, "control_frames"),
        ));
    }
    if json_u64(fw, "acks") != Some(u64::from(r.syns)) {
        errors.push(format!(
            "{} SYN frames sent, the firmware answered {:?}",
            r.syns,
            json_u64(fw, "acks")
        ));
    }
    if a.board.counts_oversized
        && plan.oversized > 0
        && json_u64(fw, "rx_overruns").unwrap_or(0) == 0
    {
        errors.push("oversized frames were sent but no overrun was counted".into());
    }
    // Every warning counted was logged once, and no other.
    let logged = &r.warning_codes;
    let counted: Vec<String> = st
        .split("\"warnings\":{")
        .nth(1)
        .unwrap_or("")
        .split(',')
        .filter_map(|kv| kv.split('"').nth(1).map(str::to_owned))
        .collect();
    let (mut l, mut c) = (logged.clone(), counted);
    c.retain(|w| !w.is_empty());
    l.sort();
    c.sort();
    if l != c || json_u64(fw, "warnings_logged") != Some(logged.len() as u64) {
        errors.push(format!(
            "warnings logged {l:?} differ from the warnings counted {c:?}"
        ));
    }
    let killed = json_u64(fw, "killed").unwrap_or(0);
    let rst = r.returned.iter().filter(|f| is_rst(f)).count() as u64;
    if rst != r.returned.len() as u64 {
        errors.push(format!(
            "{} of the {} frames sent back are not RST segments",
            r.returned.len() as u64 - rst,
            r.returned.len()
        ));
    }
    if rst != 4 * killed || json_u64(fw, "tx_frames") != Some(rst + u64::from(r.syns)) {
        errors.push(format!(
            "{killed} streams killed, so 4 × {killed} RST frames expected; {rst} came back"
        ));
    }
    if a.kill_port.is_some() && killed == 0 {
        errors.push("--kill-port given but no stream was killed".into());
    }
    if a.check {
        match host_run(&a.capture, fw) {
            Ok((streams, stats)) => {
                if streams != r.streams {
                    errors.push(diff(&streams, &r.streams));
                }
                if without_scan_table_full(st) != stats {
                    errors.push(format!(
                        "Stats differ from the host's:\n  host:     {stats}\n  firmware: {st}"
                    ));
                }
                if errors.is_empty() {
                    eprintln!(
                        "nids-fw-runner: check passed: {} streams and Stats equal to the host's",
                        streams.len()
                    );
                }
            }
            Err(e) => errors.push(format!("host run: {e}")),
        }
    }
    errors
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("nids-fw-runner: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let plan = match CaptureFile::open(&a.capture)
        .map_err(|e| e.to_string())
        .and_then(|f| plan(&f, &a.board, a.kill_port))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("nids-fw-runner: {e}");
            return ExitCode::from(2);
        }
    };
    let elf = elf_path(&a);
    if !elf.is_file() {
        eprintln!(
            "nids-fw-runner: no firmware at {} (build it: cd nids-embedded-example && cargo build --release)",
            elf.display()
        );
        return ExitCode::FAILURE;
    }
    let t0 = Instant::now();
    let mut r = match run(&a, &elf, &plan) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nids-fw-runner: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    if a.icount {
        r.firmware = r.firmware.as_deref().map(with_instructions);
    }

    let mut stdout = io::stdout().lock();
    for l in r
        .streams
        .iter()
        .chain(&r.warnings)
        .chain(&r.stats)
        .chain(&r.firmware)
    {
        let _ = writeln!(stdout, "{l}");
    }
    let _ = stdout.flush();
    for l in &r.other {
        eprintln!("firmware: {l}");
    }
    eprintln!(
        "nids-fw-runner: {}: {} frames sent ({} data, {} over {} bytes, {} under {} bytes, {} control, {} SYN) in {secs:.2} s; {} frames came back",
        a.board.name,
        plan.frames.len() as u64 + u64::from(r.syns),
        plan.data_frames,
        plan.oversized,
        a.board.max_frame,
        plan.undersized,
        a.board.min_frame,
        plan.control_frames,
        r.syns,
        r.returned.len()
    );

    let errors = check(&a, &plan, &r);
    if errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    if !r.stderr.trim().is_empty() {
        eprintln!("qemu stderr: {}", r.stderr.trim());
    }
    for e in &errors {
        eprintln!("nids-fw-runner: FAILED: {e}");
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::without_scan_table_full as strip;

    #[test]
    fn strips_only_the_scan_table_count() {
        assert_eq!(
            strip(r#"{"a":1,"warnings":{"scan.table_full":3}}"#),
            r#"{"a":1,"warnings":{}}"#
        );
        assert_eq!(
            strip(r#"{"warnings":{"scan.table_full":3,"tcp.gap":1}}"#),
            r#"{"warnings":{"tcp.gap":1}}"#
        );
        assert_eq!(
            strip(r#"{"warnings":{"tcp.gap":1,"scan.table_full":3}}"#),
            r#"{"warnings":{"tcp.gap":1}}"#
        );
        assert_eq!(strip(r#"{"warnings":{}}"#), r#"{"warnings":{}}"#);
    }

    #[test]
    fn instructions_from_ticks() {
        assert_eq!(super::instructions(50_000, 50_000), 2_000_000);
        assert_eq!(super::instructions(1, 0), 0);
    }
}

//! `nids-fw-runner`: feed a capture to the nids-embedded-example firmware running
//! in QEMU (`lm3s6965evb`), and print what the firmware reports.
//!
//! ```text
//! nids-fw-runner [OPTIONS] CAPTURE.pcap
//!   --elf FILE        firmware ELF (default: $FW_ELF, else the release build
//!                     under nids-embedded-example/target)
//!   --qemu BIN        QEMU binary (default: $QEMU, else qemu-system-arm)
//!   --check           also run the host engine (`nids streams --json`) over the
//!                     capture; fail unless streams and Stats are equal
//!   --irq             the firmware sleeps until the MAC's receive interrupt
//!                     instead of polling
//!   --kill-port PORT  the firmware resets (kill()) every stream to PORT; every
//!                     frame it sends back must be one of the RST segments
//!   --max-fps N       send at most N frames a second (default: as fast as the
//!                     emulated MAC takes them)
//!   --timeout SECS    give up after SECS (default 60)
//! ```
//!
//! Standard output: one JSON line per TCP stream the firmware reports, with the
//! keys of `nids streams --json`, then the engine's `Stats` (`"kind":"stats"`) and
//! the firmware's own counters and memory figures (`"kind":"firmware"`). Anything
//! else the firmware prints goes to standard error. Exit status 0 when all is
//! well, 1 on any failure or mismatch, 2 for bad usage.
//!
//! How (see shared/reference/embedded-qemu.md): the runner listens on a unix
//! socket, starts QEMU with the MAC on a `-netdev stream` backend connected to
//! it and semihosting on stdout, waits for the firmware's `READY`, then writes
//! every frame of the capture (4-byte big-endian length + frame), each preceded
//! by a control frame carrying its timestamp (EtherType 0x88B5, `TIM` + u64 µs),
//! and finally an `END` control frame. The emulated MAC stops reading the socket
//! while its 31-frame FIFO is full, so nothing is lost and the rate is bounded by
//! the firmware. Frames of 2,042 bytes or more do not fit a FIFO slot: QEMU drops
//! them and the firmware counts an overrun.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nids_core::Stats;
use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_host::streams::StreamPrinter;

/// Largest frame QEMU's Stellaris model delivers.
const MAX_DELIVERED: usize = 2041;
/// EtherType of the control frames.
const CONTROL_TYPE: [u8; 2] = [0x88, 0xb5];
/// Source address of the control frames (locally administered).
const CONTROL_SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

struct Args {
    elf: PathBuf,
    qemu: String,
    check: bool,
    irq: bool,
    kill_port: Option<u16>,
    max_fps: u32,
    timeout: Duration,
    capture: PathBuf,
}

const USAGE: &str = "usage: nids-fw-runner [--elf FILE] [--qemu BIN] [--check] [--irq] \
[--kill-port PORT] [--max-fps N] [--timeout SECS] CAPTURE.pcap";

fn parse_args() -> Result<Args, String> {
    let default_elf = std::env::var_os("FW_ELF")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(
                "../nids-embedded-example/target/thumbv7m-none-eabi/release/nids-embedded-example",
            )
        });
    let mut a = Args {
        elf: default_elf,
        qemu: std::env::var("QEMU").unwrap_or_else(|_| "qemu-system-arm".into()),
        check: false,
        irq: false,
        kill_port: None,
        max_fps: 0,
        timeout: Duration::from_secs(60),
        capture: PathBuf::new(),
    };
    let mut capture = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--elf" => a.elf = value("--elf")?.into(),
            "--qemu" => a.qemu = value("--qemu")?,
            "--check" => a.check = true,
            "--irq" => a.irq = true,
            "--kill-port" => {
                let v = value("--kill-port")?;
                a.kill_port = Some(v.parse().map_err(|_| format!("bad port {v:?}"))?);
            }
            "--max-fps" => {
                let v = value("--max-fps")?;
                a.max_fps = v.parse().map_err(|_| format!("bad rate {v:?}"))?;
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

/// A control frame to the firmware.
fn control(payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&CONTROL_SRC);
    f.extend_from_slice(&CONTROL_TYPE);
    f.extend_from_slice(payload);
    f
}

/// The engine's counters as the firmware prints them (`tap::print_stats`).
fn stats_json(s: &Stats) -> String {
    let mut o = String::from("{\"kind\":\"stats\"");
    for (name, n) in s.counters().take(Stats::NAMES.len()) {
        let _ = write!(o, ",\"{name}\":{n}");
    }
    o.push_str(",\"warnings\":{");
    for (i, (w, n)) in s.nonzero_warnings().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(o, "{sep}\"{}\":{n}", w.code());
    }
    o.push_str("}}");
    o
}

/// The value of `"key":NUMBER` in a flat JSON line.
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
struct Run {
    streams: Vec<String>,
    stats: Option<String>,
    firmware: Option<String>,
    done: bool,
    other: Vec<String>,
    returned: Vec<Vec<u8>>,
    exit: Option<std::process::ExitStatus>,
    stderr: String,
    timed_out: bool,
}

/// Frames to send, with what the firmware should count.
struct Plan {
    frames: Vec<Vec<u8>>,
    data_frames: u64,
    delivered: u64,
    oversized: u64,
    control_frames: u64,
}

fn plan(file: &CaptureFile, kill_port: Option<u16>) -> Result<Plan, String> {
    let mut p = Plan {
        frames: Vec::new(),
        data_frames: 0,
        delivered: 0,
        oversized: 0,
        control_frames: 0,
    };
    if let Some(port) = kill_port {
        let mut c = b"KIL".to_vec();
        c.extend_from_slice(&port.to_be_bytes());
        p.frames.push(control(&c));
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
        p.frames.push(control(&c));
        p.control_frames += 1;
        p.frames.push(pkt.data.to_vec());
        p.data_frames += 1;
        if pkt.data.len() > MAX_DELIVERED {
            p.oversized += 1;
        } else {
            p.delivered += 1;
        }
    }
    p.frames.push(control(b"END"));
    p.control_frames += 1;
    Ok(p)
}

/// A unix socket path short enough for `sun_path` (108 bytes).
fn socket_path() -> PathBuf {
    let name = format!(
        "nids-fw-{}-{}.sock",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let tmp = std::env::temp_dir().join(&name);
    if tmp.as_os_str().len() < 100 {
        tmp
    } else {
        PathBuf::from("/tmp").join(name)
    }
}

fn spawn_qemu(a: &Args, sock: &Path) -> io::Result<Child> {
    let mut semi = String::from("enable=on,target=native,arg=nids-embedded-example");
    if a.irq {
        semi.push_str(",arg=irq");
    }
    Command::new(&a.qemu)
        .args(["-M", "lm3s6965evb", "-nographic", "-monitor", "none"])
        .args(["-serial", "none", "-semihosting-config", &semi])
        .arg("-netdev")
        .arg(format!(
            "stream,id=n0,server=off,addr.type=unix,addr.path={}",
            sock.display()
        ))
        .args(["-net", "nic,netdev=n0,model=stellaris", "-kernel"])
        .arg(&a.elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Accept QEMU's connection, polling so a QEMU that died is noticed.
fn accept(l: &UnixListener, child: &mut Child, deadline: Instant) -> Result<UnixStream, String> {
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("accept: {e}")),
        }
        if let Ok(Some(st)) = child.try_wait() {
            return Err(format!("QEMU exited ({st}) before connecting its NIC"));
        }
        if Instant::now() > deadline {
            return Err("QEMU did not connect its NIC in time".into());
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Read the frames the firmware sends out of its MAC until EOF.
fn read_frames(mut s: UnixStream) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut len = [0u8; 4];
    while s.read_exact(&mut len).is_ok() {
        let mut f = vec![0u8; u32::from_be_bytes(len) as usize];
        if s.read_exact(&mut f).is_err() {
            break;
        }
        out.push(f);
    }
    out
}

fn run(a: &Args, plan: &Plan) -> Result<Run, String> {
    let sock = socket_path();
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    let result = run_with(a, plan, &listener, &sock);
    let _ = std::fs::remove_file(&sock);
    result
}

fn run_with(a: &Args, plan: &Plan, listener: &UnixListener, sock: &Path) -> Result<Run, String> {
    let start = Instant::now();
    let deadline = start + a.timeout;
    let mut child = spawn_qemu(a, sock).map_err(|e| format!("cannot start {}: {e}", a.qemu))?;
    // Drain QEMU's stdout and stderr all the time: a QEMU blocked in a
    // semihosting write stops reading the socket, and our writes would block.
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    let out_thread = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_thread = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let outcome = feed(a, plan, listener, &mut child, &lines, deadline);
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
    let _ = out_thread.join();
    let stderr = err_thread.join().unwrap_or_default();
    let (early, conn) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let mut msg = e;
            for l in lines.try_iter() {
                let _ = write!(msg, "\n  firmware: {l}");
            }
            if !stderr.trim().is_empty() {
                let _ = write!(msg, "\n  qemu stderr: {}", stderr.trim());
            }
            return Err(msg);
        }
    };
    let _ = conn.sock.shutdown(std::net::Shutdown::Both);
    let returned = conn.reader.join().unwrap_or_default();

    let mut r = Run {
        streams: Vec::new(),
        stats: None,
        firmware: None,
        done: false,
        other: Vec::new(),
        returned,
        exit,
        stderr,
        timed_out,
    };
    for line in early.into_iter().chain(lines.try_iter()) {
        if line.starts_with("{\"kind\":\"tcp\"") {
            r.streams.push(line);
        } else if line.starts_with("{\"kind\":\"stats\"") {
            r.stats = Some(line);
        } else if line.starts_with("{\"kind\":\"firmware\"") {
            r.firmware = Some(line);
        } else if line == "DONE" {
            r.done = true;
        } else {
            r.other.push(line);
        }
    }
    Ok(r)
}

struct Conn {
    sock: UnixStream,
    reader: thread::JoinHandle<Vec<Vec<u8>>>,
}

/// Connect, wait for READY, send everything. Returns the lines read so far.
fn feed(
    a: &Args,
    plan: &Plan,
    listener: &UnixListener,
    child: &mut Child,
    lines: &mpsc::Receiver<String>,
    deadline: Instant,
) -> Result<(Vec<String>, Conn), String> {
    let sock = accept(listener, child, deadline)?;
    let mut early = Vec::new();
    // Frames sent before the receiver is on are dropped: wait for READY.
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => {
                let ready = l.starts_with("READY");
                early.push(l);
                if ready {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err("the firmware did not print READY in time".into())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(format!("QEMU exited before READY: {early:?}"))
            }
        }
    }
    let rd = sock.try_clone().map_err(|e| e.to_string())?;
    let reader = thread::spawn(move || read_frames(rd));
    let ws = sock.try_clone().map_err(|e| e.to_string())?;
    // Write from a thread, so a firmware that stops reading cannot hold the
    // runner past the deadline: QEMU is killed then, and the write fails.
    let sent = thread::scope(|sc| {
        let writer = sc.spawn(move || send(a, plan, &mut BufWriter::with_capacity(64 * 1024, ws)));
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
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("sending to QEMU: {e}")),
            Err(_) => Err("the writer thread panicked".into()),
        }
    });
    sent?;
    Ok((early, Conn { sock, reader }))
}

/// Write every frame of `plan` (4-byte big-endian length, then the frame).
fn send(a: &Args, plan: &Plan, w: &mut impl Write) -> io::Result<()> {
    let start = Instant::now();
    let mut sent_data = 0u64;
    for f in &plan.frames {
        let is_data =
            f.get(12..14) != Some(&CONTROL_TYPE[..]) || f.get(6..12) != Some(&CONTROL_SRC[..]);
        if is_data && a.max_fps > 0 {
            let due = start + Duration::from_secs_f64(sent_data as f64 / f64::from(a.max_fps));
            w.flush()?;
            if let Some(d) = due.checked_duration_since(Instant::now()) {
                thread::sleep(d);
            }
        }
        w.write_all(&(f.len() as u32).to_be_bytes())?;
        w.write_all(f)?;
        if is_data {
            sent_data += 1;
        }
    }
    w.flush()
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

fn host_run(capture: &Path) -> Result<(Vec<String>, String), String> {
    let file = CaptureFile::open(capture).map_err(|e| e.to_string())?;
    let mut p = StreamPrinter::new(Vec::new(), true, false);
    let stats = run_file(&file, nids_core::Config::new(), &mut p).map_err(|e| e.to_string())?;
    let streams = String::from_utf8(p.out)
        .map_err(|e| e.to_string())?
        .lines()
        .map(str::to_owned)
        .collect();
    Ok((streams, stats_json(&stats)))
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
    let file = match CaptureFile::open(&a.capture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("nids-fw-runner: {e}");
            return ExitCode::from(2);
        }
    };
    let plan = match plan(&file, a.kill_port) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("nids-fw-runner: {e}");
            return ExitCode::from(2);
        }
    };
    if !a.elf.is_file() {
        eprintln!(
            "nids-fw-runner: no firmware at {} (build it: cd nids-embedded-example && cargo build --release)",
            a.elf.display()
        );
        return ExitCode::FAILURE;
    }
    let t0 = Instant::now();
    let r = match run(&a, &plan) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nids-fw-runner: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = t0.elapsed().as_secs_f64();

    let mut stdout = io::stdout().lock();
    for l in r.streams.iter().chain(&r.stats).chain(&r.firmware) {
        let _ = writeln!(stdout, "{l}");
    }
    let _ = stdout.flush();
    for l in &r.other {
        eprintln!("firmware: {l}");
    }
    eprintln!(
        "nids-fw-runner: {} frames sent ({} data, {} over {MAX_DELIVERED} bytes, {} control) in {secs:.2} s; {} frames came back",
        plan.frames.len(),
        plan.data_frames,
        plan.oversized,
        plan.control_frames,
        r.returned.len()
    );

    let mut errors = Vec::new();
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
    if r.other.iter().any(|l| l.starts_with("PANIC")) {
        errors.push("the firmware panicked".into());
    }
    if !r.done {
        errors.push("no DONE line from the firmware".into());
    }
    match (&r.stats, &r.firmware) {
        (Some(st), Some(fw)) => {
            if json_u64(st, "frames") != Some(plan.delivered) {
                errors.push(format!(
                    "the engine saw {:?} frames, {} were delivered",
                    json_u64(st, "frames"),
                    plan.delivered
                ));
            }
            if json_u64(fw, "control_frames") != Some(plan.control_frames) {
                errors.push(format!(
                    "the firmware saw {:?} control frames, {} were sent",
                    json_u64(fw, "control_frames"),
                    plan.control_frames
                ));
            }
            if plan.oversized > 0 && json_u64(fw, "rx_overruns").unwrap_or(0) == 0 {
                errors.push("oversized frames were sent but no overrun was counted".into());
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
            if rst != 4 * killed || json_u64(fw, "tx_frames") != Some(rst) {
                errors.push(format!(
                    "{killed} streams killed, so 4 × {killed} RST frames expected; {rst} came back"
                ));
            }
            if a.kill_port.is_some() && killed == 0 {
                errors.push("--kill-port given but no stream was killed".into());
            }
        }
        _ => errors.push("no stats or firmware line from the firmware".into()),
    }
    if a.check {
        match host_run(&a.capture) {
            Ok((streams, stats)) => {
                if streams != r.streams {
                    errors.push(diff(&streams, &r.streams));
                }
                let fw_stats = r.stats.as_deref().map(without_scan_table_full);
                if fw_stats.as_deref() != Some(stats.as_str()) {
                    errors.push(format!(
                        "Stats differ from the host's:\n  host:     {stats}\n  firmware: {}",
                        r.stats.as_deref().unwrap_or("-")
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
}

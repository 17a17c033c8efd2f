//! Running the firmware in QEMU: the board's command line, the unix socket the
//! MAC is attached to, and sending frames with optional flow control.
//!
//! Flow control (`window` > 0): QEMU's LAN9118 model drops frames when its
//! 10,560-byte receive FIFO is full, and QEMU feeds it as fast as the socket
//! gives. So the runner sends frames in chunks of at most `window / 2` FIFO
//! bytes, ends each chunk with a `SYN` + u32 control frame, and before sending
//! chunk k + 1 waits for the firmware's `ACK` of chunk k - 1: at most `window`
//! bytes are ever on their way. The Stellaris model pushes back on the socket
//! by itself, so that board runs without a window.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// EtherType of the control frames.
pub const CONTROL_TYPE: [u8; 2] = [0x88, 0xb5];
/// Source address of the runner's control frames (locally administered).
pub const CONTROL_SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
/// Frames per chunk at most (the LAN9118 keeps 176 receive status words).
const CHUNK_FRAMES: usize = 64;

/// A QEMU board the firmware runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Board {
    /// `-M` name, also the firmware binary's suffix.
    pub name: &'static str,
    /// `-net nic,model=…`.
    pub nic: &'static str,
    /// Shortest frame the emulated MAC delivers; shorter ones are dropped.
    pub min_frame: usize,
    /// Longest frame the emulated MAC delivers; longer ones are dropped.
    pub max_frame: usize,
    /// Whether the MAC reports a dropped oversized frame (an overrun).
    pub counts_oversized: bool,
    /// Default flow-control window in FIFO bytes (0: none needed).
    pub window: usize,
}

/// The boards, by name.
pub const BOARDS: [Board; 2] = [
    Board {
        name: "lm3s6965evb",
        nic: "stellaris",
        min_frame: 0,
        max_frame: 2041,
        counts_oversized: true,
        window: 0,
    },
    Board {
        name: "mps2-an385",
        nic: "lan9118",
        min_frame: 14,
        max_frame: 2047,
        counts_oversized: false,
        window: 8192,
    },
];

/// A control frame to the firmware.
pub fn control(payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&CONTROL_SRC);
    f.extend_from_slice(&CONTROL_TYPE);
    f.extend_from_slice(payload);
    f
}

/// Whether `f` is a control frame from the runner.
pub fn is_control(f: &[u8]) -> bool {
    f.get(12..14) == Some(&CONTROL_TYPE[..]) && f.get(6..12) == Some(&CONTROL_SRC[..])
}

/// The sequence number of an `ACK` frame from the firmware.
fn ack_of(f: &[u8]) -> Option<u32> {
    if f.get(..6) != Some(&CONTROL_SRC[..]) || f.get(12..17) != Some(&b"\x88\xb5ACK"[..]) {
        return None;
    }
    Some(u32::from_be_bytes(f.get(17..21)?.try_into().ok()?))
}

/// A unix socket path short enough for `sun_path` (108 bytes).
pub fn socket_path() -> PathBuf {
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

/// Start QEMU: `board`, the firmware `elf`, the MAC on `sock` (QEMU connects),
/// semihosting (the defmt log) on stdout. `irq`: the firmware receives by
/// interrupt. `icount`: deterministic instruction counting (`-icount shift=0`:
/// 1 ns of virtual time per instruction).
pub fn spawn(
    qemu: &str,
    board: &Board,
    elf: &Path,
    sock: &Path,
    irq: bool,
    icount: bool,
) -> io::Result<Child> {
    let mut semi = String::from("enable=on,target=native,arg=nids-embedded-example");
    if irq {
        semi.push_str(",arg=irq");
    }
    let mut c = Command::new(qemu);
    c.args(["-M", board.name, "-nographic", "-monitor", "none"])
        .args(["-serial", "none", "-semihosting-config", &semi]);
    if icount {
        c.args(["-icount", "shift=0"]);
    }
    c.arg("-netdev")
        .arg(format!(
            "stream,id=n0,server=off,addr.type=unix,addr.path={}",
            sock.display()
        ))
        .arg("-net")
        .arg(format!("nic,netdev=n0,model={}", board.nic))
        .arg("-kernel")
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Accept QEMU's connection, polling so a QEMU that died is noticed.
pub fn accept(
    l: &UnixListener,
    child: &mut Child,
    deadline: Instant,
) -> Result<UnixStream, String> {
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

/// Read the frames the firmware sends out of its MAC until EOF: `ACK`s go to
/// `acks`, every other frame is returned.
pub fn read_frames(mut s: UnixStream, acks: mpsc::Sender<u32>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut len = [0u8; 4];
    while s.read_exact(&mut len).is_ok() {
        let mut f = vec![0u8; u32::from_be_bytes(len) as usize];
        if s.read_exact(&mut f).is_err() {
            break;
        }
        match ack_of(&f) {
            Some(n) => {
                let _ = acks.send(n);
            }
            None => out.push(f),
        }
    }
    out
}

/// Bytes a frame takes in the LAN9118's receive FIFO (frame + FCS, in words).
fn fifo_cost(f: &[u8]) -> usize {
    (f.len() + 4).div_ceil(4) * 4
}

/// How the frames are sent.
pub struct Pace {
    /// At most this many data frames a second (0: no limit).
    pub max_fps: u32,
    /// Flow-control window in FIFO bytes (0: none).
    pub window: usize,
    /// Give up waiting for an `ACK` at this time.
    pub deadline: Instant,
}

/// Write every frame (4-byte big-endian length, then the frame), paced.
/// Returns how many `SYN` frames were added.
pub fn send(
    frames: &[Vec<u8>],
    pace: &Pace,
    acks: &mpsc::Receiver<u32>,
    w: &mut impl Write,
) -> io::Result<u32> {
    let start = Instant::now();
    let (mut sent_data, mut syns, mut acked) = (0u64, 0u32, 0u32);
    let (mut chunk_bytes, mut chunk_frames) = (0usize, 0usize);
    let write = |w: &mut dyn Write, f: &[u8]| -> io::Result<()> {
        w.write_all(&(f.len() as u32).to_be_bytes())?;
        w.write_all(f)
    };
    for f in frames {
        if pace.window > 0
            && (chunk_bytes + fifo_cost(f) > pace.window / 2 || chunk_frames == CHUNK_FRAMES)
        {
            let mut syn = b"SYN".to_vec();
            syn.extend_from_slice(&syns.to_be_bytes());
            write(w, &control(&syn))?;
            w.flush()?;
            syns += 1;
            (chunk_bytes, chunk_frames) = (0, 0);
            // Chunk `syns - 1` is on its way: wait until the one before it
            // was handled.
            while syns >= 2 && acked < syns - 1 {
                let left = pace.deadline.saturating_duration_since(Instant::now());
                match acks.recv_timeout(left) {
                    Ok(n) => acked = acked.max(n + 1),
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("no ACK for SYN {} from the firmware", syns - 2),
                        ))
                    }
                }
            }
        }
        if !is_control(f) && pace.max_fps > 0 {
            let due = start + Duration::from_secs_f64(sent_data as f64 / f64::from(pace.max_fps));
            w.flush()?;
            if let Some(d) = due.checked_duration_since(Instant::now()) {
                thread::sleep(d);
            }
        }
        write(w, f)?;
        chunk_bytes += fifo_cost(f);
        chunk_frames += 1;
        if !is_control(f) {
            sent_data += 1;
        }
    }
    w.flush()?;
    Ok(syns)
}

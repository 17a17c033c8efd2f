//! How `nids` reads its input: standard input as a stream (each stream printed
//! as soon as it ends, memory bounded, Ctrl-C and SIGTERM reporting the open
//! streams), gzip and zstd captures, several captures and `-r`, and the
//! checksum default on a capture taken with checksum offload.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn nids() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nids"))
}

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path)
}

fn run(args: &[&str]) -> Output {
    nids().args(args).output().expect("nids runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// The records of a classic pcap file: its 24-byte header and each record
/// (16-byte header and data).
fn records(pcap: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let (head, mut rest) = pcap.split_at(24);
    let mut recs = Vec::new();
    while rest.len() >= 16 {
        let caplen = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        let (r, tail) = rest.split_at(16 + caplen);
        recs.push(r);
        rest = tail;
    }
    (head, recs)
}

/// Lines of a child's stdout, as they come, on a channel.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

/// Spawns `nids args` reading standard input from a pipe.
fn piped(args: &[&str]) -> (Child, ChildStdin, mpsc::Receiver<String>) {
    let mut child = nids()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let lines = lines_of(&mut child);
    (child, stdin, lines)
}

/// Each stream read from a pipe is printed as soon as its last packet has
/// been written, while the writer still holds the pipe open: nothing waits
/// for the end of the input, and standard output is flushed per record.
#[test]
fn test_stdin_prints_each_stream_as_it_ends() {
    let pcap = std::fs::read(data("crafted/reorder.pcap")).unwrap();
    let (head, recs) = records(&pcap);
    let all = text(&run(&["streams", data("crafted/reorder.pcap").to_str().unwrap()]).stdout);
    let all: Vec<&str> = all.lines().collect();
    assert!(all.len() >= 2, "{all:?}");
    let (mut child, mut stdin, lines) = piped(&["streams", "-"]);
    stdin.write_all(head).unwrap();
    let mut seen = Vec::new();
    let mut written = 0;
    for r in &recs {
        stdin.write_all(r).unwrap();
        written += 1;
        stdin.flush().unwrap();
        // Whatever is due after this record shows up quickly.
        while let Ok(l) = lines.recv_timeout(Duration::from_millis(150)) {
            seen.push(l);
        }
        if seen.len() == 1 {
            break;
        }
    }
    assert_eq!(seen, all[..1], "the first stream, before the input ended");
    assert!(written < recs.len());
    for r in &recs[written..] {
        stdin.write_all(r).unwrap();
    }
    drop(stdin);
    let rest: Vec<String> = lines.iter().collect();
    assert_eq!(seen.len() + rest.len(), all.len());
    assert_eq!(rest, all[1..]);
    assert!(child.wait().unwrap().success());
}

/// SIGINT or SIGTERM while `nids` waits for more input on a pipe (the writer
/// still holds it open): the open streams are reported as `exiting`, and the
/// exit status is 130.
#[test]
fn test_signal_reports_open_streams() {
    let pcap = std::fs::read(data("real/http.pcap")).unwrap();
    let (head, recs) = records(&pcap);
    for signal in ["-INT", "-TERM"] {
        let (mut child, mut stdin, lines) = piped(&["streams", "-"]);
        stdin.write_all(head).unwrap();
        // The first half: some streams have ended, others are open.
        for r in &recs[..recs.len() / 2] {
            stdin.write_all(r).unwrap();
        }
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "{signal}: nids did not stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        let out: Vec<String> = lines.iter().collect();
        assert_eq!(status.code(), Some(130), "{signal}: {out:?}");
        assert!(out.iter().any(|l| l.ends_with(" close")), "{out:?}");
        assert!(out.iter().any(|l| l.ends_with(" exiting")), "{out:?}");
    }
}

/// Linux's peak resident memory of a process so far, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 256 MiB through standard input: memory stays far below the input's size.
#[test]
#[cfg(target_os = "linux")]
fn test_stdin_memory_is_bounded() {
    const MIB: usize = 128;
    let (child, mut stdin, _lines) = piped(&["stats", "-"]);
    let pcap = std::fs::read(data("crafted/many.pcap")).unwrap();
    let (head, recs) = records(&pcap);
    let mut body = Vec::new();
    for r in &recs {
        body.extend_from_slice(r);
    }
    stdin.write_all(head).unwrap();
    let mut written = 0;
    while written < MIB << 20 {
        stdin.write_all(&body).unwrap();
        written += body.len();
    }
    stdin.flush().unwrap();
    // Everything was taken from the pipe but what the pipe holds: the peak
    // so far is the run's.
    let peak = peak_rss_kib(child.id());
    eprintln!("peak {peak} KiB for {MIB} MiB of input");
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(
        peak < ((MIB as u64) << 10) / 4,
        "peak {peak} KiB for {MIB} MiB of input"
    );
}

/// A gzip and a zstd capture read directly (found from their first bytes,
/// whatever their names), from files and from standard input, give what the
/// plain capture gives.
#[test]
fn test_compressed_captures() {
    let plain_path = data("real/http.pcap");
    let plain = std::fs::read(&plain_path).unwrap();
    let expected = run(&["streams", "--json", plain_path.to_str().unwrap()]);
    assert!(expected.status.success());
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let zst =
        ruzstd::encoding::compress_to_vec(&plain[..], ruzstd::encoding::CompressionLevel::Fastest);
    for (name, bytes) in [
        ("http.pcap.gz", &gz),
        ("http.pcap.zst", &zst),
        ("noext", &gz),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = run(&["streams", "--json", path.to_str().unwrap()]);
        assert_eq!(text(&o.stderr), "", "{name}");
        assert_eq!(text(&o.stdout), text(&expected.stdout), "{name}");
        let mut child = nids()
            .args(["streams", "--json", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = bytes.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes).unwrap());
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(text(&o.stdout), text(&expected.stdout), "{name} on stdin");
    }
    // Compressed text is not a capture: said in one line.
    let txt = dir.path().join("notes.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"hello, world").unwrap();
    std::fs::write(&txt, gz.finish().unwrap()).unwrap();
    let o = run(&["stats", txt.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "nids: {}: not a pcap or pcapng file inside its gzip compression (it starts with 68 65 6c 6c)\n",
            txt.display()
        )
    );
}

/// Several captures, given as SOURCEs or with `-r`, are read one after the
/// other as one stream of packets: their streams come in order, and a stream
/// still open at the end of the first capture goes on in the second.
#[test]
fn test_several_captures() {
    let a = data("crafted/reorder.pcap");
    let b = data("crafted/resets.pcap");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let one = |p: &str| text(&run(&["streams", p]).stdout);
    let both = format!("{}{}", one(a), one(b));
    assert_eq!(text(&run(&["streams", a, b]).stdout), both);
    assert_eq!(text(&run(&["streams", "-r", a, "-r", b]).stdout), both);
    assert_eq!(text(&run(&["streams", "-r", a, b]).stdout), both);

    // One capture cut in two: the streams are those of the whole.
    let pcap = std::fs::read(data("real/http.pcap")).unwrap();
    let (head, recs) = records(&pcap);
    let dir = tempfile::tempdir().unwrap();
    let half = recs.len() / 2;
    for (name, part) in [("1.pcap", &recs[..half]), ("2.pcap", &recs[half..])] {
        let mut f = head.to_vec();
        part.iter().for_each(|r| f.extend_from_slice(r));
        std::fs::write(dir.path().join(name), f).unwrap();
    }
    let whole = one(data("real/http.pcap").to_str().unwrap());
    let parts = run(&[
        "streams",
        dir.path().join("1.pcap").to_str().unwrap(),
        dir.path().join("2.pcap").to_str().unwrap(),
    ]);
    assert_eq!(text(&parts.stdout), whole);
}

/// The capture made by `tests/data/real/make-captures.sh offload`, on a Linux
/// host whose veth leaves transmit checksums to an offload that never
/// happens: the default (`--checksum auto`) gives its three streams, silently;
/// `--checksum verify` gives none, and one stderr line names the option.
#[test]
fn test_offload_capture_with_defaults() {
    let cap = data("real/offload.pcap");
    let cap = cap.to_str().unwrap();
    let o = run(&["streams", cap]);
    assert_eq!(text(&o.stderr), "");
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().all(|l| l.ends_with(" close")), "{out}");
    assert!(out.contains("STC: 20203B"), "{out}");
    let st = text(&run(&["stats", cap]).stdout);
    assert!(
        st.contains("tcp streams       3 (3 established, 3 reported)"),
        "{st}"
    );

    let o = run(&["streams", "--checksum", "verify", cap]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "");
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("nids: 40 of 40 TCP segments failed their checksum")
            && err.contains("`--checksum auto`"),
        "{err}"
    );
    // A capture whose checksums are right: no word about them.
    let o = run(&[
        "streams",
        "--checksum",
        "verify",
        data("real/http.pcap").to_str().unwrap(),
    ]);
    assert_eq!(text(&o.stderr), "");
}

/// IPv4 headers left unfilled (macOS loopback): the default gives the
/// stream; `--checksum verify` none, and the stderr line covers IP headers.
#[test]
fn test_unfilled_ipv4_headers_hint() {
    let cap = data("offload/ip-zero.pcap");
    let cap = cap.to_str().unwrap();
    let o = run(&["streams", cap]);
    assert_eq!(text(&o.stderr), "");
    assert!(text(&o.stdout).ends_with(" close\n"), "{}", text(&o.stdout));
    let o = run(&["streams", "--checksum", "verify", cap]);
    assert_eq!(text(&o.stdout), "");
    let err = text(&o.stderr);
    assert!(
        err.starts_with("nids: 11 of 11 IPv4 headers failed their checksum"),
        "{err}"
    );
    assert!(err.contains("`--checksum auto`") && err.contains("IPv4 headers left unfilled"));
}

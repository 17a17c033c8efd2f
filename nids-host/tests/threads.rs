//! `--threads N` prints byte for byte what `--threads 1` prints, for every
//! command, over every bundled capture (link types, tunnels, a capture taken
//! with checksum offload among them) and `multiflow.pcap` (many host pairs,
//! fragments, scans, IPv6; see `tests/data/make.py`), and reads every input
//! one engine reads (several captures, standard input, gzip), stopping on
//! SIGINT or SIGTERM as one engine does.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `nids args` (with a fixed shard key when `key` is given); returns the
/// exit status and stdout, with `stats`' throughput line (a wall-clock figure)
/// left out.
fn nids(args: &[&str], key: Option<&str>) -> (Option<i32>, String) {
    nids_via(args, key, false)
}

/// [`nids`], with the frames of mapped files read by one reader thread that
/// hands them to the shards (`NIDS_SHARD_READER`, the path of pipes and live
/// captures) when `reader`, instead of by each shard walking the file.
fn nids_via(args: &[&str], key: Option<&str>, reader: bool) -> (Option<i32>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nids"));
    c.args(args).current_dir(root());
    if let Some(k) = key {
        c.env("NIDS_SHARD_KEY", k);
    }
    if reader {
        c.env("NIDS_SHARD_READER", "1");
    }
    let o = c.output().expect("nids runs");
    let out = String::from_utf8(o.stdout).expect("utf-8 output");
    let out: String = out
        .lines()
        .filter(|l| !l.starts_with("throughput"))
        .map(|l| format!("{l}\n"))
        .collect();
    (o.status.code(), out)
}

/// Every bundled capture, relative to the workspace root.
fn captures() -> Vec<String> {
    let mut v = Vec::new();
    for dir in [
        "tests/data/real",
        "tests/data/crafted",
        "tests/data/links",
        "tests/data/tunnels",
        "nids-host/tests/data",
    ] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "pcap") {
                v.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    v.sort();
    assert!(v.len() >= 60, "{v:?}");
    assert!(v.contains(&"tests/data/real/offload.pcap".to_owned()));
    v
}

/// The engine options a capture is run with by `command`: `many.pcap` has
/// 2000 streams open at once, more than one engine's default table holds;
/// limits are per engine, so it is compared with a table that holds them all.
/// The tunnel options reach every engine.
fn options(command: &str, capture: &str) -> Vec<&'static str> {
    let mut o = vec![];
    if command == "scan" {
        o.push("--udp-scans");
    }
    if capture.ends_with("vxlan-8472.pcap") {
        o.extend(["--vxlan-ports", "8472"]);
    }
    if capture.ends_with("many.pcap") {
        o.extend(["--streams", "4096"]);
    }
    if capture.ends_with("multiflow.pcap") {
        o.extend(["--idle-timeout", "10"]);
    }
    o
}

/// The printing commands, as argument lists before the options and capture.
const COMMANDS: &[&[&str]] = &[
    &["streams"],
    &["streams", "--json", "--udp"],
    &["scan"],
    &["scan", "--json"],
    &["grep", "(?i)(get|http|ok|req|reply)"],
    &["grep", "--json", "-m", "2", "[a-z]+"],
    &["stats"],
];

#[test]
fn test_threads_print_the_same_for_every_command() {
    for cap in captures() {
        for cmd in COMMANDS {
            let opts = options(cmd[0], &cap);
            let mut args: Vec<&str> = cmd.to_vec();
            args.extend(&opts);
            args.push(&cap);
            let one = nids(&args, None);
            assert!(matches!(one.0, Some(0 | 1)), "{args:?}: {one:?}");
            // Shards walking the file themselves, and (for 2) fed by a reader.
            for (t, reader) in [("2", false), ("3", false), ("4", false), ("2", true)] {
                let mut a = args.clone();
                a.extend(["--threads", t]);
                let many = nids_via(&a, None, reader);
                assert!(
                    one == many,
                    "{a:?} (reader thread: {reader}) differs from --threads 1:\n--- 1\n{}\n--- {t}\n{}",
                    one.1,
                    many.1
                );
            }
        }
    }
}

/// Every file of a dump directory, with its contents.
fn dump(cap: &str, threads: &str) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_owned();
    let mut args = vec!["dump", cap, "-o", &out, "--threads", threads];
    args.extend(options("dump", cap));
    let (status, _) = nids(&args, None);
    assert_eq!(status, Some(0), "{args:?}");
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn test_threads_dump_the_same() {
    for cap in captures() {
        let one = dump(&cap, "1");
        for t in ["2", "3", "4"] {
            assert!(one == dump(&cap, t), "{cap}: dump --threads {t} differs");
        }
    }
}

/// `multiflow.pcap` really is spread: with 4 shards every shard gets frames,
/// the scanner's probes land in several, and non-IP frames are counted.
#[test]
fn test_multiflow_is_spread_over_shards() {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nids"));
    c.args([
        "stats",
        "--threads",
        "4",
        "nids-host/tests/data/multiflow.pcap",
    ])
    .env("NIDS_SHARD_REPORT", "1")
    .env("NIDS_SHARD_KEY", "000102030405060708090a0b0c0d0e0f")
    .current_dir(root());
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("4 shards"), "{err}");
    assert!(err.contains("5 without an IP pair"), "{err}");
    let frames = err.split('[').nth(1).unwrap().split(']').next().unwrap();
    assert!(
        frames.split(", ").all(|n| n.parse::<u64>().unwrap() > 50),
        "{err}"
    );
}

#[test]
fn test_threads_auto_and_bad_values() {
    let cap = "tests/data/real/http.pcap";
    let one = nids(&["streams", cap], None);
    assert_eq!(one, nids(&["streams", "--threads", "auto", cap], None));
    for bad in ["0", "x", "1025"] {
        let (status, _) = nids(&["streams", "--threads", bad, cap], None);
        assert_eq!(status, Some(2), "--threads {bad}");
    }
}

/// Runs `nids args` with `stdin` on its standard input; the exit status and
/// stdout.
fn nids_stdin(args: &[&str], stdin: Vec<u8>) -> (Option<i32>, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&stdin).unwrap());
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (o.status.code(), String::from_utf8(o.stdout).unwrap())
}

/// Several captures (`-r` and SOURCEs, mapped and gzip-compressed mixed),
/// and standard input (plain and gzip), give with N engines what they give
/// with one.
#[test]
fn test_threads_read_every_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(root().join("tests/data/real/http.pcap")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let gz_path = dir.path().join("http.pcap.gz");
    std::fs::write(&gz_path, &gz).unwrap();
    let gz_path = gz_path.to_str().unwrap();
    let a = "tests/data/crafted/reorder.pcap";
    let b = "nids-host/tests/data/multiflow.pcap";
    let runs: &[&[&str]] = &[
        &["streams", "--json", "--udp", a, b],
        &["streams", "-r", b, "-r", gz_path, a],
        &["grep", "-c", "[a-z]+", gz_path, b],
        &["scan", "--udp-scans", b, a, b],
    ];
    for args in runs {
        let one = nids(args, None);
        assert!(!one.1.is_empty(), "{args:?}");
        for t in ["2", "3"] {
            let mut many: Vec<&str> = args.to_vec();
            many.extend(["--threads", t]);
            assert_eq!(one, nids(&many, None), "{many:?}");
            assert_eq!(one, nids_via(&many, None, true), "{many:?}, reader thread");
        }
    }
    for input in [plain, gz] {
        let one = nids_stdin(&["streams", "--json", "-"], input.clone());
        assert_eq!(one.0, Some(0));
        assert!(!one.1.is_empty());
        for t in ["2", "4"] {
            let many = nids_stdin(&["streams", "--json", "--threads", t, "-"], input.clone());
            assert_eq!(one, many, "--threads {t} on standard input");
        }
    }
}

/// SIGINT or SIGTERM while N engines wait for more input on a pipe: every
/// engine's open streams are reported as `exiting`, in one engine's order,
/// and the exit status is 130.
#[test]
fn test_threads_signal_reports_open_streams() {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let pcap = std::fs::read(root().join("nids-host/tests/data/multiflow.pcap")).unwrap();
    // The header and about the first half of the records.
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= pcap.len() && at < pcap.len() / 2 {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
        n += 1;
    }
    assert!(n > 100);
    let half = pcap[..at].to_vec();
    let mut outs = Vec::new();
    for (signal, threads) in [("-INT", "1"), ("-INT", "3"), ("-TERM", "2")] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nids"))
            .args(["streams", "--threads", threads, "-"])
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&half).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{signal}: nids did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(stdin);
        let o = child.wait_with_output().unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        assert_eq!(o.status.code(), Some(130), "{signal} --threads {threads}");
        assert!(out.lines().any(|l| l.ends_with(" exiting")), "{out}");
        outs.push(out);
    }
    assert_eq!(outs[0], outs[1], "--threads 3");
    assert_eq!(outs[0], outs[2], "--threads 2");
}

/// How a crafted segment's TCP checksum is set.
#[derive(Clone, Copy)]
enum Sum {
    /// Right.
    Good,
    /// The pseudo-header sum a sender with checksum offload leaves.
    Offload,
    /// Wrong, and not the offload signature.
    Bad,
}

/// An Ethernet/IPv4/TCP frame from `src:sport` to `dst:dport`.
fn tcp_frame(
    (src, sport): ([u8; 4], u16),
    (dst, dport): ([u8; 4], u16),
    (seq, ack, flags): (u32, u32, u8),
    sum: Sum,
) -> Vec<u8> {
    use nids_core::ip::checksum;
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&sport.to_be_bytes());
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    let pseudo = checksum::pseudo_header(src.into(), dst.into(), 6, tcp.len() as u32);
    let field = match sum {
        Sum::Good => !(checksum::combine(pseudo, checksum::sum(&tcp)) as u16),
        Sum::Offload => pseudo as u16,
        Sum::Bad => (pseudo as u16) ^ 0x0101,
    };
    tcp[16..18].copy_from_slice(&field.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&(20 + tcp.len() as u16).to_be_bytes());
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let h = !(checksum::sum(&ip) as u16);
    ip[10..12].copy_from_slice(&h.to_be_bytes());
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
    frame.extend(ip);
    frame.extend(tcp);
    frame
}

/// A classic pcap of `frames`, one a millisecond.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for (i, fr) in frames.iter().enumerate() {
        f.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        f.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(fr);
    }
    f
}

/// `--checksum auto` decides per engine. A sender confirmed as offloading
/// (its peer answered) has its checksums no longer verified at all in that
/// engine; a sender's flows to other peers may lie in other shards, which have
/// not confirmed it. Offloaded segments (the signature) are accepted
/// everywhere, so captures taken on an offloading host agree (offload.pcap is
/// in the list above); only a confirmed sender's segments that fail without
/// the signature (corrupt ones) differ: one engine accepts them, a shard
/// that has not seen the confirmation drops them. This test shows both.
#[test]
fn test_checksum_auto_is_decided_per_engine() {
    use nids_core::LinkType;
    use nids_host::shard::ShardKey;
    const KEY: &str = "000102030405060708090a0b0c0d0e0f";
    let key = ShardKey::new(u128::from_str_radix(KEY, 16).unwrap().to_le_bytes(), 2);
    let s = [10, 9, 0, 1];
    let p1 = [10, 9, 0, 2];
    let shard = |p: [u8; 4]| {
        let f = tcp_frame((s, 1), (p, 80), (0, 0, 0x02), Sum::Good);
        key.shard(LinkType::ETHERNET, &f).index()
    };
    // A second peer whose flows go to the other shard.
    let p2 = (3..=250)
        .map(|i| [10, 9, 0, i])
        .find(|&p| shard(p) != shard(p1))
        .unwrap();
    let (syn, synack, ack) = (0x02, 0x12, 0x10);
    let capture = |second: Sum| {
        pcap(&[
            // S offloads to P1; P1's answer confirms S.
            tcp_frame((s, 1000), (p1, 80), (100, 0, syn), Sum::Offload),
            tcp_frame((p1, 80), (s, 1000), (500, 101, synack), Sum::Good),
            tcp_frame((s, 1000), (p1, 80), (101, 501, ack), Sum::Offload),
            // Then S to P2, whose flow hashes to the other shard.
            tcp_frame((s, 1001), (p2, 80), (200, 0, syn), second),
            tcp_frame((p2, 80), (s, 1001), (700, 201, synack), Sum::Good),
            tcp_frame((s, 1001), (p2, 80), (201, 701, ack), second),
        ])
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, second: Sum, threads: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, capture(second)).unwrap();
        let path = path.to_str().unwrap().to_owned();
        nids(&["streams", "--threads", threads, &path], Some(KEY))
            .1
            .lines()
            .count()
    };
    // Offloaded both times (the signature): the same.
    assert_eq!(run("offload.pcap", Sum::Offload, "1"), 2);
    assert_eq!(run("offload.pcap", Sum::Offload, "2"), 2);
    // Right checksums to P2: the same.
    assert_eq!(run("good.pcap", Sum::Good, "1"), 2);
    assert_eq!(run("good.pcap", Sum::Good, "2"), 2);
    // Corrupt segments from the confirmed sender to P2: one engine accepts
    // them (S is confirmed), the other shard has not confirmed S and drops them.
    assert_eq!(run("corrupt.pcap", Sum::Bad, "1"), 2);
    assert_eq!(run("corrupt.pcap", Sum::Bad, "2"), 1);
}

/// With N engines too, each stream read from a pipe is printed as soon as its
/// last packet has been written, while the writer still holds the pipe open:
/// the reader hands on what it holds before it waits for input.
#[test]
fn test_threads_print_each_stream_of_a_pipe_as_it_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::time::Duration;
    let cap = "tests/data/crafted/reorder.pcap";
    let all = nids(&["streams", cap], None).1;
    let all: Vec<&str> = all.lines().collect();
    assert!(all.len() >= 2, "{all:?}");
    let pcap = std::fs::read(root().join(cap)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(["streams", "--threads", "2", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap()).is_err() {
                return;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&pcap[..24]).unwrap();
    let mut at = 24;
    let mut seen = Vec::new();
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        stdin.write_all(&pcap[at..at + 16 + caplen]).unwrap();
        stdin.flush().unwrap();
        at += 16 + caplen;
        while let Ok(l) = lines.recv_timeout(Duration::from_millis(150)) {
            seen.push(l);
        }
    }
    // Every stream of the capture ended by its last packet: all printed
    // before the input ends.
    assert_eq!(seen, all, "printed while the pipe was open");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

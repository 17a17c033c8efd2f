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
    let mut c = Command::new(env!("CARGO_BIN_EXE_nids"));
    c.args(args).current_dir(root());
    if let Some(k) = key {
        c.env("NIDS_SHARD_KEY", k);
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
            for t in ["2", "3", "4"] {
                let mut a = args.clone();
                a.extend(["--threads", t]);
                let many = nids(&a, None);
                assert!(
                    one == many,
                    "{a:?} differs from --threads 1:\n--- 1\n{}\n--- {t}\n{}",
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

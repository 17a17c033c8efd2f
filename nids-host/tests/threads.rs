//! `--threads N` prints byte for byte what `--threads 1` prints, for every
//! command, over every bundled capture and `multiflow.pcap` (many host pairs,
//! fragments, scans, IPv6; see `tests/data/make.py`).

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
    assert!(v.len() >= 18, "{v:?}");
    v
}

/// The engine options a capture is run with: `many.pcap` has 2000 streams open
/// at once, more than one engine's default table holds; limits are per engine,
/// so it is compared with a table that holds them all.
fn options(capture: &str) -> Vec<&'static str> {
    let mut o = vec!["--udp-scans"];
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
        let opts = options(&cap);
        for cmd in COMMANDS {
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
    args.extend(options(cap));
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

//! The `nids` binary: error cases (one line, exit status 2), usage errors (clap's
//! exit status 2), `--help` of every command, and a broken pipe (exit status 0).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built `nids` binary.
fn nids() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nids"))
}

/// `tests/data/crafted/<name>` of the workspace.
fn crafted(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/crafted")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    nids().args(args).output().expect("nids runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts exit status 2 and exactly one stderr line, containing `needle`, and no
/// panic or backtrace.
fn assert_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("nids: "), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
}

/// A classic pcap (µs, little endian) of link type `link` with these records.
fn pcap(link: u32, records: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0xa1b2_c3d4u32.to_le_bytes());
    b.extend(2u16.to_le_bytes());
    b.extend(4u16.to_le_bytes());
    b.extend([0; 8]);
    b.extend(65535u32.to_le_bytes());
    b.extend(link.to_le_bytes());
    for (i, r) in records.iter().enumerate() {
        b.extend((1_700_000_000 + i as u32).to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend((r.len() as u32).to_le_bytes());
        b.extend((r.len() as u32).to_le_bytes());
        b.extend(*r);
    }
    b
}

#[test]
fn test_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap");
    for cmd in ["streams", "stats"] {
        let o = run(&[cmd, missing.to_str().unwrap()]);
        assert_error(
            &o,
            "missing.pcap: cannot read the capture file: No such file or directory",
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn test_not_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "GET / HTTP/1.1\r\n").unwrap();
    let o = run(&["streams", text.to_str().unwrap()]);
    assert_error(
        &o,
        "notes.txt: not a pcap or pcapng file (it starts with 47 45 54 20)",
    );
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, "").unwrap();
    let o = run(&["streams", empty.to_str().unwrap()]);
    assert_error(&o, "empty.pcap: not a pcap or pcapng file (it is empty)");
}

#[test]
fn test_truncated_header() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &pcap(1, &[])[..10]).unwrap();
    let o = run(&["streams", cut.to_str().unwrap()]);
    assert_error(
        &o,
        "cut.pcap: truncated capture: the file header needs 24 bytes but the file has only 10",
    );
}

/// A capture cut inside a record: the streams read so far are reported (the
/// cut one ends as `exiting`), then the error, then exit status 2.
#[test]
fn test_truncated_capture_reports_what_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("reorder-cut.pcap");
    let whole = std::fs::read(crafted("reorder.pcap")).unwrap();
    std::fs::write(&cut, &whole[..2000]).unwrap();
    let o = run(&["streams", cut.to_str().unwrap()]);
    assert_error(
        &o,
        "reorder-cut.pcap: truncated capture: the record at byte 1968 runs past the end of the file (read 26 packets)",
    );
    assert_eq!(
        stdout(&o),
        "[+] 10.0.1.1:41001 - 10.0.1.2:80 (CTS: 34B | STC: 51B) close\n\
         [+] 10.0.1.1:41002 - 10.0.1.2:80 (CTS: 10B | STC: 13B) exiting\n"
    );
    // `stats` prints its counts, then the error.
    let o = run(&["stats", cut.to_str().unwrap()]);
    assert_error(&o, "(read 26 packets)");
    assert!(
        stdout(&o).contains("frames            26\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn test_unsupported_link_type() {
    let dir = tempfile::tempdir().unwrap();
    // 7 is ARCnet: never supported (libnids never read it either).
    let arcnet = dir.path().join("arcnet.pcap");
    std::fs::write(&arcnet, pcap(7, &[b"abcd"])).unwrap();
    let o = run(&["streams", arcnet.to_str().unwrap()]);
    assert_error(&o, "arcnet.pcap: unsupported link type 7");
    assert!(o.stdout.is_empty());
    // Refused even when it holds no packet.
    std::fs::write(&arcnet, pcap(7, &[])).unwrap();
    let o = run(&["streams", arcnet.to_str().unwrap()]);
    assert_error(&o, "arcnet.pcap: unsupported link type 7");
}

#[test]
fn test_usage_errors_exit_2() {
    // No command at all: the help, on stderr.
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage: nids"));
    for (args, message) in [
        (
            &["streams"][..],
            "nids: the following required arguments were not provided: <SOURCE>...",
        ),
        (&["bogus"][..], "nids: unrecognized subcommand 'bogus'"),
        (
            &["streams", "--no-such-flag", "x.pcap"][..],
            "nids: unexpected argument '--no-such-flag' found",
        ),
        (
            &["streams", "--checksum", "sometimes", "x.pcap"][..],
            "nids: invalid value 'sometimes' for '--checksum <CHECKSUM>'",
        ),
        // A negative number is a value, and its error says what is allowed.
        (
            &["streams", "--streams", "-1", "x.pcap"][..],
            "nids: invalid value '-1' for '--streams <N>': -1 is not in 1..=4194304",
        ),
        (
            &["grep", "-m", "-1", "x", "x.pcap"][..],
            "nids: invalid value '-1' for '--max-count <NUM>'",
        ),
        // --udp-scans only where it does something.
        (
            &["streams", "--udp-scans", "x.pcap"][..],
            "nids: unexpected argument '--udp-scans' found",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "{args:?}: one line, then the usage line: {err}"
        );
        assert!(lines[0].starts_with(message), "{args:?}: {err}");
        assert!(lines[1].starts_with("Usage: nids"), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
    // --udp-scans is a scan option.
    let o = run(&[
        "scan",
        "--udp-scans",
        crafted("reorder.pcap").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Without the `libpcap` feature, `-i` (unless `--capture af-packet`) and
/// `--filter` say which feature they need, in one line.
#[cfg(not(feature = "libpcap"))]
#[test]
fn test_capture_options_name_their_feature() {
    let needs =
        "-i/--interface (live capture) without `--capture af-packet` needs the `libpcap` feature";
    let o = run(&["streams", "-i", "eth0"]);
    assert_error(&o, needs);
    let o = run(&["grep", "--interface", "eth0", "x"]);
    assert_error(&o, needs);
    let reorder = crafted("reorder.pcap");
    let o = run(&["streams", "--filter", "tcp", reorder.to_str().unwrap()]);
    assert_error(&o, "--filter (BPF) needs the `libpcap` feature");
}

/// `--capture af-packet` needs no libpcap: it goes on to open the interface.
#[cfg(target_os = "linux")]
#[test]
fn test_af_packet_opens_the_interface() {
    let o = run(&["streams", "-i", "nids-no-such0", "--capture", "af-packet"]);
    assert_error(&o, "nids-no-such0: no such interface");
    let o = run(&["stats", "--capture", "af-packet", "x.pcap"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--capture needs -i: {}",
        stderr(&o)
    );
}

#[test]
fn test_help_of_each_command() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let top = stdout(&o);
    for cmd in ["streams", "dump", "grep", "scan", "stats"] {
        assert!(top.contains(cmd), "{top}");
        let o = run(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        let help = stdout(&o);
        assert!(help.contains(&format!("Usage: nids {cmd}")), "{help}");
        assert!(help.contains("Example"), "{cmd}: {help}");
        for opt in [
            "--checksum",
            "--streams",
            "--idle-timeout",
            "--flow-timeout",
            "--tcp-storage",
        ] {
            assert!(help.contains(opt), "{cmd}: {help}");
        }
        let o = run(&["help", cmd]);
        assert_eq!(stdout(&o), help, "`nids help {cmd}` is `nids {cmd} --help`");
    }
}

#[test]
fn test_version() {
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("nids "));
}

/// `nids streams many.pcap | head -1`: the reader goes away, nids exits 0 quietly.
#[test]
fn test_broken_pipe_exits_0() {
    let mut child = nids()
        .args(["streams", crafted("many.pcap").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("[+] 10.5.0.1:30000 - 10.6.0.1:80"),
        "{line}"
    );
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

/// Through a shell, as a person would type it.
#[cfg(unix)]
#[test]
fn test_broken_pipe_head() {
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' streams --json '{}' | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
            env!("CARGO_BIN_EXE_nids"),
            crafted("many.pcap").display()
        ))
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.ends_with("status 0\n"), "{out}");
    assert!(out.starts_with("{\"kind\":\"tcp\""), "{out}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// `--tcp-policy` picks the overlap policy: on the Novak/Sturges stream of
/// overlap.pcap, libnids' default gives the BSD bytes and `last` its own.
#[test]
fn test_tcp_policy_option() {
    use sha2::{Digest, Sha256};
    let hex = |s: &str| -> String {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let overlap = crafted("overlap.pcap");
    let path = overlap.to_str().unwrap();
    for (policy, bytes) in [
        ("libnids", "0AAAJJBCCCLLLMMMFFFGGHHIQ"),
        ("last", "0AJJJJBKKKLLLMMMFNFGOPHQQ"),
        ("solaris", "0AJJJBBKKKLLLMMMFFFGGHHQQ"),
    ] {
        let o = run(&["streams", "--json", "--tcp-policy", policy, path]);
        assert!(o.status.success());
        assert!(stdout(&o).contains(&hex(bytes)), "{policy}: {}", stdout(&o));
    }
}

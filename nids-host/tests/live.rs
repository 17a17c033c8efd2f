//! The `libpcap` feature: BPF filters on files, live-capture errors, and a live
//! capture of traffic this test makes between two network namespaces.
//!
//! Run with `cargo test -p nids-host --features libpcap`; the live test needs
//! root (`ip netns`, a veth pair) and is ignored unless asked for:
//! `cargo test -p nids-host --features libpcap -- --ignored` (as `.ci/run` does).
#![cfg(feature = "libpcap")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn nids() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nids"))
}

fn crafted(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/crafted")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    nids().args(args).output().unwrap()
}

#[test]
fn test_filter_on_a_file() {
    let reorder = crafted("reorder.pcap");
    let o = run(&[
        "streams",
        "--filter",
        "tcp port 8080",
        reorder.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "[+] 10.0.1.3:41003 - 10.0.1.2:8080 (CTS: 6B | STC: 14B) close\n"
    );
    let o = run(&[
        "stats",
        "--filter",
        "host 10.0.1.4",
        reorder.to_str().unwrap(),
    ]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("tcp streams       1 (1 established, 1 reported)"),
        "{out}"
    );
}

#[test]
fn test_bad_filter() {
    let o = run(&[
        "streams",
        "--filter",
        "tcp port",
        crafted("reorder.pcap").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.starts_with("nids: bad filter \"tcp port\": "), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn test_no_such_interface() {
    let o = run(&["streams", "-i", "nids-nonexist0"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("nids: nids-nonexist0: cannot capture: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    // -i and a file together: a usage error.
    let o = run(&["streams", "-i", "lo", "x.pcap"]);
    assert_eq!(o.status.code(), Some(2));
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// Runs `ip args`, panicking with its stderr on failure.
fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        o.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Two namespaces joined by a veth pair; deleted on drop (also on panic).
struct Netns {
    a: String,
    b: String,
}

impl Netns {
    fn new() -> Netns {
        // Unique per process and per test (tests of one binary run in parallel).
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = (std::process::id() % 10_000) * 10 + n % 10;
        // NIDS_NETNS_PREFIX: who runs the test (several may run at once).
        let p = std::env::var("NIDS_NETNS_PREFIX").unwrap_or_else(|_| "nids".to_owned());
        let n = Netns {
            a: format!("{p}A{id}"),
            b: format!("{p}B{id}"),
        };
        // Leftovers of an earlier run with the same id.
        n.delete();
        ip(&["netns", "add", &n.a]);
        ip(&["netns", "add", &n.b]);
        let (va, vb) = (n.veth_a(), n.veth_b());
        ip(&[
            "link", "add", &va, "netns", &n.a, "type", "veth", "peer", "name", &vb, "netns", &n.b,
        ]);
        ip(&["-n", &n.a, "addr", "add", "10.213.0.1/24", "dev", &va]);
        ip(&["-n", &n.b, "addr", "add", "10.213.0.2/24", "dev", &vb]);
        for (ns, dev) in [(&n.a, &va), (&n.b, &vb)] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        n
    }

    /// The veth end in `a`: `a` with `va` for `A` (`nidsva123`).
    fn veth_a(&self) -> String {
        self.a.replacen('A', "va", 1)
    }

    /// The veth end in `b`.
    fn veth_b(&self) -> String {
        self.b.replacen('B', "vb", 1)
    }

    /// `ip netns exec NS program args`.
    fn exec(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }

    fn delete(&self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.delete();
    }
}

/// Kills a child on drop, unless it has been waited for.
struct Reaper(Option<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.213.0.2", 8000))
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
got = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
c.sendall(b"S" * 2 * len(got))
c.close()
"#;

const CLIENT: &str = r#"
import socket, time
for i in range(50):
    try:
        c = socket.create_connection(("10.213.0.2", 8000), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
c.sendall(b"C" * 3000)
c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
assert len(got) == 6000, len(got)
c.close()
"#;

/// Captures a TCP connection between two namespaces with `nids streams -i
/// --json`, stops it with SIGINT, and checks the stream and its byte counts.
#[test]
#[ignore = "needs root: creates network namespaces and a veth pair"]
fn test_live_capture_between_namespaces() {
    live_capture(&[]);
}

/// As [`test_live_capture_between_namespaces`], with two engines
/// (`--threads 2`): frames copied from libpcap's buffer to the shards.
#[test]
#[ignore = "needs root: creates network namespaces and a veth pair"]
fn test_live_capture_with_threads() {
    live_capture(&["--threads", "2"]);
}

fn live_capture(extra: &[&str]) {
    if !is_root() {
        eprintln!("not root: skipped");
        return;
    }
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let ns = Netns::new();
    let capture = ns
        .exec(&ns.a, env!("CARGO_BIN_EXE_nids"))
        .args([
            "streams",
            "--json",
            "--checksum",
            "auto",
            "--timeout",
            "100",
            "-i",
            &ns.veth_a(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut capture = Reaper(Some(capture));
    // Let libpcap open the interface. (`--checksum auto`: veth leaves the TCP
    // checksums of outgoing packets to an offload that never happens.)
    std::thread::sleep(Duration::from_millis(1000));

    let server = ns.exec(&ns.b, python).args(["-c", SERVER]).spawn().unwrap();
    let mut server = Reaper(Some(server));
    let client = ns
        .exec(&ns.a, python)
        .args(["-c", CLIENT])
        .status()
        .unwrap();
    assert!(client.success(), "client failed");
    let server_ok = server.0.take().unwrap().wait().unwrap();
    assert!(server_ok.success(), "server failed");
    // Let the last packets reach the capture.
    std::thread::sleep(Duration::from_millis(500));

    let mut child = capture.0.take().unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nids did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "stderr: {err}\nstdout: {out}");
    let streams: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["kind"] == "tcp" && v["dport"] == 8000)
        .collect();
    assert_eq!(streams.len(), 1, "stdout: {out}\nstderr: {err}");
    let s = &streams[0];
    assert_eq!(s["src"], "10.213.0.1");
    assert_eq!(s["dst"], "10.213.0.2");
    assert_eq!(s["c2s_bytes"], 3000, "{s}");
    assert_eq!(s["s2c_bytes"], 6000, "{s}");
    use sha2::Digest;
    let sha = |b: &[u8]| nids_host::text::hex(&sha2::Sha256::digest(b));
    assert_eq!(s["c2s_sha256"], sha(&[b'C'; 3000]));
    assert_eq!(s["s2c_sha256"], sha(&[b'S'; 6000]));
    assert_eq!(s["end"], "close", "{s}");
}

const RESET_SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.213.0.2", 8001))
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(10)
try:
    while True:
        if not c.recv(65536):
            print("EOF"); sys.exit(1)
except ConnectionResetError:
    print("RESET"); sys.exit(0)
except socket.timeout:
    print("TIMEOUT"); sys.exit(1)
"#;

const RESET_CLIENT: &str = r#"
import socket, time
for i in range(50):
    try:
        c = socket.create_connection(("10.213.0.2", 8001), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
c.sendall(b"hello SECRET-42 there")
time.sleep(4)
c.close()
"#;

/// `nids grep --kill` on a live interface resets a matching connection: the
/// server in the other namespace sees its connection reset by the injected RST.
#[test]
#[ignore = "needs root: creates network namespaces and a veth pair"]
fn test_grep_kill_resets_live_connection() {
    if !is_root() {
        eprintln!("not root: skipped");
        return;
    }
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let ns = Netns::new();
    let grep = ns
        .exec(&ns.a, env!("CARGO_BIN_EXE_nids"))
        .args([
            "grep",
            "--kill",
            "--window",
            "64",
            "--checksum",
            "auto",
            "--timeout",
            "100",
            "SECRET-[0-9]+",
            "-i",
            &ns.veth_a(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut grep = Reaper(Some(grep));
    std::thread::sleep(Duration::from_millis(1000));
    let server = ns
        .exec(&ns.b, python)
        .args(["-c", RESET_SERVER])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Reaper(Some(server));
    let _client = Reaper(Some(
        ns.exec(&ns.a, python)
            .args(["-c", RESET_CLIENT])
            .spawn()
            .unwrap(),
    ));
    let out = server.0.take().unwrap().wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mut g = grep.0.take().unwrap();
    let _ = Command::new("kill")
        .args(["-INT", &g.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(500));
    let _ = g.kill();
    let o = g.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        said,
        "RESET",
        "server: {said}; nids printed: {printed} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(printed.contains("SECRET-42"), "{printed}");
}

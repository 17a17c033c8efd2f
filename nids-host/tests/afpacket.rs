//! `--capture af-packet` (Linux, no libpcap): HTTP downloads between two
//! network namespaces captured on two rings in one fanout group, with a
//! stretch where the capture is stopped so its rings fill and the kernel
//! drops; and the permission error without root.
//!
//! Needs root (`ip netns`, a veth pair, `setpriv`) and curl; ignored unless
//! asked for: `cargo test -p nids-host --test afpacket -- --ignored` (as
//! `.ci/run` does).
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        o.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Two namespaces joined by a veth pair (10.226.0.1 in `a`, .2 in `b`);
/// deleted on drop.
struct Netns {
    a: String,
    b: String,
}

impl Netns {
    fn new() -> Netns {
        let id = std::process::id() % 100_000;
        let p = std::env::var("NIDS_NETNS_PREFIX").unwrap_or_else(|_| "nids".to_owned());
        let n = Netns {
            a: format!("{p}afA{id}"),
            b: format!("{p}afB{id}"),
        };
        n.delete();
        ip(&["netns", "add", &n.a]);
        ip(&["netns", "add", &n.b]);
        ip(&[
            "link", "add", "afva", "netns", &n.a, "type", "veth", "peer", "name", "afvb", "netns",
            &n.b,
        ]);
        ip(&["-n", &n.a, "addr", "add", "10.226.0.1/24", "dev", "afva"]);
        ip(&["-n", &n.b, "addr", "add", "10.226.0.2/24", "dev", "afvb"]);
        for (ns, dev) in [(&n.a, "afva"), (&n.b, "afvb")] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        n
    }

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

fn signal(signal: &str, pid: u32) {
    assert!(Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

/// Downloads `url` in namespace `ns`; the bytes received.
fn curl(n: &Netns, url: &str) -> u64 {
    let o = n
        .exec(&n.a, "curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{size_download}", url])
        .output()
        .unwrap();
    assert!(o.status.success(), "curl {url}");
    String::from_utf8(o.stdout).unwrap().trim().parse().unwrap()
}

const SIZE: usize = 4 << 20;

/// Lines of a child's stdout as they come, on a channel.
fn lines_of(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(out).lines() {
            if tx.send(l.unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

/// The streams printed on `lines` until `enough` says so (at most 30 s).
fn wait_for(
    lines: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<serde_json::Value>,
    enough: impl Fn(&[serde_json::Value]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !enough(seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => seen.push(serde_json::from_str(&l).unwrap()),
            Err(_) => panic!("waited in vain; streams so far: {seen:?}"),
        }
    }
}

/// A download of the whole file, closed.
fn whole(s: &serde_json::Value) -> bool {
    s["dport"] == 8026 && s["s2c_bytes"].as_u64().unwrap_or(0) > SIZE as u64 && s["end"] == "close"
}

#[test]
#[ignore = "needs root: creates network namespaces and a veth pair; needs curl"]
fn test_af_packet_two_rings_report_streams_and_count_drops() {
    if !is_root() || !have("curl") {
        eprintln!("not root or no curl: skipped");
        return;
    }
    let n = Netns::new();
    let www = tempfile::tempdir().unwrap();
    std::fs::write(www.path().join("f.bin"), vec![0x5a; SIZE]).unwrap();
    let server = n
        .exec(&n.b, "python3")
        .args(["-m", "http.server", "--bind", "10.226.0.2", "8026"])
        .current_dir(www.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Reaper(Some(server));
    let capture = n
        .exec(&n.a, env!("CARGO_BIN_EXE_nids"))
        .args([
            "streams",
            "--json",
            "--checksum",
            "auto",
            "-i",
            "afva",
            "--capture",
            "af-packet",
            "--threads",
            "2",
            "--ring-mb",
            "8",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut capture = Reaper(Some(capture));
    let lines = lines_of(capture.0.as_mut().unwrap());
    let reader = nids_pid(capture.0.as_ref().unwrap().id());
    let mut seen = Vec::new();
    // The server and the rings up: a small request seen whole.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ok = n
            .exec(&n.a, "curl")
            .args(["-s", "-o", "/dev/null", "http://10.226.0.2:8026/"])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            if let Ok(l) = lines.recv_timeout(Duration::from_secs(2)) {
                seen.push(serde_json::from_str(&l).unwrap());
                break;
            }
        }
        assert!(Instant::now() < deadline, "no stream seen");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Downloads while nids reads (one flow goes to one ring: 8 MiB hold a
    // 4 MiB download however slowly nids, a debug build here, reads):
    // reassembled whole.
    let url = "http://10.226.0.2:8026/f.bin";
    for i in 1..=2 {
        assert_eq!(curl(&n, url), SIZE as u64);
        wait_for(&lines, &mut seen, |s| {
            s.iter().filter(|s| whole(s)).count() >= i
        });
    }
    // Downloads while nids is stopped: 24 MiB for two 8 MiB rings, the
    // kernel drops.
    signal("-STOP", reader);
    for _ in 0..6 {
        assert_eq!(curl(&n, url), SIZE as u64);
    }
    signal("-CONT", reader);
    std::thread::sleep(Duration::from_millis(1500));
    signal("-INT", reader);
    let child = capture.0.take().unwrap();
    let o = child.wait_with_output().unwrap();
    seen.extend(lines.iter().map(|l| serde_json::from_str(&l).unwrap()));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(130),
        "stderr: {err}\nstreams: {seen:?}"
    );
    let downloads = seen.iter().filter(|s| s["dport"] == 8026).count();
    assert!(downloads >= 4, "streams: {seen:?}\nstderr: {err}");
    let line = err
        .lines()
        .find(|l| l.contains("af-packet on afva"))
        .unwrap_or_else(|| panic!("no kernel counters: {err}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [packets, drops] = numbers[..] else {
        panic!("{line}")
    };
    assert!(packets > 0 && drops > 0 && drops < packets, "{line}");
}

/// The pid of `nids` under `ip netns exec` (its child, or itself when `ip`
/// execs it).
fn nids_pid(exec: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let comm = std::fs::read_to_string(format!("/proc/{exec}/comm")).unwrap_or_default();
        if comm.trim() == "nids" {
            return exec;
        }
        let children = std::fs::read_to_string(format!("/proc/{exec}/task/{exec}/children"))
            .unwrap_or_default();
        if let Some(c) = children.split_whitespace().next() {
            return c.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "no nids process");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs root: drops its privileges with setpriv"]
fn test_af_packet_without_cap_net_raw_says_so() {
    if !is_root() || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("not root or no setpriv: skipped");
        return;
    }
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            env!("CARGO_BIN_EXE_nids"),
            "stats",
            "-i",
            "lo",
            "--capture",
            "af-packet",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("root") && err.contains("CAP_NET_RAW"), "{err}");
}

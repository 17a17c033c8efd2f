//! The nids-embedded-example firmware, run in QEMU (`lm3s6965evb`) by
//! `nids-fw-runner` over captures, against the host engine.
//!
//! These tests need the firmware ELF and `qemu-system-arm`. They run when
//! `FW_ELF` names the ELF (`.ci/run` builds the firmware and sets it) and then
//! fail on any problem, QEMU missing included; without `FW_ELF` each test says
//! it is skipped and passes, so a plain `cargo test` needs neither.
//!
//! ```sh
//! (cd nids-embedded-example && cargo build --release)
//! FW_ELF=$PWD/nids-embedded-example/target/thumbv7m-none-eabi/release/nids-embedded-example \
//!     cargo test -p nids-tests --test qemu_firmware
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use nids_tests::{data, streams_json};
use serde_json::Value;

/// The firmware ELF, or `None` (test skipped) when `FW_ELF` is not set.
fn firmware(test: &str) -> Option<PathBuf> {
    match std::env::var_os("FW_ELF") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "FW_ELF={} is not a file", p.display());
            Some(p)
        }
        _ => {
            eprintln!("{test}: skipped (FW_ELF not set: no firmware to run in QEMU)");
            None
        }
    }
}

/// What one runner call gave.
struct Out {
    ok: bool,
    streams: Vec<String>,
    stats: Value,
    firmware: Value,
    stderr: String,
}

fn run(elf: &Path, args: &[&str], capture: &Path) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_nids-fw-runner"))
        .arg("--elf")
        .arg(elf)
        .args(["--timeout", "60"])
        .args(args)
        .arg(capture)
        .output()
        .expect("runner starts");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut o = Out {
        ok: out.status.success(),
        streams: Vec::new(),
        stats: Value::Null,
        firmware: Value::Null,
        stderr,
    };
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        match v["kind"].as_str() {
            Some("tcp") => o.streams.push(line.to_owned()),
            Some("stats") => o.stats = v,
            Some("firmware") => o.firmware = v,
            k => panic!("unexpected kind {k:?}: {line}"),
        }
    }
    o
}

fn check_memory(fw: &Value) {
    let n = |k: &str| fw[k].as_u64().unwrap_or_else(|| panic!("no {k} in {fw}"));
    assert!(
        n("ram_static") + n("stack_peak") <= 64 * 1024,
        "RAM over 64 KiB: {fw}"
    );
    assert!(n("flash") <= 256 * 1024, "flash over 256 KiB: {fw}");
    // The painted stack never came near the statics.
    assert!(n("stack_peak") + 4096 < n("stack_size"), "stack: {fw}");
}

/// Captures of real traffic with a few streams: every stream line and the
/// Stats equal to what the host engine (`nids streams --json`) gives.
#[test]
fn test_captures_match_host() {
    let Some(elf) = firmware("test_captures_match_host") else {
        return;
    };
    let captures = [
        data("crafted/reorder.pcap"),
        data("crafted/urgent.pcap"),
        data("crafted/close-variants.pcap"),
        data("real/http.pcap"),
        data("real/udp.pcap"),
        data("real/nmap-syn.pcap"),
    ];
    for c in &captures {
        // QEMU's Stellaris MAC drops frames of 2,042 bytes or more (captures
        // taken with segmentation offload on): the firmware cannot match there.
        let file = nids_host::capture::CaptureFile::open(c).unwrap();
        let longest = file.packets().map(|p| p.unwrap().data.len()).max();
        if longest.unwrap_or(0) > 2041 {
            eprintln!("{}: skipped, frames over 2,041 bytes", c.display());
            continue;
        }
        let o = run(&elf, &["--check"], c);
        assert!(o.ok, "{}: {}", c.display(), o.stderr);
        assert_eq!(o.streams, streams_json(c, false), "{}", c.display());
        let n = |v: &Value, k: &str| v[k].as_u64().unwrap();
        assert_eq!(
            n(&o.stats, "frames") + n(&o.firmware, "control_frames"),
            n(&o.firmware, "rx_frames")
        );
        check_memory(&o.firmware);
    }
}

/// Datagrams over the firmware's 1,600-byte reassembly limit (real/frag.pcap
/// has UDP datagrams of up to 65,000 bytes and 9 KB TCP segments, fragmented):
/// their fragments are refused and counted, the TCP stream has a gap, the small
/// datagrams still reassemble, and the run goes on.
#[test]
fn test_fragments_over_the_limit() {
    let Some(elf) = firmware("test_fragments_over_the_limit") else {
        return;
    };
    let c = data("real/frag.pcap");
    let o = run(&elf, &[], &c);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.stats["frames"], 393);
    assert!(o.stats["warnings"]["defrag.oversized"].as_u64().unwrap() > 0);
    assert!(o.stats["reassembled"].as_u64().unwrap() > 0);
    assert_eq!(o.streams.len(), 1);
}

/// Receive by interrupt (WFI until the MAC's RX interrupt) gives the same.
#[test]
fn test_irq_mode() {
    let Some(elf) = firmware("test_irq_mode") else {
        return;
    };
    let c = data("crafted/reorder.pcap");
    let o = run(&elf, &["--check", "--irq"], &c);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.firmware["rx"], "irq");
    assert_eq!(o.streams.len(), 4);
}

/// `kill()` on every stream to port 23: four RST frames each go out of the
/// MAC (the runner checks each is a RST segment), and the reports are unchanged.
#[test]
fn test_kill_transmits_rst_frames() {
    let Some(elf) = firmware("test_kill_transmits_rst_frames") else {
        return;
    };
    let c = data("crafted/urgent.pcap");
    let o = run(&elf, &["--check", "--kill-port", "23"], &c);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.firmware["killed"], 5);
    assert_eq!(o.firmware["tx_frames"], 20);
    assert_eq!(o.firmware["tx_errors"], 0);
}

/// Garbage and floods (testdata/make-flood.py): the firmware takes every
/// frame, counts what it drops by reason, keeps within its memory, and still
/// reports the well-formed streams before and after the flood as the host does.
#[test]
fn test_flood() {
    let Some(elf) = firmware("test_flood") else {
        return;
    };
    let c =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../nids-embedded-example/testdata/flood.pcap");
    let o = run(&elf, &[], &c);
    // The runner already checked: QEMU exited 0, DONE printed, the engine saw
    // every frame the MAC could deliver, the MAC counted an overrun for the
    // oversized ones.
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.stats["frames"], 2290, "{}", o.stats);
    assert!(o.firmware["rx_overruns"].as_u64().unwrap() >= 1);
    let w = &o.stats["warnings"];
    for code in [
        "link.truncated",
        "link.too_many_tags",
        "ip.v4_bad_checksum",
        "ip.v6_too_many_ext",
        "tcp.bad_checksum",
        "tcp.too_many_streams",
        "tcp.storage_full",
        "defrag.evicted",
        "defrag.oversized",
        "udp.bad_header",
        "icmp.bad",
    ] {
        assert!(w[code].as_u64().unwrap_or(0) > 0, "no {code} in {w}");
    }
    assert_eq!(o.stats["reassembled"], 1);
    // The blocks of the out-of-order flood were all given back.
    assert_eq!(o.firmware["tcp_blocks_in_use"], 0);
    let host = streams_json(&c, false);
    for (sport, end) in [(40000, "close"), (40001, "close")] {
        let pick = |lines: &[String]| -> Vec<String> {
            lines
                .iter()
                .filter(|l| l.contains(&format!("\"sport\":{sport},")))
                .cloned()
                .collect()
        };
        let (fw, h) = (pick(&o.streams), pick(&host));
        assert_eq!(fw.len(), 1, "stream :{sport}: {fw:?}");
        assert_eq!(fw, h, "stream :{sport}");
        assert!(fw[0].contains(&format!("\"end\":\"{end}\"")));
    }
    check_memory(&o.firmware);
}

/// A QEMU that cannot start, or dies, makes the runner fail (exit 1), never pass.
#[test]
fn test_runner_fails_without_qemu() {
    let Some(elf) = firmware("test_runner_fails_without_qemu") else {
        return;
    };
    let c = data("crafted/reorder.pcap");
    for qemu in ["/nonexistent/qemu-system-arm", "false"] {
        let o = run(&elf, &["--qemu", qemu], &c);
        assert!(!o.ok, "runner passed with --qemu {qemu}");
        assert!(o.streams.is_empty());
    }
}

//! The `nids` binary's link-type and tunnel surface (issue 18): `nids help` lists
//! them, `--no-decap` switches decoders off, `--vxlan-ports` adds a port, and
//! `--json` names the tunnel path.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tunnels(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tunnels")
        .join(name)
}

fn nids(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(args)
        .output()
        .expect("nids runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn help_lists_link_types_and_tunnels() {
    let h = nids(&["help"]);
    for w in [
        "radiotap",
        "PPP",
        "FDDI",
        "token ring",
        "SLL2",
        "VXLAN",
        "GTP-U",
        "Teredo",
    ] {
        assert!(h.contains(w), "nids help lacks {w}");
    }
    assert!(nids(&["help", "streams"]).contains("--no-decap"));
}

#[test]
fn json_names_the_tunnel_path() {
    let cap = tunnels("vxlan-real.pcap");
    let out = nids(&["streams", "--json", cap.to_str().unwrap()]);
    assert_eq!(out.lines().count(), 2);
    assert!(
        out.lines()
            .all(|l| l.contains(",\"tunnel\":[\"vxlan:42\"],")),
        "{out}"
    );
    let text = nids(&["streams", cap.to_str().unwrap()]);
    assert!(text.lines().all(|l| l.contains(" [vxlan:42] ")), "{text}");
}

#[test]
fn no_decap_and_extra_ports() {
    let real = tunnels("vxlan-real.pcap");
    let off = nids(&["streams", "--no-decap", "vxlan", real.to_str().unwrap()]);
    assert_eq!(off, "", "no inner stream with VXLAN off");
    let all = nids(&[
        "streams",
        "--json",
        "--udp",
        "--no-decap",
        "all",
        real.to_str().unwrap(),
    ]);
    assert!(!all.contains("tunnel"), "{all}");
    let old = tunnels("vxlan-8472.pcap");
    assert_eq!(
        nids(&["streams", old.to_str().unwrap()]),
        "",
        "8472 is not VXLAN by default"
    );
    let on = nids(&[
        "streams",
        "--json",
        "--vxlan-ports",
        "8472",
        old.to_str().unwrap(),
    ]);
    assert_eq!(on.lines().count(), 2);
    assert!(on.contains("\"tunnel\":[\"vxlan:7\"]"));
}

/// Two tenants' streams with the same addresses and ports get two pairs of
/// files (named with their tunnels), not one overwritten pair.
#[test]
fn dump_keeps_tenants_apart() {
    let dir = tempfile::tempdir().unwrap();
    let cap = tunnels("vxlan-tenants.pcap");
    nids(&[
        "dump",
        cap.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    let tagged: Vec<_> = names.iter().filter(|n| n.contains("-t")).collect();
    assert_eq!(tagged.len(), 4, "{names:?}");
    let tag = |n: &str| n.rsplit("-t").next().unwrap().to_owned();
    assert_ne!(
        tag(tagged[0]),
        tag(tagged[3]),
        "two tunnels, two tags: {names:?}"
    );
    let index = std::fs::read_to_string(dir.path().join("index.jsonl")).unwrap();
    assert!(
        index.contains("\"tunnel\":[\"vxlan:100\"]")
            && index.contains("\"tunnel\":[\"vxlan:200\"]")
    );
}

//! `nids streams --json --udp --community-id[-seed]` and `nids conn --json
//! --community-id[-seed]` on captures crafted from the Community ID spec's
//! baseline flows (tests/data/community-id): every TCP, UDP, ICMP and ICMPv6
//! record carries the ID the spec's baseline gives its tuple, for seeds 0 and
//! 1, and every such flow of the baseline is seen; without the option, no
//! record has one. (The baseline's SCTP and RSVP flows are checked through
//! the function itself, in nids_host::community_id's unit tests.)

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/community-id")
        .join(name)
}

/// A flow's key: protocol, source address and port, destination address and
/// port (for ICMP: type, and counterpart type or code, as Zeek's conn.log).
type Key = (u64, String, u64, String, u64);

/// Baseline ID by key, for the rows of the protocols in `protos`.
fn baseline(name: &str, protos: &[u64]) -> BTreeMap<Key, String> {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    rows.iter()
        .filter(|r| protos.contains(&r["proto"].as_u64().unwrap()))
        .map(|r| {
            (
                (
                    r["proto"].as_u64().unwrap(),
                    r["saddr"].as_str().unwrap().to_owned(),
                    r["sport"].as_u64().unwrap(),
                    r["daddr"].as_str().unwrap().to_owned(),
                    r["dport"].as_u64().unwrap(),
                ),
                r["communityid"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn records(extra: &[&str]) -> Vec<serde_json::Value> {
    run(&["streams", "--json", "--udp"], extra, "crafted.pcap")
}

fn run(cmd: &[&str], extra: &[&str], pcap: &str) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(cmd)
        .args(extra)
        .arg(data(pcap))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn test_every_record_has_the_spec_baseline_id() {
    for (args, file) in [
        (&["--community-id"][..], "baseline_deflt.json"),
        (&["--community-id-seed", "0"][..], "baseline_deflt.json"),
        (&["--community-id-seed", "1"][..], "baseline_seed1.json"),
    ] {
        let want = baseline(file, &[6, 17]);
        let recs = records(args);
        // Two TCP streams, and the two datagrams of the one UDP flow.
        assert_eq!(recs.len(), 4, "{args:?}");
        let mut flows = std::collections::BTreeSet::new();
        for r in &recs {
            let proto = if r["kind"] == "tcp" { 6 } else { 17 };
            let key = (
                proto,
                r["src"].as_str().unwrap().to_owned(),
                r["sport"].as_u64().unwrap(),
                r["dst"].as_str().unwrap().to_owned(),
                r["dport"].as_u64().unwrap(),
            );
            let id = want
                .get(&key)
                .unwrap_or_else(|| panic!("{key:?} not in {file}"));
            assert_eq!(
                r["community_id"].as_str(),
                Some(id.as_str()),
                "{args:?} {r}"
            );
            flows.insert(id.clone());
        }
        // Every TCP and UDP flow of the baseline was seen.
        let all: std::collections::BTreeSet<_> = want.values().cloned().collect();
        assert_eq!(flows, all);
    }
}

#[test]
fn test_no_id_unless_asked() {
    for r in records(&[]) {
        assert!(r.get("community_id").is_none(), "{r}");
        // One timestamp convention: every record starts at `ts`.
        assert!(r["ts"].is_f64(), "{r}");
    }
}

#[test]
fn test_conn_rows_have_the_spec_baseline_id() {
    for (seed, file) in [("0", "baseline_deflt.json"), ("1", "baseline_seed1.json")] {
        let want = baseline(file, &[1, 6, 17, 58]);
        let mut seen = std::collections::BTreeSet::new();
        for pcap in ["crafted.pcap", "crafted-icmp.pcap"] {
            for r in run(&["conn", "--json", "--community-id-seed", seed], &[], pcap) {
                let proto = match r["proto"].as_str().unwrap() {
                    "tcp" => 6,
                    "udp" => 17,
                    _ if r["id.orig_h"].as_str().unwrap().contains(':') => 58,
                    _ => 1,
                };
                let key = (
                    proto,
                    r["id.orig_h"].as_str().unwrap().to_owned(),
                    r["id.orig_p"].as_u64().unwrap(),
                    r["id.resp_h"].as_str().unwrap().to_owned(),
                    r["id.resp_p"].as_u64().unwrap(),
                );
                let id = want
                    .get(&key)
                    .unwrap_or_else(|| panic!("{key:?} not in {file}"));
                assert_eq!(r["community_id"].as_str(), Some(id.as_str()), "{r}");
                seen.insert(id.clone());
            }
        }
        // Every TCP, UDP, ICMP and ICMPv6 flow of the baseline.
        let all: std::collections::BTreeSet<_> = want.values().cloned().collect();
        assert_eq!(seen, all, "seed {seed}");
        assert_eq!(all.len(), 12);
    }
}

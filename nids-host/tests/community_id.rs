//! `nids streams --json --udp --community-id[-seed]` on a capture crafted from
//! the Community ID spec's baseline flows (tests/data/community-id): every TCP
//! and UDP record carries the ID the spec's baseline gives its tuple, for
//! seeds 0 and 1; without the option, no record has one.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/community-id")
        .join(name)
}

/// Baseline ID by (proto, saddr, sport, daddr, dport), TCP and UDP rows.
fn baseline(name: &str) -> BTreeMap<(u64, String, u64, String, u64), String> {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    rows.iter()
        .filter(|r| matches!(r["proto"].as_u64(), Some(6 | 17)))
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
    let out = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(["streams", "--json", "--udp"])
        .args(extra)
        .arg(data("crafted.pcap"))
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
        let want = baseline(file);
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

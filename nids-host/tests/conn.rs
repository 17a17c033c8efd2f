//! `nids conn` on captures crafted one per Zeek rule (tests/data/conn, made
//! by craft.py): each gives one row whose conn_state, history, byte, packet
//! and IP-byte counts, missed_bytes, duration and originator are those Zeek's
//! rules give (derived by hand in craft.py, one comment per case); and the TSV
//! form has Zeek's header lines and the same values.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conn")
        .join(name)
}

fn nids(args: &[&str], file: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cases() -> Vec<serde_json::Value> {
    std::fs::read_to_string(data("expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn test_rows_follow_zeeks_rules() {
    let cases = cases();
    assert_eq!(cases.len(), 16);
    for want in cases {
        let pcap = want["pcap"].as_str().unwrap();
        let out = nids(&["conn", "--json"], &data(pcap));
        let rows: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 1, "{pcap}: {out}");
        let row = &rows[0];
        for (k, v) in want.as_object().unwrap() {
            if k == "pcap" {
                continue;
            }
            let got = &row[k];
            let same = match (v.as_f64(), got.as_f64()) {
                (Some(a), Some(b)) if k == "duration" => (a - b).abs() < 1e-9,
                _ => got == v,
            };
            assert!(same, "{pcap}: {k} is {got}, Zeek's rules give {v}\n{row}");
        }
        // Unset when the connection lasted no time, as Zeek logs it.
        if want.get("duration").is_none() {
            for k in ["duration", "orig_bytes", "resp_bytes"] {
                assert!(row.get(k).is_none(), "{pcap}: {k} set\n{row}");
            }
        }
    }
}

#[test]
fn test_tsv_has_zeeks_header_and_the_json_values() {
    let file = data("sf.pcap");
    let tsv = nids(&["conn", "--community-id"], &file);
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines[0], "#separator \\x09");
    assert_eq!(lines[1], "#set_separator\t,");
    assert_eq!(lines[2], "#empty_field\t(empty)");
    assert_eq!(lines[3], "#unset_field\t-");
    assert_eq!(lines[4], "#path\tconn");
    assert_eq!(lines[5], "#open\t2023-11-14-22-13-20");
    let fields: Vec<&str> = lines[6].split('\t').skip(1).collect();
    let types: Vec<&str> = lines[7].split('\t').skip(1).collect();
    assert_eq!(lines[7].split('\t').next(), Some("#types"));
    assert_eq!(fields.len(), types.len());
    assert_eq!(
        fields,
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes \
         resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts \
         orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents community_id"
            .split(' ')
            .collect::<Vec<_>>()
    );
    assert!(lines
        .last()
        .unwrap()
        .starts_with("#close\t2023-11-14-22-13-20"));
    let rows: Vec<&&str> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 1);
    let json: serde_json::Value =
        serde_json::from_str(&nids(&["conn", "--json", "--community-id"], &file)).unwrap();
    for (name, value) in fields.iter().zip(rows[0].split('\t')) {
        match json.get(*name) {
            None => assert_eq!(value, "-", "{name}"),
            Some(serde_json::Value::String(s)) => assert_eq!(value, s, "{name}"),
            Some(v) => assert_eq!(value.parse::<f64>().ok(), v.as_f64(), "{name}"),
        }
    }
    // The Community ID is the flow's, as nids streams gives it.
    assert_eq!(json["community_id"], "1:0Kyk1LBjv2+WJu6AeJ0gw/EIHt0=");
}

#[test]
fn test_real_captures_one_row_per_connection() {
    // nmap's SYN scan: 196 closed ports (REJ, Sr) and 4 open (RSTO, ShR).
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/real/nmap-syn.pcap");
    let out = nids(&["conn", "--json"], &file);
    let mut rej = 0;
    let mut rsto = 0;
    for l in out.lines() {
        let r: serde_json::Value = serde_json::from_str(l).unwrap();
        match (r["conn_state"].as_str(), r["history"].as_str()) {
            (Some("REJ"), Some("Sr")) => rej += 1,
            (Some("RSTO"), Some("ShR")) => rsto += 1,
            other => panic!("unexpected {other:?}: {r}"),
        }
    }
    assert_eq!((rej, rsto), (196, 4));
}

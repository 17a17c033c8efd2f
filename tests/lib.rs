//! Shared helpers for the capture tests.

pub mod ideal;

use std::path::{Path, PathBuf};

use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_host::streams::StreamPrinter;

/// `tests/data/<rel>`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

/// What `nids streams --json [--udp]` prints for a capture, one line per item.
pub fn streams_json(capture: &Path, udp: bool) -> Vec<String> {
    streams_json_with(capture, udp, nids_core::Config::new()).0
}

/// [`streams_json`] with engine settings `config`, and the engine's counters.
pub fn streams_json_with(
    capture: &Path,
    udp: bool,
    config: nids_core::Config<'static>,
) -> (Vec<String>, nids_core::Stats) {
    let file = CaptureFile::open(capture).expect("capture opens");
    let mut p = StreamPrinter::new(Vec::new(), true, udp);
    let stats = run_file(&file, config, &mut p).expect("capture reads");
    let lines = String::from_utf8(p.out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, stats)
}

/// The lines of a text file.
pub fn file_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Each JSON line cut down to `keys` (those it has), as a set of JSON texts:
/// how test outputs are compared with tshark's and libnids' views.
pub fn projected(lines: &[String], keys: &[&str]) -> std::collections::BTreeSet<String> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let m: serde_json::Map<String, serde_json::Value> = keys
                .iter()
                .filter_map(|k| v.get(*k).map(|x| ((*k).to_owned(), x.clone())))
                .collect();
            serde_json::Value::Object(m).to_string()
        })
        .collect()
}

/// The keys of tshark's view (`tests/data/tshark_view.py`): everything but the
/// end reason, the times and the tunnel path.
pub const TSHARK_KEYS: &[&str] = &[
    "kind",
    "src",
    "sport",
    "dst",
    "dport",
    "bytes",
    "sha256",
    "c2s_bytes",
    "c2s_sha256",
    "s2c_bytes",
    "s2c_sha256",
];

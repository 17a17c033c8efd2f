//! Shared helpers for the capture tests.

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
    let file = CaptureFile::open(capture).expect("capture opens");
    let mut p = StreamPrinter::new(Vec::new(), true, udp);
    run_file(&file, nids_core::Config::new(), &mut p).expect("capture reads");
    String::from_utf8(p.out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

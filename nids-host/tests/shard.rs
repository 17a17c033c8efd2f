//! The sharded engine ([`nids_host::shard`]) against one engine, through the
//! library: same output bytes and same counters, whatever the hash key and the
//! number of shards.

use nids_core::{Config, Duration, Stats};
use nids_host::capture::CaptureFile;
use nids_host::output::Output;
use nids_host::run::run_file_stats;
use nids_host::scan::Printer;
use nids_host::shard::{self, FileFrames, Plan, Recorder};
use nids_host::streams::StreamPrinter;
use proptest::prelude::*;

const MULTIFLOW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/multiflow.pcap");

/// `multiflow.pcap`'s settings: UDP scans on, and idle streams end after
/// 10 s if `idle` (the capture pauses for 20 s halfway).
fn config(idle: bool) -> Config<'static> {
    let mut c = Config::new();
    c.scan.udp = true;
    if idle {
        c.tcp.idle_timeout = Duration::from_secs(10);
    }
    c
}

/// One engine over `file`: what `h` wrote and the counters.
fn one<U, H: Recorder<U>>(file: &CaptureFile, idle: bool, mut h: H) -> (Vec<u8>, Stats) {
    let (stats, r) = run_file_stats(file, config(idle), &mut h);
    r.unwrap();
    (std::mem::take(h.tape()), stats)
}

/// `shards` engines over `file` with shard key `key`.
fn sharded<U, H: Recorder<U>>(
    file: &CaptureFile,
    (key, shards, idle): ([u8; 16], usize, bool),
    make: impl FnMut() -> H,
) -> (Vec<u8>, Stats, Vec<u64>) {
    let plan = Plan {
        shards,
        key,
        config: config(idle),
        tcp_storage: 4 << 20,
        defrag_storage: 1 << 20,
        end_ts: None,
    };
    let mut out = Output::new(Vec::new());
    let frames = FileFrames::new(file).unwrap();
    let o = shard::run::<U, H, _>(frames, &plan, make, &mut out, &|| false, &|_| {});
    o.read.unwrap();
    (out.w, o.stats, o.frames)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn prop_streams_and_stats_as_one_engine(
        key in any::<[u8; 16]>(),
        shards in 1usize..=6,
        idle in any::<bool>(),
    ) {
        let file = CaptureFile::open(MULTIFLOW.as_ref()).unwrap();
        let (want, want_stats) = one(&file, idle, StreamPrinter::new(Vec::new(), true, true));
        let (got, stats, frames) = sharded(&file, (key, shards, idle), || {
            StreamPrinter::new(Vec::new(), true, true)
        });
        prop_assert_eq!(frames.len(), shards);
        prop_assert_eq!(frames.iter().sum::<u64>(), want_stats.frames);
        prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        prop_assert_eq!(stats, want_stats);
    }

    #[test]
    fn prop_scans_as_one_engine(key in any::<[u8; 16]>(), shards in 2usize..=5) {
        let file = CaptureFile::open(MULTIFLOW.as_ref()).unwrap();
        let (want, want_stats) = one::<(), _>(&file, false, Printer::new(Vec::new(), true));
        let (got, stats, _) =
            sharded::<(), _>(&file, (key, shards, false), || Printer::new(Vec::new(), true));
        prop_assert_eq!(want_stats.scans, 4);
        prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        prop_assert_eq!(stats, want_stats);
    }
}

/// The counters that tell the capture's features apart are all there (so the
/// comparisons above compare something).
#[test]
fn test_multiflow_exercises_everything() {
    let file = CaptureFile::open(MULTIFLOW.as_ref()).unwrap();
    let (_, st) = one(&file, false, StreamPrinter::new(Vec::new(), true, true));
    assert!(st.fragments >= 40 && st.reassembled >= 14, "{st:?}");
    assert!(st.tcp_bytes > 7000, "{st:?}");
    assert!(st.ipv6 > 100 && st.non_ip == 5, "{st:?}");
    assert_eq!(st.tcp_icmp_refused, 1, "{st:?}");
    assert_eq!(st.scans, 4, "{st:?}");
}

/// The streams and datagrams of one run over `path`, as sorted lines, with
/// open streams ending at `end_ts`.
fn lines_of(path: &std::path::Path, end_ts: Option<nids_core::Instant>) -> Vec<String> {
    let file = CaptureFile::open(path).unwrap();
    let plan = Plan {
        shards: 1,
        key: [0; 16],
        config: config(false),
        tcp_storage: 4 << 20,
        defrag_storage: 1 << 20,
        end_ts,
    };
    let mut out = Output::new(Vec::new());
    let make = || StreamPrinter::new(Vec::new(), true, true);
    let o = shard::run::<_, _, _>(
        FileFrames::new(&file).unwrap(),
        &plan,
        make,
        &mut out,
        &|| false,
        &|_| {},
    );
    o.read.unwrap();
    let mut v: Vec<String> = String::from_utf8(out.w)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// `nids split`'s files, each run on its own to the whole capture's end,
    /// give the streams and datagrams of one run over the whole capture.
    #[test]
    fn prop_split_files_give_the_whole(key in any::<[u8; 16]>(), k in 1usize..=5) {
        let dir = tempfile::tempdir().unwrap();
        let file = CaptureFile::open(MULTIFLOW.as_ref()).unwrap();
        let s = shard::split::split(&file, shard::ShardKey::new(key, k), dir.path()).unwrap();
        prop_assert_eq!(s.files.len(), k);
        prop_assert_eq!(s.frames.iter().sum::<u64>(), 725);
        prop_assert_eq!(s.unkeyed, 5);
        let index = std::fs::read_to_string(dir.path().join(shard::split::INDEX)).unwrap();
        prop_assert!(index.contains("\"last_ts\":1700300020.724000"), "{}", index);
        let mut union: Vec<String> = s
            .files
            .iter()
            .flat_map(|f| lines_of(f, Some(s.last_ts)))
            .collect();
        union.sort();
        prop_assert_eq!(union, lines_of(MULTIFLOW.as_ref(), None));
    }
}

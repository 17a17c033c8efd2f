//! Every `nids` command over bundled captures, checked against expected output
//! kept in `tests/expected/` (rewrite them with `NIDS_BLESS=1 cargo test`, then
//! review the diff).
//!
//! Captures: the workspace's `tests/data/crafted/` (see its README) and this
//! crate's `tests/data/` (`scan.pcap`, `mixed.pcap`; see `make.py` there).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root: commands run there, with relative capture paths.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn nids(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nids"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("nids runs")
}

/// Compares `actual` with `tests/expected/<name>`, or writes it there when
/// `NIDS_BLESS` is set.
fn expect(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(name);
    if std::env::var_os("NIDS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with NIDS_BLESS=1)", path.display()));
    if expected != actual {
        panic!(
            "{name}: output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Runs `nids args`, asserts the exit status and an empty stderr, and compares
/// stdout with `tests/expected/<name>`.
fn check(name: &str, status: i32, args: &[&str]) {
    let o = nids(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(status), "{args:?}: {err}");
    assert!(err.is_empty(), "{args:?}: {err}");
    expect(name, &String::from_utf8(o.stdout).unwrap());
}

const MIXED: &str = "nids-host/tests/data/mixed.pcap";
const SCAN: &str = "nids-host/tests/data/scan.pcap";

fn crafted(name: &str) -> String {
    format!("tests/data/crafted/{name}.pcap")
}

#[test]
fn test_streams_udp() {
    check("streams-udp-mixed.txt", 0, &["streams", "--udp", MIXED]);
    check(
        "streams-udp-json-mixed.jsonl",
        0,
        &["streams", "--udp", "--json", MIXED],
    );
    // Without --udp, no datagram.
    let o = nids(&["streams", MIXED]);
    assert!(!String::from_utf8(o.stdout).unwrap().contains("[u]"));
}

#[test]
fn test_streams_crafted() {
    for c in ["reorder", "urgent", "close-variants", "seqwrap"] {
        check(&format!("streams-{c}.txt"), 0, &["streams", &crafted(c)]);
    }
}

#[test]
fn test_scan() {
    check("scan.txt", 0, &["scan", SCAN]);
    check("scan.jsonl", 0, &["scan", "--json", SCAN]);
    // Ordinary traffic is no scan.
    check("scan-none.txt", 0, &["scan", &crafted("many")]);
}

#[test]
fn test_grep() {
    // The request is cut into 4 segments, one out of order.
    check("grep-secret.txt", 0, &["grep", "secret-[a-z]+", MIXED]);
    check(
        "grep-control.jsonl",
        0,
        &["grep", "--json", r"\x00\x01.", MIXED],
    );
    // Every non-empty match of both directions of every stream.
    check(
        "grep-all-reorder.txt",
        0,
        &["grep", "(?s).+", &crafted("reorder")],
    );
    // Urgent bytes are not part of the stream: `interrupt` + `more` match.
    check(
        "grep-urgent.txt",
        0,
        &["grep", "interruptmore|head-tailrg", &crafted("urgent")],
    );
    // The libnids result of the overlap vector, found across 18 segments.
    check(
        "grep-overlap.txt",
        0,
        &["grep", "0AAAJJBCCCLLLMMMFFFGGHHIQ", &crafted("overlap")],
    );
    // At most one match per stream.
    check(
        "grep-max-count.txt",
        0,
        &["grep", "-m", "1", "[a-z]", &crafted("reorder")],
    );
    // Nothing matches: exit status 1, no output.
    check(
        "grep-none.txt",
        1,
        &["grep", "no such bytes", &crafted("reorder")],
    );
}

#[test]
fn test_grep_bad_regex() {
    let o = nids(&["grep", "(", MIXED]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        err,
        "nids: bad REGEX \"(\": regex parse error: ( ^ error: unclosed group\n"
    );
}

/// `index.jsonl`, then every file of the directory with its bytes escaped.
fn listing(dir: &Path) -> String {
    let mut out = std::fs::read_to_string(dir.join("index.jsonl")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "index.jsonl")
        .collect();
    names.sort();
    for n in names {
        let bytes = std::fs::read(dir.join(&n)).unwrap();
        out.push_str(&format!(
            "== {n} ({} bytes)\n{}\n",
            bytes.len(),
            nids_host::text::escape(&bytes, usize::MAX)
        ));
    }
    out
}

#[test]
fn test_dump() {
    for (name, capture) in [
        ("dump-mixed.txt", MIXED.to_owned()),
        ("dump-reorder.txt", crafted("reorder")),
        // Tuples used again get c2 files; a direction without bytes, no file.
        ("dump-portreuse.txt", crafted("portreuse")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("flows");
        let o = nids(&["dump", &capture, "-o", out.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty() && o.stderr.is_empty());
        expect(name, &listing(&out));
    }
}

/// The index has the keys of `streams --json`, in order, then the file names;
/// every file's size and SHA-256 are the ones the index gives.
#[test]
fn test_dump_index_matches_streams_json() {
    let dir = tempfile::tempdir().unwrap();
    let capture = crafted("duplicates");
    let o = nids(&["dump", &capture, "-o", dir.path().to_str().unwrap()]);
    assert!(o.status.success());
    let index = std::fs::read_to_string(dir.path().join("index.jsonl")).unwrap();
    let streams = String::from_utf8(nids(&["streams", "--json", &capture]).stdout).unwrap();
    assert_eq!(index.lines().count(), streams.lines().count());
    for (i, s) in index.lines().zip(streams.lines()) {
        let prefix = &s[..s.len() - 1];
        assert!(i.starts_with(prefix), "{i}\n{s}");
        let v: serde_json::Value = serde_json::from_str(i).unwrap();
        for dir_ in ["c2s", "s2c"] {
            let name = v[format!("{dir_}_file")].as_str().unwrap();
            let bytes = std::fs::read(dir.path().join(name)).unwrap();
            assert_eq!(
                bytes.len() as u64,
                v[format!("{dir_}_bytes")].as_u64().unwrap()
            );
            use sha2::Digest;
            let sha = nids_host::text::hex(&sha2::Sha256::digest(&bytes));
            assert_eq!(sha, v[format!("{dir_}_sha256")].as_str().unwrap());
        }
    }
}

#[test]
fn test_dump_unwritable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "").unwrap();
    let o = nids(&["dump", MIXED, "-o", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("nids: ") && err.contains("plain: cannot write"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

/// `end` values of `streams --json`, counted.
fn ends(args: &[&str]) -> std::collections::BTreeMap<String, usize> {
    let o = nids(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut m = std::collections::BTreeMap::new();
    for l in String::from_utf8(o.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        *m.entry(v["end"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    m
}

fn counts(pairs: &[(&str, usize)]) -> std::collections::BTreeMap<String, usize> {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[test]
fn test_streams_option() {
    let many = crafted("many");
    // libnids' table: 781 concurrent of 1040 slots.
    assert_eq!(
        ends(&["streams", "--json", &many]),
        counts(&[("close", 781), ("timeout", 1219)])
    );
    // As libnids with n_tcp_streams 4096 (many.pcap.libnids-4096.jsonl): all close.
    assert_eq!(
        ends(&["streams", "--json", "--streams", "4096", &many]),
        counts(&[("close", 2000)])
    );
    assert_eq!(
        ends(&["streams", "--json", "--streams", "100", &many]),
        counts(&[("close", 100), ("timeout", 1900)])
    );
    // Any N up to the largest builds: slots are reserved, touched only as
    // streams open.
    for n in ["1048576", "4194304"] {
        assert_eq!(
            ends(&["streams", "--json", "--streams", n, &many]),
            counts(&[("close", 2000)])
        );
    }
    // Same output as libnids' 4096-slot run, line for line.
    let ours =
        String::from_utf8(nids(&["streams", "--json", "--streams", "4096", &many]).stdout).unwrap();
    let theirs =
        std::fs::read_to_string(root().join("tests/data/crafted/many.pcap.libnids-4096.jsonl"))
            .unwrap();
    assert_eq!(ours.lines().count(), theirs.lines().count());
}

#[test]
fn test_timeouts() {
    let reuse = crafted("portreuse");
    // Streams idle for a second end as `timeout`.
    check(
        "streams-portreuse-idle-1.txt",
        0,
        &["streams", "--idle-timeout", "1", &reuse],
    );
    // Without a flow timeout the hour-old stream of 44004 is never replaced.
    check(
        "streams-portreuse-flow-0.txt",
        0,
        &["streams", "--flow-timeout", "0", &reuse],
    );
    check("streams-portreuse.txt", 0, &["streams", &reuse]);
}

#[test]
fn test_tcp_storage() {
    // 1 MiB is plenty for these captures: same result.
    let a = nids(&["streams", "--tcp-storage", "1", &crafted("reorder")]);
    let b = nids(&["streams", &crafted("reorder")]);
    assert_eq!(a.stdout, b.stdout);
    let o = nids(&["streams", "--tcp-storage", "0", &crafted("reorder")]);
    assert_eq!(o.status.code(), Some(2));
}

/// grep's habits: `-i` ignores case, `-c` counts the matches of each stream,
/// `-l` prints each stream with a match once.
#[test]
fn test_grep_ignore_case_count_list() {
    let secret = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/grep-secret.txt"),
    )
    .unwrap();
    check(
        "grep-secret.txt",
        0,
        &["grep", "-i", "SECRET-[A-Z]+", MIXED],
    );
    check(
        "grep-secret.txt",
        0,
        &["grep", "--ignore-case", "Secret-[a-z]+", MIXED],
    );
    check("grep-none.txt", 1, &["grep", "SECRET-[A-Z]+", MIXED]);
    let o = nids(&["grep", "-c", "secret-[a-z]+", MIXED]);
    let stream = secret.split(" c2s ").next().unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{stream}: 1\n")
    );
    check(
        "grep-count-reorder.txt",
        0,
        &["grep", "-c", "[a-z]", &crafted("reorder")],
    );
    check(
        "grep-list-reorder.txt",
        0,
        &["grep", "-l", "[a-z]", &crafted("reorder")],
    );
    // -c and -l print lines, not JSON.
    let o = nids(&["grep", "-c", "--json", "x", MIXED]);
    assert_eq!(o.status.code(), Some(2));
}

/// Invalid input is told before anything is written: no directory is made.
#[test]
fn test_dump_invalid_input_makes_no_directory() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a capture").unwrap();
    let out = dir.path().join("flows");
    for input in [text.to_str().unwrap(), "/no/such/capture.pcap"] {
        let o = nids(&["dump", input, "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(!out.exists(), "{input}: {} was made", out.display());
    }
}

/// `--kill` searches each segment's new bytes as they arrive: a match in a
/// short request (far less than `window / 4` bytes) resets its stream at
/// once, before the stream ends, with RSTs toward both ends.
#[test]
fn test_grep_kill_resets_at_the_first_match() {
    use nids_core::{Config, Handler, LinkType, Stream, TcpEvent};
    use nids_host::grep::{pattern, Dirs, Grepper};
    use nids_host::session::Session;

    /// What happened, in order: `E<client port>` a stream's end, `R` an RST
    /// frame sent.
    #[derive(Default)]
    struct Log(Vec<String>);
    impl Handler<Dirs> for Log {
        fn tcp(&mut self, s: &mut Stream<'_, '_, Dirs>) {
            if !matches!(s.event(), TcpEvent::JustEstablished | TcpEvent::Data) {
                self.0.push(format!("E{}", s.tuple().sport));
            }
        }
        fn transmit(&mut self, _: LinkType, frame: &[u8]) {
            assert_eq!(frame[14 + 20 + 13], 0x04, "RST only");
            self.0.push("R".to_owned());
        }
    }
    let cap = root().join(MIXED);
    for eager in [true, false] {
        let mut g = Grepper::new(pattern("secret-").unwrap(), Vec::new(), false, 65536, 1);
        g.kill = true;
        g.eager = eager;
        let mut log = Log::default();
        let mut storage = vec![0u8; 1 << 20];
        let mut s = Session::<Dirs>::open(&cap, Config::new(), &mut storage[..]).unwrap();
        s.run(&mut (&mut g, &mut log)).unwrap();
        let at = |what: &str| log.0.iter().position(|e| e == what);
        let (rst, end) = (at("R"), at("E50000"));
        let sent = log.0.iter().filter(|e| *e == "R").count();
        if eager {
            // Toward the server and the client, before the stream ends.
            assert!(sent >= 2 && rst < end, "{:?}", log.0);
        } else {
            // Searched only at its end, the stream could not be reset.
            assert!(sent == 0 && end.is_some(), "{:?}", log.0);
        }
        assert_eq!(g.matches, 1);
    }
}

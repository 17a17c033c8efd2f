//! The library loop API: `Session::run`, `next`, `dispatch`, `feed`, `finish`
//! give the same streams as `run_file`, and errors leave the streams reported.

use std::path::{Path, PathBuf};

use nids_core::{Config, Instant, LinkType};
use nids_host::capture::CaptureFile;
use nids_host::run::{run_file, Error};
use nids_host::session::Session;
use nids_host::streams::StreamPrinter;

fn crafted(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/crafted")
        .join(name)
}

fn printer() -> StreamPrinter<Vec<u8>> {
    StreamPrinter::new(Vec::new(), true, true)
}

fn text(p: StreamPrinter<Vec<u8>>) -> String {
    String::from_utf8(p.out).unwrap()
}

/// What `run_file` prints for a capture.
fn reference(name: &str) -> String {
    let file = CaptureFile::open(&crafted(name)).unwrap();
    let mut p = printer();
    run_file(&file, Config::new(), &mut p).unwrap();
    text(p)
}

#[test]
fn test_run_is_run_file() {
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s =
        Session::<_>::open(&crafted("reorder.pcap"), Config::new(), &mut storage[..]).unwrap();
    let stats = s.run(&mut p).unwrap();
    assert_eq!(stats.frames, s.packets_read());
    assert_eq!(text(p), reference("reorder.pcap"));
    // Finished: nothing more.
    assert!(!s.next(&mut printer()).unwrap());
    assert_eq!(s.dispatch(10, &mut printer()).unwrap(), 0);
}

#[test]
fn test_next_one_packet_at_a_time() {
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s =
        Session::<_>::open(&crafted("urgent.pcap"), Config::new(), &mut storage[..]).unwrap();
    let mut n = 0;
    while s.next(&mut p).unwrap() {
        n += 1;
        assert_eq!(s.stats().frames, n);
        let (done, total) = s.progress().unwrap();
        assert!(done <= total);
    }
    assert_eq!(s.progress().map(|p| p.0 == p.1), Some(true));
    s.finish(&mut p);
    s.finish(&mut p); // twice: nothing more
    assert_eq!(text(p), reference("urgent.pcap"));
}

#[test]
fn test_dispatch_batches() {
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s = Session::<_>::open(&crafted("many.pcap"), Config::new(), &mut storage[..]).unwrap();
    let mut batches = Vec::new();
    loop {
        let n = s.dispatch(5000, &mut p).unwrap();
        if n == 0 {
            break;
        }
        batches.push(n);
    }
    assert_eq!(batches, [5000, 5000, 2000]);
    s.finish(&mut p);
    assert_eq!(text(p), reference("many.pcap"));
}

/// Frames captured elsewhere (here: read by hand) fed one by one, as with
/// libnids' nids_pcap_handler.
#[test]
fn test_feed() {
    let file = CaptureFile::open(&crafted("seqwrap.pcap")).unwrap();
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s = Session::<_>::new(LinkType::ETHERNET, Config::new(), &mut storage[..]).unwrap();
    assert!(!s.next(&mut p).unwrap(), "no source");
    for packet in file.packets() {
        let packet = packet.unwrap();
        s.feed(Instant::from_micros(packet.ts_us), packet.data, &mut p)
            .unwrap();
    }
    s.finish(&mut p);
    // Frames after finish are ignored.
    let frames = s.stats().frames;
    s.feed(Instant::from_micros(1), &[0; 60], &mut p).unwrap();
    assert_eq!(s.stats().frames, frames);
    assert_eq!(text(p), reference("seqwrap.pcap"));

    let e = Session::<()>::new(LinkType(7), Config::new(), &mut storage[..]).err();
    assert!(matches!(e, Some(Error::LinkType { .. })));
}

/// A file session can be fed too: frames of its link type.
#[test]
fn test_feed_into_file_session() {
    let file = CaptureFile::open(&crafted("reorder.pcap")).unwrap();
    let frames: Vec<(u64, Vec<u8>)> = file
        .packets()
        .map(|p| p.map(|p| (p.ts_us, p.data.to_vec())).unwrap())
        .collect();
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s = Session::<_>::from_file(file, Config::new(), &mut storage[..]).unwrap();
    for (ts, f) in &frames {
        s.feed(Instant::from_micros(*ts), f, &mut p).unwrap();
    }
    s.finish(&mut p);
    assert_eq!(text(p), reference("reorder.pcap"));
}

#[test]
fn test_truncated_run_reports_then_errs() {
    let whole = std::fs::read(crafted("reorder.pcap")).unwrap();
    let file = CaptureFile::from_bytes(whole[..2000].to_vec()).unwrap();
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    let mut s = Session::<_>::from_file(file, Config::new(), &mut storage[..]).unwrap();
    let e = s.run(&mut p).unwrap_err();
    assert!(e.to_string().contains("(read 26 packets)"), "{e}");
    assert_eq!(s.stats().frames, 26);
    assert_eq!(text(p).lines().count(), 2);
}

#[test]
fn test_more_slots() {
    let mut storage = vec![0u8; 4 << 20];
    let mut p = printer();
    // The table is sized at run time: libnids' 3/4 of 4096 slots.
    let mut c = Config::new();
    c.tcp.max_streams = Some(3 * 4096 / 4 + 1);
    let mut s = Session::<_>::open(&crafted("many.pcap"), c, &mut storage[..]).unwrap();
    s.run(&mut p).unwrap();
    // 3073 slots hold all 2000 streams: every one closes.
    let out = text(p);
    assert_eq!(
        out.lines().filter(|l| l.contains("\"close\"")).count(),
        2000
    );
    assert_eq!(s.engine().unwrap().link_type(), LinkType::ETHERNET);
}

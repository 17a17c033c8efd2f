//! `nids_host::capture::CaptureFile::from_bytes` and a walk over the packets.
//!
//! Invariants: no panic; every packet's bytes lie inside the file; the offset
//! only grows, stays within the file, and for pcap moves by exactly one record
//! per packet; `packets_read` counts the packets; a packet's interface is
//! declared and has its link type; at most one error, after which the iterator
//! is done (and stays done); a second walk gives the same packets; the number
//! of packets is bounded by the file size (no record without bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nids_host::capture::{CaptureFile, Format};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = CaptureFile::from_bytes(data.to_vec()) else {
        return;
    };
    assert_eq!(file.len(), data.len());
    let bytes = file.bytes().as_ptr_range();
    let pcap = matches!(file.format(), Format::Pcap { .. });
    let walk = || {
        let mut it = file.packets();
        let mut out = Vec::new();
        let mut err = None;
        let mut prev = it.offset();
        assert!(prev <= file.len());
        loop {
            match it.next() {
                None => break,
                Some(Ok(p)) => {
                    let r = p.data.as_ptr_range();
                    assert!(
                        bytes.start <= r.start && r.end <= bytes.end,
                        "packet outside the file"
                    );
                    let off = it.offset();
                    assert!(off > prev, "no progress");
                    assert!(off <= file.len(), "offset past the end");
                    if pcap {
                        assert_eq!(off - prev, 16 + p.data.len(), "pcap record size");
                        assert_eq!(p.interface, 0);
                    }
                    prev = off;
                    out.push((
                        p.ts_us,
                        p.link_type,
                        p.data.as_ptr() as usize,
                        p.data.len(),
                        p.orig_len,
                        p.interface,
                    ));
                    assert_eq!(it.packets_read(), out.len() as u64);
                    let ifaces = it.interfaces();
                    let i = ifaces
                        .get(p.interface as usize)
                        .expect("undeclared interface");
                    assert_eq!(i.link_type, p.link_type, "link type of another interface");
                }
                Some(Err(e)) => {
                    assert!(!e.to_string().is_empty());
                    assert!(it.offset() >= prev && it.offset() <= file.len());
                    err = Some(e.to_string());
                    break;
                }
            }
        }
        assert!(it.next().is_none(), "iterator goes on after its end");
        assert!(it.next().is_none());
        if err.is_none() {
            assert_eq!(
                it.offset(),
                file.len(),
                "clean end before the end of the file"
            );
        }
        (out, err)
    };
    let (a, ea) = walk();
    let (b, eb) = walk();
    assert_eq!(a, b, "two walks differ");
    assert_eq!(ea, eb);
    assert!(
        a.len() <= data.len() / 12,
        "more packets than the file can hold"
    );
    let _ = file.link_types();
});

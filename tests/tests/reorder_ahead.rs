//! Issue 13: a real transfer whose data reaches the receiver far ahead of its
//! next expected byte (`tests/data/real/reorder-ahead.pcap`, made by
//! `make-reorder.sh`: two Linux stacks, a user-space bridge holding back every
//! 40th data segment for 25 ms; the receiver answers with SACKs and duplicate
//! ACKs, the sender retransmits). `nids streams` must deliver exactly what an
//! unbounded reassembler does, with and without `--skip-gaps`.

use std::collections::BTreeMap;

use nids_host::capture::CaptureFile;
use nids_host::run::run_file;
use nids_host::streams::StreamPrinter;
use nids_tests::data;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// One direction of one connection as an unbounded reassembler sees it.
#[derive(Default)]
struct Dir {
    isn: Option<u32>,
    /// Offset from the first data byte -> bytes (the first copy of a byte wins).
    bytes: BTreeMap<u64, u8>,
    /// How far past the next expected byte data ever reached.
    max_ahead: u64,
    /// Data segments whose bytes were all seen before (retransmissions).
    repeats: u32,
    /// Segments carrying a SACK option (TCP option kind 5).
    sacks: u32,
    /// Pure ACKs acknowledging the same byte as the ACK before them.
    dup_acks: u32,
    last_ack: Option<u32>,
}

impl Dir {
    fn segment(&mut self, seq: u32, syn: bool, payload: &[u8]) {
        if syn {
            self.isn = Some(seq);
            return;
        }
        let Some(isn) = self.isn else { return };
        let off = u64::from(seq.wrapping_sub(isn).wrapping_sub(1));
        if !payload.is_empty()
            && (0..payload.len() as u64).all(|i| self.bytes.contains_key(&(off + i)))
        {
            self.repeats += 1;
        }
        for (i, &b) in payload.iter().enumerate() {
            self.bytes.entry(off + i as u64).or_insert(b);
        }
        let next = self.in_order().len() as u64;
        let end = off + payload.len() as u64;
        self.max_ahead = self.max_ahead.max(end.saturating_sub(next));
    }

    /// The bytes up to the first hole.
    fn in_order(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (&o, &b) in &self.bytes {
            if o != out.len() as u64 {
                break;
            }
            out.push(b);
        }
        out
    }

    /// Every byte, holes skipped.
    fn all(&self) -> Vec<u8> {
        self.bytes.values().copied().collect()
    }
}

/// Ethernet/IPv4/TCP frames of a pcap file: (src, sport, dst, dport) -> Dir.
fn reference(path: &std::path::Path) -> BTreeMap<([u8; 4], u16, [u8; 4], u16), Dir> {
    let f = std::fs::read(path).unwrap();
    assert_eq!(&f[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let mut dirs: BTreeMap<_, Dir> = BTreeMap::new();
    let mut at = 24;
    while at + 16 <= f.len() {
        let incl = u32::from_le_bytes(f[at + 8..at + 12].try_into().unwrap()) as usize;
        let p = &f[at + 16..at + 16 + incl];
        at += 16 + incl;
        if p.len() < 54 || p[12..14] != [8, 0] || p[23] != 6 {
            continue;
        }
        let ihl = usize::from(p[14] & 15) * 4;
        let total = usize::from(u16::from_be_bytes([p[16], p[17]]));
        let t = &p[14 + ihl..14 + total];
        let doff = usize::from(t[12] >> 4) * 4;
        let key = (
            p[26..30].try_into().unwrap(),
            u16::from_be_bytes([t[0], t[1]]),
            p[30..34].try_into().unwrap(),
            u16::from_be_bytes([t[2], t[3]]),
        );
        let seq = u32::from_be_bytes(t[4..8].try_into().unwrap());
        let ack = u32::from_be_bytes(t[8..12].try_into().unwrap());
        let d = dirs.entry(key).or_default();
        d.segment(seq, t[13] & 2 != 0, &t[doff..]);
        if has_sack(&t[20..doff]) {
            d.sacks += 1;
        }
        if doff == t.len() && t[13] & 0x17 == 0x10 {
            if d.last_ack == Some(ack) {
                d.dup_acks += 1;
            }
            d.last_ack = Some(ack);
        }
    }
    dirs
}

/// Whether TCP options hold a SACK block (kind 5).
fn has_sack(mut o: &[u8]) -> bool {
    while let Some(&k) = o.first() {
        match k {
            0 => return false,
            1 => o = &o[1..],
            _ => {
                let l = usize::from(*o.get(1).unwrap_or(&0));
                if k == 5 {
                    return true;
                }
                if l < 2 || l > o.len() {
                    return false;
                }
                o = &o[l..];
            }
        }
    }
    false
}

fn nids_streams(config: nids_core::Config<'static>) -> Vec<Value> {
    let file = CaptureFile::open(&data("real/reorder-ahead.pcap")).unwrap();
    let mut p = StreamPrinter::new(Vec::new(), true, false);
    run_file(&file, config, &mut p).unwrap();
    String::from_utf8(p.out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reorder_ahead_equals_unbounded_reassembler() {
    let dirs = reference(&data("real/reorder-ahead.pcap"));
    // the transfer: 100 bytes up, 300,000 down
    let (key, down) = dirs
        .iter()
        .max_by_key(|(_, d)| d.bytes.len())
        .expect("a stream");
    assert_eq!(down.bytes.len(), 300_000);
    assert!(
        down.max_ahead >= 200_000,
        "data must reach at least 200 KB past the next expected byte: {}",
        down.max_ahead
    );
    let up = &dirs[&(key.2, key.3, key.0, key.1)];
    // both stacks reacted: the receiver sent SACKs and duplicate ACKs, the
    // sender retransmitted
    assert!(
        up.sacks > 0 && up.dup_acks > 0,
        "sacks {} dup acks {}",
        up.sacks,
        up.dup_acks
    );
    assert!(down.repeats > 0, "no retransmission");
    for skip_gaps in [false, true] {
        let mut config = nids_core::Config::new();
        config.tcp.skip_gaps = skip_gaps;
        let streams = nids_streams(config);
        assert_eq!(streams.len(), 1, "{streams:?}");
        let s = &streams[0];
        let (s2c, c2s) = if skip_gaps {
            (down.all(), up.all())
        } else {
            (down.in_order(), up.in_order())
        };
        assert_eq!(s["s2c_bytes"], s2c.len(), "skip_gaps {skip_gaps}");
        assert_eq!(s["s2c_sha256"], hex(&s2c), "skip_gaps {skip_gaps}");
        assert_eq!(s["c2s_bytes"], c2s.len());
        assert_eq!(s["c2s_sha256"], hex(&c2s));
    }
}

/// The capture does exercise the limit: with libnids' 64 KiB per half, bytes
/// are lost.
#[test]
fn reorder_ahead_needs_more_than_64k() {
    let mut config = nids_core::Config::new();
    config.tcp.max_queue = 64 << 10;
    let streams = nids_streams(config);
    assert!(streams[0]["s2c_bytes"].as_u64().unwrap() < 300_000);
}

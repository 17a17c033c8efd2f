//! An unbounded reassembler over Ethernet/IPv4/TCP pcap files: the truth for
//! benign real traffic (the first copy of each byte wins; no window, no
//! overlap rules, no limits), with the counts that show what a capture holds
//! (SACKs, duplicate ACKs, retransmissions, how far data ran ahead).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// SHA-256 of `b`, in lowercase hex.
pub fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// One direction of one connection as an unbounded reassembler sees it.
#[derive(Default)]
pub struct Dir {
    pub isn: Option<u32>,
    /// Offset from the first data byte -> bytes (the first copy of a byte wins).
    pub bytes: BTreeMap<u64, u8>,
    /// How far past the next expected byte data ever reached.
    pub max_ahead: u64,
    /// Data segments whose bytes were all seen before (retransmissions).
    pub repeats: u32,
    /// Segments carrying a SACK option (TCP option kind 5).
    pub sacks: u32,
    /// Pure ACKs acknowledging the same byte as the ACK before them.
    pub dup_acks: u32,
    pub last_ack: Option<u32>,
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
    pub fn in_order(&self) -> Vec<u8> {
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
    pub fn all(&self) -> Vec<u8> {
        self.bytes.values().copied().collect()
    }
}

/// Ethernet/IPv4/TCP frames of a capture file (pcap or pcapng, as
/// `CaptureFile` reads them): (src, sport, dst, dport) -> Dir.
pub fn reference(path: &std::path::Path) -> BTreeMap<([u8; 4], u16, [u8; 4], u16), Dir> {
    let file = nids_host::capture::CaptureFile::open(path).expect("capture opens");
    let mut dirs: BTreeMap<_, Dir> = BTreeMap::new();
    for packet in file.packets() {
        let packet = packet.expect("capture reads");
        let p = packet.data;
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

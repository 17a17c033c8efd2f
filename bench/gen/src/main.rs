//! `nids-bench-gen SEED.pcap OUT.pcap [--copies K] [--hosts H] [--overlap P] [--reorder F] [--seed N]`
//!
//! Multiplies a seed capture (classic pcap, Ethernet, IPv4) into a bigger one:
//!
//! * copy `k` (0..K) of every packet of TCP flow `f` (numbered in order of first
//!   appearance; other packets count as flow 0) has its IPv4 addresses rewritten to
//!   `a.(b ^ hi(t)).(c ^ lo(t)).d` with `t = k * H + f mod H + 1`, so each copy's
//!   flows are distinct and each copy holds H distinct address pairs (the seed's
//!   one client and one server become H pairs: H hosts, as a sensor sees many, not
//!   one host with 252 connections; H = 1, the default, keeps one pair per copy).
//!   The IPv4
//!   header checksum and the TCP/UDP checksum (pseudo-header) are updated
//!   incrementally (RFC 1624), so they stay valid;
//! * copy `k` is shifted in time by `k * T / P` (T: the seed's duration), and the
//!   copies are merged in timestamp order, so about P copies run at once (the
//!   concurrency is about P times the seed's);
//! * with `--reorder F`, in each copy a fraction F of the TCP data segments is
//!   swapped with a later data segment of the same flow and direction (at most
//!   8 packets later), a deterministic stand-in for the reordering and retransmission
//!   gaps a sensor sees (the namespaces' veths never reorder).
//!
//! Prints what it wrote, with the largest number of flows open at once (from a
//! flow's first to its last packet), to stderr.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs;
use std::io::{BufWriter, Write};
use std::process::exit;

/// How far (in packets of the seed) a reordered segment may move.
const REORDER_DISTANCE: usize = 8;

struct Pkt {
    ts_ns: u64,
    off: usize,
    len: usize,
    orig_len: u32,
    /// Offset of the IPv4 header in the frame, if IPv4.
    ip: Option<usize>,
    /// Directional flow id (index into the flow table) and payload length, for TCP.
    flow: Option<(u32, bool, usize)>,
}

fn die(msg: &str) -> ! {
    eprintln!("nids-bench-gen: {msg}");
    exit(2)
}

fn rd16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

/// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over 16-bit words.
fn csum_update(hc: u16, old: &[u16], new: &[u16]) -> u16 {
    let mut s: u32 = (!hc) as u32;
    for &o in old {
        s += (!o) as u32;
    }
    for &n in new {
        s += n as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// `a` rewritten for address class `t` (1..=65535).
fn map_addr(a: [u8; 4], t: u32) -> [u8; 4] {
    [a[0], a[1] ^ (t >> 8) as u8, a[2] ^ t as u8, a[3]]
}

fn words(a: [u8; 4], b: [u8; 4]) -> [u16; 4] {
    [
        u16::from_be_bytes([a[0], a[1]]),
        u16::from_be_bytes([a[2], a[3]]),
        u16::from_be_bytes([b[0], b[1]]),
        u16::from_be_bytes([b[2], b[3]]),
    ]
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut pos = Vec::new();
    let (mut copies, mut overlap, mut reorder, mut seed) = (5u32, 0u32, 0.0f64, 1u64);
    let mut hosts = 1u32;
    let mut i = 1;
    while i < args.len() {
        let val = |i: usize| -> &str {
            args.get(i + 1)
                .map(|s| s.as_str())
                .unwrap_or_else(|| die(&format!("{} needs a value", args[i])))
        };
        match args[i].as_str() {
            "--copies" => copies = val(i).parse().unwrap_or_else(|_| die("bad --copies")),
            "--hosts" => hosts = val(i).parse().unwrap_or_else(|_| die("bad --hosts")),
            "--overlap" => overlap = val(i).parse().unwrap_or_else(|_| die("bad --overlap")),
            "--reorder" => reorder = val(i).parse().unwrap_or_else(|_| die("bad --reorder")),
            "--seed" => seed = val(i).parse().unwrap_or_else(|_| die("bad --seed")),
            s if s.starts_with("--") => die(&format!("unknown option {s}")),
            _ => {
                pos.push(args[i].clone());
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if pos.len() != 2 || copies == 0 || hosts == 0 || u64::from(copies) * u64::from(hosts) > 65535 {
        die("usage: nids-bench-gen SEED.pcap OUT.pcap [--copies K] [--hosts H] [--overlap P] [--reorder F] [--seed N] (K * H <= 65535)");
    }
    if overlap == 0 || overlap > copies {
        overlap = copies;
    }
    let buf = fs::read(&pos[0]).unwrap_or_else(|e| die(&format!("{}: {e}", pos[0])));
    if buf.len() < 24 {
        die("seed too short");
    }
    let magic = u32::from_le_bytes(buf[0..4].try_into().unwrap());
    let nanos = match magic {
        0xa1b2c3d4 => false,
        0xa1b23c4d => true,
        _ => die("seed must be a little-endian classic pcap"),
    };
    let snaplen = u32::from_le_bytes(buf[16..20].try_into().unwrap());
    let link = u32::from_le_bytes(buf[20..24].try_into().unwrap());
    if link != 1 {
        die("seed must be Ethernet (link type 1)");
    }

    // Read the seed.
    let mut pkts = Vec::new();
    let mut flows: HashMap<([u8; 4], u16, [u8; 4], u16), u32> = HashMap::new();
    let mut flow_span: Vec<(u64, u64)> = Vec::new();
    let mut o = 24;
    while o + 16 <= buf.len() {
        let h = |j: usize| u32::from_le_bytes(buf[o + j..o + j + 4].try_into().unwrap());
        let (sec, frac, incl, orig) = (h(0), h(4), h(8) as usize, h(12));
        let ts_ns = sec as u64 * 1_000_000_000
            + if nanos {
                frac as u64
            } else {
                frac as u64 * 1000
            };
        let off = o + 16;
        if off + incl > buf.len() {
            break;
        }
        let f = &buf[off..off + incl];
        let mut ip = None;
        let mut flow = None;
        if incl >= 34 && rd16(f, 12) == 0x0800 && f[14] >> 4 == 4 {
            let ihl = (f[14] & 15) as usize * 4;
            let tot = rd16(f, 16) as usize;
            ip = Some(14);
            let frag = rd16(f, 20) & 0x3fff;
            if f[23] == 6 && frag == 0 && incl >= 14 + ihl + 20 && tot >= ihl + 20 {
                let t = 14 + ihl;
                let s: [u8; 4] = f[26..30].try_into().unwrap();
                let d: [u8; 4] = f[30..34].try_into().unwrap();
                let (sp, dp) = (rd16(f, t), rd16(f, t + 2));
                let doff = (f[t + 12] >> 4) as usize * 4;
                let payload = tot.saturating_sub(ihl + doff);
                let (key, fwd) = if (s, sp) <= (d, dp) {
                    ((s, sp, d, dp), true)
                } else {
                    ((d, dp, s, sp), false)
                };
                let n = flows.len() as u32;
                let id = *flows.entry(key).or_insert(n);
                if id == n {
                    flow_span.push((ts_ns, ts_ns));
                }
                flow_span[id as usize].1 = ts_ns;
                flow = Some((id, fwd, payload));
            }
        }
        pkts.push(Pkt {
            ts_ns,
            off,
            len: incl,
            orig_len: orig,
            ip,
            flow,
        });
        o = off + incl;
    }
    if pkts.is_empty() {
        die("seed has no packet");
    }
    let t0 = pkts[0].ts_ns;
    let dur = pkts.last().unwrap().ts_ns.saturating_sub(t0).max(1);
    let step = dur / overlap as u64;

    // Per copy: a permutation of the seed (reordering), shared timestamps.
    let n = pkts.len();
    let mut perms: Vec<Vec<u32>> = Vec::with_capacity(copies as usize);
    let mut reordered = 0u64;
    for k in 0..copies {
        let mut perm: Vec<u32> = (0..n as u32).collect();
        if reorder > 0.0 {
            let mut rng = Rng((seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ ((k as u64 + 1) * 0x1234_5678_9abc_def1))
                | 1);
            let mut moved = vec![false; n];
            for i in 0..n {
                let Some((fi, di, li)) = pkts[i].flow else {
                    continue;
                };
                if li == 0 || moved[i] || rng.unit() >= reorder {
                    continue;
                }
                for j in i + 1..(i + 1 + REORDER_DISTANCE).min(n) {
                    if moved[j] {
                        continue;
                    }
                    if let Some((fj, dj, lj)) = pkts[j].flow {
                        if fj == fi && dj == di && lj > 0 {
                            perm.swap(i, j);
                            moved[i] = true;
                            moved[j] = true;
                            reordered += 1;
                            break;
                        }
                    }
                }
            }
        }
        perms.push(perm);
    }

    // Merge the copies by time.
    let out = fs::File::create(&pos[1]).unwrap_or_else(|e| die(&format!("{}: {e}", pos[1])));
    let mut w = BufWriter::with_capacity(1 << 20, out);
    let mut hdr = Vec::with_capacity(24);
    hdr.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    hdr.extend_from_slice(&2u16.to_le_bytes());
    hdr.extend_from_slice(&4u16.to_le_bytes());
    hdr.extend_from_slice(&[0u8; 8]);
    hdr.extend_from_slice(&snaplen.to_le_bytes());
    hdr.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&hdr).unwrap();
    let mut heap = BinaryHeap::new();
    for k in 0..copies {
        heap.push(Reverse((pkts[0].ts_ns + k as u64 * step, k, 0u32)));
    }
    let mut frame = Vec::with_capacity(65536 + 64);
    let (mut written, mut bytes) = (0u64, 0u64);
    while let Some(Reverse((ts, k, p))) = heap.pop() {
        let src = &pkts[perms[k as usize][p as usize] as usize];
        frame.clear();
        frame.extend_from_slice(&buf[src.off..src.off + src.len]);
        if let Some(ipo) = src.ip {
            let f = &mut frame[..];
            let s: [u8; 4] = f[ipo + 12..ipo + 16].try_into().unwrap();
            let d: [u8; 4] = f[ipo + 16..ipo + 20].try_into().unwrap();
            let f_id = src.flow.map_or(0, |(id, _, _)| id);
            let t = k * hosts + f_id % hosts + 1;
            let (ns, nd) = (map_addr(s, t), map_addr(d, t));
            let (ow, nw) = (words(s, d), words(ns, nd));
            f[ipo + 12..ipo + 16].copy_from_slice(&ns);
            f[ipo + 16..ipo + 20].copy_from_slice(&nd);
            let c = csum_update(rd16(f, ipo + 10), &ow, &nw);
            f[ipo + 10..ipo + 12].copy_from_slice(&c.to_be_bytes());
            let ihl = (f[ipo] & 15) as usize * 4;
            let frag = rd16(f, ipo + 6) & 0x1fff;
            let l4 = ipo + ihl;
            if frag == 0 {
                match f[ipo + 9] {
                    6 if f.len() >= l4 + 18 => {
                        let c = csum_update(rd16(f, l4 + 16), &ow, &nw);
                        f[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
                    }
                    17 if f.len() >= l4 + 8 && rd16(f, l4 + 6) != 0 => {
                        let mut c = csum_update(rd16(f, l4 + 6), &ow, &nw);
                        if c == 0 {
                            c = 0xffff;
                        }
                        f[l4 + 6..l4 + 8].copy_from_slice(&c.to_be_bytes());
                    }
                    _ => {}
                }
            }
        }
        let rec = [
            (ts / 1_000_000_000) as u32,
            ((ts % 1_000_000_000) / 1000) as u32,
            frame.len() as u32,
            src.orig_len,
        ];
        for v in rec {
            w.write_all(&v.to_le_bytes()).unwrap();
        }
        w.write_all(&frame).unwrap();
        written += 1;
        bytes += frame.len() as u64;
        let next = p + 1;
        if (next as usize) < n {
            let nts = pkts[next as usize].ts_ns - t0 + pkts[0].ts_ns + k as u64 * step;
            heap.push(Reverse((nts.max(ts), k, next)));
        }
    }
    w.flush()
        .unwrap_or_else(|e| die(&format!("{}: {e}", pos[1])));

    // Flows open at once: each seed flow's [first, last] packet, shifted per copy.
    let mut ev: Vec<(u64, i32)> = Vec::with_capacity(flow_span.len() * copies as usize * 2);
    for k in 0..copies as u64 {
        for &(a, b) in &flow_span {
            ev.push((a + k * step, 1));
            ev.push((b + k * step + 1, -1));
        }
    }
    ev.sort_unstable();
    let (mut cur, mut max) = (0i64, 0i64);
    for (_, d) in ev {
        cur += d as i64;
        max = max.max(cur);
    }
    eprintln!(
        "nids-bench-gen: {} packets, {} bytes of frames, {} TCP flows ({} per copy x {} copies, ~{} copies at once) \
         between {} address pairs, at most {} flows open at once, {} data segments reordered, {:.1} s of capture time",
        written,
        bytes,
        flow_span.len() as u64 * copies as u64,
        flow_span.len(),
        copies,
        overlap,
        u64::from(copies) * u64::from(hosts).min(flow_span.len().max(1) as u64),
        max,
        reordered,
        (dur + (copies as u64 - 1) * step) as f64 / 1e9
    );
}

//! Packet builders with correct lengths and checksums.

use std::net::IpAddr;

use nids_core::ip::checksum;
use nids_core::LinkType;

/// An IPv4 header (20 bytes plus `opts`, padded to 4) around `payload`, checksum
/// filled in. `frag` is the flags-and-offset field (offset in 8-byte units).
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut opts = opts[..opts.len().min(40)].to_vec();
    while !opts.len().is_multiple_of(4) {
        opts.push(0);
    }
    let hl = 20 + opts.len();
    let total = (hl + payload.len()).min(65535);
    let mut b = vec![
        0x40 | (hl / 4) as u8,
        0,
        (total >> 8) as u8,
        total as u8,
        (id >> 8) as u8,
        id as u8,
        (frag >> 8) as u8,
        frag as u8,
        64,
        proto,
        0,
        0,
    ];
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(&opts);
    let c = !(checksum::sum(&b) as u16);
    b[10..12].copy_from_slice(&c.to_be_bytes());
    b.extend_from_slice(&payload[..total - hl]);
    b
}

/// An IPv6 packet: fixed header naming `next`, then `rest` (extension headers and
/// payload).
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, rest: &[u8]) -> Vec<u8> {
    let rest = &rest[..rest.len().min(65535)];
    let plen = rest.len();
    let mut b = vec![0x60, 0, 0, 0, (plen >> 8) as u8, plen as u8, next, 64];
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(rest);
    b
}

/// IPv6 extension headers to put before the upper layer (or the fragment
/// header): none, hop-by-hop, destination options, or both (`which % 4`).
/// Returns the first next-header value and the bytes ending in `next`.
pub fn v6_ext(which: u8, next: u8) -> (u8, Vec<u8>) {
    let chain: &[u8] = match which % 4 {
        0 => &[],
        1 => &[0],
        2 => &[60],
        _ => &[0, 60],
    };
    let mut b = Vec::new();
    for (j, _) in chain.iter().enumerate() {
        let n = chain.get(j + 1).copied().unwrap_or(next);
        // 8 bytes: next header, length 0, PadN option of 4 bytes
        b.extend_from_slice(&[n, 0, 1, 4, 0, 0, 0, 0]);
    }
    (chain.first().copied().unwrap_or(next), b)
}

/// An IP packet from `src` to `dst` (same family) carrying `l4` of protocol
/// `proto`, unfragmented.
pub fn ip(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8]) -> Vec<u8> {
    ip_ext(src, dst, proto, l4, 0)
}

/// As [`ip`], with IPv6 extension headers [`v6_ext`]`(ext)` (IPv4: none).
pub fn ip_ext(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8], ext: u8) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s.octets(), d.octets(), proto, 1, 0, &[], l4),
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let (first, mut rest) = v6_ext(ext, proto);
            rest.extend_from_slice(l4);
            ipv6(s.octets(), d.octets(), first, &rest)
        }
        _ => panic!("mixed families"),
    }
}

/// The IP packets of `l4` cut at the 8-byte-aligned payload offsets `cuts`
/// (IPv4 fragments, or IPv6 ones with a fragment header). Each piece is
/// `(offset, bytes)`; `more` is set on all but the one reaching the end.
pub fn fragments(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    l4: &[u8],
    cuts: &[usize],
    ext: u8,
) -> Vec<Vec<u8>> {
    let mut bounds = vec![0];
    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|c| c & !7)
        .filter(|c| *c > 0 && *c < l4.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    bounds.extend(cuts);
    bounds.push(l4.len());
    bounds
        .windows(2)
        .map(|w| {
            let more = w[1] < l4.len();
            fragment(src, dst, proto, id, w[0], more, &l4[w[0]..w[1]], ext)
        })
        .collect()
}

/// One fragment: `data` at payload offset `offset` (rounded down to 8); IPv6
/// with extension headers [`v6_ext`]`(ext)` before the fragment header.
#[allow(clippy::too_many_arguments)]
pub fn fragment(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    offset: usize,
    more: bool,
    data: &[u8],
    ext: u8,
) -> Vec<u8> {
    let off8 = ((offset / 8) & 0x1fff) as u16;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let frag = off8 | if more { 0x2000 } else { 0 };
            ipv4(s.octets(), d.octets(), proto, id as u16, frag, &[], data)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let (first, mut rest) = v6_ext(ext, 44);
            rest.extend_from_slice(&[proto, 0]);
            rest.extend_from_slice(&((off8 << 3) | u16::from(more)).to_be_bytes());
            rest.extend_from_slice(&id.to_be_bytes());
            rest.extend_from_slice(data);
            ipv6(s.octets(), d.octets(), first, &rest)
        }
        _ => panic!("mixed families"),
    }
}

/// TCP option bytes: timestamp (TSval `ts`) and window scale, as asked, padded.
pub fn tcp_options(ts: Option<u32>, wscale: Option<u8>, mss: bool) -> Vec<u8> {
    let mut o = Vec::new();
    if mss {
        o.extend_from_slice(&[2, 4, 5, 0xb4]);
    }
    if let Some(t) = ts {
        o.extend_from_slice(&[1, 1, 8, 10]);
        o.extend_from_slice(&t.to_be_bytes());
        o.extend_from_slice(&0u32.to_be_bytes());
    }
    if let Some(s) = wscale {
        o.extend_from_slice(&[1, 3, 3, s]);
    }
    o
}

/// A TCP segment (header and payload) with its checksum for `src` -> `dst`.
#[allow(clippy::too_many_arguments)]
pub fn tcp(
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    urgent: u16,
    opts: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let opts = &opts[..opts.len().min(40) & !3];
    let hl = 20 + opts.len();
    let mut t = Vec::with_capacity(hl + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((hl / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&window.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&urgent.to_be_bytes());
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    let pseudo = checksum::pseudo_header(src, dst, 6, t.len() as u32);
    let c = !(checksum::combine(pseudo, checksum::sum(&t)) as u16);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// A UDP datagram (header and payload) with its checksum.
pub fn udp(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let pseudo = checksum::pseudo_header(src, dst, 17, len as u32);
    let mut c = !(checksum::combine(pseudo, checksum::sum(&u)) as u16);
    if c == 0 {
        c = 0xffff;
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// An ICMP (IPv4) or ICMPv6 message of `ty`/`code` quoting `quoted`, with its
/// checksum, from `src` to `dst`.
pub fn icmp(src: IpAddr, dst: IpAddr, ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(quoted);
    let c = match src {
        IpAddr::V4(_) => !(checksum::sum(&m) as u16),
        IpAddr::V6(_) => {
            let pseudo = checksum::pseudo_header(src, dst, 58, m.len() as u32);
            !(checksum::combine(pseudo, checksum::sum(&m)) as u16)
        }
    };
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// Frame an L3 packet for `link`; `tags` 802.1Q tags on Ethernet.
pub fn frame(link: LinkType, l3: &[u8], tags: u8) -> Vec<u8> {
    let v6 = l3.first().is_some_and(|b| b >> 4 == 6);
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let mut f = Vec::with_capacity(l3.len() + 24);
    match link {
        LinkType::ETHERNET => {
            f.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
            for _ in 0..tags {
                f.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]);
            }
            f.extend_from_slice(&ethertype);
        }
        LinkType::LINUX_SLL => {
            f.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            f.extend_from_slice(&ethertype);
        }
        LinkType::LINUX_SLL2 => {
            f.extend_from_slice(&ethertype);
            f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
        }
        LinkType::NULL => f.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
        LinkType::LOOP => f.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        _ => {}
    }
    f.extend_from_slice(l3);
    f
}

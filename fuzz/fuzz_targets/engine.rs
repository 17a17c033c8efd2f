//! A sequence of frames with timestamps through one engine with small tables
//! and small storage. Most frames are built from structure (handshakes, data
//! with chosen sequence offsets, FIN/RST, UDP, ICMP unreachable, IPv4 and IPv6
//! fragments, checksums right unless told otherwise) so the fuzzer reaches
//! reassembly, queue pruning, eviction, timeouts and defragmentation; some are
//! raw bytes. See `nids_fuzz::Checker` for the invariants checked after every
//! frame and at `finish()`.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nids_core::ip::checksum::{Net, Policy, Rule};
use nids_core::{defrag, scan, tcp, Config, Duration, Instant, LinkType};
use nids_fuzz::{build, flow, tcp_byte, Checker, Setup};

#[derive(Arbitrary, Debug)]
struct Params {
    link: u8,
    tags: u8,
    checksums: u8,
    tcp_policy: u8,
    defrag_policy: u8,
    flags: u8,
    idle_timeout_s: u8,
    flow_timeout_s: u8,
    max_streams: u8,
    block_size: u8,
    max_queue: u16,
    max_kept: u16,
    tcp_blocks: u8,
    defrag_slots: u8,
    max_datagram: u16,
    max_fragments: u8,
    max_host_bytes: u16,
    defrag_timeout_s: u8,
    scan_ports: u8,
    filter: u8,
    /// IPv6 extension headers on generated packets (`build::v6_ext`).
    v6_ext: u8,
    isn: [u32; 6],
    isn_hi: u8,
    decisions: [u8; 8],
}

#[derive(Arbitrary, Debug)]
enum Op {
    Handshake {
        flow: u8,
        opts: u8,
    },
    Data {
        flow: u8,
        from_client: bool,
        delta: i16,
        len: u16,
        ack_delta: i8,
        flags: u8,
        urgent: u16,
        opts: u8,
        frag: u8,
        xor: u8,
        corrupt: bool,
        stay: bool,
    },
    Close {
        flow: u8,
        from_client: bool,
        rst: bool,
    },
    Udp {
        flow: u8,
        len: u16,
        frag: u8,
        corrupt: bool,
    },
    Unreachable {
        flow: u8,
        code: u8,
    },
    Raw {
        l3: bool,
        bytes: Vec<u8>,
    },
    Wait {
        ms: u16,
    },
    Jump {
        us: u32,
    },
    Advance {
        ms: u16,
    },
}

/// A `Policy::List`: not verified from 10.0.0.1 and fd00::3, verified from the
/// rest of fd00::/64, the default (verify) elsewhere.
static CHECKSUM_RULES: [Rule; 3] = [
    Rule {
        net: Net::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 32),
        verify: false,
    },
    Rule {
        net: Net::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 3)), 128),
        verify: false,
    },
    Rule {
        net: Net::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0)), 64),
        verify: true,
    },
];

/// Flows of a run (`nids_fuzz::flow`).
const FLOWS: usize = 12;

const LINKS: [LinkType; 6] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
];

const TCP_POLICIES: [tcp::policy::Policy; 9] = [
    tcp::policy::Policy::Libnids,
    tcp::policy::Policy::First,
    tcp::policy::Policy::Last,
    tcp::policy::Policy::Bsd,
    tcp::policy::Policy::Linux,
    tcp::policy::Policy::OldLinux,
    tcp::policy::Policy::Windows,
    tcp::policy::Policy::Vista,
    tcp::policy::Policy::Solaris,
];

const DEFRAG_POLICIES: [defrag::Policy; 8] = [
    defrag::Policy::Linux20,
    defrag::Policy::First,
    defrag::Policy::Last,
    defrag::Policy::Bsd,
    defrag::Policy::BsdRight,
    defrag::Policy::Linux,
    defrag::Policy::Windows,
    defrag::Policy::Solaris,
];

/// Generator state of one flow.
#[derive(Clone, Copy, Default)]
struct Gen {
    /// Next sequence number of client and server.
    next: [u32; 2],
    /// TCP timestamp clock of each side.
    tsval: [u32; 2],
    ip_id: u16,
}

struct Run<'a> {
    c: Checker<'a>,
    link: LinkType,
    tags: u8,
    now: u64,
    consistent: bool,
    gens: [Gen; FLOWS],
    /// IP id counter of consistent runs (unique ids).
    ip_id: u32,
    v6_ext: u8,
}

impl Run<'_> {
    fn send(&mut self, l3: &[u8]) {
        let f = build::frame(self.link, l3, self.tags);
        self.c.process(Instant::from_micros(self.now), &f);
        self.now += 10;
    }

    /// Send `l4` from `src` to `dst` whole, or cut into fragments as `frag` says:
    /// low nibble the cut (in 8-byte units), 0x10 reversed, 0x20 first fragment
    /// duplicated with other bytes, 0x40 the last fragment dropped.
    fn send_ip(&mut self, src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8], frag: u8, fk: usize) {
        // IPv6 extension headers on some packets, as the flow and `v6_ext` say.
        let ext = if self.v6_ext & (1 << (fk % 6 + 2)) != 0 {
            self.v6_ext
        } else {
            0
        };
        if frag == 0 || l4.len() <= 8 {
            let p = build::ip_ext(src, dst, proto, l4, ext);
            return self.send(&p);
        }
        // Per flow, IP ids of different flows between the same hosts collide
        // and their fragments mix (as the overlap policy says): fine, but not in
        // consistent runs, where every byte must be its flow's.
        let g = &mut self.gens[fk];
        g.ip_id = g.ip_id.wrapping_add(1);
        let mut id = u32::from(g.ip_id) | (fk as u32) << 16;
        if self.consistent {
            self.ip_id = self.ip_id.wrapping_add(1);
            id = self.ip_id;
        }
        let step = (usize::from(frag & 0x0f) + 1) * 8;
        let cuts: Vec<usize> = (1..)
            .map(|i| i * step)
            .take_while(|c| *c < l4.len())
            .take(8)
            .collect();
        let mut frags = build::fragments(src, dst, proto, id, l4, &cuts, ext);
        if frag & 0x20 != 0 && !self.consistent {
            let mut other = l4[..step.min(l4.len())].to_vec();
            other.iter_mut().for_each(|b| *b ^= 0x55);
            let more = step < l4.len();
            frags.insert(
                1.min(frags.len()),
                build::fragment(src, dst, proto, id, 0, more, &other, ext),
            );
        }
        if frag & 0x40 != 0 {
            frags.pop();
        }
        if frag & 0x10 != 0 {
            frags.reverse();
        }
        for f in frags {
            self.send(&f);
        }
    }
}

fuzz_target!(|input: (Params, Vec<Op>)| {
    let (p, ops) = input;
    if std::env::var_os("NIDS_FUZZ_DEBUG").is_some() {
        eprintln!("{p:?}\n{ops:#?}");
    }
    let link = LINKS[usize::from(p.link) % LINKS.len()];
    let checksums = match p.checksums % 4 {
        0 => Policy::Verify,
        1 => Policy::Off,
        2 => Policy::Auto,
        _ => Policy::List(&CHECKSUM_RULES),
    };
    let consistent = p.flags & 1 != 0;
    let mut config = Config::new();
    config.checksums = checksums;
    config.tcp = tcp::Config {
        max_streams: (p.max_streams % 10 != 0).then_some(usize::from(p.max_streams % 10)),
        flow_timeout: Duration::from_secs(u64::from(p.flow_timeout_s % 8)),
        idle_timeout: Duration::from_secs(u64::from(p.idle_timeout_s % 8) * 5),
        block_size: 64 + usize::from(p.block_size % 8) * 64,
        max_queue: 100 + usize::from(p.max_queue % 8000),
        max_kept: 50 + usize::from(p.max_kept % 8000),
        policy: TCP_POLICIES[usize::from(p.tcp_policy) % TCP_POLICIES.len()],
        midstream: p.flags & 2 != 0,
        skip_gaps: p.flags & 4 != 0,
    };
    config.defrag = defrag::Config {
        policy: DEFRAG_POLICIES[usize::from(p.defrag_policy) % DEFRAG_POLICIES.len()],
        timeout: Duration::from_secs(u64::from(p.defrag_timeout_s % 40) + 1),
        max_datagram: 68 + usize::from(p.max_datagram % 4000),
        max_fragments: usize::from(p.max_fragments % 12) + 1,
        max_host_bytes: 300 + usize::from(p.max_host_bytes % 10000),
        ..defrag::Config::new()
    };
    config.scan = scan::Config {
        num_ports: usize::from(p.scan_ports % 6),
        delay: Duration::from_millis(500),
        udp: p.flags & 8 != 0,
    };
    let tcp_storage = config.tcp.block_size * usize::from(p.tcp_blocks % 48);
    let defrag_storage = defrag::Defrag::<{ nids_fuzz::HOSTS }>::storage_for(
        &config.defrag,
        usize::from(p.defrag_slots % 4),
    );
    let setup = Setup {
        link,
        config,
        tcp_storage,
        defrag_storage,
        filter: if p.flags & 16 != 0 { p.filter } else { 0 },
        consistent,
        decisions: p.decisions.to_vec(),
    };
    let mut memory = vec![0u8; tcp_storage + defrag_storage];
    let mut run = Run {
        c: Checker::new(setup, &mut memory),
        link,
        tags: if link == LinkType::ETHERNET {
            p.tags % 3
        } else {
            0
        },
        now: 1_000_000,
        consistent,
        gens: [Gen::default(); FLOWS],
        ip_id: 0,
        v6_ext: p.v6_ext,
    };
    for (k, g) in run.gens.iter_mut().enumerate() {
        let isn = p.isn[k % 6].wrapping_add(u32::from(p.isn_hi) << 24) ^ (k as u32 / 6);
        g.next = [isn, isn.rotate_left(13) ^ 0x5a5a_1234];
        g.tsval = [1000, 5000];
    }

    for op in ops.iter().take(200) {
        match *op {
            Op::Handshake { flow: f, opts } => {
                let fk = usize::from(f) % FLOWS;
                let (c, cp, s, sp) = flow(f);
                let g = run.gens[fk];
                let ts = opts & 1 != 0;
                let ws = (opts & 2 != 0).then_some(opts >> 4);
                let o = build::tcp_options(ts.then_some(g.tsval[0]), ws, true);
                let syn = build::tcp(c, s, cp, sp, g.next[0], 0, 0x02, 65535, 0, &o, &[]);
                run.send_ip(c, s, 6, &syn, 0, fk);
                let o = build::tcp_options(
                    (ts && opts & 4 == 0).then_some(g.tsval[1]),
                    ws.filter(|_| opts & 8 == 0),
                    true,
                );
                let sa = build::tcp(
                    s,
                    c,
                    sp,
                    cp,
                    g.next[1],
                    g.next[0].wrapping_add(1),
                    0x12,
                    65535,
                    0,
                    &o,
                    &[],
                );
                run.send_ip(s, c, 6, &sa, 0, fk);
                let g = &mut run.gens[fk];
                g.next[0] = g.next[0].wrapping_add(1);
                g.next[1] = g.next[1].wrapping_add(1);
                g.tsval[0] += 1;
                g.tsval[1] += 1;
                let g = run.gens[fk];
                if opts & 0x40 == 0 {
                    // (without it, the stream waits: data may come before the 3rd ACK)
                    let o = build::tcp_options(ts.then_some(g.tsval[0]), None, false);
                    let ack =
                        build::tcp(c, s, cp, sp, g.next[0], g.next[1], 0x10, 65535, 0, &o, &[]);
                    run.send_ip(c, s, 6, &ack, 0, fk);
                }
            }
            Op::Data {
                flow: f,
                from_client,
                delta,
                len,
                ack_delta,
                flags,
                urgent,
                opts,
                frag,
                xor,
                corrupt,
                stay,
            } => {
                let fk = usize::from(f) % FLOWS;
                let (c, cp, s, sp) = flow(f);
                let (src, sport, dst, dport, me) = if from_client {
                    (c, cp, s, sp, 0)
                } else {
                    (s, sp, c, cp, 1)
                };
                let g = run.gens[fk];
                let seq = g.next[me].wrapping_add(delta as i32 as u32);
                let ack = g.next[1 - me].wrapping_add(ack_delta as i32 as u32);
                let len = usize::from(if len & 0x8000 != 0 {
                    len % 3000
                } else {
                    len % 300
                });
                let mut fl = if flags & 0x80 != 0 {
                    flags & 0x3f
                } else {
                    (flags & 0x29) | 0x10
                };
                if run.consistent {
                    fl &= !0x20; // no urgent data: bytes must run on
                }
                let x = if run.consistent { 0 } else { xor };
                let payload: Vec<u8> = (0..len)
                    .map(|i| tcp_byte(sport, seq.wrapping_add(i as u32)) ^ x)
                    .collect();
                let tsv = match opts & 3 {
                    0 => None,
                    1 => Some(g.tsval[me]),
                    2 => Some(g.tsval[me].wrapping_sub(1000)),
                    _ => Some(g.tsval[me].wrapping_add(u32::from(opts))),
                };
                let o = build::tcp_options(tsv, None, false);
                let window = if opts & 4 != 0 {
                    u16::from(opts) * 16
                } else {
                    65535
                };
                let mut seg = build::tcp(
                    src, dst, sport, dport, seq, ack, fl, window, urgent, &o, &payload,
                );
                if corrupt {
                    seg[16] ^= 0x01;
                }
                run.send_ip(src, dst, 6, &seg, frag, fk);
                let g = &mut run.gens[fk];
                g.tsval[me] = g.tsval[me].wrapping_add(1);
                if !stay {
                    let end = seq.wrapping_add(len as u32);
                    if (end.wrapping_sub(g.next[me]) as i32) > 0 {
                        g.next[me] = end;
                    }
                }
            }
            Op::Close {
                flow: f,
                from_client,
                rst,
            } => {
                let fk = usize::from(f) % FLOWS;
                let (c, cp, s, sp) = flow(f);
                let (src, sport, dst, dport, me) = if from_client {
                    (c, cp, s, sp, 0)
                } else {
                    (s, sp, c, cp, 1)
                };
                let g = run.gens[fk];
                let fl = if rst { 0x14 } else { 0x11 };
                let seg = build::tcp(
                    src,
                    dst,
                    sport,
                    dport,
                    g.next[me],
                    g.next[1 - me],
                    fl,
                    65535,
                    0,
                    &[],
                    &[],
                );
                run.send_ip(src, dst, 6, &seg, 0, fk);
                if !rst {
                    let g = &mut run.gens[fk];
                    g.next[me] = g.next[me].wrapping_add(1);
                }
            }
            Op::Udp {
                flow: f,
                len,
                frag,
                corrupt,
            } => {
                let fk = usize::from(f) % FLOWS;
                let (c, cp, s, sp) = flow(f);
                let payload: Vec<u8> = (0..usize::from(len % 2000)).map(|i| i as u8).collect();
                let mut u = build::udp(c, s, cp.wrapping_add(u16::from(f >> 3)), sp, &payload);
                if corrupt {
                    u[7] ^= 0x01;
                }
                run.send_ip(c, s, 17, &u, frag, fk);
            }
            Op::Unreachable { flow: f, code } => {
                let fk = usize::from(f) % FLOWS;
                let (c, cp, s, sp) = flow(f);
                let g = run.gens[fk];
                let quoted_tcp = build::tcp(c, s, cp, sp, g.next[0], 0, 0x02, 65535, 0, &[], &[]);
                let quoted = build::ip(c, s, 6, &quoted_tcp[..8]);
                let (ty, code) = match s {
                    IpAddr::V4(_) => (3, code % 16),
                    IpAddr::V6(_) => (1, code % 8),
                };
                let m = build::icmp(s, c, ty, code, &quoted);
                let proto = if s.is_ipv4() { 1 } else { 58 };
                run.send_ip(s, c, proto, &m, 0, fk);
            }
            Op::Raw { l3, ref bytes } => {
                if run.consistent {
                    continue;
                }
                let f = if l3 {
                    build::frame(run.link, bytes, run.tags)
                } else {
                    bytes.clone()
                };
                run.c.process(Instant::from_micros(run.now), &f);
            }
            Op::Wait { ms } => run.now += u64::from(ms) * 1000,
            Op::Jump { us } => run.now = 1_000_000 + u64::from(us),
            Op::Advance { ms } => {
                run.now += u64::from(ms) * 1000;
                run.c.advance(Instant::from_micros(run.now));
            }
        }
    }
    run.c.finish();
});

//! The run: two [`Endpoint`]s exchange segments across the path of a
//! [`Scenario`]; a tap at the split of each direction's path records the
//! frames that pass it (less its own losses), as a capture would.

use std::collections::BinaryHeap;

use nids_core::test_util::tcp4_window;

use crate::endpoint::{Endpoint, Outcome, Params, Seg};
use crate::rng::Rng;
use crate::scenario::{Ending, Leg, Scenario};

/// Client address and port on the wire.
pub const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 40_000);
/// Server address and port on the wire.
pub const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 80);
/// The simulation stops at this time (microseconds) whatever is left.
pub const HORIZON_US: u64 = 600_000_000;
/// ... or after this many events: the run then counts as cut there
/// ([`Run::truncated`]), so one scenario costs bounded time.
pub const MAX_EVENTS: u64 = 400_000;

/// The byte at `off` of a direction's data (every copy carries the same).
pub fn content(from_client: bool, off: u64) -> u8 {
    let x = off.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(from_client);
    (x >> 56) as u8
}

/// One frame as the tap recorded it.
#[derive(Debug, Clone)]
pub struct Tapped {
    /// When it passed the tap, microseconds.
    pub ts_us: u64,
    /// Its receiver took a copy of it (PAWS and window passed): the tap cannot
    /// know this, the oracle does.
    pub taken: bool,
    /// The segment.
    pub seg: Seg,
    /// Ethernet frame bytes.
    pub frame: Vec<u8>,
}

/// What a run gives: the capture and the truth.
#[derive(Debug, Clone)]
pub struct Run {
    /// The capture, in the order the tap saw it.
    pub tap: Vec<Tapped>,
    /// The client's end (it read the server's bytes).
    pub client: Outcome,
    /// The server's end.
    pub server: Outcome,
    /// What each had read when the capture was cut (`Scenario::cut_at_us`).
    pub read_at_cut: Option<(u64, u64)>,
    /// Segments sent by both endpoints.
    pub sent: u64,
    /// The run hit [`MAX_EVENTS`] and was cut there.
    pub truncated: bool,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Wake,
    Arrive { to_client: bool, id: usize },
}

/// A frame in flight after the tap: the segment and its send's number.
struct Flight {
    seg: Seg,
    send: usize,
}

fn options(seg: &Seg, sc: &Scenario, client_isn: u32, server_isn: u32) -> Vec<u8> {
    let mut o = Vec::new();
    if seg.syn {
        o.extend_from_slice(&[2, 4]);
        o.extend_from_slice(&(sc.mss as u16).to_be_bytes());
        if let Some(w) = sc.wscale {
            o.extend_from_slice(&[1, 3, 3, w]);
        }
        if sc.sack {
            o.extend_from_slice(&[1, 1, 4, 2]);
        }
    }
    if let Some((v, e)) = seg.ts {
        o.extend_from_slice(&[1, 1, 8, 10]);
        o.extend_from_slice(&v.to_be_bytes());
        o.extend_from_slice(&e.to_be_bytes());
    }
    if !seg.sack.is_empty() {
        let peer = if seg.from_client {
            server_isn
        } else {
            client_isn
        };
        let n = seg.sack.len().min(if seg.ts.is_some() { 3 } else { 4 });
        o.extend_from_slice(&[1, 1, 5, (2 + 8 * n) as u8]);
        for &(a, b) in &seg.sack[..n] {
            o.extend_from_slice(&peer.wrapping_add(a as u32).to_be_bytes());
            o.extend_from_slice(&peer.wrapping_add(b as u32).to_be_bytes());
        }
    }
    while o.len() % 4 != 0 {
        o.push(0);
    }
    o
}

/// The Ethernet frame of a segment.
fn frame(seg: &Seg, sc: &Scenario) -> Vec<u8> {
    let (ci, si) = (sc.client_isn, sc.server_isn);
    let (src, dst, own, peer) = if seg.from_client {
        (CLIENT, SERVER, ci, si)
    } else {
        (SERVER, CLIENT, si, ci)
    };
    let data_start = seg.seq.max(1) - 1;
    let payload: Vec<u8> = (data_start..data_start + u64::from(seg.len))
        .map(|i| content(seg.from_client, i))
        .collect();
    let mut flags = 0u8;
    if seg.fin {
        flags |= 0x01;
    }
    if seg.syn {
        flags |= 0x02;
    }
    if seg.rst {
        flags |= 0x04;
    }
    if seg.ack.is_some() {
        flags |= 0x10;
    }
    if seg.len > 0 {
        flags |= 0x08;
    }
    let ack = seg.ack.map_or(0, |a| peer.wrapping_add(a as u32));
    let opts = options(seg, sc, ci, si);
    tcp4_window(
        src.0,
        src.1,
        dst.0,
        dst.1,
        own.wrapping_add(seg.seq as u32),
        ack,
        flags,
        seg.win,
        0,
        &opts,
        &payload,
    )
}

struct Sim<'s> {
    sc: &'s Scenario,
    rng: Rng,
    queue: BinaryHeap<std::cmp::Reverse<(u64, u64, Ev)>>,
    order: u64,
    flights: Vec<Option<Flight>>,
    tap: Vec<(u64, u64, usize, Seg)>,
    /// Per send: whether its receiver took a copy.
    taken: Vec<bool>,
}

impl Sim<'_> {
    fn push(&mut self, t: u64, ev: Ev) {
        self.order += 1;
        self.queue.push(std::cmp::Reverse((t, self.order, ev)));
    }

    fn delay(&mut self, leg: &Leg) -> u64 {
        let mut d = leg.delay_us + self.rng.range(0, leg.jitter_us);
        if self.rng.chance(leg.hold_prob) {
            d += self.rng.range(leg.hold_us / 4, leg.hold_us);
        }
        d
    }

    /// Send a segment at `now` across its path.
    fn send(&mut self, now: u64, seg: Seg) {
        let send = self.taken.len();
        self.taken.push(false);
        let legs = if seg.from_client {
            self.sc.c2s
        } else {
            self.sc.s2c
        };
        let copies = 1 + usize::from(self.rng.chance(legs[0].dup_prob));
        for _ in 0..copies {
            if self.rng.chance(legs[0].drop_prob) {
                continue;
            }
            let at_tap = now + self.delay(&legs[0]);
            if !self.rng.chance(self.sc.tap_loss) {
                self.order += 1;
                self.tap.push((at_tap, self.order, send, seg.clone()));
            }
            let copies2 = 1 + usize::from(self.rng.chance(legs[1].dup_prob));
            for _ in 0..copies2 {
                if self.rng.chance(legs[1].drop_prob) {
                    continue;
                }
                let arrive = at_tap + self.delay(&legs[1]);
                let id = self.flights.len();
                self.flights.push(Some(Flight {
                    seg: seg.clone(),
                    send,
                }));
                self.push(
                    arrive,
                    Ev::Arrive {
                        to_client: !seg.from_client,
                        id,
                    },
                );
            }
        }
    }
}

/// Run a scenario to its end (both endpoints done and nothing in flight, or
/// [`HORIZON_US`]).
pub fn run(sc: &Scenario) -> Run {
    let p = Params {
        mss: sc.mss,
        write_max: sc.write_max.max(1),
        rcv_buf: sc.rcv_buf,
        wscale: sc.wscale.unwrap_or(0),
        timestamps: sc.timestamps,
        sack: sc.sack,
        delayed_ack: sc.delayed_ack,
    };
    let mut rng = Rng::new(sc.seed);
    let (c_abort, s_abort) = match sc.ending {
        Ending::Close => (None, None),
        Ending::ClientAborts(n) => (Some(n), None),
        Ending::ServerAborts(n) => (None, Some(n)),
    };
    let mut client = Endpoint::new(true, p, sc.request, rng.next_u64() as u32, c_abort);
    let mut server = Endpoint::new(false, p, sc.response, rng.next_u64() as u32, s_abort);
    let mut sim = Sim {
        sc,
        rng,
        queue: BinaryHeap::new(),
        order: 0,
        flights: Vec::new(),
        tap: Vec::new(),
        taken: Vec::new(),
    };
    let mut out = Vec::new();
    let mut sent = 0u64;
    let mut read_at_cut = None;
    let mut wakes = std::collections::BTreeSet::new();
    let (mut events, mut truncated) = (0u64, None);
    client.output(0, &mut out);
    let mut now = 0;
    loop {
        for s in out.drain(..) {
            sent += 1;
            sim.send(now, s);
        }
        for d in [client.deadline(), server.deadline()].into_iter().flatten() {
            if wakes.insert(d.max(now)) {
                sim.push(d.max(now), Ev::Wake);
            }
        }
        let Some(std::cmp::Reverse((t, _, ev))) = sim.queue.pop() else {
            break;
        };
        if t > HORIZON_US {
            break;
        }
        events += 1;
        if events > MAX_EVENTS {
            truncated = Some(now);
            break;
        }
        if sc.cut_at_us.is_some_and(|cut| t > cut) {
            // nothing after the cut is captured or judged
            break;
        }
        now = t;
        match ev {
            Ev::Wake => {
                wakes.remove(&now);
                client.timers(now, &mut out);
                server.timers(now, &mut out);
            }
            Ev::Arrive { to_client, id } => {
                let Some(f) = sim.flights[id].take() else {
                    continue;
                };
                let taken = if to_client {
                    client.input(now, &f.seg, sc.request, &mut out)
                } else {
                    server.input(now, &f.seg, sc.request, &mut out)
                };
                sim.taken[f.send] |= taken;
            }
        }
    }
    if (sc.cut_at_us.is_some() || truncated.is_some()) && read_at_cut.is_none() {
        read_at_cut = Some((client.outcome().read, server.outcome().read));
    }
    sim.tap.sort_by_key(|&(t, o, _, _)| (t, o));
    let cut = sc
        .cut_at_us
        .unwrap_or(u64::MAX)
        .min(truncated.unwrap_or(u64::MAX));
    let tap = sim
        .tap
        .into_iter()
        .filter(|(t, _, _, _)| *t <= cut)
        .map(|(ts_us, _, send, seg)| Tapped {
            ts_us,
            taken: sim.taken[send],
            frame: frame(&seg, sc),
            seg,
        })
        .collect();
    Run {
        tap,
        client: client.outcome(),
        server: server.outcome(),
        read_at_cut,
        sent,
        truncated: truncated.is_some(),
    }
}

/// The capture of a run as a pcap file (Ethernet, microseconds), to look at
/// with tcpdump or tshark.
pub fn pcap(run: &Run) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for t in &run.tap {
        let ts = t.ts_us + 1_700_000_000_000_000;
        f.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&(t.frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(t.frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&t.frame);
    }
    f
}

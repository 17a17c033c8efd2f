//! [`Scenario`]: everything one simulated connection depends on, drawn from a
//! seed (proptest, the soak) or from raw bytes (the fuzz target).

use crate::rng::Rng;

/// One direction of the path, split at the tap: what happens before the tap
/// (the tap sees what survives it) and after it (the receiver gets what
/// survives both).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    /// Fixed one-way delay, microseconds.
    pub delay_us: u64,
    /// Uniform extra delay up to this, microseconds (mild reordering).
    pub jitter_us: u64,
    /// Probability that a frame is held back (strong reordering) ...
    pub hold_prob: f64,
    /// ... by up to this many microseconds.
    pub hold_us: u64,
    /// Probability that a frame is lost.
    pub drop_prob: f64,
    /// Probability that a frame is duplicated.
    pub dup_prob: f64,
}

impl Leg {
    /// A leg that only delays.
    pub const fn clean(delay_us: u64) -> Leg {
        Leg {
            delay_us,
            jitter_us: 0,
            hold_prob: 0.0,
            hold_us: 0,
            drop_prob: 0.0,
            dup_prob: 0.0,
        }
    }
}

/// How the connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Both sides send all their bytes, then close with FINs.
    Close,
    /// The client aborts (RST) once it has read this many response bytes.
    ClientAborts(u64),
    /// The server aborts (RST) once it has sent this many bytes.
    ServerAborts(u64),
}

/// One simulated connection: endpoints, path and tap.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Client to server bytes (the request).
    pub request: u64,
    /// Server to client bytes (the response, sent once the request is read).
    pub response: u64,
    /// Initial sequence numbers (near the wrap on some scenarios).
    pub client_isn: u32,
    /// The server's.
    pub server_isn: u32,
    /// Maximum segment size of each sender.
    pub mss: u32,
    /// New data goes out in writes of up to this many bytes (less than `mss`
    /// makes small segments, so retransmissions cut the stream elsewhere).
    pub write_max: u32,
    /// Receive buffer of each endpoint, bytes.
    pub rcv_buf: u32,
    /// Window scale shift both sides announce (`None`: no option).
    pub wscale: Option<u8>,
    /// TCP timestamps (PAWS) on.
    pub timestamps: bool,
    /// SACK on.
    pub sack: bool,
    /// Receivers ACK every other segment (else every segment).
    pub delayed_ack: bool,
    /// Client to server path.
    pub c2s: [Leg; 2],
    /// Server to client path.
    pub s2c: [Leg; 2],
    /// Probability that the tap misses a frame that does pass it.
    pub tap_loss: f64,
    /// How it ends.
    pub ending: Ending,
    /// The capture stops at this time (microseconds), or runs to the end.
    pub cut_at_us: Option<u64>,
    /// Seed of the run's own randomness (path and tap).
    pub seed: u64,
}

impl Scenario {
    /// A scenario drawn from `seed`: mostly lossy, reordering paths with the tap
    /// anywhere on them; some with tap loss, aborts or a cut capture.
    pub fn from_seed(seed: u64) -> Scenario {
        Self::draw(&mut Rng::new(seed))
    }

    /// A scenario decoded field by field from raw bytes (for the fuzz target:
    /// each field has bytes of its own, so a mutation changes one thing; bytes
    /// past the end read as zero). Sizes are kept smaller than
    /// [`Scenario::from_seed`]'s, so each input runs in milliseconds.
    pub fn from_bytes(data: &[u8]) -> Scenario {
        let mut at = 0;
        let mut take = |n: usize| -> u64 {
            let mut v = 0u64;
            for i in 0..n {
                v |= u64::from(data.get(at + i).copied().unwrap_or(0)) << (8 * i);
            }
            at += n;
            v
        };
        let prob = |b: u64, max: u64| (b % (max + 1)) as f64 / 1000.0;
        let mut leg = || Leg {
            delay_us: 50 + take(2) % 20_000,
            jitter_us: take(1) * 8,
            hold_prob: prob(take(1), 150),
            hold_us: 1_000 + take(1) * 400,
            drop_prob: prob(take(1), 100),
            dup_prob: prob(take(1), 50),
        };
        let legs = [leg(), leg(), leg(), leg()];
        let mss = [536, 1000, 1448, 1460][(take(1) % 4) as usize];
        let request = take(2) % 3_000;
        let response = take(3) % 40_000;
        let ending = match take(1) % 8 {
            0 => Ending::ClientAborts(take(3) % (response + 1)),
            1 => Ending::ServerAborts(take(3) % (response + 1)),
            _ => Ending::Close,
        };
        let flags = take(1);
        let write_max = 1 + (take(2) as u32 % mss);
        // tiny writes make many segments: fewer bytes then, to stay fast
        // (the fuzz build runs the simulator under ASan)
        let (request, response) = if write_max < 64 {
            (request % 400, response % 1_000)
        } else {
            (request, response)
        };
        Scenario {
            request,
            response,
            client_isn: take(4) as u32,
            server_isn: take(4) as u32,
            mss,
            write_max,
            rcv_buf: [8_192, 16_384, 65_535, 262_144][(take(1) % 4) as usize],
            wscale: (flags & 1 != 0).then(|| (take(1) % 15) as u8),
            timestamps: flags & 2 != 0,
            sack: flags & 4 != 0,
            delayed_ack: flags & 8 != 0,
            c2s: [legs[0], legs[1]],
            s2c: [legs[2], legs[3]],
            tap_loss: if flags & 16 != 0 {
                prob(take(1), 30)
            } else {
                0.0
            },
            ending,
            cut_at_us: (flags & 32 != 0).then(|| take(3) % 3_000_000),
            seed: take(8),
        }
    }

    /// The same scenario with its byte counts capped at `max` (0: unchanged),
    /// so that a soak checks many short connections.
    pub fn capped(mut self, max: u64) -> Scenario {
        if max > 0 {
            self.request %= max / 4 + 1;
            self.response %= max + 1;
            self.ending = match self.ending {
                Ending::ClientAborts(n) => Ending::ClientAborts(n % (self.response + 1)),
                Ending::ServerAborts(n) => Ending::ServerAborts(n % (self.response + 1)),
                e => e,
            };
            self.cut_at_us = self.cut_at_us.map(|c| c % 1_000_000);
        }
        self
    }

    fn draw(r: &mut Rng) -> Scenario {
        let leg = |r: &mut Rng, lossy: bool| Leg {
            delay_us: r.range(50, 20_000),
            jitter_us: r.range(0, 2_000),
            hold_prob: if r.chance(0.7) {
                r.range(0, 100) as f64 / 1000.0
            } else {
                0.0
            },
            hold_us: r.range(5_000, 80_000),
            drop_prob: if lossy && r.chance(0.6) {
                r.range(0, 60) as f64 / 1000.0
            } else {
                0.0
            },
            dup_prob: if r.chance(0.3) {
                r.range(0, 30) as f64 / 1000.0
            } else {
                0.0
            },
        };
        let near_wrap = |r: &mut Rng| {
            if r.chance(0.3) {
                u32::MAX - r.range(0, 200_000) as u32
            } else {
                r.next_u64() as u32
            }
        };
        let mss = [536, 1000, 1448, 1460][r.range(0, 3) as usize];
        let request = r.range(0, 5_000);
        let response = match r.range(0, 3) {
            0 => r.range(0, 3_000),
            1 => r.range(3_000, 100_000),
            _ => r.range(100_000, 600_000),
        };
        let ending = match r.range(0, 9) {
            0 => Ending::ClientAborts(r.range(0, response)),
            1 => Ending::ServerAborts(r.range(0, response)),
            _ => Ending::Close,
        };
        Scenario {
            request,
            response,
            client_isn: near_wrap(r),
            server_isn: near_wrap(r),
            mss,
            write_max: if r.chance(0.5) {
                mss
            } else {
                r.range(1, u64::from(mss)) as u32
            },
            rcv_buf: [16_384, 65_535, 262_144, 1 << 20][r.range(0, 3) as usize],
            wscale: if r.chance(0.8) {
                Some(r.range(0, 8) as u8)
            } else {
                None
            },
            timestamps: r.chance(0.8),
            sack: r.chance(0.8),
            delayed_ack: r.chance(0.5),
            c2s: [leg(r, true), leg(r, true)],
            s2c: [leg(r, true), leg(r, true)],
            tap_loss: if r.chance(0.1) {
                r.range(1, 20) as f64 / 1000.0
            } else {
                0.0
            },
            ending,
            cut_at_us: if r.chance(0.1) {
                Some(r.range(0, 3_000_000))
            } else {
                None
            },
            seed: r.next_u64(),
        }
    }
}

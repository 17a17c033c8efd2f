//! The engine's handler: hash both directions of every TCP stream and log one
//! summary per finished stream through defmt; log the first warning of each
//! kind; reset streams to a chosen port (`kill`), sending the RST frames out of
//! the MAC.
//!
//! The defmt messages are the firmware's report, decoded on the host by
//! `nids-fw-runner` (one message per line; `{…}` are the arguments):
//!
//! | level | message | when |
//! |---|---|---|
//! | info | `tcp {src} {sport} {dst} {dport} {end} {c2s_bytes} {c2s_sha256} {s2c_bytes} {s2c_sha256} {first_us} {last_us}` | a stream ended |
//! | warn | `warning {code} at {us}` | the first warning of each kind |
//!
//! Addresses and digests are byte lists (`[10, 0, 0, 1]`), times are packet
//! times in µs: the runner turns each summary into the line `nids streams
//! --json` prints, and checks it against the host's.

use core::net::IpAddr;

use nids_core::{Handler, Instant, LinkType, Side, Stream, TcpEvent, Warning};
use sha2::{Digest, Sha256};

use crate::cycles;
use crate::mac::Mac;
use crate::rx::Rx;

/// Per-stream user data: a running SHA-256 of each direction (112 bytes each).
pub struct Digests {
    c2s: Sha256,
    s2c: Sha256,
}

/// Words of the "warning already logged" bit set.
const WARNED_WORDS: usize = Warning::COUNT.div_ceil(32);

/// What the firmware does with the engine's callbacks.
pub struct Tap<M: 'static> {
    /// The receive path, which holds the MAC (for the RST frames of `kill`).
    pub rx: &'static Rx<M>,
    /// Reset every stream to this server port once established.
    pub kill_port: Option<u16>,
    /// Streams reported.
    pub reported: u32,
    /// Streams `kill`ed.
    pub killed: u32,
    /// Warnings logged (one per kind).
    pub warnings_logged: u32,
    /// SysTick ticks spent hashing payload ([`crate::cycles`]).
    pub hash_ticks: u64,
    warned: [u32; WARNED_WORDS],
}

impl<M: Mac> Tap<M> {
    /// A handler that transmits through `rx`'s MAC.
    pub fn new(rx: &'static Rx<M>) -> Self {
        Tap {
            rx,
            kill_port: None,
            reported: 0,
            killed: 0,
            warnings_logged: 0,
            hash_ticks: 0,
            warned: [0; WARNED_WORDS],
        }
    }
}

/// An address as its bytes (4 or 16).
fn octets(a: &IpAddr, buf: &mut [u8; 16]) -> usize {
    match a {
        IpAddr::V4(a) => {
            buf[..4].copy_from_slice(&a.octets());
            4
        }
        IpAddr::V6(a) => {
            *buf = a.octets();
            16
        }
    }
}

impl<M: Mac> Handler<Digests> for Tap<M> {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Digests>) {
        match s.event() {
            TcpEvent::JustEstablished => {
                s.client_mut().collect = true;
                s.server_mut().collect = true;
                *s.user() = Some(Digests {
                    c2s: Sha256::new(),
                    s2c: Sha256::new(),
                });
                if self.kill_port == Some(s.tuple().dport) {
                    s.kill();
                    self.killed += 1;
                }
            }
            TcpEvent::Data => {
                // The new bytes outlive the borrow of the stream, so the
                // digests are updated in place (moving them out and back
                // cost two 224-byte copies per segment).
                let (data, side) = (s.new_data(), s.side());
                let Some(d) = s.user() else { return };
                let t0 = cycles::now();
                match side {
                    Some(Side::Server) => d.c2s.update(data),
                    Some(Side::Client) => d.s2c.update(data),
                    None => {}
                }
                self.hash_ticks += cycles::since(t0);
            }
            end => {
                let t = *s.tuple();
                let (c2s, s2c) = (s.server().count(), s.client().count());
                let (first, last) = (s.created(), s.ts());
                let Some(d) = s.user().take() else { return };
                self.reported += 1;
                let (hc, hs) = (d.c2s.finalize(), d.s2c.finalize());
                let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
                let (ns, nd) = (octets(&t.src, &mut src), octets(&t.dst, &mut dst));
                defmt::info!(
                    "tcp {=[u8]} {=u16} {=[u8]} {=u16} {=str} {=u64} {=[u8]} {=u64} {=[u8]} {=u64} {=u64}",
                    src[..ns],
                    t.sport,
                    dst[..nd],
                    t.dport,
                    end.name(),
                    c2s,
                    hc[..],
                    s2c,
                    hs[..],
                    first.micros(),
                    last.micros()
                );
            }
        }
    }

    fn transmit(&mut self, _link: LinkType, frame: &[u8]) {
        // Counted by the driver (tx_frames / tx_errors).
        let _ = self.rx.with_mac(|m| m.transmit(frame));
    }

    fn warning(&mut self, ts: Instant, w: Warning, _p: &[u8]) {
        // Every warning is counted in Stats; a tap under a flood must not log
        // per packet, so only the first of each kind is logged.
        let (word, bit) = (w as usize / 32, 1u32 << (w as usize % 32));
        if self.warned[word] & bit == 0 {
            self.warned[word] |= bit;
            self.warnings_logged += 1;
            defmt::warn!("warning {=str} at {=u64}", w.code(), ts.micros());
        }
    }
}

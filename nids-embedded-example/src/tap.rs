//! The engine's handler: hash both directions of every TCP stream and report
//! one JSON line per finished stream, in the format of `nids streams --json`;
//! reset streams to a chosen port (`kill`), sending the RST frames out of the MAC.

use core::fmt;

use nids_core::{Handler, LinkType, Side, Stats, Stream, TcpEvent, Warning};
use sha2::{Digest, Sha256};

use crate::console::Console;
use crate::enet::Stellaris;
use crate::outln;

/// Per-stream user data: a running SHA-256 of each direction (112 bytes each).
pub struct Digests {
    c2s: Sha256,
    s2c: Sha256,
}

/// What the firmware does with the engine's callbacks.
pub struct Tap {
    /// The MAC, for the RST frames of `kill`.
    pub mac: Stellaris,
    /// Where reports go.
    pub out: Console,
    /// Reset every stream to this server port once established.
    pub kill_port: Option<u16>,
    /// Streams reported.
    pub reported: u32,
    /// Streams `kill`ed.
    pub killed: u32,
}

/// Lower-case hex of some bytes.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Handler<Digests> for Tap {
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
                // Take the digests out, so the new bytes can be borrowed from
                // the stream without a copy.
                let Some(mut d) = s.user().take() else { return };
                match s.side() {
                    Some(Side::Server) => d.c2s.update(s.new_data()),
                    Some(Side::Client) => d.s2c.update(s.new_data()),
                    None => {}
                }
                *s.user() = Some(d);
            }
            end => {
                let t = *s.tuple();
                let (c2s, s2c) = (s.server().count(), s.client().count());
                let (first, last) = (s.created(), s.ts());
                let Some(d) = s.user().take() else { return };
                self.reported += 1;
                let (hc, hs) = (d.c2s.finalize(), d.s2c.finalize());
                outln!(
                    self.out,
                    "{{\"kind\":\"tcp\",\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{},\"end\":\"{}\",\"c2s_bytes\":{},\"c2s_sha256\":\"{}\",\"s2c_bytes\":{},\"s2c_sha256\":\"{}\",\"first_ts\":{},\"last_ts\":{}}}",
                    t.src,
                    t.sport,
                    t.dst,
                    t.dport,
                    end.name(),
                    c2s,
                    Hex(&hc),
                    s2c,
                    Hex(&hs),
                    first,
                    last
                );
            }
        }
    }

    fn transmit(&mut self, _link: LinkType, frame: &[u8]) {
        // Counted by the driver (tx_frames / tx_errors).
        let _ = self.mac.transmit(frame);
    }

    fn warning(&mut self, _ts: nids_core::Instant, _w: Warning, _p: &[u8]) {
        // Counted in Stats; a tap under a flood must not print per packet.
    }
}

/// The engine's counters as one JSON line: `{"kind":"stats", <every field of
/// Stats in declaration order>, "warnings":{<code>: <count>, … nonzero only}}`.
pub fn print_stats(out: &mut Console, st: &Stats) {
    struct Line<'a>(&'a Stats);
    impl fmt::Display for Line<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let s = self.0;
            f.write_str("{\"kind\":\"stats\"")?;
            for (name, n) in s.counters().take(Stats::NAMES.len()) {
                write!(f, ",\"{name}\":{n}")?;
            }
            f.write_str(",\"warnings\":{")?;
            for (i, (w, n)) in s.nonzero_warnings().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                write!(f, "{sep}\"{}\":{n}", w.code())?;
            }
            f.write_str("}}")
        }
    }
    outln!(out, "{}", Line(st));
}

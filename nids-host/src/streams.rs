//! The `streams` command's handler: collect both halves of every stream, hash
//! each direction, print one line (or JSON object) when it ends.
//!
//! # Timestamps
//!
//! Every `--json` record of nids (`tcp`, `udp`, `match`, `scan`, `stats`, and
//! `nids conn --json`) gives time one way: `ts` is when the record's subject
//! began (a stream's or connection's first packet, a datagram, a match's
//! segment, a scan's first probe, a run's first packet), in seconds since the
//! Unix epoch as a JSON number with six decimals (microseconds), as Zeek's
//! `ts`; a record that spans time also has `last_ts`, its end. The older names
//! stay: `first_ts` (equal to `ts`) on TCP streams and scan reports. Suricata
//! EVE records (`--format eve`) follow Suricata's schema instead (ISO 8601
//! `timestamp`, `flow.start`, `flow.end`).

use std::io::{self, Write};

use nids_core::{udp, Handler, Instant, Stream, TcpEvent, TunnelId, Tuple, Warning};
use sha2::{Digest, Sha256};

/// What `nids streams --json` says about one finished stream; `nids dump`'s
/// index adds the file names to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Client (SYN sender) to server.
    pub tuple: Tuple,
    /// How it ended: `Close`, `Reset`, `TimedOut` or `Exiting`.
    pub end: TcpEvent,
    /// Bytes delivered client to server.
    pub c2s_bytes: u64,
    /// Lower-case hex SHA-256 of them.
    pub c2s_sha256: String,
    /// Bytes delivered server to client.
    pub s2c_bytes: u64,
    /// Lower-case hex SHA-256 of them.
    pub s2c_sha256: String,
    /// Time of the SYN that opened it.
    pub first_ts: Instant,
    /// Time of the event that ended it.
    pub last_ts: Instant,
}

/// `,"tunnel":["gre","vxlan:42"]`: the JSON member naming a flow's tunnel path,
/// outermost first (only the innermost hop with an identifier shows it); empty
/// outside tunnels.
pub fn tunnel_json(t: TunnelId) -> String {
    if t.is_none() {
        return String::new();
    }
    let hops: Vec<String> = t.hops().map(|h| format!("\"{h}\"")).collect();
    format!(",\"tunnel\":[{}]", hops.join(","))
}

/// `,"community_id":"1:…"` for a flow of protocol `proto` and tuple `t` when a
/// seed is given; empty otherwise (or for a tuple mixing address families).
pub fn community_id_json(seed: Option<u16>, proto: u8, t: &Tuple) -> String {
    seed.and_then(|seed| {
        crate::community_id::community_id(seed, proto, t.src, t.sport, t.dst, t.dport)
    })
    .map_or_else(String::new, |id| format!(",\"community_id\":\"{id}\""))
}

impl Record {
    /// The JSON object's members, without the braces, in the documented key order:
    /// `"kind":"tcp","src":…,"sport":…,"dst":…,"dport":…,"end":…,"c2s_bytes":…,
    /// "c2s_sha256":…,"s2c_bytes":…,"s2c_sha256":…,"first_ts":…,"last_ts":…,"ts":…`,
    /// with `"tunnel":[…]` after `dport` for a tunnelled stream ([`tunnel_json`]).
    /// `ts` is `first_ts` under the name every record kind uses for its start
    /// (see the module's "Timestamps").
    pub fn json_members(&self) -> String {
        self.json_members_with(None)
    }

    /// [`json_members`](Self::json_members) with `"community_id":…` after the
    /// tuple (and tunnel) when the Community ID is asked for (its seed).
    pub fn json_members_with(&self, community_id_seed: Option<u16>) -> String {
        let t = &self.tuple;
        format!(
            "\"kind\":\"tcp\",\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{}{}{},\"end\":\"{}\",\"c2s_bytes\":{},\"c2s_sha256\":\"{}\",\"s2c_bytes\":{},\"s2c_sha256\":\"{}\",\"first_ts\":{},\"last_ts\":{},\"ts\":{}",
            t.src,
            t.sport,
            t.dst,
            t.dport,
            tunnel_json(t.tunnel),
            community_id_json(community_id_seed, 6, t),
            self.end.name(),
            self.c2s_bytes,
            self.c2s_sha256,
            self.s2c_bytes,
            self.s2c_sha256,
            self.first_ts,
            self.last_ts,
            self.first_ts
        )
    }
}

/// Per-stream state: a SHA-256 of each direction.
pub struct Digests {
    c2s: Sha256,
    s2c: Sha256,
}

/// Collects every stream, hashes each direction, prints a line at its end.
pub struct StreamPrinter<W: Write> {
    /// Where lines go.
    pub out: W,
    json: bool,
    udp: bool,
    hash: bool,
    /// The first write error (output stops there).
    pub error: Option<io::Error>,
    /// Streams that ended.
    pub streams: u64,
    /// The Community ID seed, when records carry `community_id`.
    pub community_id: Option<u16>,
    /// Capture times of the first and last IP packets seen (`stats`).
    pub span: Option<(Instant, Instant)>,
}

fn hex(d: Sha256) -> String {
    crate::text::hex(&d.finalize())
}

impl<W: Write> StreamPrinter<W> {
    /// A printer of stream lines (`json`: JSON Lines), and of UDP datagrams if `udp`.
    pub fn new(out: W, json: bool, udp: bool) -> Self {
        StreamPrinter {
            out,
            json,
            udp,
            hash: true,
            error: None,
            streams: 0,
            community_id: None,
            span: None,
        }
    }

    /// Collects every stream but only counts them (the `stats` command).
    pub fn counting(out: W) -> Self {
        StreamPrinter {
            out,
            json: false,
            udp: false,
            hash: false,
            error: None,
            streams: 0,
            community_id: None,
            span: None,
        }
    }

    fn emit(&mut self, line: std::fmt::Arguments<'_>) {
        if self.error.is_none() {
            if let Err(e) = self
                .out
                .write_fmt(line)
                .and_then(|()| self.out.write_all(b"\n"))
            {
                self.error = Some(e);
            }
        }
    }
}

impl<W: Write> Handler<Digests> for StreamPrinter<W> {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Digests>) {
        match s.event() {
            TcpEvent::JustEstablished => {
                s.client_mut().collect = true;
                s.server_mut().collect = true;
                *s.user() = Some(Digests {
                    c2s: Sha256::new(),
                    s2c: Sha256::new(),
                });
            }
            TcpEvent::Data => {
                if !self.hash {
                    return;
                }
                // Take the digests out, so the new bytes can be borrowed from
                // the stream without a copy.
                let Some(mut d) = s.user().take() else { return };
                match s.side() {
                    Some(nids_core::Side::Server) => d.c2s.update(s.new_data()),
                    Some(nids_core::Side::Client) => d.s2c.update(s.new_data()),
                    None => {}
                }
                *s.user() = Some(d);
            }
            end => {
                self.streams += 1;
                if !self.hash {
                    return;
                }
                let t = *s.tuple();
                let (c2s, s2c) = (s.server().count(), s.client().count());
                let (first, last) = (s.created(), s.ts());
                let Some(d) = s.user().take() else { return };
                if self.json {
                    let r = Record {
                        tuple: t,
                        end,
                        c2s_bytes: c2s,
                        c2s_sha256: hex(d.c2s),
                        s2c_bytes: s2c,
                        s2c_sha256: hex(d.s2c),
                        first_ts: first,
                        last_ts: last,
                    };
                    self.emit(format_args!(
                        "{{{}}}",
                        r.json_members_with(self.community_id)
                    ));
                } else {
                    self.emit(format_args!(
                        "[+] {t} (CTS: {c2s}B | STC: {s2c}B) {}",
                        end.name()
                    ));
                }
            }
        }
    }

    fn udp(&mut self, d: &udp::Datagram<'_>) {
        if !self.udp {
            return;
        }
        let t = d.tuple;
        if self.json {
            let sha = hex(Sha256::new_with_prefix(d.payload));
            self.emit(format_args!(
                "{{\"kind\":\"udp\",\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{}{}{},\"bytes\":{},\"sha256\":\"{}\",\"ts\":{},\"last_ts\":{}}}",
                t.src,
                t.sport,
                t.dst,
                t.dport,
                tunnel_json(t.tunnel),
                community_id_json(self.community_id, 17, &t),
                d.payload.len(),
                sha,
                d.ts,
                d.ts
            ));
        } else {
            self.emit(format_args!("[u] {t} ({}B)", d.payload.len()));
        }
    }

    fn ip_frag(&mut self, ts: Instant, _packet: &[u8]) {
        self.span = Some(self.span.map_or((ts, ts), |(first, _)| (first, ts)));
    }

    fn warning(&mut self, _ts: Instant, _w: Warning, _p: &[u8]) {}
}

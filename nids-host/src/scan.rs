//! The `scan` command's handler: one line (or JSON object) per port-scan report.

use std::io::Write;

use nids_core::scan::{Proto, Report};
use nids_core::{Handler, Instant};

use crate::output::Output;

/// Prints every port-scan report of the engine ([`nids_core::scan`] says when a
/// source is reported). Collects no stream, so it is cheap.
///
/// Text: `[scan] 10.9.0.1: SYN scan of 11 targets from 1700100000.000000 to
/// 1700100000.020000: 10.9.0.2:20/tcp 10.9.0.2:21/tcp ...`. JSON Lines:
/// `{"kind":"scan","src":…,"scan":"SYN","targets":11,"first_ts":…,"last_ts":…,"ts":…,
/// "probes":[{"dst":…,"port":20,"proto":"tcp","flags":2,"ts":…},…]}`; UDP probes
/// carry `"unreachable":true|false` instead of `"flags"`.
pub struct Printer<W: Write> {
    /// Where lines go.
    pub out: Output<W>,
    json: bool,
    /// Reports printed.
    pub reports: u64,
}

impl<W: Write> Printer<W> {
    /// A printer of text lines, or of JSON Lines if `json`.
    pub fn new(out: W, json: bool) -> Self {
        Printer {
            out: Output::new(out),
            json,
            reports: 0,
        }
    }
}

impl<W: Write, U> Handler<U> for Printer<W> {
    fn scan(&mut self, _ts: Instant, r: &Report<'_>) {
        self.reports += 1;
        if self.json {
            let mut probes = String::new();
            for (i, p) in r.probes.iter().enumerate() {
                if i > 0 {
                    probes.push(',');
                }
                let proto = match p.proto {
                    Proto::Tcp { flags } => format!("\"proto\":\"tcp\",\"flags\":{flags}"),
                    Proto::Udp { unreachable } => {
                        format!("\"proto\":\"udp\",\"unreachable\":{unreachable}")
                    }
                };
                probes.push_str(&format!(
                    "{{\"dst\":\"{}\",\"port\":{},{proto},\"ts\":{}}}",
                    p.dst, p.port, p.ts
                ));
            }
            self.out.line(format_args!(
                "{{\"kind\":\"scan\",\"src\":\"{}\",\"scan\":\"{}\",\"targets\":{},\"first_ts\":{},\"last_ts\":{},\"ts\":{},\"probes\":[{probes}]}}",
                r.src,
                r.kind,
                r.probes.len(),
                r.first,
                r.last,
                r.first
            ));
        } else {
            let mut targets = String::new();
            for p in r.probes {
                let proto = match p.proto {
                    Proto::Tcp { .. } => "tcp",
                    Proto::Udp { .. } => "udp",
                };
                match p.dst {
                    std::net::IpAddr::V4(a) => {
                        targets.push_str(&format!(" {a}:{}/{proto}", p.port))
                    }
                    std::net::IpAddr::V6(a) => {
                        targets.push_str(&format!(" [{a}]:{}/{proto}", p.port))
                    }
                }
            }
            self.out.line(format_args!("[scan] {r}:{targets}"));
        }
    }
}

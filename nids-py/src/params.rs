//! `nids.param()`: libnids' `nids_params` by name, with type and range checks,
//! and the engine settings they turn into at `init()`.

use std::net::IpAddr;

use nids_core::ip::checksum::{Net, Rule};
use nids_core::Duration;

/// The kind of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Python `int` (`bool` included, as pynids' `PyInt_AsLong` took it).
    Int { min: i64, max: i64 },
    /// A Python `str` (or `bytes`, or a path-like object for `filename`) or `None`.
    Str,
}

/// One parameter: its name, kind, libnids default and what it does here.
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Value,
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Str(Option<String>),
}

const fn int(name: &'static str, default: i64, min: i64, max: i64) -> Spec {
    Spec {
        name,
        kind: Kind::Int { min, max },
        default: Value::Int(default),
    }
}

const fn string(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Str,
        default: Value::Str(None),
    }
}

/// Most stream slots (the engine's table is sized at run time; as `nids
/// --streams`).
pub const MAX_STREAMS: usize = 4_194_304;

/// Every name `param()` knows, with libnids 1.26's defaults. The ones marked
/// "no effect" are accepted so that existing scripts run; the module docs say why.
pub const SPECS: &[Spec] = &[
    // TCP stream slots: at most 3n/4+1 streams at once; 0 turns TCP off.
    int("n_tcp_streams", 1040, 0, MAX_STREAMS as i64),
    // Defragmentation host slots (fixed at 256 here: no effect).
    int("n_hosts", 256, 0, i32::MAX as i64),
    // libnids' memory accounting (no effect).
    int("sk_buff_size", 168, 0, i32::MAX as i64),
    // libnids' link header length override (no effect: link layers are decoded).
    int("dev_addon", -1, -1, i32::MAX as i64),
    // syslog(3) level of the default warning hook (no effect).
    int("syslog_level", 1, 0, 7),
    // Port-scan detection: 0 turns it off (the table is fixed at 256 hosts).
    int("scan_num_hosts", 256, 0, i32::MAX as i64),
    // A scan is reported at more than this many distinct targets (at most 15).
    int("scan_num_ports", 10, 0, i32::MAX as i64),
    // The scan window in milliseconds (libnids ignored it by mistake).
    int("scan_delay", 3000, 0, i32::MAX as i64),
    // Live capture only.
    int("promisc", 1, 0, 1),
    // Call the TCP callback again while it consumed some but not all new data.
    int("one_loop_less", 0, 0, 1),
    // Live capture only.
    int("pcap_timeout", 1024, 0, i32::MAX as i64),
    // A SYN for a tuple whose stream is older than this (seconds) replaces it.
    int("tcp_flow_timeout", 3600, 0, i32::MAX as i64),
    // libnids' "savage close" timeout (no effect).
    int("tcp_workarounds", 0, 0, 1),
    // libnids' glib thread (no effect).
    int("multiproc", 0, 0, 1),
    // libnids' glib queue (no effect).
    int("queue_limit", 20000, 0, i32::MAX as i64),
    // nids-rs: most bytes a half keeps with discard() (nids-compat's bound,
    // as nids_rs_set_max_kept() in C); beyond it the oldest are dropped, with
    // a RuntimeWarning the first time.
    int(
        "max_kept",
        nids_compat::DEFAULT_MAX_KEPT as i64,
        1,
        i64::MAX,
    ),
    // Live interface to capture on (live capture is not available yet).
    string("device"),
    // BPF filter (not available: no BPF compiler).
    string("pcap_filter"),
    // Capture file to read (pcap or pcapng); takes precedence over `device`.
    string("filename"),
];

/// Finds a parameter by name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// The current values of every parameter.
#[derive(Debug, Clone)]
pub struct Params {
    values: Vec<Value>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            values: SPECS.iter().map(|s| s.default.clone()).collect(),
        }
    }
}

impl Params {
    fn index(name: &str) -> usize {
        SPECS
            .iter()
            .position(|s| s.name == name)
            .expect("a name from SPECS")
    }

    /// The value of a known parameter.
    pub fn get(&self, name: &str) -> &Value {
        &self.values[Self::index(name)]
    }

    /// Sets a known parameter (already checked), returning the old value.
    pub fn set(&mut self, name: &str, v: Value) -> Value {
        std::mem::replace(&mut self.values[Self::index(name)], v)
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> i64 {
        match self.get(name) {
            Value::Int(i) => *i,
            Value::Str(_) => unreachable!("{name} is an integer parameter"),
        }
    }

    /// A string parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Value::Str(s) => s.as_deref(),
            Value::Int(_) => unreachable!("{name} is a string parameter"),
        }
    }

    /// What `init()` builds from these values and the checksum rules.
    pub fn settings(&self, rules: &[Rule]) -> Settings {
        let n = self.int("n_tcp_streams") as usize;
        Settings {
            streams: n,
            flow_timeout: Duration::from_secs(self.int("tcp_flow_timeout") as u64),
            scan: if self.int("scan_num_hosts") == 0 {
                nids_core::scan::Config::disabled()
            } else {
                nids_core::scan::Config {
                    num_ports: self.int("scan_num_ports") as usize,
                    delay: Duration::from_millis(self.int("scan_delay") as u64),
                    udp: false,
                }
            },
            checksums: Checksums::List(rules.to_vec()),
            one_loop_less: self.int("one_loop_less") != 0,
            midstream: false,
            // libnids decodes no tunnel: a tuple cannot name one
            // (`init(tunnels=True)` opts in).
            tunnels: false,
        }
    }
}

/// Which checksums are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksums {
    /// All of them (an empty list means the same).
    List(Vec<Rule>),
    /// None.
    Off,
    /// Verify, but accept what senders with checksum offload leave unfilled
    /// (`Policy::Auto`): the default of `nids.Capture`, as of the `nids` command.
    Auto,
}

/// The engine settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `n_tcp_streams`: 0 turns TCP callbacks off.
    pub streams: usize,
    pub flow_timeout: Duration,
    pub scan: nids_core::scan::Config,
    pub checksums: Checksums,
    pub one_loop_less: bool,
    pub midstream: bool,
    /// Decode tunnels (GRE, VXLAN, ...): `nids.Capture` does, pynids' API
    /// only after `init(tunnels=True)`.
    pub tunnels: bool,
}

impl Settings {
    /// libnids' defaults, as `nids streams` uses them (tunnels decoded, as
    /// the command and `nids.Capture` do).
    pub fn new() -> Settings {
        let mut s = Params::default().settings(&[]);
        s.tunnels = true;
        s
    }

    /// The engine's limit on concurrent streams, libnids' rule for
    /// `n_tcp_streams`: `3n/4 + 1` (781 for 1040). The session sizes its table
    /// to it.
    pub fn max_streams(&self) -> usize {
        3 * self.streams / 4 + 1
    }
}

/// Parses a `chksum_ctl` network: `"10.0.0.0/8"`, `"fd00::/8"`, or an address
/// alone (a /32 or /128).
pub fn parse_net(s: &str) -> Result<Net, String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address or network (a.b.c.d/n)"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => match p.trim().parse::<u8>() {
            Ok(p) if p <= max => p,
            _ => return Err(format!("{s:?}: the prefix length must be 0 to {max}")),
        },
    };
    Ok(Net::new(addr, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_defaults() {
        let p = Params::default();
        assert_eq!(p.int("n_tcp_streams"), 1040);
        assert_eq!(p.str("filename"), None);
        let s = p.settings(&[]);
        assert_eq!(s.max_streams(), 781);
        assert_eq!(s.scan, nids_core::scan::Config::new());
        assert_eq!(s.flow_timeout, nids_core::tcp::Config::new().flow_timeout);
        assert!(!s.tunnels, "pynids' API decodes no tunnel");
        assert!(Settings::new().tunnels, "nids.Capture decodes them");
    }

    #[test]
    fn test_parse_net() {
        assert_eq!(parse_net("10.0.0.0/8").unwrap().prefix, 8);
        assert_eq!(parse_net("10.0.0.1").unwrap().prefix, 32);
        assert_eq!(parse_net("fd00::/16").unwrap().prefix, 16);
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("nonsense").is_err());
    }
}

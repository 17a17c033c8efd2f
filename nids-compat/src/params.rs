//! libnids' `struct nids_prm nids_params`, defined once: every field's name,
//! kind and libnids 1.26 default ([`SPECS`], [`defaults`]), the values a
//! program set ([`Params`]), and what they make of an engine
//! ([`Params::apply`]).
//!
//! The C library initialises its exported `nids_params` from [`defaults`]
//! and reads it back into a [`Params`] at `nids_init`; the Python module's
//! `param()` reads and writes a [`Params`] by name. Both build their engines
//! through [`Params::apply`].

use nids_core::{Config, Duration};

/// libnids 1.26's defaults (`libnids.c`), as C `int`s.
pub mod defaults {
    /// `n_tcp_streams`: stream slots; at most `3n/4 + 1` streams at once.
    pub const N_TCP_STREAMS: i32 = 1040;
    /// `n_hosts`: defragmentation host slots.
    pub const N_HOSTS: i32 = 256;
    /// `sk_buff_size`: libnids' per-packet memory accounting.
    pub const SK_BUFF_SIZE: i32 = 168;
    /// `dev_addon`: -1, link header length chosen at `nids_init`.
    pub const DEV_ADDON: i32 = -1;
    /// `syslog_level`: `LOG_ALERT`.
    pub const SYSLOG_LEVEL: i32 = 1;
    /// `scan_num_hosts`: 0 turns scan detection off.
    pub const SCAN_NUM_HOSTS: i32 = 256;
    /// `scan_delay`, milliseconds.
    pub const SCAN_DELAY: i32 = 3000;
    /// `scan_num_ports`: a scan is reported past this many targets.
    pub const SCAN_NUM_PORTS: i32 = 10;
    /// `promisc`.
    pub const PROMISC: i32 = 1;
    /// `one_loop_less`.
    pub const ONE_LOOP_LESS: i32 = 0;
    /// `pcap_timeout`, milliseconds.
    pub const PCAP_TIMEOUT: i32 = 1024;
    /// `multiproc`.
    pub const MULTIPROC: i32 = 0;
    /// `queue_limit`.
    pub const QUEUE_LIMIT: i32 = 20000;
    /// `tcp_workarounds`.
    pub const TCP_WORKAROUNDS: i32 = 0;
    /// `tcp_flow_timeout`, seconds (1.26; 0 in 1.25).
    pub const TCP_FLOW_TIMEOUT: i32 = 3600;
}

/// The kind of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer within `min..=max`.
    Int {
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
    },
    /// A string, or none (C's `NULL`, Python's `None`).
    Str,
}

/// One parameter: its name, kind and default.
#[derive(Debug)]
pub struct Spec {
    /// The `nids_params` field name (or nids-rs' own, `max_kept`).
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// libnids 1.26's default.
    pub default: Value,
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer parameter's value.
    Int(i64),
    /// A string parameter's value (`None`: unset).
    Str(Option<String>),
}

const fn int(name: &'static str, default: i32, min: i64, max: i64) -> Spec {
    Spec {
        name,
        kind: Kind::Int { min, max },
        default: Value::Int(default as i64),
    }
}

const fn string(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Str,
        default: Value::Str(None),
    }
}

/// Most stream slots a program may ask for (as `nids --streams`).
pub const MAX_STREAMS: usize = 4_194_304;

const I32: i64 = i32::MAX as i64;

/// Every `nids_params` field a program can set by value, with libnids 1.26's
/// defaults, and nids-rs' `max_kept`. Fields that are pointers to functions
/// or handles (`syslog`, `no_mem`, `ip_filter`, `pcap_desc`) exist in C only.
pub const SPECS: &[Spec] = &[
    // TCP stream slots: at most 3n/4+1 streams at once; 0 turns TCP off.
    int(
        "n_tcp_streams",
        defaults::N_TCP_STREAMS,
        0,
        MAX_STREAMS as i64,
    ),
    // Defragmentation host slots (the engine's are sized by its storage).
    int("n_hosts", defaults::N_HOSTS, 0, I32),
    // libnids' memory accounting (no effect).
    int("sk_buff_size", defaults::SK_BUFF_SIZE, 0, I32),
    // libnids' link header length override (no effect: link layers are decoded).
    int("dev_addon", defaults::DEV_ADDON, -1, I32),
    // syslog(3) level of the default warning hook.
    int("syslog_level", defaults::SYSLOG_LEVEL, 0, 7),
    // Port-scan detection: 0 turns it off.
    int("scan_num_hosts", defaults::SCAN_NUM_HOSTS, 0, I32),
    // A scan is reported at more than this many distinct targets.
    int("scan_num_ports", defaults::SCAN_NUM_PORTS, 0, I32),
    // The scan window in milliseconds (libnids ignored it by mistake).
    int("scan_delay", defaults::SCAN_DELAY, 0, I32),
    // Live capture only.
    int("promisc", defaults::PROMISC, 0, 1),
    // Call the TCP callback again while it consumed some but not all new data.
    int("one_loop_less", defaults::ONE_LOOP_LESS, 0, 1),
    // Live capture only.
    int("pcap_timeout", defaults::PCAP_TIMEOUT, 0, I32),
    // A SYN for a tuple whose stream is older than this (seconds) replaces it.
    int("tcp_flow_timeout", defaults::TCP_FLOW_TIMEOUT, 0, I32),
    // libnids' "savage close" timeout (no effect).
    int("tcp_workarounds", defaults::TCP_WORKAROUNDS, 0, 1),
    // libnids' glib thread (no effect).
    int("multiproc", defaults::MULTIPROC, 0, 1),
    // libnids' glib queue (no effect).
    int("queue_limit", defaults::QUEUE_LIMIT, 0, I32),
    // nids-rs: most bytes a half keeps with nids_discard / discard()
    // (crate::DEFAULT_MAX_KEPT; nids_rs_set_max_kept() in C).
    Spec {
        name: "max_kept",
        kind: Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        default: Value::Int(crate::DEFAULT_MAX_KEPT as i64),
    },
    // Live interface to capture on.
    string("device"),
    // BPF filter (libpcap).
    string("pcap_filter"),
    // Capture file to read (pcap or pcapng); takes precedence over `device`.
    string("filename"),
];

/// Finds a parameter by name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// The values of every parameter ([`SPECS`] order), libnids' defaults first.
///
/// ```
/// use nids_compat::params::{Params, Value};
/// let mut p = Params::default();
/// assert_eq!(p.int("n_tcp_streams"), 1040);
/// p.set("scan_num_hosts", Value::Int(0));
/// let mut c = nids_core::Config::new();
/// p.apply(&mut c);
/// assert_eq!(c.scan.num_ports, 0); // scan detection off
/// assert_eq!(c.tcp.max_streams, Some(781)); // libnids' 3n/4 + 1
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
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
            .unwrap_or_else(|| panic!("{name} is not a parameter of SPECS"))
    }

    /// The value of a known parameter. Panics for a name not in [`SPECS`]
    /// (check it with [`spec`]).
    pub fn get(&self, name: &str) -> &Value {
        &self.values[Self::index(name)]
    }

    /// Sets a known parameter (already checked against its [`Spec`]),
    /// returning the old value.
    pub fn set(&mut self, name: &str, v: Value) -> Value {
        std::mem::replace(&mut self.values[Self::index(name)], v)
    }

    /// An integer parameter (0 if it holds a string).
    pub fn int(&self, name: &str) -> i64 {
        match self.get(name) {
            Value::Int(i) => *i,
            Value::Str(_) => 0,
        }
    }

    /// A string parameter (`None` if unset, or if it holds an integer).
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Value::Str(s) => s.as_deref(),
            Value::Int(_) => None,
        }
    }

    /// `n_tcp_streams`, negative read as 0 (no TCP).
    pub fn n_tcp_streams(&self) -> usize {
        self.int("n_tcp_streams").clamp(0, MAX_STREAMS as i64) as usize
    }

    /// libnids' limit on concurrent streams: `3 * n_tcp_streams / 4 + 1`
    /// (781 for 1040).
    pub fn max_streams(&self) -> usize {
        3 * self.n_tcp_streams() / 4 + 1
    }

    /// `one_loop_less`.
    pub fn one_loop_less(&self) -> bool {
        self.int("one_loop_less") != 0
    }

    /// The engine settings these values make, on `config`: libnids' stream
    /// limit, flow timeout and scan detection (off when `scan_num_hosts` is
    /// 0), no tunnel decoding (libnids decodes none; a face opts in after),
    /// and fresh random keys ([`nids_host::keys::randomize`]).
    pub fn apply(&self, config: &mut Config<'_>) {
        let non_neg = |name| self.int(name).max(0) as u64;
        nids_host::keys::randomize(config);
        config.tcp.max_streams = Some(self.max_streams());
        config.tcp.flow_timeout = Duration::from_secs(non_neg("tcp_flow_timeout"));
        config.scan.num_ports = if self.int("scan_num_hosts") <= 0 {
            0
        } else {
            non_neg("scan_num_ports") as usize
        };
        config.scan.delay = Duration::from_millis(non_neg("scan_delay"));
        config.tunnels = nids_core::tunnel::Config::off();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_defaults_are_libnids() {
        let p = Params::default();
        assert_eq!(p.int("n_tcp_streams"), 1040);
        assert_eq!(p.int("tcp_flow_timeout"), 3600);
        assert_eq!(p.str("filename"), None);
        assert_eq!(p.max_streams(), 781);
        let mut c = Config::new();
        p.apply(&mut c);
        assert_eq!(c.scan.num_ports, 10);
        assert_eq!(c.tunnels, nids_core::tunnel::Config::off());
        assert_ne!(c.hash_key, Config::new().hash_key);
    }

    #[test]
    fn test_names_are_unique() {
        for (i, s) in SPECS.iter().enumerate() {
            assert!(
                SPECS[i + 1..].iter().all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
    }
}

//! `nids.param()`: libnids' `nids_params` by name, with type and range checks,
//! and the engine settings they turn into at `init()`.

use std::net::IpAddr;

use nids_core::ip::checksum::{Net, Rule};
use nids_core::Duration;

pub use nids_compat::params::{spec, Kind, Params, Value, MAX_STREAMS, SPECS};

/// What `init()` builds from the parameters and the checksum rules: the
/// engine settings nids-compat derives from `nids_params`
/// ([`Params::apply`]), as the C library does.
pub fn settings(p: &Params, rules: &[Rule]) -> Settings {
    let mut c = nids_core::Config::new();
    p.apply(&mut c);
    Settings {
        streams: p.n_tcp_streams(),
        flow_timeout: c.tcp.flow_timeout,
        scan: c.scan,
        checksums: Checksums::List(rules.to_vec()),
        one_loop_less: p.one_loop_less(),
        midstream: false,
        // libnids decodes no tunnel: a tuple cannot name one
        // (`init(tunnels=True)` opts in).
        tunnels: false,
        skip_gaps: false,
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
    /// Skip holes the receiver acknowledged (`Config::tcp.skip_gaps`, the
    /// command's `--skip-gaps`): off, as libnids.
    pub skip_gaps: bool,
}

impl Settings {
    /// libnids' defaults, as `nids streams` uses them (tunnels decoded, as
    /// the command and `nids.Capture` do).
    pub fn new() -> Settings {
        let mut s = settings(&Params::default(), &[]);
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
        let s = settings(&p, &[]);
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

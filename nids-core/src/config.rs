//! [`Config`]: the engine's run-time settings, with libnids' defaults.

use crate::ip::checksum::Policy;

/// Run-time settings. Capacities come with the engine's memory
/// ([`crate::memory`]) and byte storage is handed to it; everything else is
/// here. `Config::new()` gives
/// libnids' behaviour. `#[non_exhaustive]`: settings are added without breaking
/// users (start from [`Config::new`] and set fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config<'a> {
    /// Which checksums are verified (default: all, as libnids).
    pub checksums: Policy<'a>,
    /// TCP settings.
    pub tcp: crate::tcp::Config,
    /// Defragmentation settings (libnids' Linux 2.0 overlap rule, 30 s timeout,
    /// 65,535-byte datagrams, 256 KiB per host by default).
    pub defrag: crate::defrag::Config,
    /// Port-scan detection settings (libnids' `scan_num_ports`, `scan_delay`);
    /// the table size is the engine's `SCAN_HOSTS` (0 turns detection off).
    pub scan: crate::scan::Config,
    /// Which tunnels are decoded (all, on their IANA ports, by default;
    /// libnids decodes none: [`crate::tunnel::Config::off`]).
    pub tunnels: crate::tunnel::Config,
    /// Key of the flow hash (keyed multiply-fold over the canonical tuple, as
    /// `tcp::table` documents) and, derived from it, of the scan detector's
    /// source hash (SipHash-1-3). Give each engine a random key where
    /// an attacker could choose flow tuples (`nids`, nids-py and
    /// `nids_host::keys::random_hash_key` do; a firmware seeds it from what its
    /// chip has); the default key is fixed and public, and keeps tests
    /// reproducible.
    pub hash_key: (u64, u64),
}

impl Config<'_> {
    /// libnids' defaults, with a fixed hash key.
    pub const fn new() -> Self {
        Config {
            checksums: Policy::Verify,
            tcp: crate::tcp::Config::new(),
            defrag: crate::defrag::Config::new(),
            scan: crate::scan::Config::new(),
            tunnels: crate::tunnel::Config::new(),
            hash_key: (0x6e69_6473, 0x002d_7273),
        }
    }
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config::new()
    }
}

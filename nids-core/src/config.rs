//! [`Config`]: the engine's run-time settings, with libnids' defaults.

use crate::ip::checksum::Policy;

/// Run-time settings. Capacities are const generics of [`crate::Nids`] and byte
/// storage is handed to it; everything else is here. `Config::new()` gives
/// libnids' behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config<'a> {
    /// Which checksums are verified (default: all, as libnids).
    pub checksums: Policy<'a>,
}

impl Config<'_> {
    /// libnids' defaults.
    pub const fn new() -> Self {
        Config {
            checksums: Policy::Verify,
        }
    }
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config::new()
    }
}

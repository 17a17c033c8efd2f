//! From the parsed command line to the engine's settings (validated once, here).

use nids_core::ip::checksum::Policy;
use nids_core::Config;

use crate::cli::{Checksum, Common};

/// The engine settings of `common`.
pub fn engine(common: &Common) -> Config<'static> {
    let mut c = Config::new();
    c.checksums = match common.checksum {
        Checksum::Verify => Policy::Verify,
        Checksum::Off => Policy::Off,
        Checksum::Auto => Policy::Auto,
    };
    c
}

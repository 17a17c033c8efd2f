//! From the parsed command line to the engine's settings (validated once, here;
//! clap has already checked each value's range).

use nids_core::ip::checksum::Policy;
use nids_core::{Config, Duration};
use nids_host::session::{stream_class, STREAM_CLASSES};

use crate::cli::{Checksum, Common};

/// Bytes of storage for IP fragments waiting for their datagram: 16 MiB.
pub const DEFRAG_STORAGE: usize = 16 << 20;

/// What the engine is built with.
pub struct Settings {
    /// Run-time settings.
    pub engine: Config<'static>,
    /// Stream slots: one of [`STREAM_CLASSES`].
    pub slots: usize,
    /// Bytes of TCP storage.
    pub tcp_storage: usize,
}

/// The settings `common` asks for.
pub fn settings(common: &Common) -> Settings {
    let mut c = Config::new();
    c.checksums = match common.checksum {
        Checksum::Verify => Policy::Verify,
        Checksum::Off => Policy::Off,
        Checksum::Auto => Policy::Auto,
    };
    let mut slots = STREAM_CLASSES[0];
    if let Some(n) = common.streams {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        // clap keeps n within the largest class.
        slots = stream_class(n).unwrap_or(STREAM_CLASSES[3]);
        c.tcp.max_streams = Some(n);
    }
    c.tcp.idle_timeout = Duration::from_secs(common.idle_timeout);
    c.tcp.flow_timeout = Duration::from_secs(common.flow_timeout);
    Settings {
        engine: c,
        slots,
        tcp_storage: usize::try_from(common.tcp_storage << 20).unwrap_or(usize::MAX),
    }
}

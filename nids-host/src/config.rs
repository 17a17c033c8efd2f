//! From the parsed command line to the engine's settings (validated once, here;
//! clap has already checked each value's range).

use nids_core::defrag::policy as frag;
use nids_core::ip::checksum::Policy;
use nids_core::tcp::policy as tcp;
use nids_core::{Config, Duration};

use crate::cli::{Checksum, Common, Decap, FragPolicy, Ports, TcpPolicy};

/// Bytes of storage for IP fragments waiting for their datagram: 16 MiB.
pub const DEFRAG_STORAGE: usize = 16 << 20;

/// What the engine is built with.
pub struct Settings {
    /// Run-time settings.
    pub engine: Config<'static>,
    /// Bytes of TCP storage.
    pub tcp_storage: usize,
}

/// `--no-decap` and the extra tunnel ports.
fn tunnels(t: &mut nids_core::tunnel::Config, common: &Common) {
    for d in &common.no_decap {
        match d {
            Decap::All => *t = nids_core::tunnel::Config::off(),
            Decap::Gre => t.gre = false,
            Decap::Erspan => t.erspan = false,
            Decap::Vxlan => t.vxlan = false,
            Decap::Geneve => t.geneve = false,
            Decap::Gtpu => t.gtpu = false,
            Decap::Ipip => t.ipip = false,
            Decap::Teredo => t.teredo = false,
            Decap::Mpls => t.mpls = false,
            Decap::Ayiya => t.ayiya = false,
        }
    }
    let add = |set: &mut nids_core::tunnel::Ports, extra: &Option<Ports>| {
        // one IANA port and at most 3 more (clap checked): they always fit
        for p in extra.iter().flat_map(|p| &p.0) {
            set.add(*p);
        }
    };
    add(&mut t.vxlan_ports, &common.vxlan_ports);
    add(&mut t.geneve_ports, &common.geneve_ports);
    add(&mut t.gtpu_ports, &common.gtpu_ports);
}

/// The settings `common` asks for.
pub fn settings(common: &Common) -> Settings {
    let mut c = Config::new();
    nids_host::keys::randomize(&mut c);
    c.checksums = match common.checksum {
        Checksum::Verify => Policy::Verify,
        Checksum::Off => Policy::Off,
        Checksum::Auto => Policy::Auto,
    };
    if let Some(n) = common.streams {
        // N slots, all of which may be open at once (`session::stream_slots`).
        c.tcp.max_streams = Some(usize::try_from(n).unwrap_or(usize::MAX));
    }
    c.tcp.policy = match common.tcp_policy {
        TcpPolicy::Libnids => tcp::Policy::Libnids,
        TcpPolicy::First => tcp::Policy::First,
        TcpPolicy::Last => tcp::Policy::Last,
        TcpPolicy::Bsd => tcp::Policy::Bsd,
        TcpPolicy::Linux => tcp::Policy::Linux,
        TcpPolicy::OldLinux => tcp::Policy::OldLinux,
        TcpPolicy::Windows => tcp::Policy::Windows,
        TcpPolicy::Vista => tcp::Policy::Vista,
        TcpPolicy::Solaris => tcp::Policy::Solaris,
    };
    c.defrag.policy = match common.frag_policy {
        FragPolicy::Linux20 => frag::Policy::Linux20,
        FragPolicy::First => frag::Policy::First,
        FragPolicy::Last => frag::Policy::Last,
        FragPolicy::Bsd => frag::Policy::Bsd,
        FragPolicy::BsdRight => frag::Policy::BsdRight,
        FragPolicy::Linux => frag::Policy::Linux,
        FragPolicy::Windows => frag::Policy::Windows,
        FragPolicy::Solaris => frag::Policy::Solaris,
    };
    c.tcp.midstream = common.midstream;
    c.tcp.skip_gaps = common.skip_gaps;
    // clap keeps these within their ranges, all positive.
    c.defrag.hosts = usize::try_from(common.hosts).unwrap_or(256);
    c.tcp.idle_timeout = Duration::from_secs(common.idle_timeout.unsigned_abs());
    c.tcp.flow_timeout = Duration::from_secs(common.flow_timeout.unsigned_abs());
    tunnels(&mut c.tunnels, common);
    Settings {
        engine: c,
        tcp_storage: usize::try_from(common.tcp_storage << 20).unwrap_or(usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, Opts};
    use clap::Parser;

    fn common() -> Common {
        match Opts::parse_from(["nids", "streams", "x.pcap"]).command {
            Command::Streams { input, .. } => input.common,
            _ => unreachable!(),
        }
    }

    #[test]
    fn test_each_engine_gets_a_random_hash_key() {
        let (a, b) = (settings(&common()), settings(&common()));
        assert_ne!(a.engine.hash_key, b.engine.hash_key);
        assert_ne!(a.engine.hash_key, Config::new().hash_key);
        assert_ne!(a.engine.defrag.seed, b.engine.defrag.seed);
        assert_ne!(a.engine.defrag.seed, Config::new().defrag.seed);
    }
}

//! [`Library`]: what `nids_init` sets up: the packet source, the engine (built
//! at the first frame, so `nids_register_chksum_ctl` after `nids_init` still
//! counts) and the handler.

use std::path::PathBuf;

use nids_core::ip::checksum::Policy;
use nids_core::{Config, Instant, LinkType};
use nids_host::capture::{CaptureFile, Cursor};

use crate::driver::{self, BuildError, Engine};
use crate::ffi;
pub use crate::ffi::pcap::Read;
use crate::glue::{Glue, Settings};
use crate::types::{PcapPkthdr, Timeval};

/// What `nids_init` reads: `nids_params` as nids-compat models it (the
/// model the Python module shares), and what exists in C only.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// The value fields of `nids_params`.
    pub nids: nids_compat::params::Params,
    /// `pcap_desc` (the address of a `pcap_t`), 0 when unset.
    pub pcap_desc: usize,
    /// `nids_rs_enable_ipv6`.
    pub ipv6: bool,
    /// `nids_rs_enable_tunnels`.
    pub tunnels: bool,
}

/// Where frames come from.
enum Source {
    /// A capture file read by nids-host, a descriptor of it for `nids_getfd`,
    /// and the `pcap_filter` to apply.
    File {
        file: Box<CaptureFile>,
        cursor: Cursor,
        fd: std::fs::File,
        filter: Option<ffi::pcap::Filter>,
    },
    /// A libpcap handle (`pcap_desc`, or a live capture `nids_init` opened).
    Pcap { handle: usize, owned: bool },
}

/// The state between `nids_init` and `nids_exit`.
pub struct Library {
    source: Source,
    core: Core,
    /// The header of the file packet being processed (`nids_last_pcap_header`).
    hdr: PcapPkthdr,
}

/// The engine side: what frames go through, whatever their source.
struct Core {
    link: LinkType,
    n_tcp_streams: usize,
    config: Config<'static>,
    /// Declared before `memory`: dropped first, as it borrows it.
    engine: Option<Box<Engine>>,
    memory: Option<driver::Memory>,
    finished: bool,
    glue: Glue,
}

impl Core {
    /// One frame: `nids_linkoffset` as libnids computes it, then the engine
    /// (built at the first frame). Frames after `finish` are ignored.
    fn frame(&mut self, ts: Instant, data: &[u8]) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        if self.engine.is_none() {
            match driver::build(self.n_tcp_streams, self.link, self.config) {
                Ok((e, m)) => {
                    self.engine = Some(e);
                    self.memory = Some(m);
                }
                Err(BuildError::NoMemory) => {
                    ffi::no_mem("nids_init");
                    return Err("out of memory".into());
                }
                Err(BuildError::LinkType(_)) => return Err("link type unknown".into()),
            }
        }
        let engine = self.engine.as_deref_mut().ok_or("no engine")?;
        ffi::refresh(&mut self.glue);
        if let Some(off) = link_offset(self.link, data) {
            ffi::set_linkoffset(off);
        }
        // The link type was checked when the engine was built.
        let _ = engine.feed(ts, data, &mut self.glue);
        Ok(())
    }
}

/// Why a frame could not be handled or a source read.
pub type Error = String;

impl Library {
    /// Opens the source `p` names (`pcap_desc`, else `filename`, else a live
    /// `device`) and applies `pcap_filter`.
    ///
    /// # Errors
    /// libnids' `nids_errbuf` text.
    pub fn open(p: &Params) -> Result<Box<Library>, Error> {
        let pcap_filter = p.nids.str("pcap_filter");
        let (source, link) = if p.pcap_desc != 0 {
            let link = ffi::pcap::datalink(p.pcap_desc)?;
            if let Some(f) = pcap_filter {
                ffi::pcap::set_filter(p.pcap_desc, f)?;
            }
            let s = Source::Pcap {
                handle: p.pcap_desc,
                owned: false,
            };
            (s, link)
        } else if let Some(path) = p.nids.str("filename").map(PathBuf::from) {
            let file = CaptureFile::open(&path).map_err(|e| e.to_string())?;
            let fd = std::fs::File::open(&path).map_err(|e| e.to_string())?;
            let link = LinkType(file.link_types().first().copied().unwrap_or(1));
            let filter = match pcap_filter {
                Some(f) => Some(ffi::pcap::Filter::compile(f, link)?),
                None => None,
            };
            let cursor = file.cursor();
            let file = Box::new(file);
            (
                Source::File {
                    file,
                    cursor,
                    fd,
                    filter,
                },
                link,
            )
        } else {
            let dev = p.nids.str("device");
            let promisc = p.nids.int("promisc") != 0;
            let timeout = p.nids.int("pcap_timeout") as i32;
            let handle = ffi::pcap::open_live(dev, promisc, timeout)?;
            let link = ffi::pcap::datalink(handle)?;
            if let Some(f) = pcap_filter {
                ffi::pcap::set_filter(handle, f)?;
            }
            (
                Source::Pcap {
                    handle,
                    owned: true,
                },
                link,
            )
        };
        if !link.is_supported() {
            return Err("link type unknown".into());
        }
        let mut config = Config::new();
        // nids-compat's settings from nids_params, as the Python module's:
        // libnids' limits and timeouts, random keys per engine (libnids keys
        // its hash from /dev/urandom), and no tunnel decoding (libnids
        // decodes none; a `struct tuple4` cannot name one) unless the
        // program asks (`nids_rs_enable_tunnels`).
        p.nids.apply(&mut config);
        if p.tunnels {
            config.tunnels = nids_core::tunnel::Config::new();
        }
        let inject = match source {
            Source::Pcap {
                handle,
                owned: true,
            } => Some(handle),
            _ => None,
        };
        let mut glue = Glue::default();
        glue.settings = Settings {
            one_loop_less: p.nids.one_loop_less(),
            tcp: p.nids.n_tcp_streams() != 0,
            ipv6: p.ipv6,
        };
        glue.inject = inject;
        Ok(Box::new(Library {
            source,
            core: Core {
                link,
                n_tcp_streams: p.nids.n_tcp_streams(),
                config,
                engine: None,
                memory: None,
                finished: false,
                glue,
            },
            hdr: PcapPkthdr::default(),
        }))
    }

    /// Sets the checksum policy of the engine to build (`nids_register_chksum_ctl`).
    /// An engine already built keeps its policy.
    pub fn set_checksums(&mut self, policy: Policy<'static>) {
        self.core.config.checksums = policy;
    }

    /// A descriptor that is readable when a packet may be (`nids_getfd`).
    pub fn fd(&self) -> i32 {
        match &self.source {
            Source::File { fd, .. } => std::os::fd::AsRawFd::as_raw_fd(fd),
            Source::Pcap { handle, .. } => ffi::pcap::selectable_fd(*handle),
        }
    }

    /// Reads and processes one packet.
    ///
    /// # Errors
    /// The source could not be read.
    pub fn read_packet(&mut self) -> Result<Read, Error> {
        if self.core.finished {
            return Ok(Read::End);
        }
        match &mut self.source {
            Source::File {
                file,
                cursor,
                filter,
                ..
            } => {
                let p = match file.next_packet(cursor) {
                    None => return Ok(Read::End),
                    Some(Err(e)) => return Err(e.to_string()),
                    Some(Ok(p)) => p,
                };
                if filter
                    .as_ref()
                    .is_some_and(|f| !f.matches(p.data, p.orig_len))
                {
                    return Ok(Read::Packet);
                }
                self.hdr = PcapPkthdr {
                    ts: Timeval {
                        tv_sec: (p.ts_us / 1_000_000) as _,
                        tv_usec: (p.ts_us % 1_000_000) as _,
                    },
                    caplen: p.data.len() as u32,
                    len: p.orig_len,
                };
                ffi::set_last(&mut self.hdr, p.data);
                self.core.frame(Instant::from_micros(p.ts_us), p.data)?;
                Ok(Read::Packet)
            }
            Source::Pcap { handle, .. } => {
                let handle = *handle;
                ffi::pcap::next(handle, |hdr, data| self.handle(hdr, data))
            }
        }
    }

    /// Processes one frame whose header and bytes the caller got from libpcap
    /// (`nids_pcap_handler`); `nids_last_pcap_*` already point at them.
    ///
    /// # Errors
    /// The engine could not be built.
    pub fn handle(&mut self, hdr: &PcapPkthdr, data: &[u8]) -> Result<(), Error> {
        let data = &data[..data.len().min(hdr.caplen as usize)];
        let ts = Instant::from_micros(
            (hdr.ts.tv_sec as u64)
                .wrapping_mul(1_000_000)
                .wrapping_add(hdr.ts.tv_usec as u64),
        );
        self.core.frame(ts, data)
    }

    /// Ends every open stream with `NIDS_EXITING` (`nids_exit`); later packets
    /// are ignored.
    pub fn finish(&mut self) {
        let c = &mut self.core;
        if !c.finished {
            c.finished = true;
            if let Some(e) = c.engine.as_mut() {
                e.finish(&mut c.glue);
            }
        }
    }

    /// The live handle `nids_init` opened (to close), if any.
    pub fn owned_handle(&self) -> Option<usize> {
        match self.source {
            Source::Pcap {
                handle,
                owned: true,
            } => Some(handle),
            _ => None,
        }
    }
}

/// The link header length libnids reports in `nids_linkoffset`.
fn link_offset(link: LinkType, data: &[u8]) -> Option<u32> {
    match link {
        LinkType::ETHERNET => match data.get(12..14)? {
            [0x81, 0x00] => Some(18),
            _ => Some(14),
        },
        LinkType::LINUX_SLL => Some(16),
        LinkType::LINUX_SLL2 => Some(20),
        LinkType::NULL | LinkType::LOOP => Some(4),
        _ => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two `nids_init`s build engines with different keys, none the public one.
    #[test]
    fn test_each_engine_gets_random_keys() {
        let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/capi/http.pcap");
        let mut p = Params::default();
        p.nids.set(
            "filename",
            nids_compat::params::Value::Str(Some(capture.into())),
        );
        let (a, b) = (Library::open(&p).unwrap(), Library::open(&p).unwrap());
        let fixed = Config::new();
        let (a, b) = (&a.core.config, &b.core.config);
        assert_ne!(a.hash_key, b.hash_key);
        assert_ne!(a.hash_key, fixed.hash_key);
        assert_ne!(a.defrag.seed, b.defrag.seed);
        assert_ne!(a.defrag.seed, fixed.defrag.seed);
    }
}

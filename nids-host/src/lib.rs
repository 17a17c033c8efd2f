//! nids-host: capture files read in pure Rust, the engine driven over them, and
//! the `nids` command's handlers (`streams`, `dump`, `grep`, `scan`).
//!
//! [`session::Session`] is libnids' loop for host programs (`nids_run`,
//! `nids_next`, `nids_dispatch`, `nids_pcap_handler`); [`run::run_file`] is the
//! one-call form:
//!
//! ```no_run
//! use nids_host::{capture::CaptureFile, run::run_file};
//! struct Quiet;
//! impl nids_core::Handler for Quiet {}
//! let file = CaptureFile::open("tests/data/real/http.pcap".as_ref()).unwrap();
//! let stats = run_file(&file, nids_core::Config::new(), &mut Quiet).unwrap();
//! println!("{} frames", stats.frames);
//! ```
#![deny(unsafe_code)]

#[cfg(target_os = "linux")]
pub mod afpacket;
pub mod capture;
pub mod community_id;
pub mod conn;
pub mod dump;
pub mod eve;
pub mod grep;
pub mod keys;
#[cfg(feature = "libpcap")]
pub mod live;
pub mod output;
pub mod run;
pub mod scan;
pub mod session;
pub mod shard;
pub mod streams;
pub mod text;

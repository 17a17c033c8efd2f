//! nids-capi: libnids' C ABI over the nids-rs engine.
//!
//! Builds `libnids.so.1.21` (SONAME `libnids.so.1.21`, as Debian ships it) and
//! `libnids.a`, with `include/nids.h` source-compatible with libnids 1.26's:
//! programs written for libnids, and binaries linked against it, run on the
//! nids-rs engine unchanged. See the README's "libnids drop-in" section.
//!
//! Layout: [`types`] (the C structures), [`stream`] (one stream's C view and
//! libnids' listener rules), [`glue`] (the engine's handler calling C),
//! [`driver`] (the engine, sized from `n_tcp_streams`), [`library`] (what
//! `nids_init` sets up), [`registry`] (streams C can name) and `ffi` (the
//! exported symbols: the only module with `unsafe`), [`message`] (the default
//! syslog hook's texts).
#![deny(unsafe_code)]

pub mod driver;
pub mod ffi;
pub mod glue;
pub mod library;
pub mod message;
pub mod registry;
pub mod stream;
pub mod types;

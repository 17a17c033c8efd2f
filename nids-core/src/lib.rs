//! # nids-core
//!
//! A passive TCP/IP reassembly engine in the spirit of libnids: it takes captured
//! frames with their timestamps and reports what the hosts really exchanged:
//! valid IP datagrams, UDP datagrams, reassembled TCP streams, port scans, and a
//! warning for everything it drops.
//!
//! It runs without the standard library and without a heap: the stream table is
//! sized by const generics ([`Nids`]) or at run time ([`Engine`] over
//! [`memory`] the caller gives), byte storage is handed in by the caller, every limit has a
//! documented behaviour, a [`Warning`] and a counter in [`Stats`], and no input
//! makes it panic.
//!
//! ```
//! use nids_core::{Handler, Instant, LinkType, Nids, udp};
//!
//! struct Printer;
//! impl Handler for Printer {
//!     fn udp(&mut self, d: &udp::Datagram<'_>) {
//!         println!("{} {} bytes", d.tuple, d.payload.len());
//!     }
//! }
//!
//! let mut storage = [0u8; 16 * 1024]; // for out-of-order TCP bytes
//! let mut nids = Nids::<(), 16, 8>::new(LinkType::ETHERNET, Default::default(), &mut storage[..]).unwrap();
//! let frame = [0u8; 60]; // an Ethernet frame from a capture
//! nids.process(Instant::from_micros(1), &frame, &mut Printer);
//! assert_eq!(nids.stats().frames, 1);
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

#[cfg(any(feature = "alloc", feature = "test-util", test))]
extern crate alloc;

pub mod config;
pub mod defrag;
pub mod engine;
pub mod event;
pub mod flow;
pub mod handler;
mod icmp;
pub mod ip;
pub mod link;
pub mod memory;
pub mod scan;
pub mod slots;
pub mod stats;
pub mod storage;
pub mod tcp;
pub mod time;
pub mod tunnel;
pub mod udp;
mod warn;

#[cfg(any(test, feature = "test-util"))]
#[doc(hidden)]
pub mod test_util;

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod features_tests;

pub use config::Config;
#[cfg(feature = "alloc")]
pub use engine::NidsHeap;
pub use engine::{Engine, Error, Nids};
pub use event::Warning;
pub use flow::Tuple;
pub use handler::Handler;
pub use link::LinkType;
pub use memory::{Plan, StreamSlot};
pub use stats::Stats;
pub use storage::Storage;
pub use tcp::stream::{Event as TcpEvent, Side, Stream};
pub use time::{Duration, Instant};
pub use tunnel::TunnelId;

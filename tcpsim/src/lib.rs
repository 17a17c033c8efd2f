//! A model of two TCP endpoints across a path that delays, reorders,
//! duplicates and drops, with a tap somewhere on it: the oracle for nids-core's
//! TCP delivery (issue 22).
//!
//! [`Scenario`] draws one connection (sizes, MSS, windows, options, each
//! direction's path before and after the tap, tap losses, how it ends) from a
//! seed or from bytes; [`sim::run`] plays it out between two
//! [`endpoint::Endpoint`]s and returns the capture and the truth (what each
//! application read, how the connection ended); [`check()`] feeds the capture to
//! nids-core and compares. Used by a proptest here, the `tcp_model` fuzz
//! target and the `bench/soak` binary.
//!
//! ```
//! let sc = nids_tcpsim::Scenario::from_seed(7);
//! nids_tcpsim::check(&sc).expect("the engine gives what the receivers read");
//! ```

pub mod check;
pub mod endpoint;
pub mod rng;
pub mod scenario;
pub mod sim;

pub use check::{check, check_with, Checked, Mismatch};
pub use scenario::{Ending, Leg, Scenario};

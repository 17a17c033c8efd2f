//! libnids' contract above the nids-rs engine, written once for the faces
//! that promise it: the C drop-in (nids-capi) and pynids' API (nids-py).
//! A face translates structures and objects; the rules live here.
//!
//! - [`HalfBuf`]: a half's data buffer as libnids keeps it. It grows as
//!   libnids' `add2buf` grows it (4096 bytes, then doubling) and always has
//!   room past the new bytes, so the C idiom `data[count_new] = 0` stays
//!   inside it. It joins the pieces of a segment the engine delivers block by
//!   block ([`nids_core::Stream::continues`]) so callbacks see the segment
//!   whole, as libnids gives it. It applies `nids_discard` (libnids'
//!   `notify`), and bounds the bytes kept with a limit the caller can raise
//!   ([`DEFAULT_MAX_KEPT`], [`KEPT_WARNING`]).
//! - [`params`]: `nids_params`, defined once (names, kinds, libnids'
//!   defaults), and the engine settings they make, random keys included.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buf;
pub mod params;

pub use buf::{HalfBuf, Push, Round, DEFAULT_MAX_KEPT, KEPT_WARNING};

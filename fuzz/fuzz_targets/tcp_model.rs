//! TCP delivery against a model of both endpoints (issue 22): the input is a
//! scenario decoded field by field (`nids_tcpsim::Scenario::from_bytes`: sizes,
//! MSS, windows, options, each direction's path before and after the tap with
//! its delays, holds, duplicates and losses, tap losses, an abort, a cut). The
//! simulator plays the connection out; nids-core gets the tap's capture.
//!
//! Invariant: no panic, and what nids-core delivers equals what the receiving
//! applications read, within what the tap can know (`nids_tcpsim::check`); the
//! same with `skip_gaps` when the tap loses nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nids_tcpsim::{check, check_with, Scenario};

fuzz_target!(|data: &[u8]| {
    let sc = Scenario::from_bytes(data);
    if let Err(m) = check(&sc) {
        panic!("{}\n{:#?}", m.what, m.scenario);
    }
    if sc.tap_loss == 0.0 {
        let mut config = nids_core::Config::new();
        config.tcp.skip_gaps = true;
        if let Err(m) = check_with(&sc, config) {
            panic!("skip_gaps: {}\n{:#?}", m.what, m.scenario);
        }
    }
});

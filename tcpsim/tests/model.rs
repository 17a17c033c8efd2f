//! The model-based property: for any scenario (sizes, MSS, windows, options,
//! paths that delay, hold, duplicate and drop on either side of the tap, tap
//! losses, aborts, cut captures), nids-core delivers what the receivers read,
//! within what the tap can know, and ends the stream as it really ended.
//! Fresh seeds every run (proptest's random source); a failure prints the seed's
//! scenario, and `cargo run -p nids-tcpsim --example trace -- SEED` replays it.

use nids_tcpsim::{check, check_with, Scenario};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prop_engine_delivers_what_receivers_read(seed in any::<u64>()) {
        let sc = Scenario::from_seed(seed);
        if let Err(m) = check(&sc) {
            prop_assert!(false, "seed {seed}: {}\n{:#?}", m.what, m.scenario);
        }
    }

    /// The same with skip_gaps on: it changes nothing where the tap saw every
    /// byte (skipping starts only where the receiver acknowledged bytes the
    /// tap never saw).
    #[test]
    fn prop_skip_gaps_changes_nothing_without_tap_loss(seed in any::<u64>()) {
        let mut sc = Scenario::from_seed(seed);
        sc.tap_loss = 0.0;
        let mut config = nids_core::Config::new();
        config.tcp.skip_gaps = true;
        if let Err(m) = check_with(&sc, config) {
            prop_assert!(false, "seed {seed}: {}\n{:#?}", m.what, m.scenario);
        }
    }
}

/// Seeds that once showed a defect (engine or model), kept as fixed cases.
#[test]
fn known_seeds() {
    for seed in [5, 41, 171, 206, 226, 318, 763, 983, 1096, 3547, 5438] {
        let sc = Scenario::from_seed(seed);
        if let Err(m) = check(&sc) {
            panic!("seed {seed}: {}", m.what);
        }
    }
}

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

/// A fuzz input's scenario must check out.
fn check_input(input: &[u8]) {
    if let Err(m) = check(&Scenario::from_bytes(input)) {
        panic!("{}\n{:#?}", m.what, m.scenario);
    }
}

/// Seeds that once showed a defect (engine or model), kept as fixed cases:
/// (seed, the soak's byte cap or 0).
#[test]
fn known_seeds() {
    let uncapped = [5, 41, 171, 206, 226, 318, 763, 983, 1096, 3547, 5438];
    let soak = [
        1796768372506704822,
        1796672636515765644,
        1796672636515795110,
        1796672636515795624,
        1796672636516083968,
    ];
    let cases = uncapped
        .map(|s| (s, 0))
        .into_iter()
        .chain(soak.map(|s| (s, 20_000)));
    for (seed, max) in cases {
        let sc = Scenario::from_seed(seed).capped(max);
        if let Err(m) = check(&sc) {
            panic!("seed {seed} (cap {max}): {}", m.what);
        }
    }
}

/// The fuzz target's first finding: the client's request lost at the tap and
/// acknowledged by the server before the handshake completed (the gap must be
/// reported once the stream is established).
#[test]
fn fuzz_request_lost_before_establishment() {
    let input = [
        0x75, 0x60, 0x90, 0xad, 0x17, 0x97, 0x01, 0x4e, 0x56, 0xef, 0xca, 0x0b, 0x18, 0xd3, 0xb4,
        0xc2, 0x49, 0x34, 0xf4, 0xac, 0x2b, 0x8a, 0xb2, 0x39, 0xd6, 0x4e, 0x58, 0x5a, 0x2b, 0x8a,
        0xb2, 0x39, 0xd6, 0x4e, 0x58, 0x5a, 0x93, 0x56, 0x53, 0xbc, 0x6a, 0x55, 0x8b, 0x30, 0x21,
        0x7b, 0x24, 0xa2, 0x68, 0x83, 0x43, 0xc9, 0x2a, 0xf3, 0x9d, 0x2a,
    ];
    check_input(&input);
}

/// Found by CI's fuzz slice: the client's RST was not at the engine's next
/// byte (the tap had missed part of the request), so the engine ignored it, and
/// with it the ACK that showed server bytes the tap missed. An RST's ACK is
/// now checked for a gap whether the RST is taken or not.
#[test]
fn fuzz_ignored_rst_still_shows_its_gap() {
    let input = [
        0xac, 0x35, 0xab, 0x98, 0xa0, 0x48, 0xf8, 0xad, 0x71, 0x61, 0x90, 0xad, 0x17, 0x97, 0x01,
        0x4e, 0x56, 0xff, 0xed, 0xca, 0x0b, 0x18, 0xd3, 0xb4, 0x6e, 0x49, 0x37, 0xf4, 0xac, 0x7c,
        0xfd, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x58, 0x5a, 0x93, 0x60, 0x53, 0xbc, 0x6a,
        0x55, 0x8b, 0x30, 0x21, 0x7b, 0x24, 0xa2, 0x00, 0x00, 0x2c, 0x68, 0x83, 0x43, 0x33, 0x23,
    ];
    check_input(&input);
}

/// Open: found by the fuzz target at the end of this stop and not analysed yet
/// (tap loss 0.001 and a capture cut at 1.4 s: "s2c: 30735 bytes delivered, the
/// receiver read 31717 and the tap saw 31717"). Either the engine or the model's
/// rules for what a lossy, cut capture can know. Run with --ignored.
#[test]
#[ignore]
fn fuzz_open_tap_loss_and_cut() {
    let input = [
        0xc6, 0x60, 0xd8, 0x0b, 0x9b, 0xc8, 0x60, 0x07, 0x19, 0x4b, 0xba, 0x16, 0x11, 0xac, 0x3c,
        0xee, 0xa6, 0xbb, 0x12, 0x94, 0xa9, 0x0f, 0x0c, 0x64, 0x25, 0xa9, 0x0f, 0x25, 0x4e, 0x55,
        0x2c, 0x25, 0x2c, 0xce, 0x3e, 0x7c, 0xc8, 0x85, 0x30, 0x67, 0xef, 0xfc, 0xb7, 0x4e, 0x0d,
        0x00, 0x10, 0x7d, 0xf6, 0x5f, 0x15, 0x23, 0x0b, 0x5a,
    ];
    check_input(&input);
}

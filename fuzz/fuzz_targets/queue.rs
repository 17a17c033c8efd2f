//! The TCP out-of-order queue alone (`nids_core::tcp::queue`, issue 13), driven
//! by raw bytes through `nids_core::test_util::queue_fuzz_drive`: an overlap
//! policy, a block size and a small storage, then segments of one stream
//! (overlapping, duplicated, in any order), deliveries and far-end pruning.
//!
//! Invariants (checked inside, after every operation): no panic; the fragments
//! are ordered and never overlap; counted fragments and bytes equal the tree's;
//! the storage charged equals the pool's blocks in use (whole blocks); every
//! delivered byte is the stream's byte at that offset whatever the policy;
//! `clear()` frees every block.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nids_core::test_util::queue_fuzz_drive(data);
});

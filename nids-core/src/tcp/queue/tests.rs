//! Unit tests and proptests of the out-of-order queue, against a model.

use std::vec::Vec;

use super::*;
use proptest::prelude::*;

/// Deliver everything due from `exp` on; returns the bytes and the new `exp`.
fn drain(q: &mut Queue, pool: &mut Pool<'_>, mut exp: u32) -> (Vec<u8>, u32) {
    let mut out = Vec::new();
    while let Some(f) = q.pop_due(pool, exp) {
        let lost = exp.wrapping_sub(f.seq) as usize;
        if lost < f.len {
            out.extend_from_slice(&Queue::bytes_of(pool, &f)[lost..]);
            exp = f.seq.wrapping_add(f.len as u32);
        }
        pool.release(f.id);
    }
    (out, exp)
}

/// The accounting matches the blocks in use, and the tree is ordered and
/// free of overlaps.
fn check_accounting(q: &Queue, pool: &Pool<'_>, exp: u32) {
    // In order, with a stack of its own (a splay tree may be a long path).
    let mut v: Vec<(i64, usize, u32)> = Vec::new();
    let mut stack = Vec::new();
    let mut t = q.root;
    while t != NONE || !stack.is_empty() {
        while t != NONE {
            stack.push(t);
            t = left(pool, t);
        }
        let n = stack.pop().unwrap();
        v.push((rel(seq_of(pool, n), exp), len_of(pool, n), n));
        t = right(pool, n);
    }
    assert_eq!(v.len() as u32, q.len());
    assert_eq!(v.iter().map(|x| x.1).sum::<usize>(), q.bytes());
    let charged: usize = v.iter().map(|x| pool.size_of(x.2)).sum();
    assert_eq!(charged, q.charged());
    assert_eq!(pool.in_use(), q.len(), "every block in use is a fragment");
    assert_eq!(pool.in_use_bytes(), q.charged());
    for w in v.windows(2) {
        assert!(w[0].0 + w[0].1 as i64 <= w[1].0, "ordered, no overlap");
    }
    assert!(v.iter().all(|x| x.1 > 0));
}

#[test]
fn test_in_order_after_fill() {
    let mut mem = std::vec![0u8; 64 * 1024];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    let exp = 1000;
    q.insert(&mut pool, 1005, b"fghij", None, exp, Policy::Libnids);
    q.insert(&mut pool, 1002, b"cd", None, exp, Policy::Libnids);
    check_accounting(&q, &pool, exp);
    assert_eq!(q.len(), 2);
    assert_eq!(q.charged(), 2 * 256, "small segments take small blocks");
    let (got, exp2) = drain(&mut q, &mut pool, exp);
    assert!(got.is_empty() && exp2 == exp, "a hole at 1000");
    q.insert(&mut pool, 1000, b"ab", None, exp, Policy::Libnids);
    q.insert(&mut pool, 1004, b"e", None, exp, Policy::Libnids);
    let (got, exp2) = drain(&mut q, &mut pool, exp);
    assert_eq!(got, b"abcdefghij");
    assert_eq!(exp2, 1010);
    assert_eq!(pool.in_use(), 0);
    assert!(!q.has_data() && q.fin().is_none());
}

#[test]
fn test_duplicates_cost_nothing() {
    let mut mem = std::vec![0u8; 64 * 1024];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    for _ in 0..100 {
        let o = q.insert(&mut pool, 50, &[7u8; 1000], None, 0, Policy::Libnids);
        assert!(o.complete && !o.differs);
    }
    assert_eq!(q.len(), 1);
    assert_eq!(q.charged(), 2048);
    let o = q.insert(&mut pool, 60, &[8u8; 10], None, 0, Policy::Libnids);
    assert!(o.differs, "an inconsistent retransmission is seen");
    check_accounting(&q, &pool, 0);
}

#[test]
fn test_libnids_rule_lower_start_wins() {
    // Queued [10,20) "a"; then [5,15) "b" starts before: it wins 10..15.
    // Then [12,25) "c": bytes 15..20 belong to the first segment (start 10 < 12)
    // even though its fragment now starts at 15; 20..25 are new.
    let mut mem = std::vec![0u8; 64 * 1024];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    q.insert(&mut pool, 10, &[b'a'; 10], None, 0, Policy::Libnids);
    q.insert(&mut pool, 5, &[b'b'; 10], None, 0, Policy::Libnids);
    q.insert(&mut pool, 12, &[b'c'; 13], None, 0, Policy::Libnids);
    check_accounting(&q, &pool, 0);
    q.insert(&mut pool, 0, b"zzzzz", None, 0, Policy::Libnids);
    let (got, _) = drain(&mut q, &mut pool, 0);
    assert_eq!(got, b"zzzzzbbbbbbbbbbaaaaaccccc");
}

#[test]
fn test_storage_full_keeps_what_fits() {
    let mut mem = std::vec![0u8; 4 * 256];
    let mut pool = Pool::new(&mut mem[..], 256);
    let mut q = Queue::EMPTY;
    let o = q.insert(&mut pool, 1, &[1u8; 2000], None, 0, Policy::Libnids);
    assert!(!o.complete);
    check_accounting(&q, &pool, 0);
    q.clear(&mut pool);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn test_prune_far_end() {
    let mut mem = std::vec![0u8; 1 << 20];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    for i in (1..100u32).rev() {
        q.insert(&mut pool, 10 * i, &[i as u8; 5], None, 0, Policy::Libnids);
    }
    assert_eq!(q.end(&mut pool), Some(995));
    assert_eq!(q.pop_last(&mut pool), Some(990));
    assert_eq!(q.first_seq(&mut pool, 0), Some(10));
    check_accounting(&q, &pool, 0);
}

#[test]
fn test_many_one_byte_segments_reverse_fill() {
    // 20,000 one-byte segments each behind its hole, holes filled in reverse.
    let n = 20_000u32;
    let mut mem = std::vec![0u8; 64 << 20];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    for i in 0..n {
        q.insert(&mut pool, 2 * i + 1, &[1], None, 0, Policy::Libnids);
    }
    for i in (0..n).rev() {
        assert!(
            q.insert(&mut pool, 2 * i, &[0], None, 0, Policy::Libnids)
                .complete
        );
    }
    check_accounting(&q, &pool, 0);
    let (got, _) = drain(&mut q, &mut pool, 0);
    assert_eq!(got.len(), 2 * n as usize);
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 2) as u8));
    assert_eq!(pool.in_use(), 0);
}

const POLICIES: [Policy; 9] = [
    Policy::Libnids,
    Policy::First,
    Policy::Last,
    Policy::Bsd,
    Policy::Linux,
    Policy::OldLinux,
    Policy::Windows,
    Policy::Vista,
    Policy::Solaris,
];

#[test]
fn test_fuzz_drive_smoke() {
    // every policy and block size, mixed operations
    for p in 0..9u8 {
        for b in 0..8u8 {
            let mut ops = std::vec![p, b];
            for i in 0..300u32 {
                let x = i.wrapping_mul(2_654_435_761);
                ops.extend_from_slice(&[
                    (x >> 8) as u8,
                    (x >> 16) as u8 & 15,
                    (x >> 24) as u8,
                    x as u8,
                ]);
            }
            fuzz_drive(&ops);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Any segmentation, order and duplication of a stream within the window
    /// gives all its bytes, under every policy, and the accounting always
    /// equals the blocks in use.
    #[test]
    fn prop_any_order_gives_all_bytes(
        stream in proptest::collection::vec(any::<u8>(), 1..4000),
        cuts in proptest::collection::vec(1usize..300, 1..60),
        order in proptest::collection::vec(any::<u16>(), 0..150),
        isn in any::<u32>(),
        p in 0usize..9,
        block in prop_oneof![Just(64usize), Just(256), Just(2048)],
    ) {
        let policy = POLICIES[p];
        // segments from the cuts, cycling
        let mut segs = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < stream.len() {
            let n = cuts[i % cuts.len()].min(stream.len() - at);
            segs.push((at, n));
            at += n;
            i += 1;
        }
        // arrival: a permutation with duplicates, then every segment once more
        let mut arrival: Vec<usize> = order.iter().map(|&o| o as usize % segs.len()).collect();
        arrival.extend(0..segs.len());
        let mut mem = std::vec![0u8; 1 << 20];
        let mut pool = Pool::new(&mut mem[..], block);
        let mut q = Queue::EMPTY;
        let mut exp = isn;
        let mut got = Vec::new();
        for &k in &arrival {
            let (off, n) = segs[k];
            let seq = isn.wrapping_add(off as u32);
            let o = q.insert(&mut pool, seq, &stream[off..off + n], None, exp, policy);
            prop_assert!(o.complete);
            prop_assert!(!o.differs);
            check_accounting(&q, &pool, exp);
            let (more, e) = drain(&mut q, &mut pool, exp);
            got.extend(more);
            exp = e;
        }
        prop_assert_eq!(&got, &stream);
        prop_assert_eq!(pool.in_use(), 0);
    }

    /// Under Libnids, overlapping segments with different bytes give, for
    /// each byte, the segment that starts lowest (ties: the first to arrive).
    #[test]
    fn prop_libnids_rule(
        segs in proptest::collection::vec((0u32..200, 1usize..60, any::<u8>()), 1..40),
    ) {
        let mut mem = std::vec![0u8; 1 << 20];
        let mut pool = Pool::new(&mut mem[..], 256);
        let mut q = Queue::EMPTY;
        let mut model: Vec<Option<(u32, usize, u8)>> = std::vec![None; 300];
        for (k, &(s, n, b)) in segs.iter().enumerate() {
            q.insert(&mut pool, 1 + s, &std::vec![b; n], None, 0, Policy::Libnids);
            for x in s..s + n as u32 {
                let cell = &mut model[x as usize];
                if cell.is_none_or(|(ms, mk, _)| (s, k) < (ms, mk)) {
                    *cell = Some((s, k, b));
                }
            }
            check_accounting(&q, &pool, 0);
        }
        // fill every hole with 0xee (fillers overlap nothing), then byte 0
        let mut x = 0usize;
        while x < model.len() {
            if model[x].is_some() {
                x += 1;
                continue;
            }
            let start = x;
            while x < model.len() && model[x].is_none() {
                x += 1;
            }
            let fill = std::vec![0xee; x - start];
            q.insert(&mut pool, 1 + start as u32, &fill, None, 0, Policy::Libnids);
        }
        q.insert(&mut pool, 0, &[0xee], None, 0, Policy::Libnids);
        let (got, _) = drain(&mut q, &mut pool, 0);
        let want: Vec<u8> = core::iter::once(0xee)
            .chain(model.iter().map(|c| c.map_or(0xee, |(_, _, b)| b)))
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn test_middle_taken_without_storage_keeps_old_bytes() {
    // A new segment wins the middle of a queued record, but no block is left
    // for the record's tail: the old record must keep every byte (the receiver
    // has them, and the sender will not send them again).
    let mut mem = std::vec![0u8; 64 * 1024];
    let mut pool = Pool::new(&mut mem[..], 2048);
    let mut q = Queue::EMPTY;
    let old: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let o = q.insert(&mut pool, 10, &old, None, 0, Policy::Last);
    assert!(o.complete);
    let mut hoard = Vec::new();
    while let Some(b) = pool.alloc().or_else(|| pool.alloc_small()) {
        hoard.push(b);
    }
    let o = q.insert(&mut pool, 110, &old[100..200], None, 0, Policy::Last);
    assert!(!o.complete, "storage ran out: said so");
    for b in hoard {
        pool.release(b);
    }
    check_accounting(&q, &pool, 0);
    q.insert(&mut pool, 0, &[7u8; 10], None, 0, Policy::Last);
    let (got, _) = drain(&mut q, &mut pool, 0);
    assert_eq!(&got[10..], &old[..], "no queued byte lost");
}

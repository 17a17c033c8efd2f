//! The list of received pieces of one pending datagram, kept in caller storage.
//!
//! A piece is a run of payload bytes held by one fragment: `start..end` (the bytes
//! it still holds) and `orig_start..orig_end` (its extent on the wire), each a
//! little-endian `u16`, so a record takes [`RECORD`] bytes. Records are sorted by
//! `start` and never overlap. Overlap policies need the original extents, so
//! adjacent pieces of different fragments are never merged: a datagram may hold at
//! most `max_fragments` pieces (see [`super::Config::max_fragments`]).
//!
//! [`apply`] merges one new fragment into the list: O(pieces), writing the result
//! to a scratch area and telling the caller which byte ranges the new fragment
//! won (the caller copies those bytes into place).

use super::policy::{Held, Policy};

/// Bytes taken by one piece record.
pub const RECORD: usize = 8;

/// One piece: bytes held and the original fragment extent (payload offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub start: u16,
    pub end: u16,
    pub orig_start: u16,
    pub orig_end: u16,
}

impl Piece {
    /// Number of bytes held.
    pub fn len(&self) -> usize {
        usize::from(self.end).saturating_sub(usize::from(self.start))
    }
}

/// Record `i` of `recs` (a zero piece if out of range, which callers never ask).
pub(crate) fn get(recs: &[u8], i: usize) -> Piece {
    let at = i.saturating_mul(RECORD);
    let mut b = [0u8; RECORD];
    if let Some(s) = recs.get(at..at.saturating_add(RECORD)) {
        b.copy_from_slice(s);
    }
    Piece {
        start: u16::from_le_bytes([b[0], b[1]]),
        end: u16::from_le_bytes([b[2], b[3]]),
        orig_start: u16::from_le_bytes([b[4], b[5]]),
        orig_end: u16::from_le_bytes([b[6], b[7]]),
    }
}

/// Write record `i`; returns `false` (and writes nothing) if it does not fit.
pub(crate) fn set(recs: &mut [u8], i: usize, p: Piece) -> bool {
    let at = i.saturating_mul(RECORD);
    match recs.get_mut(at..at.saturating_add(RECORD)) {
        Some(s) => {
            s[0..2].copy_from_slice(&p.start.to_le_bytes());
            s[2..4].copy_from_slice(&p.end.to_le_bytes());
            s[4..6].copy_from_slice(&p.orig_start.to_le_bytes());
            s[6..8].copy_from_slice(&p.orig_end.to_le_bytes());
            true
        }
        None => false,
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Records in the new list (in the scratch area).
    pub count: usize,
    /// The new fragment overlapped at least one piece.
    pub overlap: bool,
    /// The new fragment now holds payload byte 0.
    pub holds_zero: bool,
}

/// The new list would need more than `scratch.len() / RECORD` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FullError;

struct Out<'s> {
    recs: &'s mut [u8],
    count: usize,
    /// The last record written is a run of the new fragment.
    last_new: bool,
}

impl Out<'_> {
    fn push(&mut self, p: Piece, is_new: bool) -> Result<(), FullError> {
        if p.start >= p.end {
            return Ok(());
        }
        if is_new && self.last_new && self.count > 0 {
            let mut last = get(self.recs, self.count - 1);
            if last.end == p.start {
                last.end = p.end;
                set(self.recs, self.count - 1, last);
                return Ok(());
            }
        }
        if !set(self.recs, self.count, p) {
            return Err(FullError);
        }
        self.count += 1;
        self.last_new = is_new;
        Ok(())
    }
}

/// Merge the new fragment `start..end` (payload offsets, `start < end`) into the
/// `count` records of `recs` under `policy`, writing the new list to `scratch`.
/// `won(a, b)` is called for every range `a..b` the new fragment's bytes fill.
/// Costs O(count). On [`FullError`] some ranges may already have been reported.
pub(crate) fn apply(
    policy: Policy,
    recs: &[u8],
    count: usize,
    start: u16,
    end: u16,
    scratch: &mut [u8],
    mut won: impl FnMut(u16, u16),
) -> Result<Applied, FullError> {
    let mut out = Out {
        recs: scratch,
        count: 0,
        last_new: false,
    };
    let mut overlap = false;
    let mut holds_zero = false;
    let mut cur = start;
    let mut placed = false;
    let fresh = |a: u16, b: u16| Piece {
        start: a,
        end: b,
        orig_start: start,
        orig_end: end,
    };
    let mut fill = |out: &mut Out<'_>, a: u16, b: u16| -> Result<(), FullError> {
        if a < b {
            won(a, b);
            if a == 0 {
                holds_zero = true;
            }
            out.push(fresh(a, b), true)?;
        }
        Ok(())
    };
    for i in 0..count {
        let r = get(recs, i);
        if r.end <= start {
            out.push(r, false)?;
            continue;
        }
        if r.start >= end {
            if !placed {
                fill(&mut out, cur, end)?;
                placed = true;
            }
            out.push(r, false)?;
            continue;
        }
        overlap = true;
        if r.start > cur {
            fill(&mut out, cur, r.start)?;
        }
        let held = Held {
            start: usize::from(r.start),
            orig_start: usize::from(r.orig_start),
            orig_end: usize::from(r.orig_end),
        };
        if policy.new_wins(usize::from(start), usize::from(end), held) {
            out.push(Piece { end: start, ..r }, false)?;
            fill(&mut out, r.start.max(start), r.end.min(end))?;
            out.push(Piece { start: end, ..r }, false)?;
        } else {
            out.push(r, false)?;
        }
        cur = cur.max(r.end);
    }
    if !placed {
        fill(&mut out, cur, end)?;
    }
    Ok(Applied {
        count: out.count,
        overlap,
        holds_zero,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Model: one owner letter per byte, decided by the same per-byte rule.
    struct Model {
        owner: Vec<Option<(usize, usize, usize)>>, // (orig start, orig end, current start)
    }

    fn to_vec(recs: &[u8], n: usize) -> Vec<Piece> {
        (0..n).map(|i| get(recs, i)).collect()
    }

    fn run(policy: Policy, frags: &[(u16, u16)], cap: usize) -> Result<Vec<Piece>, FullError> {
        let mut recs = std::vec![0u8; cap * RECORD];
        let mut scratch = std::vec![0u8; cap * RECORD];
        let mut n = 0;
        for &(s, e) in frags {
            let a = apply(policy, &recs, n, s, e, &mut scratch, |_, _| {})?;
            n = a.count;
            recs[..n * RECORD].copy_from_slice(&scratch[..n * RECORD]);
        }
        Ok(to_vec(&recs, n))
    }

    #[test]
    fn test_in_order_keeps_pieces() {
        let p = run(Policy::Linux20, &[(0, 8), (8, 16), (16, 24)], 4).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].start, p[2].end), (0, 24));
    }

    #[test]
    fn test_split_and_merge() {
        // Last: a new fragment inside an old one splits it in two.
        let p = run(Policy::Last, &[(0, 24), (8, 16)], 4).unwrap();
        let got: Vec<_> = p.iter().map(|p| (p.start, p.end, p.orig_start)).collect();
        assert_eq!(got, [(0, 8, 0), (8, 16, 8), (16, 24, 0)]);
        // A new fragment covering a gap and a lost piece stays one run per side.
        let p = run(Policy::First, &[(8, 16), (0, 24)], 4).unwrap();
        let got: Vec<_> = p.iter().map(|p| (p.start, p.end, p.orig_start)).collect();
        assert_eq!(got, [(0, 8, 0), (8, 16, 8), (16, 24, 0)]);
    }

    #[test]
    fn test_full() {
        assert_eq!(run(Policy::Last, &[(0, 24), (8, 16)], 2), Err(FullError));
        assert!(run(Policy::Last, &[(0, 24), (8, 16)], 3).is_ok());
    }

    #[test]
    fn test_wholly_inside_ignored() {
        // The libnids wedge: a fragment inside an earlier one is dropped, no damage.
        let mut recs = std::vec![0u8; 4 * RECORD];
        let mut scratch = std::vec![0u8; 4 * RECORD];
        set(
            &mut recs,
            0,
            Piece {
                start: 0,
                end: 24,
                orig_start: 0,
                orig_end: 24,
            },
        );
        let mut wrote = false;
        let a = apply(Policy::Linux20, &recs, 1, 8, 16, &mut scratch, |_, _| {
            wrote = true
        })
        .unwrap();
        assert!(a.overlap && !wrote && a.count == 1);
    }

    /// Differential test against a per-byte model (smoltcp's `test_random`).
    #[test]
    fn test_random_against_model() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..2000 {
            let policy = Policy::ALL[round % Policy::ALL.len()];
            let mut model = Model {
                owner: std::vec![None; 64],
            };
            let mut frags = Vec::new();
            for _ in 0..1 + rnd(8) {
                let s = rnd(60) as usize;
                let e = s + 1 + rnd((64 - s) as u64) as usize;
                frags.push((s as u16, e as u16));
                // model: a byte's holder is (orig start, orig end, current start);
                // current start = first byte of the run of that holder containing it.
                let snapshot = model.owner.clone();
                for b in s..e {
                    let win = match snapshot[b] {
                        None => true,
                        Some((os, oe, _)) => {
                            let mut cs = b;
                            while cs > 0 && snapshot[cs - 1].map(|h| (h.0, h.1)) == Some((os, oe)) {
                                cs -= 1;
                            }
                            policy.new_wins(
                                s,
                                e,
                                Held {
                                    start: cs,
                                    orig_start: os,
                                    orig_end: oe,
                                },
                            )
                        }
                    };
                    if win {
                        model.owner[b] = Some((s, e, s));
                    }
                }
            }
            let pieces = run(policy, &frags, 64).unwrap();
            let mut got = std::vec![None; 64];
            let mut last_end = 0;
            for p in &pieces {
                assert!(
                    p.start < p.end && p.start >= last_end,
                    "{policy:?} {frags:?} {pieces:?}"
                );
                last_end = p.end;
                for b in p.start..p.end {
                    got[b as usize] = Some((p.orig_start as usize, p.orig_end as usize));
                }
            }
            let want: Vec<_> = model
                .owner
                .iter()
                .map(|o| o.map(|(a, b, _)| (a, b)))
                .collect();
            assert_eq!(got, want, "{policy:?} {frags:?}");
        }
    }
}

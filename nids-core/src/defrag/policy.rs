//! [`Policy`]: which bytes win when IP fragments overlap.
//!
//! Reassembly keeps, for every byte already received, the fragment that supplied
//! it (its *piece*: the bytes it still holds, and the extent it had on the wire).
//! When a new fragment overlaps a piece, the policy decides, for the overlapping
//! bytes only, whether the new fragment or the piece keeps them; bytes nobody holds
//! always go to the new fragment. The decision for each policy reproduces the
//! Sturges/Novak vector of `shared/reference/overlap-policies.md` (one test per
//! policy below, IPv4 and IPv6 in `defrag::tests`).

/// An overlap policy: who wins the bytes where a new fragment overlaps data
/// already received. Costs O(1) per overlapped piece.
///
/// In the table, "new" is the arriving fragment and "old" the fragment that
/// supplied the bytes already held (its extent as it arrived on the wire, except
/// for [`Policy::Linux20`], which looks at the bytes it still holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Policy {
    /// libnids' rule (Linux 2.0.36's `ip_defrag`), the default: the new fragment
    /// loses to data held by a piece that *currently* starts before it, and wins
    /// against pieces that currently start at or after it. Because libnids trims
    /// old fragments in place, "currently" means after earlier trims; this is the
    /// one difference from [`Policy::Linux`]. Unlike libnids, a fragment wholly
    /// inside an earlier one is simply ignored (libnids gives it a negative length
    /// and never delivers the datagram).
    #[default]
    Linux20,
    /// The first fragment to supply a byte keeps it (HP-UX 11, MacOS, SunOS
    /// 5.5.1–5.8).
    First,
    /// The last fragment to supply a byte wins (Cisco IOS).
    Last,
    /// The lower starting offset wins; on a tie the old fragment wins (FreeBSD,
    /// AIX, HP-UX 10, IRIX, OpenVMS, OS/2, OSF1, SunOS 4, Tru64, VMS).
    Bsd,
    /// HP JetDirect (Snort's `bsd-right`): the fragment that ends later wins; on an
    /// equal end the lower (or equal) start of the new fragment wins. No published
    /// vector: the expected bytes in the tests follow Snort 3's insertion rules.
    BsdRight,
    /// Like [`Policy::Bsd`], but on a tie the new fragment wins (Linux 2.2/2.4,
    /// OpenBSD). Compares with the old fragment's original start.
    Linux,
    /// The old fragment wins unless the new one strictly covers it: starts before
    /// and ends after (Windows 95 to XP).
    Windows,
    /// The old fragment wins unless the new one starts before it and reaches at
    /// least its end (Solaris 9, 10).
    Solaris,
}

/// The bytes an existing piece holds and the extent its fragment had on the wire
/// (offsets in the datagram's payload, end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    /// First byte the piece still holds.
    pub start: usize,
    /// Start of the original fragment.
    pub orig_start: usize,
    /// End of the original fragment.
    pub orig_end: usize,
}

impl Policy {
    /// Every policy, for tests and command-line listings.
    pub const ALL: [Policy; 8] = [
        Policy::Linux20,
        Policy::First,
        Policy::Last,
        Policy::Bsd,
        Policy::BsdRight,
        Policy::Linux,
        Policy::Windows,
        Policy::Solaris,
    ];

    /// A stable lower-case name (`"linux20"`, `"bsd-right"`, …), as Snort names them.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Linux20 => "linux20",
            Policy::First => "first",
            Policy::Last => "last",
            Policy::Bsd => "bsd",
            Policy::BsdRight => "bsd-right",
            Policy::Linux => "linux",
            Policy::Windows => "windows",
            Policy::Solaris => "solaris",
        }
    }

    /// Whether a new fragment `[start, end)` wins the bytes it shares with `old`.
    pub(crate) const fn new_wins(self, start: usize, end: usize, old: Held) -> bool {
        let (os, oe) = (old.orig_start, old.orig_end);
        match self {
            Policy::Linux20 => start <= old.start,
            Policy::First => false,
            Policy::Last => true,
            Policy::Bsd => start < os,
            Policy::BsdRight => end > oe || (end == oe && start <= os),
            Policy::Linux => start <= os,
            Policy::Windows => start < os && end > oe,
            Policy::Solaris => start < os && end >= oe,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(start: usize, orig_start: usize, orig_end: usize) -> Held {
        Held {
            start,
            orig_start,
            orig_end,
        }
    }

    /// The old/new table of overlap-policies.md, row by row: old fragment 8..24.
    #[test]
    fn test_table() {
        let old = held(8, 8, 24);
        // (new start, new end), then expected winner per policy in the order
        // First, Last, BSD, Linux, Windows, Solaris (true = new wins).
        let rows: [((usize, usize), [bool; 6]); 7] = [
            ((16, 24), [false, true, false, false, false, false]), // after, inside/at end
            ((16, 32), [false, true, false, false, false, false]), // after, beyond
            ((8, 16), [false, true, false, true, false, false]),   // same start, shorter
            ((8, 32), [false, true, false, true, false, false]),   // same start, longer
            ((0, 16), [false, true, true, true, false, false]),    // before, inside
            ((0, 24), [false, true, true, true, false, true]),     // before, at end
            ((0, 32), [false, true, true, true, true, true]),      // before, beyond
        ];
        let pols = [
            Policy::First,
            Policy::Last,
            Policy::Bsd,
            Policy::Linux,
            Policy::Windows,
            Policy::Solaris,
        ];
        for ((s, e), want) in rows {
            for (p, w) in pols.iter().zip(want) {
                assert_eq!(p.new_wins(s, e, old), w, "{p:?} new {s}..{e}");
            }
        }
    }

    #[test]
    fn test_linux20_uses_current_start() {
        // Old fragment 0..16 trimmed to start at 8 by an earlier overlap.
        let old = held(8, 0, 16);
        assert!(Policy::Linux20.new_wins(8, 16, old));
        assert!(!Policy::Linux.new_wins(8, 16, old));
    }

    #[test]
    fn test_bsd_right() {
        let old = held(8, 8, 24);
        assert!(Policy::BsdRight.new_wins(16, 32, old)); // ends later
        assert!(!Policy::BsdRight.new_wins(0, 16, old)); // ends earlier
        assert!(Policy::BsdRight.new_wins(8, 24, old)); // same extent: new
        assert!(!Policy::BsdRight.new_wins(16, 24, old)); // same end, starts later
    }

    #[test]
    fn test_names_unique() {
        for (i, a) in Policy::ALL.iter().enumerate() {
            for b in &Policy::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
        assert_eq!(Policy::default(), Policy::Linux20);
    }
}

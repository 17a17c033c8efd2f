//! Target-based overlap policies for TCP: which bytes win when a new segment
//! overlaps data already queued (not yet delivered). Delivered bytes are never
//! replaced, whatever the policy.
//!
//! The rules follow the Novak/Sturges vectors as Suricata encodes them
//! (`shared/reference/overlap-policies.md`). For a new segment N and a queued
//! segment O that overlap, one of seven cases applies; the table says whether N
//! takes the overlapping bytes:
//!
//! | N vs O | First/Vista | BSD/Windows | Linux | OldLinux | Solaris | Last |
//! |---|---|---|---|---|---|---|
//! | starts before, ends inside | O | N | N | N | O | N |
//! | starts before, ends at/after O's end | O | N | N | N | N | N |
//! | same start, shorter | O | O | O | O | O | N |
//! | same start, same length | O | O | O | N | N | N |
//! | same start, longer | O | O | N | N | N | N |
//! | starts after, ends inside or at O's end | O | O | O | O | O | N |
//! | starts after, ends after | O | O | O | O | N | N |
//!
//! [`Policy::Libnids`] (the default) is libnids' own model: queued segments are
//! kept whole, applied in sequence order (ties in arrival order), each adding
//! only the bytes beyond what was already delivered. On the Novak/Sturges vector
//! it gives the BSD result.

/// Which bytes win an overlap of queued TCP data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Policy {
    /// libnids 1.26 (default): lower sequence first, ties by arrival; like BSD on
    /// the reference vector.
    #[default]
    Libnids,
    /// The data that arrived first wins every overlap.
    First,
    /// The data that arrived last wins every overlap (Cisco IOS).
    Last,
    /// BSD (also macOS, IRIX, HP-UX 10): the new segment wins only when it starts
    /// before the queued one.
    Bsd,
    /// Linux: as BSD, and a new segment with the same start that is longer wins.
    Linux,
    /// Old Linux (2.2 and before): as Linux, and an equal one wins too.
    OldLinux,
    /// Windows (95 to 2003): same rules as BSD.
    Windows,
    /// Windows Vista and later: same rules as First.
    Vista,
    /// Solaris and HP-UX 11: the new segment wins when it reaches at least the
    /// queued one's end.
    Solaris,
}

/// How a new segment N lies against a queued segment O that it overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    BeforeEndsInside,
    BeforeCovers,
    SameShorter,
    SameEqual,
    SameLonger,
    AfterEndsInside,
    AfterEndsAfter,
}

impl Case {
    /// Classify N = `[ns, ne)` against O = `[os, oe)`, given as offsets that do
    /// not wrap (relative to the next expected byte).
    pub(crate) fn of(ns: u32, ne: u32, os: u32, oe: u32) -> Case {
        use core::cmp::Ordering::*;
        match (ns.cmp(&os), ne.cmp(&oe)) {
            (Less, Less) => Case::BeforeEndsInside,
            (Less, _) => Case::BeforeCovers,
            (Equal, Less) => Case::SameShorter,
            (Equal, Equal) => Case::SameEqual,
            (Equal, Greater) => Case::SameLonger,
            (Greater, Greater) => Case::AfterEndsAfter,
            (Greater, _) => Case::AfterEndsInside,
        }
    }
}

impl Policy {
    /// Whether the new segment takes the overlapping bytes in `case`.
    pub(crate) fn new_wins(self, case: Case) -> bool {
        use Case::*;
        match self {
            Policy::Libnids | Policy::First | Policy::Vista => false,
            Policy::Last => true,
            Policy::Bsd | Policy::Windows => matches!(case, BeforeEndsInside | BeforeCovers),
            Policy::Linux => matches!(case, BeforeEndsInside | BeforeCovers | SameLonger),
            Policy::OldLinux => matches!(
                case,
                BeforeEndsInside | BeforeCovers | SameEqual | SameLonger
            ),
            Policy::Solaris => {
                matches!(case, BeforeCovers | SameEqual | SameLonger | AfterEndsAfter)
            }
        }
    }
}

//! Packet time: [`Instant`] and [`Duration`] in microseconds.
//!
//! The engine never reads a clock. Every timeout runs on the timestamps of the
//! packets it is given (and on [`crate::Nids::advance`]), so the same capture gives
//! the same result on every run and every machine.

use core::fmt;
use core::ops::{Add, Sub};

/// A point in packet time: microseconds since the Unix epoch (or any origin the
/// caller picks, as long as it is the same for every packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

/// A span of packet time in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(u64);

impl Instant {
    /// The origin of packet time.
    pub const ZERO: Instant = Instant(0);

    /// An instant `us` microseconds after the origin.
    pub const fn from_micros(us: u64) -> Instant {
        Instant(us)
    }

    /// An instant from seconds and microseconds (as in a pcap record header).
    pub const fn from_secs_micros(secs: u64, micros: u32) -> Instant {
        Instant(secs.saturating_mul(1_000_000).saturating_add(micros as u64))
    }

    /// Microseconds since the origin.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Whole seconds since the origin.
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later (captures are
    /// not always in time order).
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `us` microseconds.
    pub const fn from_micros(us: u64) -> Duration {
        Duration(us)
    }

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(1_000))
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(1_000_000))
    }

    /// The duration in microseconds.
    pub const fn micros(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: a later `rhs` gives zero.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl fmt::Display for Instant {
    /// Seconds with six decimals, as `nids streams --json` prints timestamps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_display() {
        assert_eq!(
            Instant::from_secs_micros(1_700_000_000, 42).to_string(),
            "1700000000.000042"
        );
    }

    #[test]
    fn test_saturating() {
        let a = Instant::from_micros(10);
        let b = Instant::from_micros(20);
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(b - a, Duration::from_micros(10));
        assert_eq!(
            Instant::from_micros(u64::MAX) + Duration::from_secs(1),
            Instant::from_micros(u64::MAX)
        );
    }
}

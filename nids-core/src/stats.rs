//! [`Stats`]: what the engine has seen, delivered and dropped.

use crate::event::Warning;

/// Declares [`Stats`] from one list of counters, so the struct, `new()` and
/// [`Stats::counters`] cannot drift apart.
macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Counters kept by the engine. Every [`Warning`] has its own counter
        /// ([`Stats::warnings`]); the other fields count traffic. All counters are
        /// `u64` and saturate rather than wrap. Size: 8 bytes per field plus 8 per
        /// warning.
        ///
        /// `#[non_exhaustive]`: counters are added without breaking users (build
        /// one with [`Stats::new`]).
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub struct Stats {
            $($(#[$doc])* pub $name: u64,)*
            /// One counter per [`Warning`], indexed by `warning as usize`; see
            /// [`Stats::warning`].
            pub warnings: [u64; Warning::COUNT],
        }

        impl Stats {
            /// All counters at zero.
            pub const fn new() -> Stats {
                Stats { $($name: 0,)* warnings: [0; Warning::COUNT] }
            }

            /// Adds every counter of `other` to this one's (saturating): the
            /// counters of engines that each saw a part of the traffic, as one.
            /// O(number of counters).
            pub fn merge(&mut self, other: &Stats) {
                $(self.$name = self.$name.saturating_add(other.$name);)*
                for (a, b) in self.warnings.iter_mut().zip(other.warnings.iter()) {
                    *a = a.saturating_add(*b);
                }
            }

            /// Names of the traffic counters, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// Every counter's value, in the order of [`Stats::counters`] (the
            /// traffic counters, then every warning's): for a report that
            /// carries no names (a firmware's), without the code of the names.
            pub fn values(&self) -> impl Iterator<Item = u64> + '_ {
                [$(self.$name,)*].into_iter().chain(self.warnings.iter().copied())
            }

            /// Every counter by name: the traffic counters in declaration order
            /// (as in [`Stats::NAMES`]), then every warning by its code.
            pub fn counters(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
                [$((stringify!($name), self.$name),)*]
                    .into_iter()
                    .chain(Warning::ALL.iter().map(|w| (w.code(), self.warning(*w))))
            }
        }
    };
}

counters! {
    /// Frames given to [`crate::Nids::process`].
    frames,
    /// Captured bytes of those frames.
    bytes,
    /// Frames that carried neither IPv4 nor IPv6 (ARP, LLDP, …): counted, not warned.
    non_ip,
    /// L3 packets refused by the handler's [`crate::Handler::ip_filter`].
    filtered,
    /// IPv4 packets of frames that passed validation (fragments included).
    ipv4,
    /// IPv6 packets of frames that passed validation (fragments included).
    ipv6,
    /// Valid fragments of frames handed to defragmentation.
    fragments,
    /// Datagrams rebuilt from fragments.
    reassembled,
    /// Datagrams whose encapsulated packet was taken out (each tunnel level
    /// counts once); the packets inside are counted by the `inner_*` counters,
    /// not as frames (`ipv4`, `ipv6`, `fragments`, `non_ip` count frames).
    decapsulated,
    /// Valid IPv4 and IPv6 packets found inside tunnels (fragments included).
    inner_packets,
    /// Those of them that are fragments (reassembled within their tunnel).
    inner_fragments,
    /// Tunnels whose inner frame holds no IP packet (ARP inside VXLAN, …).
    inner_non_ip,
    /// Whole datagrams given to [`crate::Handler::ip`] (unfragmented and rebuilt).
    datagrams,
    /// UDP datagrams given to [`crate::Handler::udp`].
    udp,
    /// TCP segments that passed header and checksum checks.
    tcp_segments,
    /// ICMP and ICMPv6 messages seen.
    icmp,
    /// Datagrams of other protocols (given to [`crate::Handler::ip`] only).
    other_protocol,
    /// Packets whose checksums were accepted without verification because the
    /// automatic checksum policy judged their sender to use checksum offload.
    checksum_offload_accepted,
    /// TCP streams created (a client SYN seen).
    tcp_streams,
    /// TCP streams that completed the handshake (`JustEstablished`).
    tcp_established,
    /// TCP payload bytes delivered in order (collected or only counted).
    tcp_bytes,
    /// TCP payload bytes at or after their sender's FIN, dropped
    /// ([`Warning::TcpDataAfterFin`], once per segment).
    tcp_bytes_after_fin,
    /// TCP segments of a known stream dropped by the window check (libnids
    /// drops them silently; most are retransmissions of old data).
    tcp_out_of_window,
    /// TCP segments dropped by PAWS (an older timestamp than the last one).
    tcp_paws,
    /// RSTs of an established stream ignored because their sequence number is
    /// not the one the receiver expects next (RFC 5961 §3.2: the receiver
    /// answers them with a challenge ACK and carries on).
    tcp_rst_ignored,
    /// TCP segments for which no stream exists and that do not open one.
    tcp_no_stream,
    /// Streams picked up mid-stream (`Config::tcp.midstream`).
    tcp_midstream,
    /// Pending streams ended by an ICMP destination unreachable.
    tcp_icmp_refused,
    /// Port scans reported.
    scans,
}

impl Stats {
    /// How many times `w` was raised.
    pub const fn warning(&self, w: Warning) -> u64 {
        self.warnings[w as usize]
    }

    /// Total of all warning counters.
    pub fn total_warnings(&self) -> u64 {
        self.warnings.iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Each warning that was raised at least once, with its count.
    pub fn nonzero_warnings(&self) -> impl Iterator<Item = (Warning, u64)> + '_ {
        Warning::ALL
            .iter()
            .map(|w| (*w, self.warning(*w)))
            .filter(|(_, n)| *n > 0)
    }

    pub(crate) fn count(&mut self, w: Warning) {
        let c = &mut self.warnings[w as usize];
        *c = c.saturating_add(1);
    }
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

/// Saturating increment, for counters.
pub(crate) fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}

/// Saturating add, for byte counters.
pub(crate) fn add(c: &mut u64, n: usize) {
    *c = c.saturating_add(n as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_merge_adds_every_counter() {
        let mut a = Stats::new();
        a.frames = 2;
        a.warnings[1] = 3;
        let mut b = Stats::new();
        b.frames = u64::MAX;
        b.tcp_segments = 4;
        b.warnings[1] = 1;
        a.merge(&b);
        assert_eq!(a.frames, u64::MAX, "saturates");
        assert_eq!(a.tcp_segments, 4);
        assert_eq!(a.warnings[1], 4);
        let names: std::vec::Vec<_> = a.counters().filter(|c| c.1 != 0).collect();
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn test_counters_cover_every_field_and_warning() {
        let mut s = Stats::new();
        s.frames = 3;
        s.count(Warning::TcpGap);
        let all: std::vec::Vec<(&str, u64)> = s.counters().collect();
        assert_eq!(all.len(), Stats::NAMES.len() + Warning::COUNT);
        // `values` is `counters` without the names
        let values: std::vec::Vec<u64> = s.values().collect();
        assert_eq!(
            values,
            all.iter().map(|c| c.1).collect::<std::vec::Vec<_>>()
        );
        assert_eq!(all[0], ("frames", 3));
        assert!(all.contains(&("tcp.gap", 1)));
        // merge adds every counter
        let mut t = s.clone();
        t.merge(&s);
        assert!(t.counters().zip(s.counters()).all(|(a, b)| a.1 == 2 * b.1));
        t.tcp_bytes = u64::MAX;
        t.merge(&s);
        assert_eq!(t.tcp_bytes, u64::MAX);
        // every field is listed: the struct is the list plus the warning array
        assert_eq!(
            core::mem::size_of::<Stats>(),
            8 * (Stats::NAMES.len() + Warning::COUNT)
        );
    }
}

//! [`Stats`]: what the engine has seen, delivered and dropped.

use crate::event::Warning;

/// Counters kept by the engine. Every [`Warning`] has its own counter
/// ([`Stats::warnings`]); the other fields count traffic. All counters are `u64`
/// and saturate rather than wrap. Size: about 8 bytes per field plus 8 per warning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Frames given to [`crate::Nids::process`].
    pub frames: u64,
    /// Captured bytes of those frames.
    pub bytes: u64,
    /// Frames that carried neither IPv4 nor IPv6 (ARP, LLDP, …): counted, not warned.
    pub non_ip: u64,
    /// L3 packets refused by the handler's [`crate::Handler::ip_filter`].
    pub filtered: u64,
    /// IPv4 packets that passed validation (fragments included).
    pub ipv4: u64,
    /// IPv6 packets that passed validation (fragments included).
    pub ipv6: u64,
    /// Valid fragments handed to defragmentation.
    pub fragments: u64,
    /// Datagrams rebuilt from fragments.
    pub reassembled: u64,
    /// Whole datagrams given to [`crate::Handler::ip`] (unfragmented and rebuilt).
    pub datagrams: u64,
    /// UDP datagrams given to [`crate::Handler::udp`].
    pub udp: u64,
    /// TCP segments that passed header and checksum checks.
    pub tcp_segments: u64,
    /// ICMP and ICMPv6 messages seen.
    pub icmp: u64,
    /// Datagrams of other protocols (given to [`crate::Handler::ip`] only).
    pub other_protocol: u64,
    /// Packets whose checksums were accepted without verification because the
    /// automatic checksum policy judged their sender to use checksum offload.
    pub checksum_offload_accepted: u64,
    /// TCP streams created (a client SYN seen).
    pub tcp_streams: u64,
    /// TCP streams that completed the handshake (`JustEstablished`).
    pub tcp_established: u64,
    /// TCP payload bytes delivered in order (collected or only counted).
    pub tcp_bytes: u64,
    /// TCP segments of a known stream dropped by the window check (libnids
    /// drops them silently; most are retransmissions of old data).
    pub tcp_out_of_window: u64,
    /// TCP segments dropped by PAWS (an older timestamp than the last one).
    pub tcp_paws: u64,
    /// TCP segments for which no stream exists and that do not open one.
    pub tcp_no_stream: u64,
    /// Streams picked up mid-stream (`Config::tcp.midstream`).
    pub tcp_midstream: u64,
    /// Pending streams ended by an ICMP destination unreachable.
    pub tcp_icmp_refused: u64,
    /// Port scans reported.
    pub scans: u64,
    /// One counter per [`Warning`], indexed by `warning as usize`; see
    /// [`Stats::warning`].
    pub warnings: [u64; Warning::COUNT],
}

impl Stats {
    /// All counters at zero.
    pub const fn new() -> Stats {
        Stats {
            frames: 0,
            bytes: 0,
            non_ip: 0,
            filtered: 0,
            ipv4: 0,
            ipv6: 0,
            fragments: 0,
            reassembled: 0,
            datagrams: 0,
            udp: 0,
            tcp_segments: 0,
            icmp: 0,
            other_protocol: 0,
            checksum_offload_accepted: 0,
            tcp_streams: 0,
            tcp_established: 0,
            tcp_bytes: 0,
            tcp_out_of_window: 0,
            tcp_paws: 0,
            tcp_no_stream: 0,
            tcp_midstream: 0,
            tcp_icmp_refused: 0,
            scans: 0,
            warnings: [0; Warning::COUNT],
        }
    }

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

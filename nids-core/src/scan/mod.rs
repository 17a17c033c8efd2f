//! Port-scan detection: [`Detector`] notices a source that probes many distinct
//! targets (address and port) within a short span of packet time.
//!
//! # The rule
//!
//! A source is reported when it has probed **more than [`Config::num_ports`]
//! distinct targets within the last [`Config::delay`]** of packet time (the
//! timestamps given with each packet; no clock is read). A target is a
//! destination address, a destination port and a protocol (TCP and UDP port 80 are
//! two targets). Probing a target again refreshes its time but does not count
//! twice. Probes older than `delay` fall out of the window, so a client that opens
//! one connection a second is never reported, however long it runs.
//!
//! After a report the source's probe list starts again from empty, as in libnids:
//! a long sweep gives **one report per `num_ports + 1` new targets** (with the
//! defaults, one per 11), each listing exactly the targets probed since the last
//! one. A target probed before a report and again after it counts again.
//!
//! # What is a probe
//!
//! * [`Detector::tcp`]: a TCP segment **without ACK and without RST**. SYN
//!   (connect and half-open scans, also with the ECN bits), FIN, NULL, XMAS and
//!   any other ACK-less mix (SYN+FIN, …) count. Segments with ACK are ordinary
//!   traffic (so ACK, window and Maimon scans are **not detected**, as in
//!   libnids). A bare RST is **not** a probe, unlike libnids: bare RSTs are
//!   mostly *answers* (to an ACK scan, to stray segments), so counting them made
//!   the scanned host look like a scanner of the scanner's many source ports.
//! * [`Detector::udp`]: every UDP datagram, **only when [`Config::udp`] is set**
//!   (off by default, because resolvers, NTP and peer-to-peer traffic reach many
//!   distinct UDP targets legitimately). UDP probes count exactly like TCP ones.
//! * [`Detector::icmp_port_unreachable`]: marks the matching UDP probe as
//!   answered ([`Proto::Udp`]`{ unreachable: true }`), so a report tells closed
//!   ports from open or filtered ones. It does not change when a source is
//!   reported.
//!
//! # The table
//!
//! Sources live in a fixed table of `HOSTS` entries (libnids' `scan_num_hosts`,
//! 256 by default), each holding up to `PORTS` probes (at least `num_ports + 1`
//! are needed). A source is found through `HOSTS` hash chains, hashed with
//! SipHash-1-3 under a secret 128-bit key given at construction, so a sender
//! cannot lengthen one chain without knowing the key. Any source may take any
//! entry: a new source takes an entry never used, else the least recently
//! active one (the entries are kept in order of activity). That entry is free
//! when its probes were reported or are all older than `delay`; otherwise its
//! probes are forgotten, counted in [`Stats::reused`] (the engine warns with
//! [`crate::Warning::ScanTableFull`]).
//!
//! So which source is forgotten when the table is full depends only on the
//! packets, never on the key: the same capture gives the same reports and
//! counters on every run, whatever key each run picks. (While the packet clock
//! runs backwards, "least recently active" means least recently seen.)
//!
//! # Differences from libnids (`scan.c`)
//!
//! * `delay` works. libnids' test is reversed, so it never forgets a probe and
//!   reports any client after its 11th distinct target over its lifetime.
//! * No out-of-bounds index (libnids' `scan_hash` can go negative), keyed hashing,
//!   IPv6, UDP, the probes and their kind in the report, bare RSTs ignored.
//!
//! ```
//! use nids_core::scan::{Detector, Kind};
//! use nids_core::time::{Duration, Instant};
//!
//! // libnids' sizes: 256 sources, 10 + 1 probes each (about 100 KB).
//! let mut scan = Detector::<256, 11>::new([7; 16]);
//! let (me, you) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
//! for port in 1..=10u16 {
//!     let now = Instant::from_micros(u64::from(port) * 1000);
//!     assert!(scan.tcp(now, me, you, port, 0x02).is_none()); // SYN
//! }
//! let report = scan.tcp(Instant::from_micros(11_000), me, you, 11, 0x02).unwrap();
//! assert_eq!(report.kind, Kind::Syn);
//! assert_eq!(report.probes.len(), 11);
//! assert_eq!(report.last - report.first, Duration::from_millis(10));
//! ```

use core::fmt;
use core::hash::Hasher;
use core::net::IpAddr;

use siphasher::sip::SipHasher13;

use crate::time::{Duration, Instant};

/// TCP flag bits ([`crate::tcp::segment::flags`]), and those that name a probe.
mod flag {
    pub use crate::tcp::segment::flags::*;
    /// The bits that name a probe's [`super::Kind`]: ECE and CWR (ECN) are left out.
    pub const KIND: u8 = FIN | SYN | RST | PSH | URG;
}

/// No entry (the end of a hash chain or of the activity list).
const NIL: u32 = u32::MAX;

/// Run-time settings of a [`Detector`]. Size: 24 bytes on 64-bit targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// A source is reported when it probes more than this many distinct targets
    /// within `delay` (libnids' `scan_num_ports`, default 10). `0` disables
    /// detection. Values of `PORTS` or more are lowered to `PORTS - 1` (see
    /// [`Detector::threshold`]).
    pub num_ports: usize,
    /// The sliding window, in packet time (libnids' `scan_delay`, default 3000 ms,
    /// which libnids ignores by mistake). `Duration::ZERO` keeps only probes made
    /// at the same microsecond.
    pub delay: Duration,
    /// Count UDP datagrams as probes (default `false`; libnids has no UDP scan
    /// detection).
    pub udp: bool,
}

impl Config {
    /// libnids' settings: 10 ports, 3000 ms, TCP only.
    pub const fn new() -> Config {
        Config {
            num_ports: 10,
            delay: Duration::from_millis(3000),
            udp: false,
        }
    }

    /// Whether a detector with these settings may act on `o` ([`Detector::observe`]
    /// does nothing with it otherwise): nothing when detection is off, TCP
    /// segments without ACK or RST, UDP datagrams and port unreachables only
    /// when [`Config::udp`] is set. An engine that hands its probes on
    /// ([`crate::Handler::scan_probe`]) can keep only these. O(1).
    ///
    /// ```
    /// use nids_core::scan::{Config, Observation};
    /// let a = core::net::IpAddr::from([10, 0, 0, 1]);
    /// let udp = Observation::Udp { src: a, dst: a, dport: 53 };
    /// assert!(!Config::new().looks_at(&udp));
    /// assert!(Config { udp: true, ..Config::new() }.looks_at(&udp));
    /// ```
    pub const fn looks_at(&self, o: &Observation) -> bool {
        if self.num_ports == 0 {
            return false;
        }
        match *o {
            Observation::Tcp { flags, .. } => flags & (flag::ACK | flag::RST) == 0,
            Observation::Udp { .. } | Observation::Unreachable { .. } => self.udp,
        }
    }

    /// Detection turned off (`num_ports` 0).
    pub const fn disabled() -> Config {
        Config {
            num_ports: 0,
            ..Config::new()
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

/// The protocol of a [`Probe`], with what it carried or received.
/// Size: 2 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Proto {
    /// A TCP segment without ACK or RST; `flags` is the raw flags byte of the
    /// first segment to the target (later ones only refresh the time).
    Tcp {
        /// The TCP flags byte (FIN 0x01, SYN 0x02, PSH 0x08, URG 0x20, ...).
        flags: u8,
    },
    /// A UDP datagram.
    Udp {
        /// The target answered with an ICMP port unreachable (the port is closed).
        unreachable: bool,
    },
}

/// One target probed by a source. Size: 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Probe {
    /// The probed address.
    pub dst: IpAddr,
    /// The probed port.
    pub port: u16,
    /// TCP (with its flags) or UDP (with its answer).
    pub proto: Proto,
    /// Packet time of the latest packet to this target.
    pub ts: Instant,
}

impl Probe {
    /// The kind of scan this probe belongs to ([`Kind::from_tcp_flags`] for TCP,
    /// [`Kind::Udp`] for UDP). O(1).
    pub const fn kind(&self) -> Kind {
        match self.proto {
            Proto::Tcp { flags } => Kind::from_tcp_flags(flags),
            Proto::Udp { .. } => Kind::Udp,
        }
    }

    /// Whether this probe is to the same target (address, port and protocol).
    fn same_target(&self, dst: IpAddr, port: u16, udp: bool) -> bool {
        self.dst == dst && self.port == port && matches!(self.proto, Proto::Udp { .. }) == udp
    }
}

#[cfg(feature = "defmt")]
fn defmt_ip(f: defmt::Formatter<'_>, a: IpAddr) {
    match a {
        IpAddr::V4(a) => defmt::write!(f, "{=[u8]}", a.octets().as_slice()),
        IpAddr::V6(a) => defmt::write!(f, "{=[u8]}", a.octets().as_slice()),
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Probe {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt_ip(f, self.dst);
        defmt::write!(f, ":{} {} at {}", self.port, self.proto, self.ts);
    }
}

/// What kind of scan a [`Report`] shows, from the probes' TCP flags (ECE and CWR
/// ignored). Size: 2 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
    /// SYN only: connect or half-open (`nmap -sS`, `-sT`) scans.
    Syn,
    /// FIN only (`nmap -sF`).
    Fin,
    /// No flag at all (`nmap -sN`).
    Null,
    /// FIN, PSH and URG (`nmap -sX`).
    Xmas,
    /// UDP datagrams (`nmap -sU`).
    Udp,
    /// Probes of different kinds (several of the above, or TCP and UDP).
    Mixed,
    /// Every probe had this same other ACK-less combination of flags (such as
    /// SYN+FIN); the value is the flags byte without ECE and CWR.
    Other(u8),
}

impl Kind {
    /// The kind of one TCP probe with flags byte `flags`. O(1).
    pub const fn from_tcp_flags(flags: u8) -> Kind {
        match flags & flag::KIND {
            flag::SYN => Kind::Syn,
            flag::FIN => Kind::Fin,
            0 => Kind::Null,
            f if f == flag::FIN | flag::PSH | flag::URG => Kind::Xmas,
            f => Kind::Other(f),
        }
    }

    /// The kind of a list of probes: theirs if they all agree, [`Kind::Mixed`]
    /// otherwise (and for an empty list). O(n).
    pub fn of(probes: &[Probe]) -> Kind {
        let mut it = probes.iter().map(Probe::kind);
        match it.next() {
            Some(k) if it.all(|o| o == k) => k,
            _ => Kind::Mixed,
        }
    }
}

impl fmt::Display for Kind {
    /// `SYN`, `FIN`, `NULL`, `XMAS`, `UDP`, `mixed`, or the flag names joined by
    /// `+` for [`Kind::Other`] (`SYN+FIN`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = match *self {
            Kind::Syn => return f.write_str("SYN"),
            Kind::Fin => return f.write_str("FIN"),
            Kind::Null => return f.write_str("NULL"),
            Kind::Xmas => return f.write_str("XMAS"),
            Kind::Udp => return f.write_str("UDP"),
            Kind::Mixed => return f.write_str("mixed"),
            Kind::Other(flags) => flags,
        };
        const NAMES: [(u8, &str); 8] = [
            (flag::SYN, "SYN"),
            (flag::FIN, "FIN"),
            (flag::RST, "RST"),
            (flag::PSH, "PSH"),
            (flag::URG, "URG"),
            (flag::ACK, "ACK"),
            (flag::ECE, "ECE"),
            (flag::CWR, "CWR"),
        ];
        if flags == 0 {
            return f.write_str("NULL");
        }
        let mut sep = "";
        for (bit, name) in NAMES {
            if flags & bit != 0 {
                write!(f, "{sep}{name}")?;
                sep = "+";
            }
        }
        Ok(())
    }
}

/// A detected scan, lent by [`Detector::tcp`] or [`Detector::udp`] until the
/// detector's next call. Size: 56 bytes on 64-bit targets (the probes stay in the
/// detector).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report<'a> {
    /// The scanning source.
    pub src: IpAddr,
    /// The distinct targets probed within the window, in the order first probed:
    /// `threshold + 1` of them (see [`Detector::threshold`]).
    pub probes: &'a [Probe],
    /// The earliest probe time among `probes`.
    pub first: Instant,
    /// The latest probe time among `probes` (usually the packet that triggered
    /// the report).
    pub last: Instant,
    /// The kind of scan, from the probes ([`Kind::of`]).
    pub kind: Kind,
}

impl fmt::Display for Report<'_> {
    /// `10.0.0.1: SYN scan of 11 targets from 1.000000 to 1.100000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} scan of {} targets from {} to {}",
            self.src,
            self.kind,
            self.probes.len(),
            self.first,
            self.last
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Report<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt_ip(f, self.src);
        defmt::write!(
            f,
            ": {} scan of {} targets from {} to {}",
            self.kind,
            self.probes.len(),
            self.first,
            self.last
        );
    }
}

/// One packet given to port-scan detection: the arguments of
/// [`Detector::tcp`], [`Detector::udp`] or [`Detector::icmp_port_unreachable`]
/// as a value ([`Detector::observe`] takes it), so it can be passed on, e.g.
/// from several engines to one detector ([`crate::Handler::scan_probe`]).
/// Size: 36 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Observation {
    /// A TCP segment (a probe unless it has ACK or RST).
    Tcp {
        /// Its source.
        src: IpAddr,
        /// Its destination.
        dst: IpAddr,
        /// Its destination port.
        dport: u16,
        /// Its flags byte.
        flags: u8,
    },
    /// A UDP datagram (a probe when [`Config::udp`] is set).
    Udp {
        /// Its source.
        src: IpAddr,
        /// Its destination.
        dst: IpAddr,
        /// Its destination port.
        dport: u16,
    },
    /// An ICMP port unreachable about a UDP datagram `prober -> target:port`.
    Unreachable {
        /// The datagram's source.
        prober: IpAddr,
        /// The datagram's destination (who answered).
        target: IpAddr,
        /// The datagram's destination port.
        port: u16,
    },
}

/// Counters of a [`Detector`]; they saturate rather than wrap. Size: 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Packets counted as probes (repeats to the same target included; packets
    /// ignored because detection is off, because of ACK or RST, or UDP while
    /// [`Config::udp`] is off, are not).
    pub probes: u64,
    /// Scans reported.
    pub reports: u64,
    /// Entries taken from a source that still had probes in the window, because
    /// every entry a new source could use was busy: that source's probes are
    /// forgotten (a scanner that floods the table with spoofed sources can hide
    /// a real scan this way; a larger `HOSTS` makes it harder).
    pub reused: u64,
    /// UDP probes marked answered by [`Detector::icmp_port_unreachable`].
    pub unreachable: u64,
}

impl Stats {
    /// All counters at zero.
    pub const fn new() -> Stats {
        Stats {
            probes: 0,
            reports: 0,
            reused: 0,
            unreachable: 0,
        }
    }
}

/// One source's entry. Size: `32 * PORTS + 48` bytes on 64-bit targets.
#[derive(Debug, Clone)]
struct Host<const PORTS: usize> {
    /// The source, `None` if the entry was never used.
    src: Option<IpAddr>,
    /// Packet time of the source's latest probe (never before any probe's `ts`).
    last: Instant,
    /// The probes, oldest first (at most `PORTS`, which is checked to fit the
    /// `u16` length).
    probes: heapless::Vec<Probe, PORTS, u16>,
    /// The next entry of the same hash chain, or [`NIL`].
    chain: u32,
    /// The neighbours in the activity list: less and more recently active.
    older: u32,
    newer: u32,
}

impl<const PORTS: usize> Host<PORTS> {
    const EMPTY: Self = Host {
        src: None,
        last: Instant::ZERO,
        probes: heapless::Vec::new(),
        chain: NIL,
        older: NIL,
        newer: NIL,
    };

    /// Whether a new source may take this entry without losing live probes.
    fn is_free(&self, now: Instant, delay: Duration) -> bool {
        self.src.is_none() || self.probes.is_empty() || now.saturating_since(self.last) > delay
    }

    /// Drops the probes older than `delay`, keeping the order. O(PORTS).
    fn expire(&mut self, now: Instant, delay: Duration) {
        self.probes.retain(|p| now.saturating_since(p.ts) <= delay);
    }
}

/// Port-scan detector for up to `HOSTS` sources at a time, each tracked with up
/// to `PORTS` probes. See the [module docs](self) for the rule.
///
/// * Memory: `HOSTS * (32 * PORTS + 52) + (32 * PORTS + 8) + 88` bytes, all
///   inline (no heap; the second term holds the last report's probes; 4 of the
///   52 bytes per host are its hash chain's head): libnids' sizes
///   `Detector<256, 11>` take 103,872 bytes on 64-bit targets. Build it in a
///   `static` or in place when the stack is small; [`Detector::new`] is a `const
///   fn`. `HOSTS` must be below 2³² − 1.
/// * Time: each call costs one SipHash of the source, a walk of its hash chain
///   (one entry on average: as many chains as entries, keyed) and O(`PORTS`)
///   work on the source's probes; taking an entry from another source also
///   walks that source's chain.
/// * `PORTS` must be at least `num_ports + 1`; a smaller `PORTS` lowers the
///   threshold to `PORTS - 1` ([`Detector::threshold`]). `HOSTS == 0` or
///   `PORTS < 2` disable detection (every call does nothing).
/// * When the table is full, the busy entry with the oldest activity is reused
///   and counted in [`Stats::reused`].
pub struct Detector<const HOSTS: usize, const PORTS: usize> {
    hosts: [Host<PORTS>; HOSTS],
    /// The first entry of each hash chain, or [`NIL`].
    heads: [u32; HOSTS],
    /// The least and the most recently active entries in use, or [`NIL`].
    oldest: u32,
    newest: u32,
    /// Entries ever used: `hosts[..used]`, all in the activity list.
    used: u32,
    /// The probes of the last report (a source's list restarts at its report).
    reported: heapless::Vec<Probe, PORTS, u16>,
    key: (u64, u64),
    config: Config,
    stats: Stats,
}

impl<const HOSTS: usize, const PORTS: usize> Detector<HOSTS, PORTS> {
    /// A detector with libnids' settings ([`Config::new`]) and the secret hash key
    /// `key` (pick it at random, per run: whoever knows it can aim sources at one
    /// part of the table). O(`HOSTS * PORTS`).
    pub const fn new(key: [u8; 16]) -> Self {
        Self::with_config(key, Config::new())
    }

    /// A detector with settings `config` and the secret hash key `key`.
    /// O(`HOSTS * PORTS`).
    pub const fn with_config(key: [u8; 16], config: Config) -> Self {
        const {
            assert!(
                PORTS <= u16::MAX as usize,
                "Detector: PORTS must be at most 65535"
            );
            assert!(
                HOSTS < NIL as usize,
                "Detector: HOSTS must be below 2^32 - 1"
            )
        };
        let k = key;
        let k0 = u64::from_le_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]]);
        let k1 = u64::from_le_bytes([k[8], k[9], k[10], k[11], k[12], k[13], k[14], k[15]]);
        Detector {
            hosts: [Host::EMPTY; HOSTS],
            heads: [NIL; HOSTS],
            oldest: NIL,
            newest: NIL,
            used: 0,
            reported: heapless::Vec::new(),
            key: (k0, k1),
            config,
            stats: Stats::new(),
        }
    }

    /// The settings in force.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Changes the settings. Recorded probes are kept and judged by the new
    /// settings from the next packet on (a lower `num_ports` makes the next new
    /// target report everything recorded). Switching UDP off keeps recorded UDP
    /// probes until they expire. O(1).
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// The number of distinct targets a source may probe within the window
    /// without being reported: `min(num_ports, PORTS - 1)`, or 0 (detection off)
    /// when `num_ports` is 0, `HOSTS` is 0 or `PORTS` is below 2. O(1).
    pub const fn threshold(&self) -> usize {
        let t = PORTS.saturating_sub(1);
        if HOSTS == 0 {
            0
        } else if self.config.num_ports < t {
            self.config.num_ports
        } else {
            t
        }
    }

    /// The counters.
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Sources with at least one probe recorded (some may be older than the
    /// window). O(`HOSTS`).
    pub fn sources(&self) -> usize {
        self.hosts
            .iter()
            .filter(|h| h.src.is_some() && !h.probes.is_empty())
            .count()
    }

    /// Counts the TCP segment from `src` to `dst:dport` with flags byte `flags`,
    /// seen at packet time `now`, if it is a probe: no ACK (0x10) and no RST
    /// (0x04). Returns the report when `src` has now probed more than
    /// [`Detector::threshold`] distinct targets within [`Config::delay`]; its
    /// probe list then restarts. Does nothing when detection is off.
    /// O(`PORTS`) (see the type's costs).
    pub fn tcp(
        &mut self,
        now: Instant,
        src: IpAddr,
        dst: IpAddr,
        dport: u16,
        flags: u8,
    ) -> Option<Report<'_>> {
        if flags & (flag::ACK | flag::RST) != 0 {
            return None;
        }
        self.probe(now, src, dst, dport, Proto::Tcp { flags })
    }

    /// Counts the UDP datagram from `src` to `dst:dport` seen at packet time
    /// `now`, when [`Config::udp`] is set (otherwise does nothing). Returns a
    /// report as [`Detector::tcp`] does. O(`PORTS`) (see the type's costs).
    pub fn udp(
        &mut self,
        now: Instant,
        src: IpAddr,
        dst: IpAddr,
        dport: u16,
    ) -> Option<Report<'_>> {
        if !self.config.udp {
            return None;
        }
        self.probe(now, src, dst, dport, Proto::Udp { unreachable: false })
    }

    /// An ICMP (or ICMPv6) port unreachable from `target` about a UDP datagram
    /// `prober -> target:port` (the addresses and port quoted in the message),
    /// seen at packet time `now`: marks that UDP probe as answered if `prober` has
    /// it within the window. Never creates an entry and never reports. Does
    /// nothing when detection or [`Config::udp`] is off. O(`PORTS`) (see the type's costs).
    pub fn icmp_port_unreachable(
        &mut self,
        now: Instant,
        prober: IpAddr,
        target: IpAddr,
        port: u16,
    ) {
        if self.threshold() == 0 || !self.config.udp {
            return;
        }
        let delay = self.config.delay;
        let Some(i) = self.find(prober) else { return };
        let Some(host) = self.hosts.get_mut(i) else {
            return;
        };
        host.expire(now, delay);
        let probe = host
            .probes
            .iter_mut()
            .find(|p| p.same_target(target, port, true));
        if let Some(Probe {
            proto: Proto::Udp { unreachable },
            ..
        }) = probe
        {
            if !*unreachable {
                *unreachable = true;
                self.stats.unreachable = self.stats.unreachable.saturating_add(1);
            }
        }
    }

    /// [`Detector::tcp`], [`Detector::udp`] or
    /// [`Detector::icmp_port_unreachable`], as `o` says. O(`PORTS`) (see the type's costs).
    pub fn observe(&mut self, now: Instant, o: &Observation) -> Option<Report<'_>> {
        match *o {
            Observation::Tcp {
                src,
                dst,
                dport,
                flags,
            } => self.tcp(now, src, dst, dport, flags),
            Observation::Udp { src, dst, dport } => self.udp(now, src, dst, dport),
            Observation::Unreachable {
                prober,
                target,
                port,
            } => {
                self.icmp_port_unreachable(now, prober, target, port);
                None
            }
        }
    }

    /// Records one probe and reports if the threshold is passed.
    fn probe(
        &mut self,
        now: Instant,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        proto: Proto,
    ) -> Option<Report<'_>> {
        let threshold = self.threshold();
        if threshold == 0 {
            return None;
        }
        self.stats.probes = self.stats.probes.saturating_add(1);
        let delay = self.config.delay;
        let i = self.claim(now, src)?;
        self.make_newest(i);
        let host = self.hosts.get_mut(i)?;
        host.expire(now, delay);
        if host.last < now {
            host.last = now;
        }
        let udp = matches!(proto, Proto::Udp { .. });
        if let Some(p) = host
            .probes
            .iter_mut()
            .find(|p| p.same_target(dst, port, udp))
        {
            if p.ts < now {
                p.ts = now;
            }
            return None;
        }
        // `len <= threshold < PORTS` between calls, so there is room; should a
        // future change break that, the probe is dropped rather than panic.
        host.probes
            .push(Probe {
                dst,
                port,
                proto,
                ts: now,
            })
            .ok()?;
        if host.probes.len() <= threshold {
            return None;
        }
        // The source's list restarts; the report shows the probes taken out.
        // Its entry is free now: the first a new source takes.
        self.reported = core::mem::take(&mut host.probes);
        self.make_oldest(i);
        let probes = self.reported.as_slice();
        let first = probes.iter().map(|p| p.ts).min().unwrap_or(now);
        let last = probes.iter().map(|p| p.ts).max().unwrap_or(now);
        self.stats.reports = self.stats.reports.saturating_add(1);
        Some(Report {
            src,
            probes,
            first,
            last,
            kind: Kind::of(probes),
        })
    }

    /// `src`'s hash chain: its keyed hash onto `0..HOSTS`.
    fn chain_of(&self, src: IpAddr) -> usize {
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        match src {
            IpAddr::V4(a) => {
                h.write_u8(4);
                h.write(&a.octets());
            }
            IpAddr::V6(a) => {
                h.write_u8(6);
                h.write(&a.octets());
            }
        }
        // The high 32 bits of the hash times HOSTS (< 2^32), shifted down:
        // below HOSTS, with no division.
        (((h.finish() >> 32) * HOSTS as u64) >> 32) as usize
    }

    /// The entry holding `src` in hash chain `c`, and the entry before it in
    /// the chain (`None`: the chain's head). At most `HOSTS` steps, so a
    /// broken link could not loop.
    fn find_in(&self, c: usize, src: IpAddr) -> Option<(usize, Option<usize>)> {
        let mut before = None;
        let mut i = *self.heads.get(c)?;
        for _ in 0..HOSTS {
            let h = self.hosts.get(i as usize)?;
            if h.src == Some(src) {
                return Some((i as usize, before));
            }
            before = Some(i as usize);
            i = h.chain;
        }
        None
    }

    /// The entry holding `src`, if any.
    fn find(&self, src: IpAddr) -> Option<usize> {
        self.find_in(self.chain_of(src), src).map(|(i, _)| i)
    }

    /// The entry holding `src`, or one given to it: one never used, else the
    /// least recently active, emptied (counted in `reused` if it held live
    /// probes).
    fn claim(&mut self, now: Instant, src: IpAddr) -> Option<usize> {
        let c = self.chain_of(src);
        if let Some((i, _)) = self.find_in(c, src) {
            return Some(i);
        }
        let i = if (self.used as usize) < HOSTS {
            let i = self.used;
            self.used += 1;
            self.link_newest(i);
            i as usize
        } else {
            let i = self.oldest as usize;
            let h = self.hosts.get(i)?;
            if !h.is_free(now, self.config.delay) {
                self.stats.reused = self.stats.reused.saturating_add(1);
            }
            if let Some(old) = h.src {
                self.unchain(old);
            }
            i
        };
        let head = self.heads.get_mut(c)?;
        let h = self.hosts.get_mut(i)?;
        h.chain = core::mem::replace(head, i as u32);
        h.src = Some(src);
        h.last = now;
        h.probes.clear();
        Some(i)
    }

    /// Takes the entry of `src` out of its hash chain. O(chain).
    fn unchain(&mut self, src: IpAddr) {
        let c = self.chain_of(src);
        let Some((i, before)) = self.find_in(c, src) else {
            return;
        };
        let next = self.hosts.get(i).map_or(NIL, |h| h.chain);
        let link = match before {
            None => self.heads.get_mut(c),
            Some(j) => self.hosts.get_mut(j).map(|h| &mut h.chain),
        };
        if let Some(l) = link {
            *l = next;
        }
    }

    /// Takes entry `i` out of the activity list.
    fn unlink(&mut self, i: usize) {
        let Some(h) = self.hosts.get(i) else { return };
        let (older, newer) = (h.older, h.newer);
        match self.hosts.get_mut(older as usize) {
            Some(o) => o.newer = newer,
            None => self.oldest = newer,
        }
        match self.hosts.get_mut(newer as usize) {
            Some(n) => n.older = older,
            None => self.newest = older,
        }
    }

    /// Puts entry `i` (not in the list) at the most recent end.
    fn link_newest(&mut self, i: u32) {
        let newest = self.newest;
        if let Some(h) = self.hosts.get_mut(i as usize) {
            h.older = newest;
            h.newer = NIL;
        }
        match self.hosts.get_mut(newest as usize) {
            Some(n) => n.newer = i,
            None => self.oldest = i,
        }
        self.newest = i;
    }

    /// Moves entry `i` to the most recent end of the activity list. O(1).
    fn make_newest(&mut self, i: usize) {
        if self.newest as usize != i {
            self.unlink(i);
            self.link_newest(i as u32);
        }
    }

    /// Moves entry `i` to the least recent end: the next entry taken. O(1).
    fn make_oldest(&mut self, i: usize) {
        if self.oldest as usize == i {
            return;
        }
        self.unlink(i);
        let oldest = self.oldest;
        if let Some(h) = self.hosts.get_mut(i) {
            h.older = NIL;
            h.newer = oldest;
        }
        match self.hosts.get_mut(oldest as usize) {
            Some(o) => o.older = i as u32,
            None => self.newest = i as u32,
        }
        self.oldest = i as u32;
    }
}

impl<const HOSTS: usize, const PORTS: usize> fmt::Debug for Detector<HOSTS, PORTS> {
    /// The sizes, settings, counters and number of sources; not the table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Detector")
            .field("hosts", &HOSTS)
            .field("ports", &PORTS)
            .field("config", &self.config)
            .field("stats", &self.stats)
            .field("sources", &self.sources())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;

//! [`Nids`]: the engine value that owns all state.

use core::fmt;
use core::mem::MaybeUninit;

use crate::memory::{Arrays, Memory, Tables};

use crate::config::Config;
use crate::defrag::Defrag;
use crate::event::Warning;
use crate::handler::Handler;
use crate::ip::checksum::{self, Offload, Policy};
use crate::ip::{self, protocol, Packet};
use crate::link::{self, LinkType};
use crate::stats::{self, Stats};
use crate::storage::Storage;
use crate::tcp::{self, Tcp};
use crate::time::{Duration, Instant};
use crate::{icmp, scan, tunnel, udp};

/// Why an engine could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The link type is not one [`link::decode`] understands.
    UnsupportedLinkType(LinkType),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedLinkType(l) => write!(f, "unsupported link type {l}"),
        }
    }
}

impl core::error::Error for Error {}

/// The engine: everything from frames to streams, for one link type, over a
/// stream table of memory kind `M` ([`crate::memory`]).
///
/// * `U`: per-stream user data kept for the handler.
/// * `M`: where the stream table lives: [`Arrays`] (sizes at compile time:
///   that is [`Nids`]), `memory::Heap` (sizes at run time, feature `alloc`:
///   `NidsHeap`) or [`crate::memory::Borrowed`].
/// * `HOSTS`: defragmentation host slots (libnids' `n_hosts`, 256).
/// * `SCAN_HOSTS`: port-scan sources tracked at once (libnids'
///   `scan_num_hosts`, 256; 0 turns detection off); about 544 bytes each.
///
/// No globals: several engines may run side by side.
pub struct Engine<'a, U, M: Memory<U>, const HOSTS: usize, const SCAN_HOSTS: usize = 256> {
    link: LinkType,
    defrag: Defrag<'a, HOSTS>,
    upper: Upper<'a, U, M, SCAN_HOSTS>,
}

/// The engine owning its stream table: `STREAMS` slots (libnids'
/// `n_tcp_streams`, 1040 by default), `HOSTS` defragmentation host slots and
/// `SCAN_HOSTS` scan sources, all sized at compile time, for firmware and
/// `static`s. It is [`Engine`] over [`Arrays`]: the same code as an engine
/// sized at run time.
pub type Nids<'a, U, const STREAMS: usize, const HOSTS: usize, const SCAN_HOSTS: usize = 256> =
    Engine<'a, U, Arrays<STREAMS>, HOSTS, SCAN_HOSTS>;

/// The engine with its stream table on the heap, sized at run time
/// ([`Tables::heap`]): what a host program uses for libnids' `n_tcp_streams`.
#[cfg(feature = "alloc")]
pub type NidsHeap<'a, U, const HOSTS: usize = 256, const SCAN_HOSTS: usize = 256> =
    Engine<'a, U, crate::memory::Heap, HOSTS, SCAN_HOSTS>;

/// The state behind the IP layer, kept apart from defragmentation so a rebuilt
/// datagram (borrowed from defragmentation storage) can flow through it.
struct Upper<'a, U, M: Memory<U>, const SCAN_HOSTS: usize> {
    checksums: Policy<'a>,
    tunnels: tunnel::Config,
    #[cfg(feature = "scan")]
    scan: scan::Detector<SCAN_HOSTS, SCAN_PORTS>,
    offload: Offload,
    stats: Stats,
    tcp: Tcp<'a, U, M>,
    /// Latest packet time seen.
    now: Instant,
    /// Time of the previous packet (or `advance`).
    prev: Instant,
    /// When idle streams are next looked for.
    next_expiry: Instant,
    /// Number of the next frame ([`Nids::set_frame_number`]).
    next_frame: u64,
}

/// Most distinct targets remembered per scanning source (bounds
/// `Config::scan.num_ports` at 15).
pub const SCAN_PORTS: usize = 16;

/// The port-scan detector's key, derived from the flow hash key
/// (`Config::hash_key`): a [`scan::Detector`] built with it behaves as the
/// engine's own (a program that merges several engines' probes builds one).
pub fn scan_key(k: (u64, u64)) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&k.1.to_le_bytes());
    key[8..].copy_from_slice(&k.0.rotate_left(17).to_le_bytes());
    key
}

/// A scan report (if the probe made one) to the handler, counted.
#[cfg(feature = "scan")]
fn scanned<U, H: Handler<U>>(
    stats: &mut Stats,
    h: &mut H,
    ts: Instant,
    report: Option<scan::Report<'_>>,
) {
    if let Some(r) = report {
        stats::bump(&mut stats.scans);
        h.scan(ts, &r);
    }
}

/// How often (in packet time) idle streams are looked for.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);

/// A packet this far ahead of the one before it does not run timeouts by
/// itself (a frame stamped in the future would end every stream); the next
/// packet does, whichever way the clock went.
const MAX_JUMP: Duration = Duration::from_secs(3600);

use crate::warn::warn;

impl<'a, U, const STREAMS: usize, const HOSTS: usize, const SCAN_HOSTS: usize>
    Nids<'a, U, STREAMS, HOSTS, SCAN_HOSTS>
{
    /// An engine for frames of link type `link`, with `storage` for bytes that
    /// must wait (out-of-order segments, bytes the handler keeps, fragments; a
    /// plain `&mut [u8]` is split as [`Storage::shared`] says). Fails if
    /// the link type is not supported ([`LinkType::is_supported`]).
    ///
    /// The tables are part of the value (a few hundred bytes per stream slot,
    /// [`crate::memory::Plan::table_bytes`]), their entries left uninitialised
    /// until used: put a large engine in a `static` ([`Nids::new_in`]), or size
    /// it at run time on the heap (`NidsHeap`, feature `alloc`).
    pub fn new(
        link: LinkType,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        Engine::with_tables(link, config, Tables::arrays(), storage)
    }

    /// Build an engine in `place` (a `static`'s `static_cell::StaticCell::uninit()`
    /// on a firmware), with the arguments and errors of [`Nids::new`]; on error
    /// `place` is untouched. In safe Rust: the value is written whole, which an
    /// optimised build does in place (the stream entries it holds are
    /// uninitialised memory, never copied); the firmware test measures the
    /// stack this takes.
    pub fn new_in<'p>(
        place: &'p mut MaybeUninit<Self>,
        link: LinkType,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<&'p mut Self, Error> {
        Ok(place.write(Self::new(link, config, storage)?))
    }

    /// [`Nids::new`] on the heap (with the `alloc` feature), for tables of up
    /// to some thousands of slots; an engine sized at run time, of any size, is
    /// a [`NidsHeap`] ([`Engine::heap`]).
    ///
    /// On a host, give each engine a random flow-hash key, so that nobody who
    /// knows the program can aim flows at one hash bucket (the default key is
    /// fixed and public):
    ///
    /// ```ignore
    /// let mut config = nids_core::Config::new();
    /// let mut key = [0u8; 16];
    /// getrandom::fill(&mut key)?; // or nids_host::keys::random_hash_key()
    /// config.hash_key = (
    ///     u64::from_le_bytes(key[..8].try_into()?),
    ///     u64::from_le_bytes(key[8..].try_into()?),
    /// );
    /// let nids = Nids::<(), 1040, 256>::boxed(LinkType::ETHERNET, config, &mut storage[..])?;
    /// ```
    #[cfg(feature = "alloc")]
    pub fn boxed(
        link: LinkType,
        config: Config<'a>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<alloc::boxed::Box<Self>, Error> {
        Ok(alloc::boxed::Box::new(Self::new(link, config, storage)?))
    }
}

#[cfg(feature = "alloc")]
impl<'a, U, const HOSTS: usize, const SCAN_HOSTS: usize> NidsHeap<'a, U, HOSTS, SCAN_HOSTS> {
    /// An engine with `streams` stream slots on the heap (libnids'
    /// `n_tcp_streams` at run time): O(1) time, and memory touched only as
    /// streams arrive ([`Tables::heap`]). Same errors as [`Nids::new`].
    pub fn heap(
        link: LinkType,
        config: Config<'a>,
        streams: usize,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        Engine::with_tables(link, config, Tables::heap(streams), storage)
    }

    /// [`NidsHeap::heap`], boxed and built out of line. The engine value is large
    /// (its scan and fragment host tables: about 330 KB at the default sizes),
    /// and a function that builds it inline carries a frame that large on every
    /// call, probed page by page, even if only its first call builds (as a
    /// per-packet function that starts the engine at the first packet would:
    /// that once doubled `nids stats`' CPU time). Here the caller holds only
    /// the box. O(1) time, one allocation.
    #[cold]
    #[inline(never)]
    pub fn heap_boxed(
        link: LinkType,
        config: Config<'a>,
        streams: usize,
        storage: impl Into<Storage<'a>>,
    ) -> Result<alloc::boxed::Box<Self>, Error> {
        Self::heap(link, config, streams, storage).map(alloc::boxed::Box::new)
    }
}

impl<'a, U, M: Memory<U>, const HOSTS: usize, const SCAN_HOSTS: usize>
    Engine<'a, U, M, HOSTS, SCAN_HOSTS>
{
    /// An engine over the stream table `tables` (any [`Memory`] kind), with
    /// `storage` for bytes that must wait. Fails if the link type is not
    /// supported ([`LinkType::is_supported`]). O(1) apart from the scan and
    /// defragmentation host tables (O(`SCAN_HOSTS + HOSTS`)).
    pub fn with_tables(
        link: LinkType,
        config: Config<'a>,
        tables: Tables<U, M>,
        storage: impl Into<Storage<'a>>,
    ) -> Result<Self, Error> {
        if !link.is_supported() {
            return Err(Error::UnsupportedLinkType(link));
        }
        let storage = storage.into();
        Ok(Engine {
            link,
            defrag: Defrag::new(storage.defrag, config.defrag),
            upper: Upper {
                checksums: config.checksums,
                tunnels: config.tunnels,
                #[cfg(feature = "scan")]
                scan: scan::Detector::with_config(scan_key(config.hash_key), config.scan),
                offload: Offload::new(),
                stats: Stats::new(),
                tcp: Tcp::new(tables, storage.tcp, config.tcp, config.hash_key, link),
                now: Instant::ZERO,
                prev: Instant::ZERO,
                next_expiry: Instant::ZERO,
                next_frame: 0,
            },
        })
    }

    /// Stream slots in all (the table's capacity).
    pub fn stream_slots(&self) -> usize {
        self.upper.tcp.capacity()
    }

    /// TCP streams open now.
    pub fn streams(&self) -> usize {
        self.upper.tcp.len()
    }

    /// TCP storage blocks in use, and in all.
    pub fn tcp_storage(&self) -> (u32, u32) {
        self.upper.tcp.storage()
    }

    /// The link type frames are decoded with.
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.upper.stats
    }

    /// Gives the next frame the number `n` (the ones after it `n + 1`, …).
    /// The engine numbers frames 0, 1, 2, … on its own; a stream keeps the
    /// number of the frame that created it ([`crate::Stream::created_frame`]).
    /// An engine fed one shard of a capture is told each frame's index in the
    /// whole capture, so that its streams sort as in one engine. O(1).
    pub fn set_frame_number(&mut self, n: u64) {
        self.upper.next_frame = n;
    }

    /// Process one captured frame (its captured bytes) taken at `ts`, of the
    /// engine's link type. Never panics, whatever the bytes.
    pub fn process<H: Handler<U>>(&mut self, ts: Instant, frame: &[u8], h: &mut H) {
        self.process_as(ts, self.link, frame, h);
    }

    /// Process a frame of another link type than the engine's (a pcapng file
    /// whose interfaces differ). An unsupported `link` drops the frame with
    /// [`Warning::LinkUnsupported`]. `kill()` frames keep the engine's own link
    /// type.
    pub fn process_as<H: Handler<U>>(
        &mut self,
        ts: Instant,
        link: LinkType,
        frame: &[u8],
        h: &mut H,
    ) {
        self.process_decoded(ts, link, frame, link::decode(link, frame), h);
    }

    /// [`process_as`](Self::process_as) for a caller that has decoded the link
    /// header already ([`link::decode`]`(link, frame)`, given as `l3`: it must
    /// be that call's result): the frame is not decoded again. A caller that
    /// routes frames by their IP header (several engines, one per core) pays
    /// for one decode per frame.
    pub fn process_decoded<H: Handler<U>>(
        &mut self,
        ts: Instant,
        link: LinkType,
        frame: &[u8],
        l3: Result<link::L3<'_>, link::Drop>,
        h: &mut H,
    ) {
        let up = &mut self.upper;
        up.tcp.set_frame_no(up.next_frame);
        up.next_frame = up.next_frame.wrapping_add(1);
        up.tick(ts, h);
        #[cfg(feature = "defrag")]
        {
            let stats = &mut up.stats;
            self.defrag.expire(ts, &mut |w| warn(stats, h, ts, w, &[]));
        }
        stats::bump(&mut up.stats.frames);
        stats::add(&mut up.stats.bytes, frame.len());
        if !link.is_supported() {
            return warn(&mut up.stats, h, ts, Warning::LinkUnsupported, &[]);
        }
        if link == LinkType::ETHERNET {
            if let Some(l2) = frame.get(..12) {
                let mut a = [0u8; 12];
                a.copy_from_slice(l2);
                up.tcp.set_frame_l2(a);
            }
        }
        let l3 = match l3 {
            Ok(l3) => l3,
            Err(link::Drop::NotIp) => return stats::bump(&mut up.stats.non_ip),
            Err(link::Drop::Bad(w)) => return warn(&mut up.stats, h, ts, w, &[]),
        };
        let raw = l3.bytes();
        h.ip_frag(ts, raw);
        if !h.ip_filter(ts, raw) {
            return stats::bump(&mut up.stats.filtered);
        }
        let policy = up.checksums;
        let packet = match ip::parse(l3, |src| policy.header_check(src)) {
            Ok(p) => p,
            Err(w) => return warn(&mut up.stats, h, ts, w, raw),
        };
        up.unfilled_header(&packet);
        up.counted(&packet);
        // Decapsulate packets that need no reassembly, down to the innermost one
        // or to a fragment (outer or inner: both are reassembled here, keyed by
        // their tunnel).
        let mut packet = packet;
        while packet.fragment.is_none() {
            #[cfg(feature = "defrag")]
            self.defrag.unfragmented(&packet);
            match up.unwrap(ts, &packet, h) {
                Step::Deliver => return up.datagram(ts, &packet, h),
                Step::Inner(inner) => packet = inner,
                Step::Dropped => return,
            }
        }
        self.reassemble(ts, packet, h);
    }

    /// A fragment (outer, or found inside a tunnel) left out of this build
    /// (feature `defrag`): dropped, counted and warned, never parsed further.
    #[cfg(not(feature = "defrag"))]
    fn reassemble<H: Handler<U>>(&mut self, ts: Instant, packet: Packet<'_>, h: &mut H) {
        let up = &mut self.upper;
        if packet.tunnel.is_none() {
            stats::bump(&mut up.stats.fragments);
        }
        warn(&mut up.stats, h, ts, Warning::FeatureDisabled, packet.bytes);
    }

    /// Reassemble `packet`, a fragment, then deliver what it completes (and
    /// what that holds, tunnels included).
    #[cfg(feature = "defrag")]
    fn reassemble<H: Handler<U>>(&mut self, ts: Instant, packet: Packet<'_>, h: &mut H) {
        let up = &mut self.upper;
        // A rebuilt datagram lives in fragment storage, so a fragment found
        // inside it is copied out (to `scratch`) before it is stored in turn.
        let mut scratch = [0u8; NESTED_FRAGMENT_MAX];
        let mut packet: Packet<'_> = packet;
        loop {
            if packet.tunnel.is_none() {
                // (inner fragments were counted as such when found)
                stats::bump(&mut up.stats.fragments);
            }
            let stats = &mut up.stats;
            let whole = self
                .defrag
                .insert(ts, &packet, &mut |w| warn(stats, h, ts, w, packet.bytes));
            let Some(bytes) = whole else { return };
            // The rebuilt header was written by the reassembler (checksum
            // included): parse it again, without re-verifying.
            let mut p = match reparse(packet.version, bytes) {
                Ok(p) if p.fragment.is_none() => p,
                Ok(p) => return warn(&mut up.stats, h, ts, Warning::DefragInvalid, p.bytes),
                Err(w) => return warn(&mut up.stats, h, ts, w, bytes),
            };
            p.tunnel = packet.tunnel;
            stats::bump(&mut up.stats.reassembled);
            while p.fragment.is_none() {
                match up.unwrap(ts, &p, h) {
                    Step::Deliver => return up.datagram(ts, &p, h),
                    Step::Inner(inner) => p = inner,
                    Step::Dropped => return,
                }
            }
            let Some(copy) = scratch.get_mut(..p.bytes.len()) else {
                return warn(&mut up.stats, h, ts, Warning::TunnelNestedFragment, p.bytes);
            };
            copy.copy_from_slice(p.bytes);
            let tunnel = p.tunnel;
            packet = match reparse(p.version, copy) {
                Ok(f) => f,
                Err(w) => return warn(&mut up.stats, h, ts, w, &[]),
            };
            packet.tunnel = tunnel;
        }
    }

    /// Let packet time run to `now` without a packet (for idle live links):
    /// timeouts fire as if a packet had arrived at `now`.
    pub fn advance<H: Handler<U>>(&mut self, now: Instant, h: &mut H) {
        self.upper.tick(now, h);
        #[cfg(feature = "defrag")]
        {
            let stats = &mut self.upper.stats;
            self.defrag
                .expire(now, &mut |w| warn(stats, h, now, w, &[]));
        }
    }

    /// The defragmenter's own counters.
    pub fn defrag_stats(&self) -> &crate::defrag::Stats {
        self.defrag.stats()
    }

    /// End of input: every open stream ends with an `Exiting` event (oldest
    /// first), stamped with the latest packet time.
    pub fn finish<H: Handler<U>>(&mut self, h: &mut H) {
        let up = &mut self.upper;
        up.tcp.finish(up.now, h, &mut up.stats);
    }
}

/// The largest inner fragment reassembled from inside an outer datagram that
/// was itself rebuilt from fragments (it is copied through a stack buffer this
/// size); a larger one is dropped with [`Warning::TunnelNestedFragment`].
pub const NESTED_FRAGMENT_MAX: usize = 1600;

/// Parse again a packet already validated (rebuilt by the reassembler, or copied).
#[cfg(feature = "defrag")]
fn reparse(v: ip::Version, bytes: &[u8]) -> Result<Packet<'_>, Warning> {
    match v {
        ip::Version::V4 => ip::v4::parse(bytes, |_| false),
        #[cfg(feature = "ipv6")]
        ip::Version::V6 => ip::v6::parse(bytes),
        #[cfg(not(feature = "ipv6"))]
        ip::Version::V6 => Err(Warning::FeatureDisabled),
    }
}

/// The pseudo-header sum of a TCP or UDP segment of `len` bytes in `p`
/// ([`checksum::pseudo_header`]); for IPv4 summed straight from the header's
/// address fields (no address is copied: on a Cortex-M each copy of an
/// `IpAddr` is a `memcpy` call).
fn pseudo_header(p: &Packet<'_>, proto: u8, len: usize) -> u32 {
    match (p.version, p.bytes.get(12..20)) {
        (ip::Version::V4, Some(addrs)) => {
            let len = len as u32;
            checksum::combine(
                checksum::sum(addrs),
                u32::from(proto) + (len >> 16) + (len & 0xffff),
            )
        }
        _ => checksum::pseudo_header(p.src, p.dst, proto, len as u32),
    }
}

/// Whether the packet inside a tunnel vouches for itself when the tunnel's
/// outer UDP checksum fails: its TCP or UDP checksum is right, or holds what a
/// sender leaves to the NIC ([`checksum::is_offload_signature`]). The second is
/// Linux' local checksum offload: a sender that leaves the inner checksum to
/// the NIC computes the outer sum as if it were filled in already, so on a
/// capture taken on that host the outer sum fails by exactly that. The first
/// is an outer header rewritten after the fact (address translation, capture
/// anonymisation): its sum no longer holds, while the inner one, which
/// covers the inner packet, does; RFC 6935 lets tunnels leave the outer sum
/// out altogether on that ground. Either way the automatic policy decodes the
/// tunnel, and the inner packet is judged on its own. O(inner packet).
#[cfg(feature = "tunnels")]
fn inside_vouches(l3: link::L3<'_>) -> bool {
    let Ok(q) = ip::parse(l3, |_| false) else {
        return false;
    };
    let seg = q.payload();
    let at = match q.protocol {
        protocol::TCP => 16,
        protocol::UDP => 6,
        _ => return false,
    };
    match seg.get(at..at + 2) {
        Some(&[a, b]) if q.fragment.is_none() && [a, b] != [0, 0] => {
            let pseudo = checksum::pseudo_header(q.src, q.dst, q.protocol, seg.len() as u32);
            checksum::verify(pseudo, seg)
                || checksum::is_offload_signature(pseudo, u16::from_be_bytes([a, b]))
        }
        _ => false,
    }
}

/// What [`Upper::unwrap`] made of a whole datagram.
enum Step<'b> {
    /// It is the innermost: deliver it.
    Deliver,
    /// The packet inside its encapsulation (validated, counted, with its tunnel).
    #[cfg_attr(not(feature = "tunnels"), allow(dead_code))]
    Inner(Packet<'b>),
    /// Nothing to deliver (counted or warned).
    Dropped,
}

impl<'a, U, M: Memory<U>, const SCAN_HOSTS: usize> Upper<'a, U, M, SCAN_HOSTS> {
    /// Count a validated outer packet by IP version.
    fn counted(&mut self, p: &Packet<'_>) {
        match p.version {
            ip::Version::V4 => stats::bump(&mut self.stats.ipv4),
            ip::Version::V6 => stats::bump(&mut self.stats.ipv6),
        }
    }

    /// Without decapsulation in this build (feature `tunnels`): a packet
    /// that encapsulates another one (IP-in-IP, GRE when `Config::tunnels`
    /// decodes it, UDP to one of its tunnel ports) is dropped, counted and
    /// warned; any other is delivered.
    #[cfg(not(feature = "tunnels"))]
    fn unwrap<'b, H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'b>, h: &mut H) -> Step<'b> {
        let c = &self.tunnels;
        let encapsulates = match p.protocol {
            protocol::IPIP | protocol::IPV6 => c.ipip,
            protocol::GRE => c.gre || c.erspan,
            protocol::UDP => matches!(udp::check(p),
                Ok(d) if tunnel::is_tunnel_port(c, d.tuple.sport, d.tuple.dport)),
            _ => false,
        };
        if !encapsulates {
            return Step::Deliver;
        }
        warn(&mut self.stats, h, ts, Warning::FeatureDisabled, p.bytes);
        Step::Dropped
    }

    /// Look for an encapsulated packet in the whole datagram `p`
    /// ([`crate::tunnel::decap`]) and validate it. A malformed encapsulation, or
    /// one nested too deep, is warned and `p` delivered as it is.
    #[cfg(feature = "tunnels")]
    fn unwrap<'b, H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'b>, h: &mut H) -> Step<'b> {
        // The outer UDP checksum only on a tunnel's ports (plain UDP is checked
        // later), by the same policy as any UDP checksum; zero is "none" (over
        // IPv6 too, on a tunnel's port: RFC 6935). A datagram that fails is not
        // decapsulated (it goes on as plain UDP, where the failure is warned),
        // unless the automatic policy finds it was computed as if the packet
        // inside vouches for itself (see `inside_vouches`).
        let mut unverified = false;
        let tunnels = tunnel::inside(&self.tunnels, p.tunnel);
        let udp = match p.protocol {
            protocol::UDP => match udp::header(p) {
                Ok(c)
                    if tunnel::is_tunnel(
                        &tunnels,
                        c.tuple.sport,
                        c.tuple.dport,
                        &c.segment[8..],
                    ) =>
                {
                    if c.checksum != 0 && !self.outer_checksum_ok(p, c.segment, c.checksum) {
                        if !matches!(self.checksums, Policy::Auto) {
                            return Step::Deliver;
                        }
                        unverified = true;
                    }
                    Some((c.tuple.sport, c.tuple.dport, &c.segment[8..]))
                }
                _ => None,
            },
            _ => None,
        };
        let (hop, inner) = match tunnel::decap(&tunnels, p, udp) {
            tunnel::Decap::Inner(hop, Ok(l3)) if unverified => {
                if !inside_vouches(l3) {
                    return Step::Deliver;
                }
                stats::bump(&mut self.stats.checksum_offload_accepted);
                (hop, Ok(l3))
            }
            _ if unverified => return Step::Deliver,
            tunnel::Decap::Plain => return Step::Deliver,
            tunnel::Decap::Bad(w) => {
                warn(&mut self.stats, h, ts, w, p.bytes);
                return Step::Deliver;
            }
            tunnel::Decap::Inner(hop, inner) => (hop, inner),
        };
        let Some(id) = p.tunnel.push(hop, p.src, p.dst) else {
            warn(&mut self.stats, h, ts, Warning::TunnelTooDeep, p.bytes);
            return Step::Deliver;
        };
        stats::bump(&mut self.stats.decapsulated);
        let l3 = match inner {
            Ok(l3) => l3,
            Err(link::Drop::NotIp) => {
                stats::bump(&mut self.stats.inner_non_ip);
                return Step::Dropped;
            }
            Err(link::Drop::Bad(_)) => {
                warn(&mut self.stats, h, ts, Warning::TunnelInnerBad, p.bytes);
                return Step::Dropped;
            }
        };
        let policy = self.checksums;
        match ip::parse(l3, |src| policy.header_check(src)) {
            Ok(mut inner) => {
                self.unfilled_header(&inner);
                inner.tunnel = id;
                stats::bump(&mut self.stats.inner_packets);
                if inner.fragment.is_some() {
                    stats::bump(&mut self.stats.inner_fragments);
                }
                Step::Inner(inner)
            }
            Err(_) => {
                warn(&mut self.stats, h, ts, Warning::TunnelInnerBad, l3.bytes());
                Step::Dropped
            }
        }
    }

    /// Whether a tunnel's outer UDP checksum `field` holds under the policy, as
    /// any UDP checksum's would: right, skipped by the policy, or (automatic
    /// policy) from a confirmed offloading sender or with the offload
    /// signature. Without the bookkeeping of [`Upper::transport_checksum_ok`]
    /// (the inner packets are judged on their own, and a datagram that is not
    /// decapsulated after all is judged again as plain UDP), so it neither
    /// warns nor counts twice.
    #[cfg(feature = "tunnels")]
    fn outer_checksum_ok(&self, p: &Packet<'_>, segment: &[u8], field: u16) -> bool {
        if !self.checksums.verifies(p.src) {
            return true;
        }
        let auto = matches!(self.checksums, Policy::Auto);
        if auto && self.offload.confirmed(p.src) {
            return true;
        }
        let pseudo = checksum::pseudo_header(p.src, p.dst, protocol::UDP, segment.len() as u32);
        checksum::verify(pseudo, segment) || (auto && checksum::is_offload_signature(pseudo, field))
    }

    /// Count an IPv4 header accepted by the automatic policy though its
    /// checksum does not verify (left unfilled by its sender:
    /// [`ip::v4::HeaderCheck::Offload`]). O(1) unless the field is unfilled.
    fn unfilled_header(&mut self, p: &Packet<'_>) {
        if matches!(self.checksums, Policy::Auto)
            && p.version == ip::Version::V4
            && (ip::v4::is_unfilled(p.bytes) || p.bytes.get(2..4) == Some(&[0, 0]))
            && checksum::sum(p.bytes.get(..p.header_len).unwrap_or(&[])) != 0xffff
        {
            stats::bump(&mut self.stats.checksum_offload_accepted);
        }
    }

    /// Packet time moves to `ts`: run timeouts that are due.
    fn tick<H: Handler<U>>(&mut self, ts: Instant, h: &mut H) {
        if ts > self.now {
            self.now = ts;
        }
        let jump = self.prev != Instant::ZERO && ts.saturating_since(self.prev) > MAX_JUMP;
        self.prev = ts;
        if jump {
            return;
        }
        // Due, or the clock went back (after a frame stamped in the future):
        // either way expiry runs now, so one bad timestamp cannot stop it.
        if ts >= self.next_expiry || ts + EXPIRY_INTERVAL < self.next_expiry {
            self.next_expiry = ts + EXPIRY_INTERVAL;
            self.tcp.expire(ts, h, &mut self.stats);
        }
    }

    /// A whole datagram: the `ip` callback, then the transport protocol.
    fn datagram<H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'_>, h: &mut H) {
        stats::bump(&mut self.stats.datagrams);
        h.ip(ts, p);
        match p.protocol {
            protocol::UDP => self.udp(ts, p, h),
            protocol::TCP => self.tcp(ts, p, h),
            protocol::ICMP | protocol::ICMPV6 => {
                stats::bump(&mut self.stats.icmp);
                match icmp::check(p) {
                    Ok(icmp::Meaning::TcpUnreachable(t, seq)) => {
                        self.tcp.icmp_unreachable(&t, seq, &mut self.stats)
                    }
                    Ok(icmp::Meaning::UdpPortUnreachable(t)) => {
                        let o = scan::Observation::Unreachable {
                            prober: t.src,
                            target: t.dst,
                            port: t.dport,
                        };
                        self.probe(ts, &o, p.bytes, h);
                    }
                    Ok(icmp::Meaning::Other) => {}
                    Err(w) => warn(&mut self.stats, h, ts, w, p.bytes),
                }
            }
            _ => stats::bump(&mut self.stats.other_protocol),
        }
    }

    /// A packet for port-scan detection: to the handler
    /// ([`Handler::scan_probe`]), then to the detector (a report is counted and
    /// handed on; a reused table entry warned).
    fn probe<H: Handler<U>>(
        &mut self,
        ts: Instant,
        o: &scan::Observation,
        packet: &[u8],
        h: &mut H,
    ) {
        h.scan_probe(ts, o);
        // (port-scan detection left out of this build: feature `scan`)
        #[cfg(not(feature = "scan"))]
        let _ = packet;
        #[cfg(feature = "scan")]
        {
            let reused = self.scan.stats().reused;
            let report = self.scan.observe(ts, o);
            scanned(&mut self.stats, h, ts, report);
            if self.scan.stats().reused != reused {
                warn(&mut self.stats, h, ts, Warning::ScanTableFull, packet);
            }
        }
    }

    fn udp<H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'_>, h: &mut H) {
        let c = match udp::check(p) {
            Ok(c) => c,
            Err(w) => return warn(&mut self.stats, h, ts, w, p.bytes),
        };
        // A zero checksum over IPv4 means "none" (IPv6 zeros were refused above).
        if c.checksum != 0
            && !self.transport_checksum_ok(ts, p, protocol::UDP, c.segment, c.checksum, h)
        {
            return warn(&mut self.stats, h, ts, Warning::UdpBadChecksum, p.bytes);
        }
        stats::bump(&mut self.stats.udp);
        let o = scan::Observation::Udp {
            src: p.src,
            dst: p.dst,
            dport: c.tuple.dport,
        };
        self.probe(ts, &o, p.bytes, h);
        h.udp(&udp::Datagram {
            ts,
            tuple: c.tuple,
            payload: &c.segment[8..],
            ip: p.bytes,
        });
    }

    fn tcp<H: Handler<U>>(&mut self, ts: Instant, p: &Packet<'_>, h: &mut H) {
        let seg = match tcp::segment::parse(p) {
            Ok(s) => s,
            Err(w) => return warn(&mut self.stats, h, ts, w, p.bytes),
        };
        if !seg.has(tcp::segment::flags::ACK) {
            // Like libnids: before the checksum check, for every ACK-less segment.
            let o = scan::Observation::Tcp {
                src: p.src,
                dst: p.dst,
                dport: seg.tuple.dport,
                flags: seg.flags,
            };
            self.probe(ts, &o, p.bytes, h);
        }
        let field = u16::from_be_bytes([seg.raw[16], seg.raw[17]]);
        if !self.transport_checksum_ok(ts, p, protocol::TCP, seg.raw, field, h) {
            return warn(&mut self.stats, h, ts, Warning::TcpBadChecksum, p.bytes);
        }
        stats::bump(&mut self.stats.tcp_segments);
        self.tcp.segment(ts, &seg, p.bytes, h, &mut self.stats);
    }

    /// Apply the checksum policy to a TCP or UDP segment whose checksum field is
    /// `field`. Counts offload acceptances; the caller warns on `false`.
    fn transport_checksum_ok<H: Handler<U>>(
        &mut self,
        ts: Instant,
        p: &Packet<'_>,
        proto: u8,
        segment: &[u8],
        field: u16,
        h: &mut H,
    ) -> bool {
        // (the default policy verifies everything: no call, no address copied)
        if !matches!(self.checksums, Policy::Verify) && !self.checksums.verifies(p.src) {
            return true;
        }
        let auto = matches!(self.checksums, Policy::Auto);
        if auto && self.offload.confirmed(p.src) {
            stats::bump(&mut self.stats.checksum_offload_accepted);
            return true;
        }
        let pseudo = pseudo_header(p, proto, segment.len());
        if checksum::verify(pseudo, segment) {
            if auto {
                self.offload.answered(ts, p.src, p.dst);
            }
            return true;
        }
        if auto && checksum::is_offload_signature(pseudo, field) {
            if self.offload.suspect(ts, p.src, p.dst) {
                warn(
                    &mut self.stats,
                    h,
                    ts,
                    Warning::ChecksumOffloadTableFull,
                    p.bytes,
                );
            }
            stats::bump(&mut self.stats.checksum_offload_accepted);
            return true;
        }
        false
    }
}

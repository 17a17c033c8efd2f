//! [`Warning`]: every reason the engine drops something or hits a limit.
//!
//! Each variant has a stable lower-case code (`layer.condition`, as Suricata names
//! its events), a one-line description, the libnids warning number it corresponds to
//! (where libnids has one), and a counter in [`crate::Stats`]. Codes never change
//! meaning; new variants may be added.

use core::fmt;

macro_rules! warnings {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $libnids:expr, $text:literal; )*) => {
        /// A dropped packet or a limit hit, reported to [`crate::Handler::warning`]
        /// and counted in [`crate::Stats`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum Warning {
            $( $(#[$doc])* $name, )*
        }

        impl Warning {
            /// Every warning, in declaration order (`ALL[w as usize] == w`).
            pub const ALL: &'static [Warning] = &[$(Warning::$name,)*];
            /// How many warnings there are (the size of the counter array in
            /// [`crate::Stats`]).
            pub const COUNT: usize = Self::ALL.len();

            /// The stable code, e.g. `"ip.v4_bad_checksum"`.
            pub const fn code(self) -> &'static str {
                match self { $(Warning::$name => $code,)* }
            }

            /// libnids' `NIDS_WARN_*` number for the same condition, if libnids
            /// has one (1 = IP oversized … 9 = TCP bad flags).
            pub const fn libnids_code(self) -> Option<u8> {
                match self { $(Warning::$name => $libnids,)* }
            }

            /// What happened, in a few words.
            pub const fn description(self) -> &'static str {
                match self { $(Warning::$name => $text,)* }
            }
        }
    };
}

warnings! {
    /// The frame is shorter than its link-layer header. Dropped.
    LinkTruncated = "link.truncated", None, "frame shorter than its link-layer header";
    /// A frame of a link type the engine cannot decode (only through
    /// [`crate::Nids::process_as`]). Dropped.
    LinkUnsupported = "link.unsupported", None, "frame of an unsupported link type";
    /// More stacked 802.1Q/802.1ad/802.1ah tags than [`crate::link::MAX_VLAN_TAGS`]. Dropped.
    LinkTooManyTags = "link.too_many_tags", None, "too many stacked VLAN tags";
    /// An MPLS label stack deeper than [`crate::link::mpls::MAX_LABELS`]. Dropped.
    LinkTooManyLabels = "link.too_many_labels", None, "too many stacked MPLS labels";

    /// IPv4 packet shorter than 20 bytes or than its own header, or cut short by
    /// the capture's snap length (captured length below the total length). Dropped.
    Ipv4Truncated = "ip.v4_truncated", Some(4), "IPv4 packet truncated";
    /// IPv4 packet whose version field is not 4. Dropped.
    Ipv4BadVersion = "ip.v4_bad_version", Some(4), "IPv4 packet with a bad version";
    /// IPv4 header length below 5 words. Dropped.
    Ipv4BadHeaderLen = "ip.v4_bad_header_len", Some(4), "IPv4 header length below 20 bytes";
    /// IPv4 total length below the header length. Dropped.
    Ipv4BadTotalLen = "ip.v4_bad_total_len", Some(4), "IPv4 total length below the header length";
    /// IPv4 header checksum wrong (under the checksum policy). Dropped.
    Ipv4BadChecksum = "ip.v4_bad_checksum", Some(4), "IPv4 header checksum wrong";
    /// IPv4 loose or strict source route option: the destination is not the
    /// final one. Dropped, as libnids does.
    Ipv4SourceRoute = "ip.v4_source_route", Some(5), "source-routed IPv4 packet";
    /// Malformed IPv4 options (a length below 2 or past the header). Dropped.
    Ipv4BadOptions = "ip.v4_bad_options", Some(5), "malformed IPv4 options";

    /// IPv6 packet shorter than 40 bytes or than its payload length says (cut by
    /// the snap length). Dropped.
    Ipv6Truncated = "ip.v6_truncated", Some(4), "IPv6 packet truncated";
    /// IPv6 packet whose version field is not 6. Dropped.
    Ipv6BadVersion = "ip.v6_bad_version", Some(4), "IPv6 packet with a bad version";
    /// Jumbogram (payload length 0 with a hop-by-hop header): **not supported**. Dropped.
    Ipv6Jumbogram = "ip.v6_jumbogram", Some(1), "IPv6 jumbogram (not supported)";
    /// An extension header runs past the end of the packet. Dropped.
    Ipv6ExtTruncated = "ip.v6_ext_truncated", Some(4), "IPv6 extension header truncated";
    /// More extension headers than [`crate::ip::v6::MAX_EXT_HEADERS`]. Dropped.
    Ipv6TooManyExt = "ip.v6_too_many_ext", Some(4), "too many IPv6 extension headers";
    /// A hop-by-hop options header that is not the first extension header. Dropped.
    Ipv6HopByHopNotFirst = "ip.v6_hbh_not_first", Some(4), "IPv6 hop-by-hop header not first";
    /// A routing header with segments left: the destination is not the final one
    /// (the IPv6 counterpart of an IPv4 source route). Dropped.
    Ipv6SourceRoute = "ip.v6_source_route", Some(5), "IPv6 routing header with segments left";
    /// More than one fragment header in one packet. Dropped.
    Ipv6BadFragment = "ip.v6_bad_fragment", Some(4), "IPv6 packet with several fragment headers";

    /// A fragment would make the datagram longer than the maximum datagram size
    /// (65,535 by default), or its IPv6 unfragmentable part exceeds the header
    /// room. The fragment is dropped, the rest of the queue kept. (A datagram
    /// found too long only once whole, because of a long header, is dropped.)
    DefragOversized = "defrag.oversized", Some(1), "fragment beyond the maximum datagram size";
    /// Inconsistent fragments (a second, different end; data past the end). The
    /// datagram is dropped. A fragment with more fragments following whose length
    /// is not a multiple of 8 is dropped alone (the queue is kept).
    DefragInvalid = "defrag.invalid", Some(2), "inconsistent fragment list";
    /// Fragments overlap; the overlap policy decides which bytes win. Not a drop.
    DefragOverlap = "defrag.overlap", Some(3), "overlapping fragments";
    /// A datagram timed out before it was complete. Dropped.
    DefragTimeout = "defrag.timeout", None, "fragmented datagram timed out incomplete";
    /// No free datagram slot or fragment storage, or the destination host went
    /// over its pending-bytes limit: the oldest pending datagram was evicted.
    /// Dropped.
    DefragEvicted = "defrag.evicted", None, "pending datagram evicted: fragment memory full";
    /// A fragment was refused because it could never fit in the fragment storage
    /// (no datagram slot at all), or a datagram needed more fragment records than
    /// its limit (the datagram is dropped).
    DefragNoMemory = "defrag.no_memory", None, "fragment does not fit the fragment storage";

    /// Encapsulations nested deeper than [`crate::tunnel::MAX_DEPTH`]: the packet
    /// at that depth is processed as it is, not decapsulated further.
    TunnelTooDeep = "tunnel.too_deep", None, "tunnels nested too deep";
    /// A malformed GRE header (version above 1, routing present, a PPTP header
    /// without key or PPP, cut short). The outer packet is processed as it is.
    TunnelGreBad = "tunnel.gre_bad", None, "malformed GRE header";
    /// GRE carrying a protocol that is not decoded. The outer packet is
    /// processed as it is.
    TunnelGreUnknown = "tunnel.gre_unknown_protocol", None, "GRE protocol not decoded";
    /// A malformed ERSPAN header (bad version or frame type, cut short). The
    /// outer packet is processed as it is.
    TunnelErspanBad = "tunnel.erspan_bad", None, "malformed ERSPAN header";
    /// A datagram on a VXLAN port without a valid VXLAN header (I flag clear,
    /// cut short). It is processed as plain UDP.
    TunnelVxlanBad = "tunnel.vxlan_bad", None, "malformed VXLAN header";
    /// A datagram on a Geneve port with a bad version, options past its end or
    /// an unknown protocol type. It is processed as plain UDP.
    TunnelGeneveBad = "tunnel.geneve_bad", None, "malformed Geneve header";
    /// A datagram on a GTP-U port that is not GTP version 1 with the protocol
    /// type bit, or whose extension headers run past its end. It is processed as
    /// plain UDP.
    TunnelGtpuBad = "tunnel.gtpu_bad", None, "malformed GTP-U header";
    /// A forwarding datagram on an AYIYA port whose identity and signature
    /// run past its end, or whose next header is neither IPv4 nor IPv6. It is
    /// processed as plain UDP.
    TunnelAyiyaBad = "tunnel.ayiya_bad", None, "malformed AYIYA header";
    /// The frame or packet inside a tunnel is malformed (its Ethernet or other
    /// link header, or its IP header, fails the checks an outer one would).
    /// Dropped.
    TunnelInnerBad = "tunnel.inner_bad", None, "malformed packet inside a tunnel";
    /// A fragment inside a tunnel whose outer datagram was itself rebuilt from
    /// fragments, larger than [`crate::engine::NESTED_FRAGMENT_MAX`]: not
    /// reassembled. Dropped.
    TunnelNestedFragment = "tunnel.nested_fragment", None, "inner fragment of a reassembled outer datagram";

    /// UDP header missing or its length field inconsistent with the IP payload. Dropped.
    UdpBadHeader = "udp.bad_header", None, "bad UDP header";
    /// UDP checksum wrong (under the checksum policy). Dropped.
    UdpBadChecksum = "udp.bad_checksum", None, "UDP checksum wrong";
    /// UDP over IPv6 without a checksum (zero), which RFC 8200 forbids. Dropped.
    UdpV6ZeroChecksum = "udp.v6_zero_checksum", None, "UDP over IPv6 without checksum";

    /// TCP header missing, data offset below 5 words or past the segment. Dropped.
    TcpBadHeader = "tcp.bad_header", Some(7), "bad TCP header";
    /// TCP checksum wrong (under the checksum policy). Dropped.
    TcpBadChecksum = "tcp.bad_checksum", Some(7), "TCP checksum wrong";
    /// The stream table was full: the oldest stream was ended with `TimedOut`.
    TcpTooManyStreams = "tcp.too_many_streams", Some(6), "stream table full: oldest stream evicted";
    /// The out-of-order queue of a half stream hit its limit
    /// (`Config::tcp.max_queue`): queued segments farthest from the next
    /// expected byte were pruned.
    TcpQueueFull = "tcp.queue_full", Some(8), "out-of-order queue full: segments pruned";
    /// Invalid TCP flag combinations (SYN+FIN, SYN+RST, none on a stream). Dropped.
    TcpBadFlags = "tcp.bad_flags", Some(9), "invalid TCP flags";
    /// A collected half's buffer hit its limit: the oldest kept bytes were
    /// released to make room (the handler's `discard` was overridden).
    TcpBufferFull = "tcp.buffer_full", None, "stream buffer full: kept bytes released";
    /// Byte storage for TCP ran out: data that had to wait was dropped.
    TcpStorageFull = "tcp.storage_full", None, "TCP byte storage exhausted";
    /// Bytes of a stream are known to be missing (a hole was skipped).
    TcpGap = "tcp.gap", None, "bytes missing from a stream";
    /// A retransmission carried different bytes than those already kept.
    TcpInconsistentRetransmission = "tcp.inconsistent_retransmission", None, "retransmission with different bytes";
    /// A segment carried bytes at or after its sender's FIN (once that FIN was
    /// processed in order): they are never stream data and are dropped (counted
    /// in [`crate::Stats::tcp_bytes_after_fin`]); a FIN resent with them is ignored.
    TcpDataAfterFin = "tcp.data_after_fin", None, "bytes at or after the sender's FIN";
    /// Out-of-order data that starts inside the receive window reached past the
    /// window its receiver last advertised: it is queued whole all the same
    /// (the ACK that opened the window may be missing or late); a segment that
    /// starts beyond the window is dropped as out of window.
    TcpBeyondWindow = "tcp.beyond_window", None, "out-of-order data beyond the receive window";
    /// TCP storage was full and another half held more of it: that half's
    /// queued segments farthest from its next expected byte were dropped to make
    /// room (see the README's memory model).
    TcpQueueReclaimed = "tcp.queue_reclaimed", None, "storage full: the largest queue gave up its far end";

    /// The automatic checksum policy's table of offloading senders was full: the
    /// least recently seen sender was forgotten (its packets are judged afresh).
    /// Not a drop.
    ChecksumOffloadTableFull = "checksum.offload_table_full", None, "offload sender table full: oldest forgotten";
    /// The port-scan table was full: the entry of the source least recently
    /// active was reused for a new source (its probes are forgotten). Not a drop.
    ScanTableFull = "scan.table_full", None, "scan table full: oldest source forgotten";

    /// ICMP message shorter than its header or with a bad checksum. Ignored.
    IcmpBad = "icmp.bad", None, "bad ICMP message";

    /// A packet that needs a part of the engine this build left out (a cargo
    /// feature of `nids-core` turned off: `ipv6`, `defrag`, `tunnels`): an
    /// IPv6 packet, a fragment, an encapsulating packet. Dropped, never parsed
    /// as something else. (A link type left out is refused when the engine is
    /// built, or warned as [`Warning::LinkUnsupported`].)
    FeatureDisabled = "engine.feature_disabled", None, "packet needs a feature this build left out";
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_all_in_order() {
        for (i, w) in Warning::ALL.iter().enumerate() {
            assert_eq!(*w as usize, i);
        }
    }

    #[test]
    fn test_codes_unique_and_shaped() {
        for (i, a) in Warning::ALL.iter().enumerate() {
            let code = a.code();
            assert!(code.contains('.') && code == code.to_lowercase(), "{code}");
            for b in &Warning::ALL[i + 1..] {
                assert_ne!(code, b.code());
            }
        }
    }

    #[test]
    fn test_display() {
        assert_eq!(
            Warning::Ipv4SourceRoute.to_string(),
            "ip.v4_source_route: source-routed IPv4 packet"
        );
        assert_eq!(Warning::Ipv4SourceRoute.libnids_code(), Some(5));
    }
}

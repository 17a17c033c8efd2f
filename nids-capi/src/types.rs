//! The C structures of `nids.h`, laid out as libnids 1.26 lays them out on
//! LP64 Linux (checked against Debian's header by `tests/abi.sh` and by the
//! size tests below).

use core::ffi::{c_char, c_int, c_long, c_uint, c_void};

/// `struct tuple4`: ports in host order, addresses in network order; for TCP
/// `saddr:source` is the client.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tuple4 {
    /// Source port (host order).
    pub source: u16,
    /// Destination port (host order).
    pub dest: u16,
    /// Source address (network order).
    pub saddr: u32,
    /// Destination address (network order).
    pub daddr: u32,
}

/// `struct half_stream`: what one side receives. Fields libnids keeps for its
/// own queue (`list`, `listtail`, `rmem_alloc`, `acked`) stay zero here.
#[repr(C)]
#[derive(Debug)]
pub struct HalfStream {
    /// libnids' state number (`TCP_ESTABLISHED` = 1, `FIN_SENT` = 120, ...).
    pub state: c_char,
    /// Interest counter: bytes are buffered while it is above zero.
    pub collect: c_char,
    /// Interest counter for urgent bytes.
    pub collect_urg: c_char,
    /// The `count - offset` bytes not yet discarded, contiguous.
    pub data: *mut c_char,
    /// Bytes of `count` discarded so far.
    pub offset: c_int,
    /// Bytes received in order (urgent bytes excluded).
    pub count: c_int,
    /// Bytes new in this `NIDS_DATA` event (the last ones of `data`).
    pub count_new: c_int,
    /// Capacity of `data`.
    pub bufsize: c_int,
    /// Bytes queued out of order (libnids: their accounted size).
    pub rmem_alloc: c_int,
    /// Urgent bytes delivered.
    pub urg_count: c_int,
    /// Unused by libnids.
    pub acked: c_uint,
    /// Unused here (libnids: next sequence number of the sender).
    pub seq: c_uint,
    /// Unused here (libnids: highest acknowledgement of the sender).
    pub ack_seq: c_uint,
    /// Unused here (libnids: initial sequence number + 1).
    pub first_data_seq: c_uint,
    /// The urgent byte of this event.
    pub urgdata: u8,
    /// 1 when this event delivers an urgent byte.
    pub count_new_urg: u8,
    /// Unused here.
    pub urg_seen: u8,
    /// Unused here.
    pub urg_ptr: c_uint,
    /// Unused here.
    pub window: u16,
    /// Unused here.
    pub ts_on: u8,
    /// Unused here.
    pub wscale_on: u8,
    /// Unused here.
    pub curr_ts: c_uint,
    /// Unused here.
    pub wscale: c_uint,
    /// libnids' out-of-order queue: always null here.
    pub list: *mut c_void,
    /// libnids' out-of-order queue tail: always null here.
    pub listtail: *mut c_void,
}

impl HalfStream {
    /// A half with nothing received.
    pub const fn new() -> HalfStream {
        HalfStream {
            state: 0,
            collect: 0,
            collect_urg: 0,
            data: core::ptr::null_mut(),
            offset: 0,
            count: 0,
            count_new: 0,
            bufsize: 0,
            rmem_alloc: 0,
            urg_count: 0,
            acked: 0,
            seq: 0,
            ack_seq: 0,
            first_data_seq: 0,
            urgdata: 0,
            count_new_urg: 0,
            urg_seen: 0,
            urg_ptr: 0,
            window: 0,
            ts_on: 0,
            wscale_on: 0,
            curr_ts: 0,
            wscale: 0,
            list: core::ptr::null_mut(),
            listtail: core::ptr::null_mut(),
        }
    }
}

impl Default for HalfStream {
    fn default() -> Self {
        HalfStream::new()
    }
}

/// `struct tcp_stream`: what TCP callbacks receive. The hash and age links are
/// libnids' own and stay null here.
#[repr(C)]
#[derive(Debug)]
pub struct TcpStream {
    /// Client to server.
    pub addr: Tuple4,
    /// `NIDS_JUST_EST` ... `NIDS_EXITING`.
    pub nids_state: c_char,
    /// libnids' listener list (opaque): null here.
    pub listeners: *mut c_void,
    /// What the client receives.
    pub client: HalfStream,
    /// What the server receives.
    pub server: HalfStream,
    /// Unused here.
    pub next_node: *mut TcpStream,
    /// Unused here.
    pub prev_node: *mut TcpStream,
    /// Unused here.
    pub hash_index: c_int,
    /// Unused here.
    pub next_time: *mut TcpStream,
    /// Unused here.
    pub prev_time: *mut TcpStream,
    /// Bytes the callbacks of this round consume (`nids_discard` lowers it).
    pub read: c_int,
    /// Unused here.
    pub next_free: *mut TcpStream,
    /// For the program (libnids never touches it).
    pub user: *mut c_void,
    /// Packet second of the handshake.
    pub ts: c_long,
}

impl TcpStream {
    /// A stream for `addr`, nothing received.
    pub const fn new(addr: Tuple4) -> TcpStream {
        TcpStream {
            addr,
            nids_state: 0,
            listeners: core::ptr::null_mut(),
            client: HalfStream::new(),
            server: HalfStream::new(),
            next_node: core::ptr::null_mut(),
            prev_node: core::ptr::null_mut(),
            hash_index: 0,
            next_time: core::ptr::null_mut(),
            prev_time: core::ptr::null_mut(),
            read: 0,
            next_free: core::ptr::null_mut(),
            user: core::ptr::null_mut(),
            ts: 0,
        }
    }
}

/// `struct nids_prm`: the settings a program fills in before `nids_init`.
#[repr(C)]
#[derive(Debug)]
pub struct NidsPrm {
    /// Hash size; concurrent streams are `3 * n / 4 + 1`; 0 turns TCP off.
    pub n_tcp_streams: c_int,
    /// Fragment hash size (compile-time here: see the README).
    pub n_hosts: c_int,
    /// Interface to capture on (`NULL`: the first one; `"all"`: every one).
    pub device: *mut c_char,
    /// Capture file to read (takes precedence over `device`).
    pub filename: *mut c_char,
    /// libnids' per-packet memory overhead (unused here).
    pub sk_buff_size: c_int,
    /// libnids' link header allowance (unused here).
    pub dev_addon: c_int,
    /// `void (*)(int type, int errnum, struct ip *, void *)`: warnings.
    pub syslog: Option<SyslogFn>,
    /// Priority the default `syslog` hook logs at.
    pub syslog_level: c_int,
    /// Scan table size; 0 turns detection off.
    pub scan_num_hosts: c_int,
    /// Scan window in milliseconds.
    pub scan_delay: c_int,
    /// Distinct ports that make a scan.
    pub scan_num_ports: c_int,
    /// `void (*)(char *)`: called when memory runs out.
    pub no_mem: Option<NoMemFn>,
    /// `int (*)(struct ip *, int)`: 0 drops the packet.
    pub ip_filter: Option<IpFilterFn>,
    /// A BPF expression.
    pub pcap_filter: *mut c_char,
    /// Promiscuous mode for live capture.
    pub promisc: c_int,
    /// Re-run a callback while it consumes part of the new bytes.
    pub one_loop_less: c_int,
    /// libpcap read timeout, in milliseconds.
    pub pcap_timeout: c_int,
    /// libnids' capture thread (not provided: packets are processed in line).
    pub multiproc: c_int,
    /// Queue length for `multiproc`.
    pub queue_limit: c_int,
    /// libnids' 10 s timeout for half-closed streams.
    pub tcp_workarounds: c_int,
    /// A `pcap_t *` the program opened (its link type is used).
    pub pcap_desc: *mut c_void,
    /// Seconds after which a new SYN on an old tuple replaces the stream.
    pub tcp_flow_timeout: c_int,
}

/// `struct nids_chksum_ctl`: checksum verification per source network.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NidsChksumCtl {
    /// Network address (network order).
    pub netaddr: c_uint,
    /// Mask (network order).
    pub mask: c_uint,
    /// `NIDS_DO_CHKSUM` (0) or `NIDS_DONT_CHKSUM` (1).
    pub action: c_uint,
    /// Unused.
    pub reserved: c_uint,
}

/// `struct timeval` (LP64).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeval {
    /// Seconds.
    pub tv_sec: c_long,
    /// Microseconds.
    pub tv_usec: c_long,
}

/// `struct pcap_pkthdr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PcapPkthdr {
    /// Capture time.
    pub ts: Timeval,
    /// Bytes captured.
    pub caplen: u32,
    /// Bytes on the wire.
    pub len: u32,
}

/// libnids' `struct scan` (scan.h, not installed): one probe of a scan report.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanProbe {
    /// Probed address (network order).
    pub addr: c_uint,
    /// Probed port (host order).
    pub port: u16,
    /// TCP flags of the probe.
    pub flags: u8,
}

/// libnids' `struct host` (scan.h, not installed): the `data` of a
/// `NIDS_WARN_SCAN` warning.
#[repr(C)]
#[derive(Debug)]
pub struct ScanHost {
    /// Unused here.
    pub next: *mut ScanHost,
    /// Unused here.
    pub prev: *mut ScanHost,
    /// Scanning source (network order).
    pub addr: c_uint,
    /// Unused here.
    pub modtime: c_int,
    /// Number of `packets`.
    pub n_packets: c_int,
    /// The probes.
    pub packets: *mut ScanProbe,
}

/// The syslog hook: `(type, errnum, struct ip *, data)`.
pub type SyslogFn = unsafe extern "C" fn(c_int, c_int, *mut c_void, *mut c_void);
/// The out-of-memory hook.
pub type NoMemFn = unsafe extern "C" fn(*mut c_char);
/// The IP filter: `(struct ip *, len)`, non-zero keeps the packet.
pub type IpFilterFn = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
/// An `ip` or `ip_frag` callback: `(struct ip *, len)`.
pub type IpFn = unsafe extern "C" fn(*mut c_void, c_int);
/// A `udp` callback: `(struct tuple4 *, data, len, struct ip *)`.
pub type UdpFn = unsafe extern "C" fn(*mut Tuple4, *mut c_char, c_int, *mut c_void);
/// A `tcp` callback: `(struct tcp_stream *, void **param)`.
pub type TcpFn = unsafe extern "C" fn(*mut TcpStream, *mut *mut c_void);

/// `NIDS_JUST_EST` .. `NIDS_EXITING`.
pub mod state {
    /// The handshake completed.
    pub const JUST_EST: i8 = 1;
    /// New bytes.
    pub const DATA: i8 = 2;
    /// Both FINs acknowledged.
    pub const CLOSE: i8 = 3;
    /// A RST.
    pub const RESET: i8 = 4;
    /// Evicted or timed out.
    pub const TIMED_OUT: i8 = 5;
    /// The library is exiting.
    pub const EXITING: i8 = 6;
}

/// The warning classes (`type` of the syslog hook).
pub mod warn {
    /// IP layer.
    pub const IP: i32 = 1;
    /// TCP layer.
    pub const TCP: i32 = 2;
    /// A port scan.
    pub const SCAN: i32 = 4;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// Sizes and offsets of libnids 1.26's structures on x86-64 Linux, as
    /// `offsetof` gives them with Debian's `/usr/include/nids.h`.
    #[test]
    #[cfg(all(target_pointer_width = "64", target_os = "linux"))]
    fn test_layouts_match_libnids() {
        assert_eq!(size_of::<Tuple4>(), 12);
        assert_eq!(size_of::<HalfStream>(), 96);
        assert_eq!(offset_of!(HalfStream, data), 8);
        assert_eq!(offset_of!(HalfStream, urgdata), 56);
        assert_eq!(offset_of!(HalfStream, urg_ptr), 60);
        assert_eq!(offset_of!(HalfStream, list), 80);
        assert_eq!(size_of::<TcpStream>(), 288);
        assert_eq!(offset_of!(TcpStream, client), 24);
        assert_eq!(offset_of!(TcpStream, server), 120);
        assert_eq!(offset_of!(TcpStream, read), 256);
        assert_eq!(offset_of!(TcpStream, user), 272);
        assert_eq!(size_of::<NidsPrm>(), 0x78);
        assert_eq!(offset_of!(NidsPrm, pcap_desc), 104);
        assert_eq!(offset_of!(NidsPrm, tcp_flow_timeout), 112);
        assert_eq!(size_of::<NidsChksumCtl>(), 16);
        assert_eq!(offset_of!(TcpStream, ts), 280);
        assert_eq!(offset_of!(NidsPrm, syslog), 32);
        assert_eq!(offset_of!(NidsPrm, pcap_filter), 72);
        assert_eq!(size_of::<PcapPkthdr>(), 24);
    }
}

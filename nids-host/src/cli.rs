//! The command line, parsed by clap (derive). [`crate::config`] turns it into
//! the engine's settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nids_host::grep::WINDOW;

/// Passive TCP/IP reassembly (a successor to libnids): streams, datagrams, port
/// scans and what was dropped, from a capture file.
#[derive(Parser)]
#[command(
    name = "nids",
    version,
    after_help = "Examples:\n  \
        nids streams capture.pcap\n  \
        nids streams --json --udp capture.pcapng > streams.jsonl\n  \
        nids dump capture.pcap -o flows/\n  \
        nids grep 'pass(word)?=' capture.pcap\n  \
        nids scan capture.pcap\n  \
        nids stats capture.pcap\n\n\
        Exit status: 0 on success (also when the reader of the output goes away), 1 when\n\
        `grep` found nothing, 2 for a bad command line or an error (one line on stderr)."
)]
pub struct Opts {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// One line per TCP stream when it ends, with the bytes each way.
    ///
    /// Streams are reported in the order they end: `close` (FIN both ways),
    /// `reset`, `timeout` (evicted, replaced or idle) or `exiting` (still open when
    /// the capture ends).
    #[command(after_help = "Example:\n  \
        nids streams tests/data/crafted/reorder.pcap\n  \
        [+] 10.0.1.1:41001 - 10.0.1.2:80 (CTS: 34B | STC: 51B) close\n\n  \
        nids streams --json capture.pcap   # one JSON object per stream")]
    Streams {
        #[command(flatten)]
        input: Input,
        /// JSON Lines: one object per stream with the bytes and SHA-256 of each
        /// direction, the end event and the first and last timestamps.
        #[arg(long)]
        json: bool,
        /// Also one line (or JSON object) per UDP datagram.
        #[arg(long)]
        udp: bool,
    },
    /// Each direction of each TCP stream to its own file, plus an index.
    ///
    /// Files are named tcpflow-style after the sender and the receiver
    /// (`010.000.001.001.41001-010.000.001.002.00080`; IPv6 addresses as eight
    /// four-digit groups joined by dots), with `c2`, `c3`, ... appended when a
    /// tuple is reused. `index.jsonl` has one line per stream: the keys of
    /// `nids streams --json`, then `c2s_file` and `s2c_file` (null when that
    /// direction carried no byte). Existing files of the same names are replaced.
    #[command(after_help = "Example:\n  \
        nids dump tests/data/crafted/reorder.pcap -o flows/\n  \
        cat flows/010.000.001.001.41001-010.000.001.002.00080")]
    Dump {
        #[command(flatten)]
        input: Input,
        /// The directory to write to (created if missing).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// TCP streams whose reassembled bytes match a regular expression.
    ///
    /// Each direction is searched as one byte string, so a match may span any
    /// number of segments, and reordered or retransmitted segments do not hide
    /// it. REGEX is a Rust regex over bytes with Unicode off (`.` is any byte but
    /// a newline, `\xff` the byte 0xff; `(?u)` turns Unicode on, `(?i)` ignores
    /// case, `(?s)` lets `.` match a newline). One line per match: the stream
    /// (client first), the direction, the offset of the match in that
    /// direction's bytes, and the matched bytes with control bytes escaped.
    /// Exit status 1 when nothing matched.
    #[command(after_help = "Example:\n  \
        nids grep 'GET /[^ ]*' tests/data/crafted/reorder.pcap\n  \
        10.0.1.1:41001 - 10.0.1.2:80 c2s @0: GET /reorder")]
    Grep {
        /// The pattern (Rust regex syntax, over bytes).
        #[arg(value_name = "REGEX")]
        pattern: String,
        #[command(flatten)]
        input: Input,
        /// JSON Lines: one object per match (`dir`, `offset`, `length`, `excerpt`).
        #[arg(long)]
        json: bool,
        /// At most NUM matches per stream.
        #[arg(short = 'm', long, value_name = "NUM")]
        max_count: Option<u64>,
        /// Longest match found for sure, and bytes kept per stream direction
        /// (default 65536; longer matches may be missed).
        #[arg(long, value_name = "BYTES", default_value_t = WINDOW, hide_default_value = true)]
        window: usize,
        /// Reset streams that match, as libnids' killtcp: four RST segments are
        /// injected on the live interface (`-i`, with the `libpcap` feature). On a
        /// capture file nothing is sent.
        #[arg(long)]
        kill: bool,
    },
    /// Port-scan reports: sources that probe many targets in a short time.
    ///
    /// A source is reported when it sends ACK-less TCP segments (SYN, FIN, NULL,
    /// XMAS, ...) to more than 10 distinct targets (address and port) within 3
    /// seconds of capture time, as libnids' detector (with its time window
    /// fixed). One line per report with the kind of scan, its time span and the
    /// targets.
    #[command(after_help = "Example:\n  \
        nids scan nids-host/tests/data/scan.pcap\n  \
        [scan] 10.9.0.1: SYN scan of 11 targets from 1700100000.000000 to ...")]
    Scan {
        #[command(flatten)]
        input: Input,
        /// JSON Lines: one object per report, with every probe.
        #[arg(long)]
        json: bool,
    },
    /// Counts of packets, streams and drops by reason, and the throughput.
    ///
    /// Reassembles and collects every stream without hashing or printing data
    /// (the mode benchmarks use).
    #[command(after_help = "Example:\n  nids stats tests/data/crafted/many.pcap")]
    Stats {
        #[command(flatten)]
        input: Input,
    },
}

/// Where packets come from, and the engine's settings.
#[derive(Args)]
pub struct Input {
    /// The capture file (pcap or pcapng; `-` for standard input).
    #[arg(value_name = "SOURCE")]
    #[cfg_attr(not(feature = "libpcap"), arg(required = true))]
    #[cfg_attr(feature = "libpcap", arg(required_unless_present = "interface"))]
    pub source: Option<PathBuf>,
    #[cfg(feature = "libpcap")]
    #[command(flatten)]
    pub live: Live,
    #[command(flatten)]
    pub common: Common,
}

/// Live capture and filters (the `libpcap` feature).
#[cfg(feature = "libpcap")]
#[derive(Args)]
#[command(next_help_heading = "Capture options")]
pub struct Live {
    /// Capture live on IFACE instead of reading a file (`any`: all interfaces;
    /// needs root or CAP_NET_RAW). Ctrl-C stops: open streams end as `exiting`
    /// and are reported, and the exit status is 130.
    #[arg(short = 'i', long, value_name = "IFACE", conflicts_with = "source")]
    pub interface: Option<String>,
    /// Only packets matching this BPF expression (as tcpdump's), live or from a file.
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,
    /// Do not put the interface in promiscuous mode (on by default).
    #[arg(long)]
    pub no_promisc: bool,
    /// Bytes kept of each packet (default 262144).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 262_144,
        hide_default_value = true
    )]
    pub snaplen: i32,
    /// libpcap read timeout in milliseconds (default 500).
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 500,
        hide_default_value = true
    )]
    pub timeout: i32,
}

/// Options of every command.
#[derive(Args)]
#[command(next_help_heading = "Engine options")]
pub struct Common {
    /// Which checksums to verify: `verify` (all, the default, as libnids),
    /// `off`, or `auto` (accept what senders with checksum offload leave unfilled).
    #[arg(long, value_enum, default_value_t = Checksum::Verify)]
    pub checksum: Checksum,
    /// At most N TCP streams open at once; when a new one would exceed it, the
    /// oldest ends as `timeout` (1 to 4194304; default: libnids' 781 of 1040
    /// slots). Memory: N slots of a few hundred bytes, reserved at start and
    /// touched only as streams open.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4_194_304))]
    pub streams: Option<u64>,
    /// End TCP streams without a packet for SECS seconds of capture time, as
    /// `timeout` (default 0: never, as libnids).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub idle_timeout: u64,
    /// A SYN for a tuple whose stream is older than SECS seconds replaces it
    /// (libnids' tcp_flow_timeout; default 3600; 0: never).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub flow_timeout: u64,
    /// MiB of memory for TCP bytes that must wait (out-of-order segments); when
    /// it is full, segments are dropped with a `tcp.storage_full` warning
    /// (default 64; fragments get 16 MiB more).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 64,
        value_parser = clap::value_parser!(u64).range(1..=1 << 20)
    )]
    pub tcp_storage: u64,
    /// Which bytes win when TCP segments overlap before delivery: `libnids`
    /// (the default: lower sequence first, like BSD), or the target-based
    /// policies of Novak/Sturges. Delivered bytes are never replaced.
    #[arg(long, value_enum, default_value_t = TcpPolicy::Libnids)]
    pub tcp_policy: TcpPolicy,
    /// Which bytes win when IP fragments overlap: `linux20` (the default,
    /// libnids' rule) or a target-based policy.
    #[arg(long, value_enum, default_value_t = FragPolicy::Linux20)]
    pub frag_policy: FragPolicy,
    /// Also follow TCP streams whose handshake is not in the capture (the lower
    /// port is taken as the server). Off by default, as in libnids.
    #[arg(long)]
    pub midstream: bool,
    /// When a receiver acknowledges bytes the capture missed, skip the hole and
    /// go on (libnids waits for it forever; the hole is warned either way).
    #[arg(long)]
    pub skip_gaps: bool,
    /// Report UDP port scans too (many distinct ports from one source).
    #[arg(long)]
    pub udp_scans: bool,
    /// Hash slots for the destinations of pending IP fragments (libnids'
    /// n_hosts; 1 to 4096, default 256). More slots only spread many hosts.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub hosts: u64,
}

/// `--tcp-policy`.
#[derive(Clone, Copy, ValueEnum)]
pub enum TcpPolicy {
    Libnids,
    First,
    Last,
    Bsd,
    Linux,
    OldLinux,
    Windows,
    Vista,
    Solaris,
}

/// `--frag-policy`.
#[derive(Clone, Copy, ValueEnum)]
pub enum FragPolicy {
    Linux20,
    First,
    Last,
    Bsd,
    BsdRight,
    Linux,
    Windows,
    Solaris,
}

/// `--checksum`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Checksum {
    Verify,
    Off,
    Auto,
}

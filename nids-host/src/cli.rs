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
        nids streams --json --udp capture.pcapng.gz > streams.jsonl\n  \
        tcpdump -U -w - -i eth0 | nids streams -\n  \
        nids dump -r capture.pcap -o flows/\n  \
        nids grep -i 'pass(word)?=' monday.pcap tuesday.pcap\n  \
        nids scan capture.pcap\n  \
        nids stats capture.pcap\n  \
        nids streams --threads auto capture.pcap\n  \
        nids split --shards 8 capture.pcap -o shards/\n\n\
        Input: pcap or pcapng, plain or gzip/zstd-compressed, from files or `-` (standard\n\
        input, read as it arrives). Several captures are read one after the other, as one\n\
        stream of packets. Output is written line by line as records are known (block-\n\
        buffered only into a regular file). Ctrl-C or SIGTERM ends the open streams as\n\
        `exiting`, reports them and exits with status 130.\n\n\
        Checksums: by default (`--checksum auto`) checksums are verified, but a sender whose\n\
        packets carry the unfilled checksums that checksum offload leaves (most captures\n\
        taken on a Linux host) is accepted, and so are IPv4 headers left unfilled (zero,\n\
        as on macOS loopback). `--checksum verify` drops them as libnids does; when most\n\
        TCP segments or IPv4 headers fail their checksum, nids says so on stderr.\n\n\
        Link types read: Ethernet (802.1Q/ad/ah tags, PPPoE, MPLS), Linux SLL and SLL2\n\
        (-i any), raw IP, loopback, PPP, PPP in HDLC framing, PPPoE, Cisco HDLC, SLIP,\n\
        802.11 (bare, radiotap, Prism, AVS, PPI), FDDI, token ring; a pcapng file may mix\n\
        them. Tunnels decoded (see --no-decap): GRE (also in UDP), PPTP, ERSPAN, VXLAN, Geneve,\n\
        GTP-U, IP-in-IP, Teredo, AYIYA, MPLS; --json names a flow's tunnel path,\n\
        \"tunnel\":[\"vxlan:42\"].\n\n\
        Exit status: 0 on success (also when the reader of the output goes away), 1 when\n\
        `grep` found nothing, 2 for a bad command line (one line and the usage line on\n\
        stderr) or an error (one line), 130 after Ctrl-C or SIGTERM."
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
        /// direction, the end event and the first and last timestamps (`ts`,
        /// also as `first_ts`, and `last_ts`: seconds since the epoch, as
        /// every nids JSON record); a tunnelled flow also has its tunnel path,
        /// outermost first ("tunnel":["gre","vxlan:42"]).
        #[arg(long)]
        json: bool,
        /// Also one line (or JSON object) per UDP datagram.
        #[arg(long)]
        udp: bool,
        #[command(flatten)]
        community: CommunityId,
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
    /// Here `-i` is `--ignore-case`, as in grep: capture live with
    /// `--interface IFACE`.
    ///
    /// Each direction is searched as one byte string, so a match may span any
    /// number of segments, and reordered or retransmitted segments do not hide
    /// it. REGEX is a Rust regex over bytes with Unicode off (`.` is any byte but
    /// a newline, `\xff` the byte 0xff; `(?u)` turns Unicode on, `(?i)` ignores
    /// case, `(?s)` lets `.` match a newline). One line per match: the stream
    /// (client first), the direction, the offset of the match in that
    /// direction's bytes, and the matched bytes with control bytes escaped.
    /// Exit status 1 when nothing matched.
    #[command(
        after_help = "Example:\n  \
        nids grep 'GET /[^ ]*' tests/data/crafted/reorder.pcap\n  \
        10.0.1.1:41001 - 10.0.1.2:80 c2s @0: GET /reorder",
        mut_arg("interface", |a| a.short(None))
    )]
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
        #[arg(short = 'm', long, value_name = "NUM", allow_negative_numbers = true,
              value_parser = clap::value_parser!(i64).range(0..))]
        max_count: Option<i64>,
        /// Letters match either case (as `(?i)`).
        #[arg(short = 'i', long)]
        ignore_case: bool,
        /// Only a count per stream: one line `STREAM: N` for each stream with a
        /// match, when it ends.
        #[arg(short = 'c', long, conflicts_with_all = ["json", "files_with_matches"])]
        count: bool,
        /// Only the streams: one line per stream, at its first match.
        #[arg(short = 'l', long, conflicts_with = "json")]
        files_with_matches: bool,
        /// Longest match found for sure, and bytes kept per stream direction
        /// (default 65536; longer matches may be missed).
        #[arg(long, value_name = "BYTES", default_value_t = WINDOW, hide_default_value = true,
              allow_negative_numbers = true)]
        window: usize,
        /// Reset streams at their first match: the new bytes of each segment
        /// are searched as they arrive, and RST segments are injected on the
        /// live interface (`--interface`, with the `libpcap` feature) toward
        /// both ends, with the sequence numbers each end expects. On a capture
        /// file nothing is sent.
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
        /// Report UDP port scans too (many distinct ports from one source).
        #[arg(long)]
        udp_scans: bool,
    },
    /// Cut a capture into K capture files by the `--threads` hash of the IP
    /// address pair, so that every stream, datagram and fragment train lies
    /// whole in one file (for a cluster: each file can be processed on its own).
    ///
    /// Writes DIR/shard-0.pcap ... (classic pcap, the input's link type, the
    /// frames of each shard in their original order). Frames without an IP
    /// address pair go to shard 0.
    #[command(after_help = "Example:\n  \
        nids split --shards 8 archive.pcap -o shards/\n  \
        nids streams --json shards/shard-3.pcap")]
    Split {
        /// The capture file (pcap or pcapng of one link type; `-` for standard input).
        #[arg(value_name = "CAPTURE")]
        capture: PathBuf,
        /// How many files.
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=65_536))]
        shards: u64,
        /// The directory to write to (created if missing).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// The hash key, 32 hex digits (default: a fixed key, so an archive is
        /// always split the same way).
        #[arg(long, value_name = "HEX", value_parser = split_key)]
        key: Option<u128>,
    },
    /// One row per connection (TCP, UDP and ICMP) as Zeek's conn.log, or as
    /// Suricata's EVE flow records.
    ///
    /// Zeek's rules decide the originator, `conn_state` and `history` (see
    /// Zeek's `conn/main.zeek`), from every datagram the engine decodes
    /// (after defragmentation and tunnels): `orig_bytes`/`resp_bytes` are the
    /// sequence space each side used, `missed_bytes` what was acknowledged but
    /// never seen, `*_ip_bytes` the IP lengths. Fields: ts uid id.orig_h
    /// id.orig_p id.resp_h id.resp_p proto service duration orig_bytes
    /// resp_bytes conn_state local_orig local_resp missed_bytes history
    /// orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents (then
    /// community_id when asked). service, local_orig, local_resp and
    /// tunnel_parents are unset; uid is deterministic. Rows come as
    /// connections end (5 s after they close, after 5 min idle for TCP or
    /// 1 min for UDP and ICMP), the rest at the end of the input. Runs one
    /// engine (`--threads` is ignored).
    #[command(after_help = "Examples:\n  \
        nids conn capture.pcap > conn.log\n  \
        nids conn --json --community-id capture.pcap\n  \
        nids conn --format eve capture.pcap > eve.json")]
    Conn {
        #[command(flatten)]
        input: Input,
        /// Zeek's JSON log format: one object per line, unset fields left out.
        #[arg(long)]
        json: bool,
        /// `zeek` (conn.log) or `eve` (Suricata EVE JSON, one
        /// `"event_type":"flow"` record per connection).
        #[arg(long, value_enum, default_value_t = ConnFormat::Zeek)]
        format: ConnFormat,
        #[command(flatten)]
        community: CommunityId,
    },
    /// Counts of packets, streams and drops by reason, and the throughput.
    ///
    /// Reassembles and collects every stream without hashing or printing data
    /// (the mode benchmarks use).
    #[command(after_help = "Example:\n  nids stats tests/data/crafted/many.pcap\n  \
        nids stats --json capture.pcap")]
    Stats {
        #[command(flatten)]
        input: Input,
        /// One JSON object: `"kind":"stats"`, every counter by its name, every
        /// warning by code (`"warnings":{"tcp.storage_full":3,…}`), `streams`
        /// (reported), `ts` and `last_ts` (the first and last IP packets'
        /// capture times, null without one) and `seconds` (wall clock).
        #[arg(long)]
        json: bool,
    },
}

/// `--community-id`: Community ID on every flow record.
#[derive(Args)]
pub struct CommunityId {
    /// Add `"community_id":"1:…"` (Community ID version 1, the flow key Zeek,
    /// Suricata and Arkime log) to every TCP, UDP and ICMP record (a
    /// `community_id` column in conn.log).
    #[arg(long)]
    pub community_id: bool,
    /// The Community ID seed, 0 to 65535 (as Zeek's and Suricata's setting of
    /// that name; default 0); implies --community-id.
    #[arg(long, value_name = "SEED")]
    pub community_id_seed: Option<u16>,
}

impl CommunityId {
    /// The seed, when the Community ID is asked for.
    pub fn seed(&self) -> Option<u16> {
        self.community_id_seed.or(self.community_id.then_some(0))
    }
}

/// Where packets come from, and the engine's settings.
#[derive(Args)]
pub struct Input {
    /// Capture files (pcap or pcapng, plain, .gz or .zst; `-` for standard
    /// input), read one after the other as one stream of packets.
    #[arg(value_name = "SOURCE", required_unless_present_any = ["read", "interface"])]
    pub sources: Vec<PathBuf>,
    /// A capture file to read (as tcpdump's `-r`; may be given several times,
    /// before the SOURCEs).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    #[command(flatten)]
    pub live: Live,
    #[command(flatten)]
    pub common: Common,
}

/// Live capture and filters. Without the `libpcap` feature, `-i` and
/// `--filter` are still parsed, so that using them says which feature they
/// need.
#[derive(Args)]
#[command(next_help_heading = "Capture options")]
pub struct Live {
    /// Capture live on IFACE instead of reading a file (`any`: all interfaces,
    /// libpcap only; needs root or CAP_NET_RAW). Ctrl-C stops: open streams
    /// end as `exiting` and are reported, and the exit status is 130.
    #[arg(short = 'i', long, value_name = "IFACE", conflicts_with_all = ["sources", "read"])]
    pub interface: Option<String>,
    /// How to capture live: `af-packet` (Linux, no libpcap: one kernel ring
    /// per engine of `--threads`, in one fanout group hashed by flow; kernel
    /// drops are reported on exit) or `libpcap` (the `libpcap` feature; one
    /// reader; the default).
    #[arg(long, value_enum, value_name = "KIND", requires = "interface")]
    pub capture: Option<CaptureKind>,
    /// Only packets matching this BPF expression (as tcpdump's), live or from a
    /// file (the `libpcap` feature compiles it, also for af-packet).
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,
    /// af-packet: attach this cBPF program to the rings, a file holding what
    /// `tcpdump -ddd EXPR` prints (no libpcap needed).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "filter",
        requires = "interface"
    )]
    pub cbpf: Option<PathBuf>,
    /// af-packet: MiB of ring per engine (1 MiB blocks; default 64). What
    /// arrives while a ring is full is dropped by the kernel, and counted.
    #[arg(long, value_name = "MIB", default_value_t = 64, hide_default_value = true,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub ring_mb: u32,
    #[cfg(feature = "libpcap")]
    #[command(flatten)]
    pub pcap: Pcap,
}

/// How packets are captured live (`--capture`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaptureKind {
    /// AF_PACKET TPACKET_V3 rings, one per engine, in one fanout group (Linux).
    AfPacket,
    /// libpcap (the `libpcap` feature).
    Libpcap,
}

/// How libpcap opens the interface.
#[cfg(feature = "libpcap")]
#[derive(Args)]
pub struct Pcap {
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
    /// Which checksums to verify: `auto` (the default: verify, but accept the
    /// TCP and UDP checksums of senders with checksum offload, which a capture
    /// on such a host shows unfilled), `verify` (all, as libnids: such a
    /// capture then shows no stream) or `off`.
    #[arg(long, value_enum, default_value_t = Checksum::Auto)]
    pub checksum: Checksum,
    /// At most N TCP streams open at once; when a new one would exceed it, the
    /// oldest ends as `timeout` (1 to 4194304; default: libnids' 781 of 1040
    /// slots). Memory: up to about 760 bytes per slot (`dump`; `streams` and
    /// `stats` 650, `grep` 520, `scan` 420), reserved at start and touched
    /// only as streams open, so RSS follows the streams really open.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(1..=4_194_304))]
    pub streams: Option<i64>,
    /// End TCP streams without a packet for SECS seconds of capture time, as
    /// `timeout` (default 0: never, as libnids).
    #[arg(long, value_name = "SECS", default_value_t = 0, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(0..))]
    pub idle_timeout: i64,
    /// A SYN for a tuple whose stream is older than SECS seconds replaces it
    /// (libnids' tcp_flow_timeout; default 3600; 0: never).
    #[arg(long, value_name = "SECS", default_value_t = 3600, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(0..))]
    pub flow_timeout: i64,
    /// MiB of memory for TCP bytes that must wait (out-of-order segments); when
    /// it is full, segments are dropped with a `tcp.storage_full` warning
    /// (default 64; fragments get 16 MiB more).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 64,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64).range(1..=1 << 20)
    )]
    pub tcp_storage: i64,
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
    /// Hash slots for the destinations of pending IP fragments (libnids'
    /// n_hosts; 1 to 4096, default 256). More slots only spread many hosts.
    #[arg(long, value_name = "N", default_value_t = 256, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(1..=4096))]
    pub hosts: i64,
    /// Do not look inside this encapsulation (repeatable; `all` for none, as
    /// libnids). Decoded by default: GRE (with PPTP, PPP and Ethernet
    /// bridging; in UDP on 4754), ERSPAN I-III, VXLAN (UDP 4789), Geneve
    /// (6081), GTP-U (2152, and on any port where its header is unmistakable),
    /// IP-in-IP (4in4, 6in4, 4in6, 6in6), Teredo (3544), AYIYA (5072), MPLS in
    /// GRE and UDP (6635).
    #[arg(long, value_enum, value_name = "KIND")]
    pub no_decap: Vec<Decap>,
    /// Also decode VXLAN on these UDP destination ports (up to 3, comma-separated;
    /// e.g. Linux's old 8472).
    #[arg(long, value_name = "PORTS", value_parser = ports)]
    pub vxlan_ports: Option<Ports>,
    /// Also decode Geneve on these UDP destination ports (up to 3).
    #[arg(long, value_name = "PORTS", value_parser = ports)]
    pub geneve_ports: Option<Ports>,
    /// Also decode GTP-U on these UDP ports (up to 3).
    #[arg(long, value_name = "PORTS", value_parser = ports)]
    pub gtpu_ports: Option<Ports>,
    /// Engines to run, each on its own thread, behind a symmetric hash of the
    /// IP address pair (`auto`: one per core). The output is the same as with
    /// one; limits (`--streams`, storage) apply to each engine.
    #[arg(long, value_name = "N|auto", default_value = "1", allow_negative_numbers = true,
          value_parser = threads)]
    pub threads: usize,
}

/// `--no-decap`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decap {
    All,
    Gre,
    Erspan,
    Vxlan,
    Geneve,
    Gtpu,
    Ipip,
    Teredo,
    Mpls,
    Ayiya,
}

/// Up to three extra UDP ports of an encapsulation.
#[derive(Clone, Debug)]
pub struct Ports(pub Vec<u16>);

fn ports(s: &str) -> Result<Ports, String> {
    let v = s
        .split(',')
        .map(|p| match p.trim().parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{p:?} is not a port (1 to 65535)")),
        })
        .collect::<Result<Vec<u16>, String>>()?;
    if v.len() > 3 {
        return Err("at most 3 ports".into());
    }
    Ok(Ports(v))
}

/// `split --key`: 32 hex digits.
fn split_key(s: &str) -> Result<u128, String> {
    match u128::from_str_radix(s, 16) {
        Ok(k) if s.len() == 32 => Ok(k),
        _ => Err("expected 32 hex digits".to_owned()),
    }
}

/// `--threads`: a number from 1 to 1024, or `auto` (the cores available).
fn threads(s: &str) -> Result<usize, String> {
    if s == "auto" {
        return Ok(nids_host::shard::available());
    }
    match s.parse::<usize>() {
        Ok(n @ 1..=1024) => Ok(n),
        _ => Err("expected a number from 1 to 1024, or auto".to_owned()),
    }
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

/// `nids conn --format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ConnFormat {
    Zeek,
    Eve,
}

/// `--checksum`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Checksum {
    Verify,
    Off,
    Auto,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The engine's bytes per stream slot for per-stream data `U`: its entry
    /// and its bucket ([`nids_core::Plan::table_bytes`] of one slot).
    fn slot_bytes<U>() -> usize {
        let one = nids_core::Plan {
            streams: 1,
            tcp_bytes: 0,
            defrag_bytes: 0,
        };
        one.table_bytes::<U>()
    }

    /// The `--streams` help gives the memory per slot of the command that
    /// costs most, within 10% (what a run takes once every slot is in use;
    /// before, only the slots used are touched).
    #[test]
    fn test_streams_help_figure() {
        let cmd = Opts::command();
        let streams = cmd.find_subcommand("streams").unwrap();
        let arg = streams
            .get_arguments()
            .find(|a| a.get_id() == "streams")
            .unwrap();
        let help = arg.get_help().unwrap().to_string();
        let said: usize = help
            .split("about ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no figure in {help:?}"));
        let most = slot_bytes::<nids_host::streams::Digests>()
            .max(slot_bytes::<nids_host::dump::Files>())
            .max(slot_bytes::<nids_host::grep::Dirs>());
        let (lo, hi) = (most * 9 / 10, most * 11 / 10);
        assert!(
            (lo..=hi).contains(&said),
            "help says {said}, a slot takes {most}"
        );
    }
}

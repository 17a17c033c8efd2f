//! `nids`: reassemble what hosts exchanged, from a capture file.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant as WallClock;

use clap::{Parser, Subcommand, ValueEnum};
use nids_core::ip::checksum::Policy;
use nids_core::Config;
use nids_host::capture::CaptureFile;
use nids_host::run::{run_file, run_file_stats};
use nids_host::streams::StreamPrinter;

/// Passive TCP/IP reassembly (a successor to libnids): streams, datagrams and
/// what was dropped, from a capture file.
#[derive(Parser)]
#[command(name = "nids", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One line per TCP stream when it ends, with the bytes each way.
    ///
    /// Example: `nids streams tests/data/real/http.pcap`
    /// prints `[+] 10.77.0.1:40000 - 10.77.0.2:8000 (CTS: 80B | STC: 1234B) close`.
    Streams {
        /// The capture file (pcap or pcapng; `-` for standard input).
        source: PathBuf,
        /// JSON Lines: one object per stream with the bytes and SHA-256 of each
        /// direction, the end event and the first and last timestamps.
        #[arg(long)]
        json: bool,
        /// Also one object (or line) per UDP datagram.
        #[arg(long)]
        udp: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Reassemble and collect every stream without printing data, then print
    /// counts of packets, streams and drops by reason, and the throughput.
    ///
    /// Example: `nids stats tests/data/real/http.pcap`
    Stats {
        /// The capture file (pcap or pcapng; `-` for standard input).
        source: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(clap::Args)]
struct Common {
    /// Which checksums to verify: `verify` (all, the default, as libnids),
    /// `off`, or `auto` (accept what senders with checksum offload leave unfilled).
    #[arg(long, value_enum, default_value_t = Checksum::Verify)]
    checksum: Checksum,
}

#[derive(Clone, Copy, ValueEnum)]
enum Checksum {
    Verify,
    Off,
    Auto,
}

impl Common {
    fn config(&self) -> Config<'static> {
        let mut c = Config::new();
        c.checksums = match self.checksum {
            Checksum::Verify => Policy::Verify,
            Checksum::Off => Policy::Off,
            Checksum::Auto => Policy::Auto,
        };
        c
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line: the error, then each cause after a colon.
            let mut line = format!("nids: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                line.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("{line}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Streams {
            source,
            json,
            udp,
            common,
        } => {
            let file = CaptureFile::open(&source)?;
            let out = io::BufWriter::new(io::stdout().lock());
            let mut p = StreamPrinter::new(out, json, udp);
            let result = run_file(&file, common.config(), &mut p);
            p.out.flush().ok();
            if let Some(e) = p.error {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return Ok(ExitCode::SUCCESS);
                }
                return Err(e.into());
            }
            result?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { source, common } => {
            let file = CaptureFile::open(&source)?;
            let start = WallClock::now();
            let mut p = StreamPrinter::counting(io::sink());
            let (st, result) = run_file_stats(&file, common.config(), &mut p);
            let secs = start.elapsed().as_secs_f64();
            println!("frames            {}", st.frames);
            println!("bytes             {}", st.bytes);
            println!("non-ip frames     {}", st.non_ip);
            println!("ipv4 / ipv6       {} / {}", st.ipv4, st.ipv6);
            println!("fragments         {}", st.fragments);
            println!("udp datagrams     {}", st.udp);
            println!("tcp segments      {}", st.tcp_segments);
            println!(
                "tcp streams       {} ({} established, {} reported)",
                st.tcp_streams, st.tcp_established, p.streams
            );
            println!("tcp bytes         {}", st.tcp_bytes);
            println!("out of window     {}", st.tcp_out_of_window);
            println!("port scans        {}", st.scans);
            for (w, n) in st.nonzero_warnings() {
                println!("warning {:<28} {n}", w.code());
            }
            println!(
                "throughput        {:.0} packets/s, {:.1} MB/s ({secs:.3} s)",
                st.frames as f64 / secs,
                st.bytes as f64 / secs / 1e6
            );
            result?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

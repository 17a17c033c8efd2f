//! `nids-bench-limit FILE.pcap [RUNS]`: how fast a capture can be walked at all,
//! a lower bound for `nids stats` (no reassembly): every record visited and the
//! one's complement sum of every captured byte computed, reading the file four
//! ways. Each way runs RUNS times (default 5) in a child process (so each pays
//! its own page faults and unmapping); the best CPU time of the walk itself
//! (CLOCK_PROCESS_CPUTIME_ID, user + system, unmapping included) and the best
//! wall time of the whole child process are printed.
//!
//! * `mmap`          map the whole file (as nids-rs' reader does), walk it;
//! * `mmap+populate` the same with MAP_POPULATE (page tables filled up front);
//! * `mmap+window`   map 32 MiB windows one after the other (fewer page-table
//!   entries alive at once; the peak RSS stays near the window);
//! * `read 1MiB`     read(2) into one reused 1 MiB buffer (as libpcap does, with
//!   its 256 KiB default buffer), records copied across buffer ends.
//!
//! Linux/x86-64 only (raw syscalls through libc's symbols, no crate).

use std::ffi::c_void;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::time::Instant;

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64)
        -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> i32;
    fn clock_gettime(clk: i32, ts: *mut [i64; 2]) -> i32;
}
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;

fn cpu_secs() -> f64 {
    let mut ts = [0i64; 2];
    unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts[0] as f64 + ts[1] as f64 / 1e9
}
const PROT_READ: i32 = 1;
const MAP_PRIVATE: i32 = 2;
const MAP_POPULATE: i32 = 0x8000;

fn sum(data: &[u8]) -> u64 {
    // 32-byte blocks into 8 lanes: LLVM vectorizes this.
    let mut lanes = [0u64; 8];
    let mut blocks = data.chunks_exact(32);
    for b in &mut blocks {
        for i in 0..8 {
            lanes[i] += u64::from(u32::from_ne_bytes(b[4 * i..4 * i + 4].try_into().unwrap()));
        }
    }
    let mut acc: u64 = lanes.iter().sum();
    for &x in blocks.remainder() {
        acc += u64::from(x);
    }
    acc
}

/// Walk the records in `buf` (after the 24-byte header if `first`); returns
/// (records, sum, bytes consumed).
fn walk(buf: &[u8], mut o: usize, acc: &mut (u64, u64)) -> usize {
    while o + 16 <= buf.len() {
        let incl = u32::from_le_bytes(buf[o + 8..o + 12].try_into().unwrap()) as usize;
        if o + 16 + incl > buf.len() {
            break;
        }
        acc.0 += 1;
        acc.1 = acc.1.wrapping_add(sum(&buf[o + 16..o + 16 + incl]));
        o += 16 + incl;
    }
    o
}

fn way(name: &str, path: &str) -> (u64, u64) {
    let f = File::open(path).unwrap();
    let len = f.metadata().unwrap().len() as usize;
    let fd = f.as_raw_fd();
    let mut acc = (0u64, 0u64);
    match name {
        "mmap" | "mmap+populate" => {
            let flags = MAP_PRIVATE | if name == "mmap" { 0 } else { MAP_POPULATE };
            let p = unsafe { mmap(std::ptr::null_mut(), len, PROT_READ, flags, fd, 0) };
            assert!(p as isize != -1, "mmap failed");
            let buf = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
            walk(buf, 24, &mut acc);
            unsafe { munmap(p, len) };
        }
        "mmap+window" => {
            const W: usize = 32 << 20;
            let mut off = 24usize; // file offset of the next record
            while off < len {
                let base = off & !0xfff;
                let wlen = W.min(len - base);
                let p = unsafe {
                    mmap(
                        std::ptr::null_mut(),
                        wlen,
                        PROT_READ,
                        MAP_PRIVATE,
                        fd,
                        base as i64,
                    )
                };
                assert!(p as isize != -1, "mmap failed");
                let buf = unsafe { std::slice::from_raw_parts(p as *const u8, wlen) };
                let end = walk(buf, off - base, &mut acc);
                unsafe { munmap(p, wlen) };
                if base + end == off {
                    break; // a record longer than a window, or a truncated tail
                }
                off = base + end;
            }
        }
        "read" => {
            let mut f = f;
            let mut buf = vec![0u8; 1 << 20];
            let mut have = 0;
            let mut first = true;
            loop {
                let n = f.read(&mut buf[have..]).unwrap();
                if n == 0 {
                    break;
                }
                have += n;
                let start = if first { 24 } else { 0 };
                first = false;
                let used = walk(&buf[..have], start, &mut acc);
                buf.copy_within(used..have, 0);
                have -= used;
            }
        }
        _ => unreachable!(),
    }
    acc
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1].starts_with("--child=") {
        let (t, c) = (Instant::now(), cpu_secs());
        let r = way(&args[1][8..], &args[2]);
        println!(
            "{} {} {} {}",
            t.elapsed().as_secs_f64(),
            cpu_secs() - c,
            r.0,
            r.1
        );
        return;
    }
    let path = args
        .get(1)
        .expect("usage: nids-bench-limit FILE.pcap [RUNS]");
    let runs: usize = args.get(2).map_or(5, |s| s.parse().unwrap());
    let bytes = std::fs::metadata(path).unwrap().len() as f64;
    let me = std::env::current_exe().unwrap();
    for w in ["mmap", "mmap+populate", "mmap+window", "read"] {
        let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
        let mut recs = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let out = std::process::Command::new(&me)
                .arg(format!("--child={w}"))
                .arg(path)
                .output()
                .unwrap();
            let wall = t.elapsed().as_secs_f64();
            let s = String::from_utf8_lossy(&out.stdout);
            let v: Vec<&str> = s.split_whitespace().collect();
            let cpu: f64 = v.get(1).and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
            recs = v.get(2).and_then(|x| x.parse().ok()).unwrap_or(0u64);
            best = best.min(wall);
            best_cpu = best_cpu.min(cpu);
        }
        println!(
            "limit {:<14} cpu {:6.3} s {:6.2} GB/s {:>9.0} packets/s | wall (process) {:6.3} s  ({} records)",
            if w == "read" { "read 1MiB" } else { w },
            best_cpu, bytes / best_cpu / 1e9, recs as f64 / best_cpu, best, recs
        );
    }
}

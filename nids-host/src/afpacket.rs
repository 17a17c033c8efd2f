//! Live capture without libpcap (Linux): `AF_PACKET` sockets with `TPACKET_V3`
//! receive rings, one per engine, joined in one `PACKET_FANOUT_HASH` group
//! (with `PACKET_FANOUT_FLAG_DEFRAG`, so the kernel reassembles IP fragments
//! before it hashes), as Suricata's workers mode and Zeek's AF_Packet plugin.
//!
//! The kernel's fanout hash is symmetric over the flow (addresses, and ports
//! when there are some), so both directions of a connection reach the same
//! ring; each ring is read by its own thread and engine, with no reader
//! thread between them ([`crate::shard::run_rings`]).
//!
//! Direct system calls through `libc` (already in the build through memmap2):
//! the ring is a mapped area of `blocks` blocks the kernel fills with frames
//! and hands over by a status word; the reader walks a block's frames in
//! place and gives it back. No copy of a frame is made.
//!
//! Needs root or `CAP_NET_RAW`; the error says so.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{SystemTime, UNIX_EPOCH};

use nids_core::{Instant, LinkType};

/// Why a ring could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No permission to open a packet socket.
    #[error(
        "{iface}: af-packet capture needs root or the CAP_NET_RAW capability \
         (run as root, or `setcap cap_net_raw+ep` on the nids binary)"
    )]
    Permission {
        /// The interface.
        iface: String,
    },
    /// The interface does not exist.
    #[error("{iface}: no such interface")]
    NoSuchInterface {
        /// The interface.
        iface: String,
    },
    /// The interface's hardware type is not one the engine reads.
    #[error("{iface}: hardware type {arphrd} is not supported by af-packet capture (Ethernet and loopback are)")]
    Hardware {
        /// The interface.
        iface: String,
        /// Its `ARPHRD_*` type.
        arphrd: u16,
    },
    /// A cBPF program given as text could not be read.
    #[error("bad cBPF program: {0}")]
    Bpf(String),
    /// A system call failed.
    #[error("{iface}: {what}")]
    Sys {
        /// The interface.
        iface: String,
        /// The call.
        what: &'static str,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// How the rings are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Bytes per ring block (a power of two, a multiple of the page size).
    pub block_size: u32,
    /// Blocks per ring.
    pub blocks: u32,
    /// Milliseconds after which the kernel hands over a block not yet full
    /// (the latency of a quiet link).
    pub block_timeout_ms: u32,
    /// Promiscuous mode.
    pub promisc: bool,
}

impl Default for Options {
    /// 64 blocks of 1 MiB per ring (64 MiB, mapped, touched by the kernel
    /// only as it fills them), blocks handed over after 10 ms, promiscuous.
    fn default() -> Self {
        Options {
            block_size: 1 << 20,
            blocks: 64,
            block_timeout_ms: 10,
            promisc: true,
        }
    }
}

/// One cBPF instruction (`struct sock_filter`).
pub type Instruction = libc::sock_filter;

/// A cBPF program from text: `tcpdump -ddd EXPR`'s output (the number of
/// instructions, then one `code jt jf k` line each, in decimal), lines or
/// commas as separators.
///
/// # Errors
/// [`Error::Bpf`] when the text is not such a program.
pub fn parse_cbpf(text: &str) -> Result<Vec<Instruction>, Error> {
    let mut parts = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let bad = |m: String| Error::Bpf(m);
    let n: usize = parts
        .next()
        .ok_or_else(|| bad("empty".into()))?
        .parse()
        .map_err(|_| bad("the first number is not the instruction count".into()))?;
    let mut prog = Vec::with_capacity(n.min(4096));
    for line in parts {
        let f: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad(format!("{line:?} is not `code jt jf k`")))?;
        let [code, jt, jf, k] = f[..] else {
            return Err(bad(format!("{line:?} is not `code jt jf k`")));
        };
        let (Ok(code), Ok(jt), Ok(jf), Ok(k)) = (
            u16::try_from(code),
            u8::try_from(jt),
            u8::try_from(jf),
            u32::try_from(k),
        ) else {
            return Err(bad(format!("{line:?}: a field is out of range")));
        };
        prog.push(Instruction { code, jt, jf, k });
    }
    if prog.len() != n || n == 0 || n > 4096 {
        return Err(bad(format!(
            "{} instructions given, {n} announced (1 to 4096)",
            prog.len()
        )));
    }
    Ok(prog)
}

/// One `TPACKET_V3` receive ring on a packet socket bound to an interface.
pub struct Ring {
    fd: OwnedFd,
    map: *mut u8,
    len: usize,
    block_size: usize,
    blocks: usize,
    /// The next block to look at.
    next: usize,
    iface: String,
    link: LinkType,
    /// Kernel counters so far (reading them resets the kernel's).
    packets: u64,
    drops: u64,
}

// SAFETY: the ring is a private mapping owned by this value; only the thread
// holding the value reads it (the kernel writes it concurrently by design,
// synchronised through each block's status word).
unsafe impl Send for Ring {}

fn os(iface: &str, what: &'static str) -> Error {
    let source = io::Error::last_os_error();
    match source.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => Error::Permission {
            iface: iface.to_owned(),
        },
        Some(libc::ENODEV) => Error::NoSuchInterface {
            iface: iface.to_owned(),
        },
        _ => Error::Sys {
            iface: iface.to_owned(),
            what,
            source,
        },
    }
}

fn setsockopt<T>(fd: &OwnedFd, level: i32, name: i32, v: &T) -> i32 {
    // SAFETY: `v` points to a live `T` of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(v).cast(),
            libc::socklen_t::try_from(size_of::<T>()).unwrap_or(0),
        )
    }
}

impl Ring {
    /// Opens a ring on `iface`, joined to fanout group `group` (hash, defrag)
    /// if given, with `filter` attached (before the ring fills, so no packet
    /// passes unfiltered).
    ///
    /// # Errors
    /// [`Error::Permission`] without root or CAP_NET_RAW, [`Error::NoSuchInterface`],
    /// [`Error::Hardware`], or the failing call.
    pub fn open(
        iface: &str,
        opts: &Options,
        group: Option<u16>,
        filter: Option<&[Instruction]>,
    ) -> Result<Ring, Error> {
        let name = std::ffi::CString::new(iface).map_err(|_| Error::NoSuchInterface {
            iface: iface.to_owned(),
        })?;
        // SAFETY: a NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(Error::NoSuchInterface {
                iface: iface.to_owned(),
            });
        }
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket call; the descriptor is owned below.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(proto)) };
        if raw < 0 {
            return Err(os(iface, "socket(AF_PACKET)"));
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let link = link_type(&fd, iface, ifindex)?;
        if let Some(prog) = filter {
            let fprog = libc::sock_fprog {
                len: u16::try_from(prog.len()).unwrap_or(u16::MAX),
                filter: prog.as_ptr().cast_mut(),
            };
            if setsockopt(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog) != 0 {
                return Err(os(iface, "attaching the BPF filter"));
            }
        }
        let v3 = libc::tpacket_versions::TPACKET_V3 as i32;
        if setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &v3) != 0 {
            return Err(os(iface, "PACKET_VERSION TPACKET_V3"));
        }
        let req = libc::tpacket_req3 {
            tp_block_size: opts.block_size,
            tp_block_nr: opts.blocks,
            tp_frame_size: 2048,
            tp_frame_nr: opts.block_size / 2048 * opts.blocks,
            tp_retire_blk_tov: opts.block_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        if setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req) != 0 {
            return Err(os(iface, "PACKET_RX_RING"));
        }
        let len = opts.block_size as usize * opts.blocks as usize;
        // SAFETY: maps the ring the kernel just made for this socket.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_LOCKED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        let map = if map == libc::MAP_FAILED {
            // MAP_LOCKED may exceed RLIMIT_MEMLOCK: without it.
            // SAFETY: as above.
            let m = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd.as_raw_fd(),
                    0,
                )
            };
            if m == libc::MAP_FAILED {
                return Err(os(iface, "mmap of the ring"));
            }
            m
        } else {
            map
        };
        let ring = Ring {
            fd,
            map: map.cast(),
            len,
            block_size: opts.block_size as usize,
            blocks: opts.blocks as usize,
            next: 0,
            iface: iface.to_owned(),
            link,
            packets: 0,
            drops: 0,
        };
        // SAFETY: an all-zero `sockaddr_ll` is valid; the fields are set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = i32::try_from(ifindex).unwrap_or(0);
        // SAFETY: `sll` is a valid address of the size given.
        let r = unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                std::ptr::from_ref(&sll).cast(),
                libc::socklen_t::try_from(size_of::<libc::sockaddr_ll>()).unwrap_or(0),
            )
        };
        if r != 0 {
            return Err(os(iface, "bind"));
        }
        if opts.promisc {
            // SAFETY: as for `sll`.
            let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
            mreq.mr_ifindex = sll.sll_ifindex;
            mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
            if setsockopt(
                &ring.fd,
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                &mreq,
            ) != 0
            {
                return Err(os(iface, "PACKET_ADD_MEMBERSHIP (promiscuous)"));
            }
        }
        if let Some(g) = group {
            let flags = libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_DEFRAG;
            let arg = u32::from(g) | flags << 16;
            if setsockopt(&ring.fd, libc::SOL_PACKET, libc::PACKET_FANOUT, &arg) != 0 {
                return Err(os(iface, "PACKET_FANOUT (hash, defrag)"));
            }
        }
        Ok(ring)
    }

    /// The interface's link type (Ethernet framing).
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// The interface.
    pub fn name(&self) -> &str {
        &self.iface
    }

    /// The block at `i`'s descriptor.
    fn block(&self, i: usize) -> *mut libc::tpacket_block_desc {
        // SAFETY: `i < blocks`: inside the mapping.
        unsafe { self.map.add(i * self.block_size).cast() }
    }

    /// Whether block `i` is the reader's (the kernel handed it over).
    fn ready(&self, i: usize) -> bool {
        let b = self.block(i);
        // SAFETY: the status word is in the mapping; the kernel writes it, so
        // it is read as an atomic with acquire order (the frames it covers
        // are visible after it).
        let status = unsafe {
            let p = std::ptr::addr_of_mut!((*b).hdr.bh1.block_status);
            std::sync::atomic::AtomicU32::from_ptr(p).load(std::sync::atomic::Ordering::Acquire)
        };
        status & libc::TP_STATUS_USER != 0
    }

    /// Waits up to `timeout_ms` for the next block, then calls `each` with
    /// every frame in it (timestamp, bytes), in order, and gives the block
    /// back. Returns the number of frames (0: none within the timeout).
    ///
    /// # Errors
    /// `poll` failed (other than by a signal).
    pub fn read_block(
        &mut self,
        timeout_ms: i32,
        mut each: impl FnMut(Instant, &[u8]),
    ) -> Result<usize, Error> {
        let i = self.next;
        if !self.ready(i) {
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    return Ok(0);
                }
                return Err(Error::Sys {
                    iface: self.iface.clone(),
                    what: "poll",
                    source: e,
                });
            }
            if !self.ready(i) {
                return Ok(0);
            }
        }
        let b = self.block(i);
        // SAFETY: the block is ours until its status is given back; its
        // header and frames lie in the block (the kernel's layout: each frame
        // at `tp_next_offset` from the one before, its bytes at `tp_mac`).
        let n = unsafe {
            let h = &(*b).hdr.bh1;
            let n = h.num_pkts as usize;
            let mut at = h.offset_to_first_pkt as usize;
            for _ in 0..n {
                if at + size_of::<libc::tpacket3_hdr>() > self.block_size {
                    break;
                }
                let p: *const libc::tpacket3_hdr = b.cast::<u8>().add(at).cast();
                let (mac, snap) = ((*p).tp_mac as usize, (*p).tp_snaplen as usize);
                if at + mac + snap <= self.block_size {
                    let data = std::slice::from_raw_parts(p.cast::<u8>().add(mac), snap);
                    let ts = u64::from((*p).tp_sec) * 1_000_000 + u64::from((*p).tp_nsec) / 1000;
                    each(Instant::from_micros(ts), data);
                }
                let next = (*p).tp_next_offset as usize;
                if next == 0 {
                    break;
                }
                at += next;
            }
            let p = std::ptr::addr_of_mut!((*b).hdr.bh1.block_status);
            std::sync::atomic::AtomicU32::from_ptr(p)
                .store(libc::TP_STATUS_KERNEL, std::sync::atomic::Ordering::Release);
            n
        };
        self.next = (i + 1) % self.blocks;
        Ok(n)
    }

    /// Packets the kernel received for this socket and dropped because the
    /// ring was full (`tp_packets`, `tp_drops`), since the ring was opened.
    pub fn stats(&mut self) -> (u64, u64) {
        // SAFETY: an all-zero `tpacket_stats_v3` is valid.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = libc::socklen_t::try_from(size_of::<libc::tpacket_stats_v3>()).unwrap_or(0);
        // SAFETY: `st` has room for `len` bytes.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                std::ptr::from_mut(&mut st).cast(),
                &mut len,
            )
        };
        if r == 0 {
            // tp_packets counts the dropped ones too.
            self.packets += u64::from(st.tp_packets);
            self.drops += u64::from(st.tp_drops);
        }
        (self.packets, self.drops)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once.
        unsafe {
            libc::munmap(self.map.cast(), self.len);
        }
    }
}

/// The link type of interface `ifindex` (Ethernet framing for Ethernet and
/// loopback devices).
fn link_type(fd: &OwnedFd, iface: &str, ifindex: u32) -> Result<LinkType, Error> {
    // SAFETY: an all-zero `ifreq` is valid; the name is copied in below.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req
        .ifr_name
        .iter_mut()
        .zip(iface.bytes().take(libc::IFNAMSIZ - 1))
    {
        *d = s as libc::c_char;
    }
    let _ = ifindex;
    // SAFETY: SIOCGIFHWADDR fills `ifr_hwaddr` of a valid `ifreq`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req) };
    if r != 0 {
        return Err(os(iface, "SIOCGIFHWADDR"));
    }
    // SAFETY: the ioctl set the `ifr_hwaddr` member.
    let arphrd = unsafe { req.ifr_ifru.ifru_hwaddr.sa_family };
    match arphrd {
        libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK => Ok(LinkType::ETHERNET),
        _ => Err(Error::Hardware {
            iface: iface.to_owned(),
            arphrd,
        }),
    }
}

/// The wall clock as packet time.
pub fn now() -> Instant {
    let us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    Instant::from_micros(us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_cbpf() {
        // tcpdump -ddd tcp (Ethernet)
        let text = "6\n40 0 0 12\n21 0 3 2048\n48 0 0 23\n21 0 1 6\n6 0 0 262144\n6 0 0 0\n";
        let p = parse_cbpf(text).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!((p[1].code, p[1].jt, p[1].jf, p[1].k), (21, 0, 3, 2048));
        assert_eq!(parse_cbpf("1,6 0 0 65535").unwrap().len(), 1);
        for bad in [
            "",
            "2\n6 0 0 0",
            "1\n6 0 0",
            "1\n6 0 0 x",
            "1\n70000 0 0 0",
            "0",
        ] {
            assert!(parse_cbpf(bad).is_err(), "{bad:?}");
        }
    }
}

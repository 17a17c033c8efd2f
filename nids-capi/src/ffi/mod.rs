//! Everything `unsafe` in the library: libnids' exported symbols (the
//! functions and globals of `nids.h`), the calls into the program's callbacks,
//! and libpcap ([`pcap`]).
//!
//! State: the [`Library`] behind one lock (`LIB`), the callback lists behind
//! another (`PROCS`), the stream registry behind its own. A C callback runs
//! with `LIB` held and no other lock, so it may call every function here;
//! those that would drive the engine again (`nids_next` from inside a
//! callback) fail as re-entrant calls, and `nids_exit` from a callback stops
//! the loop after the current packet. `nids_init` from a callback is refused
//! before it changes anything; from another thread it waits for the lock.
//! A thread knows it holds `LIB` (`HOLDS`), which tells the two apart.

#![allow(unsafe_code)]
#![allow(non_upper_case_globals)]
#![allow(clippy::missing_safety_doc)]
// The raw pointers the safe helpers take are the library's own (`CStream`s,
// scratch copies) and are only handed on to C.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod community_id;
pub mod pcap;

use core::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use nids_compat::params::{defaults, Value};
use nids_core::ip::checksum::{Net, Policy, Rule};

use crate::glue::{self, Glue, Procs};
use crate::library::{Library, Params, Read};
use crate::message::{self, Subject};
use crate::registry;
use crate::stream::CStream;
use crate::types::{
    warn, IpFilterFn, IpFn, NidsChksumCtl, NidsPrm, NoMemFn, PcapPkthdr, ScanHost, SyslogFn, TcpFn,
    TcpStream, Tuple4, UdpFn,
};

// ---------------------------------------------------------------------------
// Exported globals (names and sizes as Debian's libnids.so.1.21).

/// `nids_params`, with libnids' defaults (nids-compat's, which the Python
/// module's `param()` starts from too).
#[no_mangle]
pub static mut nids_params: NidsPrm = NidsPrm {
    n_tcp_streams: defaults::N_TCP_STREAMS,
    n_hosts: defaults::N_HOSTS,
    device: core::ptr::null_mut(),
    filename: core::ptr::null_mut(),
    sk_buff_size: defaults::SK_BUFF_SIZE,
    dev_addon: defaults::DEV_ADDON,
    syslog: Some(default_syslog),
    syslog_level: defaults::SYSLOG_LEVEL,
    scan_num_hosts: defaults::SCAN_NUM_HOSTS,
    scan_delay: defaults::SCAN_DELAY,
    scan_num_ports: defaults::SCAN_NUM_PORTS,
    no_mem: Some(nids_no_mem),
    ip_filter: Some(default_ip_filter),
    pcap_filter: core::ptr::null_mut(),
    promisc: defaults::PROMISC,
    one_loop_less: defaults::ONE_LOOP_LESS,
    pcap_timeout: defaults::PCAP_TIMEOUT,
    multiproc: defaults::MULTIPROC,
    queue_limit: defaults::QUEUE_LIMIT,
    tcp_workarounds: defaults::TCP_WORKAROUNDS,
    pcap_desc: core::ptr::null_mut(),
    tcp_flow_timeout: defaults::TCP_FLOW_TIMEOUT,
};

/// `nids_warnings[]`: the text of each warning number.
#[no_mangle]
pub static mut nids_warnings: [*const c_char; 10] = [
    c"Murphy - you never should see this message !".as_ptr(),
    c"Oversized IP packet".as_ptr(),
    c"Invalid IP fragment list: fragment over size".as_ptr(),
    c"Overlapping IP fragments".as_ptr(),
    c"Invalid IP header".as_ptr(),
    c"Source routed IP frame".as_ptr(),
    c"Max number of TCP streams reached".as_ptr(),
    c"Invalid TCP header".as_ptr(),
    c"Too much data in TCP receive queue".as_ptr(),
    c"Invalid TCP flags".as_ptr(),
];

/// `nids_errbuf[PCAP_ERRBUF_SIZE]`: why the last call failed.
#[no_mangle]
pub static mut nids_errbuf: [c_char; 256] = [0; 256];

/// The header of the packet being processed (NULL before the first).
#[no_mangle]
pub static mut nids_last_pcap_header: *mut PcapPkthdr = core::ptr::null_mut();

/// The bytes of the packet being processed (NULL before the first).
#[no_mangle]
pub static mut nids_last_pcap_data: *mut u8 = core::ptr::null_mut();

/// The link header length of the packet being processed.
#[no_mangle]
pub static mut nids_linkoffset: c_uint = 0;

/// libnids' closing-timeout list: always NULL here (the engine keeps its own).
#[no_mangle]
pub static mut nids_tcp_timeouts: *mut c_void = core::ptr::null_mut();

// ---------------------------------------------------------------------------
// Engine memory.

/// The engine's storage: a heap area lent to the engine for `'static` and
/// freed when this is dropped, which must be after the engine.
pub struct Memory(*mut [u8]);

impl Memory {
    /// `len` zeroed bytes, or `None` when memory is short. The pages come
    /// zeroed from the system (`calloc`-like): untouched storage costs nothing.
    pub fn new(len: usize) -> Option<(Memory, &'static mut [u8])> {
        let layout = std::alloc::Layout::array::<u8>(len.max(1)).ok()?;
        // SAFETY: a non-zero size; a null result is handled.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            return None;
        }
        let raw = core::ptr::slice_from_raw_parts_mut(p, len.max(1));
        // SAFETY: `raw` is a live, zeroed allocation owned by `Memory` until its
        // drop; its owner drops the engine (the only user of the slice) first.
        Some((Memory(raw), unsafe { &mut *raw }))
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: allocated by `new` with the global allocator and a byte
        // layout (what `Box<[u8]>` frees with), freed once; the engine that
        // borrowed it is gone (field order in `Library`).
        drop(unsafe { Box::from_raw(self.0) });
    }
}

// ---------------------------------------------------------------------------
// State.

/// The library state, moved between threads only under its lock.
struct Shared(Box<Library>);
// SAFETY: the raw pointers inside (C callbacks' `param`s, `pcap_t`s) are only
// used under `LIB`'s lock, as libnids uses them from whichever thread calls it.
unsafe impl Send for Shared {}

static LIB: Mutex<Option<Shared>> = Mutex::new(None);
static PROCS: Mutex<Option<Procs>> = Mutex::new(None);
/// Bumped whenever a callback list changes.
static GENERATION: AtomicU64 = AtomicU64::new(1);
/// Set by `nids_exit` called from a callback: the loop stops.
static STOP: AtomicBool = AtomicBool::new(false);
/// The checksum rules of the last `nids_register_chksum_ctl`.
static CHECKSUMS: Mutex<Option<Policy<'static>>> = Mutex::new(None);
/// `nids_rs_enable_ipv6`.
static IPV6: AtomicBool = AtomicBool::new(false);
/// `nids_rs_enable_tunnels`.
static TUNNELS: AtomicBool = AtomicBool::new(false);

/// `nids_params`, read field by field (the program may change it between calls).
fn params() -> *const NidsPrm {
    &raw const nids_params
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// Whether this thread holds `LIB` (so a call from it that needs `LIB`
    /// comes from one of its callbacks).
    static HOLDS: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// `LIB` held by this thread: [`HOLDS`] is set until it is dropped.
struct Held(MutexGuard<'static, Option<Shared>>);

impl Held {
    fn new(g: MutexGuard<'static, Option<Shared>>) -> Held {
        HOLDS.with(|h| h.set(true));
        Held(g)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HOLDS.with(|h| h.set(false));
    }
}

impl core::ops::Deref for Held {
    type Target = Option<Shared>;
    fn deref(&self) -> &Option<Shared> {
        &self.0
    }
}

impl core::ops::DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Option<Shared> {
        &mut self.0
    }
}

/// The library, unless a callback of it is running (a re-entrant call, or
/// another thread's).
fn try_lib() -> Option<Held> {
    match LIB.try_lock() {
        Ok(g) => Some(Held::new(g)),
        Err(TryLockError::Poisoned(e)) => Some(Held::new(e.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Whether this thread is inside a callback of the library (it holds `LIB`).
fn in_callback() -> bool {
    HOLDS.with(core::cell::Cell::get)
}

fn set_errbuf(msg: &str) {
    let bytes = msg.as_bytes();
    let n = bytes.len().min(255);
    // SAFETY: the buffer is 256 bytes; C reads it only between calls.
    unsafe {
        let buf = &raw mut nids_errbuf;
        for (i, &s) in bytes[..n].iter().enumerate() {
            (*buf)[i] = s as c_char;
        }
        (*buf)[n] = 0;
    }
}

fn with_procs<R>(f: impl FnOnce(&mut Procs) -> R) -> R {
    let r = f(lock(&PROCS).get_or_insert_with(Procs::default));
    GENERATION.fetch_add(1, Ordering::Relaxed);
    r
}

/// Copies the callback lists into `glue` if they changed.
pub fn refresh(glue: &mut Glue) {
    let g = GENERATION.load(Ordering::Relaxed);
    if glue.generation != g {
        glue.procs = lock(&PROCS).clone().unwrap_or_default();
        glue.generation = g;
    }
}

/// Points `nids_last_pcap_header`/`_data` at a packet.
pub fn set_last(hdr: *mut PcapPkthdr, data: &[u8]) {
    // SAFETY: plain stores to the globals; C reads them during callbacks.
    unsafe {
        nids_last_pcap_header = hdr;
        nids_last_pcap_data = data.as_ptr().cast_mut();
    }
}

/// Sets `nids_linkoffset`.
pub fn set_linkoffset(off: u32) {
    // SAFETY: a plain store.
    unsafe { nids_linkoffset = off };
}

/// `nids_params` as Rust values.
fn read_params() -> Params {
    // SAFETY: the program owns the strings it points `nids_params` at and keeps
    // them alive while libnids runs (as libnids requires).
    unsafe {
        let p = &*params();
        let s = |c: *mut c_char| {
            (!c.is_null()).then(|| CStr::from_ptr(c).to_string_lossy().into_owned())
        };
        let mut n = nids_compat::params::Params::default();
        for (name, v) in [
            ("n_tcp_streams", p.n_tcp_streams),
            ("n_hosts", p.n_hosts),
            ("sk_buff_size", p.sk_buff_size),
            ("dev_addon", p.dev_addon),
            ("syslog_level", p.syslog_level),
            ("scan_num_hosts", p.scan_num_hosts),
            ("scan_num_ports", p.scan_num_ports),
            ("scan_delay", p.scan_delay),
            ("promisc", p.promisc),
            ("one_loop_less", p.one_loop_less),
            ("pcap_timeout", p.pcap_timeout),
            ("tcp_flow_timeout", p.tcp_flow_timeout),
            ("tcp_workarounds", p.tcp_workarounds),
            ("multiproc", p.multiproc),
            ("queue_limit", p.queue_limit),
        ] {
            n.set(name, Value::Int(i64::from(v)));
        }
        for (name, v) in [
            ("device", p.device),
            ("pcap_filter", p.pcap_filter),
            ("filename", p.filename),
        ] {
            n.set(name, Value::Str(s(v)));
        }
        Params {
            nids: n,
            pcap_desc: p.pcap_desc as usize,
            ipv6: IPV6.load(Ordering::Relaxed),
            tunnels: TUNNELS.load(Ordering::Relaxed),
        }
    }
}

// ---------------------------------------------------------------------------
// Calls into C.

/// Calls a TCP callback.
pub fn call_tcp(cb: TcpFn, stream: *mut TcpStream, param: &mut *mut c_void) {
    // SAFETY: `stream` points at a live `CStream` (whose first field is the
    // `struct tcp_stream`), `param` at the listener's pointer; the callback
    // has libnids' signature.
    unsafe { cb(stream, param) }
}

/// Copies `packet` into `scratch` and calls an `ip` or `ip_frag` callback.
pub fn call_ip(cb: IpFn, scratch: &mut Vec<u8>, packet: &[u8]) {
    scratch.clear();
    scratch.extend_from_slice(packet);
    // SAFETY: a writable copy of the packet and its length.
    unsafe { cb(scratch.as_mut_ptr().cast(), packet.len() as c_int) }
}

/// `nids_params.ip_filter` on a copy of `packet`: whether to keep it.
pub fn call_ip_filter(scratch: &mut Vec<u8>, packet: &[u8]) -> bool {
    // SAFETY: a read of the program's setting.
    let f: Option<IpFilterFn> = unsafe { (*params()).ip_filter };
    match f {
        None => true,
        Some(f) if f as *const () == default_ip_filter as *const () => true,
        Some(f) => {
            scratch.clear();
            scratch.extend_from_slice(packet);
            // SAFETY: a writable copy of the packet and its length.
            unsafe { f(scratch.as_mut_ptr().cast(), packet.len() as c_int) != 0 }
        }
    }
}

/// Calls a `udp` callback with a copy of the datagram `ip` whose payload is
/// `payload`.
pub fn call_udp(cb: UdpFn, scratch: &mut Vec<u8>, addr: Tuple4, ip: &[u8], payload: &[u8]) {
    scratch.clear();
    scratch.extend_from_slice(ip);
    let at = (payload.as_ptr() as usize).wrapping_sub(ip.as_ptr() as usize);
    let at = if at <= ip.len() - payload.len().min(ip.len()) {
        at
    } else {
        ip.len() - payload.len().min(ip.len())
    };
    let mut addr = addr;
    let base = scratch.as_mut_ptr();
    // SAFETY: `at + payload.len()` is within the copy; the tuple lives on the
    // stack for the call.
    unsafe {
        cb(
            &mut addr,
            base.add(at).cast(),
            payload.len() as c_int,
            base.cast(),
        )
    }
}

/// Calls `nids_params.syslog` for a warning on `packet` (TCP warnings pass
/// the TCP header as `data`, as libnids does).
pub fn syslog(kind: i32, errnum: i32, scratch: &mut Vec<u8>, packet: &[u8]) {
    // SAFETY: a read of the program's setting.
    let Some(f) = (unsafe { (*params()).syslog }) else {
        return;
    };
    scratch.clear();
    scratch.extend_from_slice(packet);
    // Room for a TCP header even when the packet is cut short.
    let ihl = usize::from(packet.first().copied().unwrap_or(0x45) & 0x0f) * 4;
    scratch.resize(scratch.len().max(ihl + 20), 0);
    let base = scratch.as_mut_ptr();
    // SAFETY: the copy holds at least the IP header and 20 bytes after it.
    unsafe {
        let data = if kind == warn::TCP {
            base.add(ihl).cast()
        } else {
            core::ptr::null_mut()
        };
        f(kind, errnum, base.cast(), data);
    }
}

/// Calls `nids_params.syslog` for a scan report (`iph` NULL, `data` a
/// libnids `struct host`).
pub fn syslog_scan(host: &mut ScanHost) {
    // SAFETY: a read of the program's setting; `host` and its probes live for
    // the call.
    unsafe {
        if let Some(f) = (*params()).syslog {
            f(
                warn::SCAN,
                0,
                core::ptr::null_mut(),
                (host as *mut ScanHost).cast(),
            );
        }
    }
}

/// Calls `nids_params.no_mem` with the name of the function that ran out.
pub fn no_mem(func: &str) {
    let name = std::ffi::CString::new(func).unwrap_or_default();
    // SAFETY: a read of the program's setting and a valid C string.
    unsafe {
        if let Some(f) = (*params()).no_mem {
            f(name.as_ptr().cast_mut());
        }
    }
}

/// Sends a frame on a live capture.
pub fn inject(handle: usize, frame: &[u8]) {
    pcap::inject(handle, frame);
}

// ---------------------------------------------------------------------------
// Default hooks.

/// The IPv4 address at `p` (network order).
fn addr_at(p: *const u8) -> std::net::Ipv4Addr {
    // SAFETY: callers pass 4 readable bytes.
    let b = unsafe { core::slice::from_raw_parts(p, 4) };
    std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// libnids' `nids_syslog`: the warning logged with syslog(3) at
/// `nids_params.syslog_level`, in libnids' words ([`message::line`]).
unsafe extern "C" fn default_syslog(
    kind: c_int,
    errnum: c_int,
    iph: *mut c_void,
    data: *mut c_void,
) {
    let ip = iph as *const u8;
    let subject = if kind == warn::SCAN && !data.is_null() {
        // SAFETY: `data` is the `struct host` of `syslog_scan`, with
        // `n_packets` probes.
        let host = unsafe { &*(data as *const ScanHost) };
        let probes = (0..host.n_packets.max(0) as usize)
            .map(|i| {
                // SAFETY: as above.
                let p = unsafe { &*host.packets.add(i) };
                (addr_at((&p.addr as *const u32).cast()), p.port, p.flags)
            })
            .collect();
        let src = addr_at((&host.addr as *const u32).cast());
        Subject::Scan { src, probes }
    } else if ip.is_null() {
        Subject::None
    } else {
        let ports = (kind == warn::TCP && !data.is_null()).then(|| {
            let th = data as *const u8;
            // SAFETY: `data` is the TCP header: 4 readable bytes of ports.
            unsafe {
                (
                    u16::from_be_bytes([*th, *th.add(1)]),
                    u16::from_be_bytes([*th.add(2), *th.add(3)]),
                )
            }
        });
        Subject::Packet {
            addrs: (addr_at(ip.wrapping_add(12)), addr_at(ip.wrapping_add(16))),
            ports,
        }
    };
    let text = nids_warnings_text(errnum).to_string_lossy();
    let msg = message::line(kind, errnum, &text, &subject);
    let c = std::ffi::CString::new(msg).unwrap_or_default();
    // SAFETY: a read of the level, and syslog with a "%s" format.
    unsafe { libc::syslog((*params()).syslog_level, c"%s".as_ptr(), c.as_ptr()) };
}

fn nids_warnings_text(n: c_int) -> &'static CStr {
    let i = if (0..10).contains(&n) { n as usize } else { 0 };
    // SAFETY: every entry is one of the static C strings above (a program
    // could repoint them; libnids reads them the same way).
    unsafe {
        let table = &raw const nids_warnings;
        CStr::from_ptr((*table)[i])
    }
}

/// libnids' default `ip_filter`: keeps every packet.
unsafe extern "C" fn default_ip_filter(_iph: *mut c_void, _len: c_int) -> c_int {
    1
}

/// libnids' default `no_mem`: "Out of memory in FUNC." on stderr, then exit(1).
#[no_mangle]
pub unsafe extern "C" fn nids_no_mem(func: *mut c_char) {
    let name = if func.is_null() {
        String::new()
    } else {
        // SAFETY: a C string from `no_mem`'s caller.
        unsafe { CStr::from_ptr(func) }
            .to_string_lossy()
            .into_owned()
    };
    eprintln!("Out of memory in {name}.");
    std::process::exit(1);
}

// ---------------------------------------------------------------------------
// The API of nids.h.

/// Frees the previous instance (its streams get `NIDS_EXITING`), reads
/// `nids_params`, opens the source and resets the callback lists. Returns 1,
/// or 0 with the reason in `nids_errbuf`.
#[no_mangle]
pub extern "C" fn nids_init() -> c_int {
    // From a callback: refused before anything changes (the running engine
    // keeps its callbacks, kill marks and capture handle).
    if in_callback() {
        set_errbuf("nids_init called from a callback");
        return 0;
    }
    // Another thread's call in progress: wait for it, as for any lock.
    let mut g = Held::new(LIB.lock().unwrap_or_else(|e| e.into_inner()));
    exit_locked(&mut g);
    let settings = read_params();
    let mut lib = match Library::open(&settings) {
        Ok(l) => l,
        Err(e) => {
            set_errbuf(&e);
            return 0;
        }
    };
    if let Some(p) = *lock(&CHECKSUMS) {
        lib.set_checksums(p);
    }
    // SAFETY: reads of the program's settings.
    let default_log =
        unsafe { (*params()).syslog.map(|f| f as *const ()) == Some(default_syslog as *const ()) };
    if default_log {
        // SAFETY: a static identity string.
        unsafe { libc::openlog(c"libnids".as_ptr(), 0, libc::LOG_LOCAL0) };
    }
    *lock(&PROCS) = Some(Procs::default());
    GENERATION.fetch_add(1, Ordering::Relaxed);
    registry::clear();
    STOP.store(false, Ordering::Relaxed);
    *g = Some(Shared(lib));
    1
}

/// Processes every packet, then `nids_exit`. Returns 0 (libnids' value), with
/// "loop: ..." in `nids_errbuf` when reading failed.
#[no_mangle]
pub extern "C" fn nids_run() -> c_int {
    let Some(mut g) = try_lib() else { return 0 };
    let Some(Shared(lib)) = g.as_mut() else {
        set_errbuf("Libnids not initialized");
        return 0;
    };
    loop {
        match lib.read_packet() {
            // A live capture goes on after a read timeout (pcap_loop).
            Ok(Read::Packet | Read::Idle) if !STOP.load(Ordering::Relaxed) => {}
            Ok(_) => break,
            Err(e) => {
                set_errbuf(&format!("loop: {e}"));
                break;
            }
        }
    }
    // nids_exit with the lock still held: another thread's nids_init waiting
    // for it must not be ended by this run's exit.
    exit_locked(&mut g);
    0
}

/// Processes one packet: 1 when one was read, 0 at the end (or on an error,
/// with "next: ..." in `nids_errbuf`). Never ends the streams.
#[no_mangle]
pub extern "C" fn nids_next() -> c_int {
    let Some(mut g) = try_lib() else { return 0 };
    let Some(Shared(lib)) = g.as_mut() else {
        set_errbuf("Libnids not initialized");
        return 0;
    };
    match lib.read_packet() {
        Ok(Read::Packet) => 1,
        Ok(Read::Idle | Read::End) => 0,
        Err(e) => {
            set_errbuf(&format!("next: {e}"));
            0
        }
    }
}

/// Processes up to `cnt` packets (all available when `cnt` <= 0); returns how
/// many, 0 at the end, -1 on an error ("dispatch: ..." in `nids_errbuf`).
#[no_mangle]
pub extern "C" fn nids_dispatch(cnt: c_int) -> c_int {
    let Some(mut g) = try_lib() else { return -1 };
    let Some(Shared(lib)) = g.as_mut() else {
        set_errbuf("Libnids not initialized");
        return -1;
    };
    let mut n = 0;
    while cnt <= 0 || n < cnt {
        match lib.read_packet() {
            Ok(Read::Packet) => n += 1,
            Ok(Read::Idle | Read::End) => break,
            Err(e) => {
                set_errbuf(&format!("dispatch: {e}"));
                return -1;
            }
        }
        if STOP.load(Ordering::Relaxed) {
            break;
        }
    }
    n
}

/// Ends every open stream (`NIDS_EXITING` to its listeners) and frees the
/// instance. From inside a callback it stops the running loop instead.
#[no_mangle]
pub extern "C" fn nids_exit() {
    let Some(mut g) = try_lib() else {
        STOP.store(true, Ordering::Relaxed);
        return;
    };
    exit_locked(&mut g);
}

/// `nids_exit` with `LIB` held: ends the streams and closes the source.
fn exit_locked(g: &mut Held) {
    if let Some(Shared(mut lib)) = g.take() {
        lib.finish();
        if let Some(h) = lib.owned_handle() {
            pcap::close(h);
        }
    }
}

/// A descriptor to `select` on before `nids_next` (-1 before `nids_init`).
#[no_mangle]
pub extern "C" fn nids_getfd() -> c_int {
    let Some(g) = try_lib() else { return -1 };
    match g.as_ref() {
        Some(Shared(lib)) => lib.fd(),
        None => {
            set_errbuf("Libnids not initialized");
            -1
        }
    }
}

/// Processes one frame the program captured (`nids_params.pcap_desc` gives its
/// link type).
#[no_mangle]
pub unsafe extern "C" fn nids_pcap_handler(_par: *mut u8, hdr: *mut PcapPkthdr, data: *mut u8) {
    if hdr.is_null() || data.is_null() {
        return;
    }
    // SAFETY: libpcap's header and `caplen` bytes, valid for this call.
    let (h, bytes) = unsafe {
        (
            &*hdr,
            core::slice::from_raw_parts(data, (*hdr).caplen as usize),
        )
    };
    // SAFETY: plain stores to the globals.
    unsafe {
        nids_last_pcap_header = hdr;
        nids_last_pcap_data = data;
    }
    let Some(mut g) = try_lib() else { return };
    if let Some(Shared(lib)) = g.as_mut() {
        if let Err(e) = lib.handle(h, bytes) {
            set_errbuf(&e);
        }
    }
}

macro_rules! registration {
    ($(#[$d:meta])* $reg:ident, $unreg:ident, $list:ident, $ty:ty) => {
        $(#[$d])*
        #[no_mangle]
        pub unsafe extern "C" fn $reg(f: Option<$ty>) {
            if let Some(f) = f {
                with_procs(|p| glue::register(&mut p.$list, f));
            }
        }

        /// Removes the first registration of `f`.
        #[no_mangle]
        pub unsafe extern "C" fn $unreg(f: Option<$ty>) {
            if let Some(f) = f {
                with_procs(|p| glue::unregister(&mut p.$list, f));
            }
        }
    };
}

registration!(
    /// Adds a TCP callback (once; called before earlier ones at `NIDS_JUST_EST`).
    nids_register_tcp, nids_unregister_tcp, tcp, TcpFn
);
registration!(
    /// Adds a UDP callback.
    nids_register_udp, nids_unregister_udp, udp, UdpFn
);
registration!(
    /// Adds a callback for every whole IP datagram.
    nids_register_ip, nids_unregister_ip, ip, IpFn
);
registration!(
    /// Adds a callback for every IP packet, before any check.
    nids_register_ip_frag, nids_unregister_ip_frag, ip_frag, IpFn
);

/// Keeps all but the first `n` bytes of the half with new data for the next
/// event (the smallest `n` of a round wins).
#[no_mangle]
pub unsafe extern "C" fn nids_discard(a_tcp: *mut TcpStream, n: c_int) {
    if a_tcp.is_null() {
        return;
    }
    // SAFETY: the stream passed to the running callback.
    unsafe {
        if n < (*a_tcp).read {
            (*a_tcp).read = n;
        }
    }
}

/// Resets the connection: RSTs both ways on a live capture (offline, nothing
/// is sent). Takes effect when the current callback returns, or at the
/// stream's next packet when called outside its callbacks.
#[no_mangle]
pub unsafe extern "C" fn nids_killtcp(a_tcp: *mut TcpStream) {
    registry::kill(a_tcp as usize);
}

/// The stream of `addr` in client-to-server orientation, or NULL.
#[no_mangle]
pub unsafe extern "C" fn nids_find_tcp_stream(addr: *mut Tuple4) -> *mut TcpStream {
    if addr.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: a tuple the program passes.
    let t = glue::tuple(unsafe { &*addr });
    registry::find(&t).map_or(core::ptr::null_mut(), |p| p as *mut TcpStream)
}

/// Drops the stream without any further callback.
#[no_mangle]
pub unsafe extern "C" fn nids_free_tcp_stream(a_tcp: *mut TcpStream) {
    registry::free(a_tcp as usize);
}

/// Which sources have their checksums verified: the first entry whose
/// `netaddr/mask` holds the source decides (`NIDS_DONT_CHKSUM` skips). The
/// rules are copied (a few bytes per call, kept for the process's life) and
/// apply to engines built afterwards: register before the first packet.
#[no_mangle]
pub unsafe extern "C" fn nids_register_chksum_ctl(ctl: *mut NidsChksumCtl, n: c_int) {
    let entries: &[NidsChksumCtl] = if ctl.is_null() || n <= 0 {
        &[]
    } else {
        // SAFETY: the program's array of `n` entries.
        unsafe { core::slice::from_raw_parts(ctl, n as usize) }
    };
    let rules: Vec<Rule> = entries
        .iter()
        .map(|e| Rule {
            net: Net::new(
                IpAddr::V4(e.netaddr.to_ne_bytes().into()),
                u32::from_be(e.mask).leading_ones() as u8,
            ),
            verify: e.action == 0,
        })
        .collect();
    let policy = Policy::List(Box::leak(rules.into_boxed_slice()));
    *lock(&CHECKSUMS) = Some(policy);
    if let Some(mut g) = try_lib() {
        if let Some(Shared(lib)) = g.as_mut() {
            lib.set_checksums(policy);
        }
    }
}

// ---------------------------------------------------------------------------
// The nids-rs extension (nids.h, `NIDS_RS_IPV6`).

/// Opt in (1) or out (0) of IPv6: from the next `nids_init`, IPv6 packets
/// reach the `ip_frag` and `ip` callbacks and IPv6 streams the TCP ones, with
/// zero addresses in `struct tuple4` (read them with `nids_rs_stream_addr6`).
#[no_mangle]
pub extern "C" fn nids_rs_enable_ipv6(on: c_int) {
    IPV6.store(on != 0, Ordering::Relaxed);
}

/// Opt in (1) or out (0) of tunnel decoding from the next `nids_init`: GRE,
/// ERSPAN, VXLAN, Geneve, GTP-U, IP-in-IP, Teredo and MPLS packets are then
/// decapsulated and their inner streams reach the callbacks. Off by default,
/// as libnids decodes none: a `struct tuple4` cannot name a tunnel, so one
/// capture could give a program several streams with one tuple.
#[no_mangle]
pub extern "C" fn nids_rs_enable_tunnels(on: c_int) {
    TUNNELS.store(on != 0, Ordering::Relaxed);
}

/// Sets the most bytes one half of a stream keeps with `nids_discard`
/// (default 64 MiB; 0 restores it) and returns the previous bound. Beyond it
/// the oldest kept bytes are dropped (they count as read) and a warning is
/// printed on stderr, once. libnids has no bound.
#[no_mangle]
pub extern "C" fn nids_rs_set_max_kept(max: usize) -> usize {
    let max = if max == 0 {
        nids_compat::DEFAULT_MAX_KEPT
    } else {
        max
    };
    crate::stream::MAX_KEPT.swap(max, Ordering::Relaxed)
}

/// Copies the client's and the server's addresses of a stream: 16 bytes each,
/// IPv4 as IPv4-mapped IPv6. Returns 6 for an IPv6 stream, 4 for IPv4, 0 for
/// a pointer that is no stream.
#[no_mangle]
pub unsafe extern "C" fn nids_rs_stream_addr6(
    a_tcp: *mut TcpStream,
    client: *mut u8,
    server: *mut u8,
) -> c_int {
    if a_tcp.is_null() || !registry::contains(a_tcp as usize) {
        return 0;
    }
    // SAFETY: a registered stream: a `CStream` whose first field is `a_tcp`.
    let t = unsafe { (*(a_tcp as *const CStream)).tuple };
    let v6 = |a: IpAddr| match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    // SAFETY: the caller gives two 16-byte buffers (or NULL).
    unsafe {
        if !client.is_null() {
            core::ptr::copy_nonoverlapping(v6(t.src).as_ptr(), client, 16);
        }
        if !server.is_null() {
            core::ptr::copy_nonoverlapping(v6(t.dst).as_ptr(), server, 16);
        }
    }
    if t.src.is_ipv6() {
        6
    } else {
        4
    }
}

/// Used by the type checker only: the exported hook types match `nids.h`.
const _: (SyslogFn, NoMemFn) = (default_syslog, nids_no_mem);

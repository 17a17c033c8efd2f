//! The C API driven from Rust, as a C program drives it: `nids_params`, the
//! registrations, `nids_run`/`nids_next`, the callbacks' view of streams, and
//! the nids-rs IPv6 extension. Runs without Debian's packages (`dropin.sh`
//! compares with Debian's libnids itself).
//!
//! The library has process-wide state, as libnids: the tests take `SERIAL`.
#![allow(unsafe_code)] // the API under test is C's

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use nids::ffi::*;
use nids::types::{state, ScanHost, TcpStream};

static SERIAL: Mutex<()> = Mutex::new(());

/// `nids_params`, to set fields of.
fn params() -> *mut nids::types::NidsPrm {
    &raw mut nids_params
}

fn data(name: &str) -> CString {
    let p = format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    CString::new(p).unwrap()
}

/// Sets `nids_params` to libnids' defaults plus `filename`, and inits.
fn init(file: &CString, n_tcp_streams: c_int) {
    // SAFETY: no other thread uses the library (SERIAL); the file name lives
    // in the caller for the whole run.
    unsafe {
        let p = params();
        (*p).filename = file.as_ptr().cast_mut();
        (*p).n_tcp_streams = n_tcp_streams;
        (*p).scan_num_hosts = 256;
        (*p).one_loop_less = 0;
    }
    assert_eq!(nids_init(), 1);
}

static EST: AtomicUsize = AtomicUsize::new(0);
static V6: AtomicUsize = AtomicUsize::new(0);
static ENDS: [AtomicUsize; 7] = [const { AtomicUsize::new(0) }; 7];
static WRONG: AtomicUsize = AtomicUsize::new(0);
static BYTES: [AtomicI64; 2] = [const { AtomicI64::new(0) }; 2];

fn reset() {
    EST.store(0, Relaxed);
    V6.store(0, Relaxed);
    WRONG.store(0, Relaxed);
    for e in &ENDS {
        e.store(0, Relaxed);
    }
    for b in &BYTES {
        b.store(0, Relaxed);
    }
}

fn end(t: &TcpStream) {
    ENDS[t.nids_state as usize].fetch_add(1, Relaxed);
}

/// Counts streams, and IPv6 ones (checked through `nids_rs_stream_addr6`).
unsafe extern "C" fn count_streams(t: *mut TcpStream, _: *mut *mut c_void) {
    // SAFETY: the stream of this callback.
    let s = unsafe { &mut *t };
    if s.nids_state == state::JUST_EST {
        EST.fetch_add(1, Relaxed);
        let (mut c, mut d) = ([0u8; 16], [0u8; 16]);
        // SAFETY: two 16-byte buffers.
        let v = unsafe { nids_rs_stream_addr6(t, c.as_mut_ptr(), d.as_mut_ptr()) };
        if v == 6 {
            assert_eq!(s.addr.saddr, 0);
            assert_eq!(&c[..4], &[0xfd, 0x77, 0, 1]);
            V6.fetch_add(1, Relaxed);
        } else {
            assert_eq!(v, 4);
            assert_eq!(&c[..12], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
        }
        s.server.collect += 1;
    } else if s.nids_state != state::DATA {
        end(s);
    }
}

#[test]
fn test_ipv6_streams_only_when_opted_in() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("real/http.pcap");
    for on in [0, 1] {
        reset();
        nids_rs_enable_ipv6(on);
        init(&file, 1040);
        // SAFETY: a callback with libnids' signature.
        unsafe { nids_register_tcp(Some(count_streams)) };
        nids_run();
        let (est, v6) = (EST.load(Relaxed), V6.load(Relaxed));
        if on == 0 {
            assert_eq!(v6, 0, "IPv6 streams reached a program that did not opt in");
        } else {
            assert!(v6 > 0, "no IPv6 stream with the extension on");
        }
        eprintln!("ipv6 {on}: {est} streams, {v6} IPv6");
    }
    nids_rs_enable_ipv6(0);
}

/// Listener A: what the server receives. Must never be called for the other half.
unsafe extern "C" fn to_server(t: *mut TcpStream, _: *mut *mut c_void) {
    // SAFETY: the stream of this callback.
    let s = unsafe { &mut *t };
    match s.nids_state {
        state::JUST_EST => s.server.collect += 1,
        state::DATA => {
            if s.server.count_new == 0 {
                WRONG.fetch_add(1, Relaxed);
            }
            BYTES[1].fetch_add(i64::from(s.server.count_new), Relaxed);
        }
        _ => {}
    }
}

/// Listener B: what the client receives.
unsafe extern "C" fn to_client(t: *mut TcpStream, _: *mut *mut c_void) {
    // SAFETY: the stream of this callback.
    let s = unsafe { &mut *t };
    match s.nids_state {
        state::JUST_EST => s.client.collect += 1,
        state::DATA => {
            if s.client.count_new == 0 {
                WRONG.fetch_add(1, Relaxed);
            }
            BYTES[0].fetch_add(i64::from(s.client.count_new), Relaxed);
        }
        _ => end(s),
    }
}

#[test]
fn test_each_listener_gets_only_the_half_it_asked_for() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    reset();
    let file = data("capi/mail.pcap");
    init(&file, 1040);
    // SAFETY: callbacks with libnids' signature.
    unsafe {
        nids_register_tcp(Some(to_server));
        nids_register_tcp(Some(to_client));
    }
    nids_run();
    assert_eq!(WRONG.load(Relaxed), 0);
    assert!(BYTES[0].load(Relaxed) > 0 && BYTES[1].load(Relaxed) > 0);
    assert_eq!(ENDS[state::CLOSE as usize].load(Relaxed), 2);
}

#[test]
fn test_n_tcp_streams_sets_libnids_limit() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("crafted/many.pcap");
    // 2000 concurrent streams: the default table keeps 781 (3 * 1040 / 4 + 1)
    // and evicts the rest; 4096 (a larger engine class) keeps them all.
    for (n, close, timeout) in [(1040, 781, 1219), (4096, 2000, 0)] {
        reset();
        init(&file, n);
        // SAFETY: a callback with libnids' signature.
        unsafe { nids_register_tcp(Some(to_client)) };
        nids_run();
        assert_eq!(
            ENDS[state::CLOSE as usize].load(Relaxed),
            close,
            "n_tcp_streams {n}"
        );
        assert_eq!(ENDS[state::TIMED_OUT as usize].load(Relaxed), timeout);
    }
}

static FOUND: AtomicUsize = AtomicUsize::new(0);

/// Stops the library from inside a callback, after the first data.
unsafe extern "C" fn stop_early(t: *mut TcpStream, _: *mut *mut c_void) {
    // SAFETY: the stream of this callback.
    let s = unsafe { &mut *t };
    match s.nids_state {
        state::JUST_EST => {
            s.server.collect += 1;
            // SAFETY: the stream's own tuple.
            if unsafe { nids_find_tcp_stream(&mut s.addr) } == t {
                FOUND.fetch_add(1, Relaxed);
            }
        }
        state::DATA => {
            BYTES[1].fetch_add(1, Relaxed);
            nids_exit();
        }
        _ => end(s),
    }
}

#[test]
fn test_exit_from_a_callback_stops_the_loop() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    reset();
    FOUND.store(0, Relaxed);
    let file = data("real/http.pcap");
    init(&file, 1040);
    // SAFETY: a callback with libnids' signature.
    unsafe { nids_register_tcp(Some(stop_early)) };
    nids_run();
    assert_eq!(
        BYTES[1].load(Relaxed),
        1,
        "the loop went on after nids_exit"
    );
    assert_eq!(
        FOUND.load(Relaxed),
        1,
        "nids_find_tcp_stream missed the stream"
    );
    assert_eq!(ENDS[state::EXITING as usize].load(Relaxed), 1);
    assert_eq!(nids_next(), 0, "nids_next after nids_exit");
}

static SCANS: AtomicUsize = AtomicUsize::new(0);
static SCAN_PORTS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn hook(kind: c_int, _errnum: c_int, _iph: *mut c_void, data: *mut c_void) {
    if kind == 4 {
        // SAFETY: a scan report's `struct host`.
        let host = unsafe { &*(data as *const ScanHost) };
        SCANS.fetch_add(1, Relaxed);
        SCAN_PORTS.store(host.n_packets as usize, Relaxed);
    }
}

#[test]
fn test_scan_reaches_the_syslog_hook() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("real/nmap-syn.pcap");
    SCANS.store(0, Relaxed);
    // SAFETY: no other thread uses the library.
    let old = unsafe { (*params()).syslog.replace(hook) };
    init(&file, 1040);
    let mut packets = 0;
    while nids_next() == 1 {
        packets += 1;
    }
    nids_exit();
    // SAFETY: as above.
    unsafe { (*params()).syslog = old };
    assert!(packets > 0);
    assert!(SCANS.load(Relaxed) >= 1, "no scan reported");
    // libnids reports a scan at its `scan_num_ports + 1`-th distinct port.
    assert_eq!(SCAN_PORTS.load(Relaxed), 11);
}

#[test]
fn test_init_reports_a_missing_file() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("no/such.pcap");
    // SAFETY: no other thread uses the library.
    unsafe { (*params()).filename = file.as_ptr().cast_mut() };
    assert_eq!(nids_init(), 0);
    // SAFETY: nids_errbuf is NUL-terminated.
    let msg = unsafe { std::ffi::CStr::from_ptr((&raw const nids_errbuf).cast::<c_char>()) };
    assert!(!msg.to_bytes().is_empty());
    assert_eq!(nids_run(), 0);
}

static CALLS: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

unsafe extern "C" fn first(t: *mut TcpStream, _: *mut *mut c_void) {
    CALLS[0].fetch_add(1, Relaxed);
    // SAFETY: the stream of this callback.
    unsafe { (*t).server.collect = 1 };
}

unsafe extern "C" fn second(_: *mut TcpStream, _: *mut *mut c_void) {
    CALLS[1].fetch_add(1, Relaxed);
}

/// Keeps only packets to or from port 25.
unsafe extern "C" fn smtp_only(iph: *mut c_void, len: c_int) -> c_int {
    // SAFETY: `len` bytes of the packet.
    let p = unsafe { std::slice::from_raw_parts(iph as *const u8, len as usize) };
    let ihl = usize::from(p[0] & 15) * 4;
    let port = |at: usize| u16::from_be_bytes([p[ihl + at], p[ihl + at + 1]]);
    c_int::from(p.len() >= ihl + 4 && (port(0) == 25 || port(2) == 25))
}

#[test]
fn test_registration_and_ip_filter() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("capi/mail.pcap");
    for c in &CALLS {
        c.store(0, Relaxed);
    }
    // SAFETY: no other thread uses the library; callbacks with libnids'
    // signatures.
    let old = unsafe { (*params()).ip_filter.replace(smtp_only) };
    init(&file, 1040);
    unsafe {
        nids_register_tcp(Some(first));
        nids_register_tcp(Some(first)); // a duplicate is ignored
        nids_register_tcp(Some(second));
        nids_unregister_tcp(Some(second));
    }
    nids_run();
    // SAFETY: as above.
    unsafe { (*params()).ip_filter = old };
    assert_eq!(
        CALLS[1].load(Relaxed),
        0,
        "an unregistered callback was called"
    );
    // The SMTP stream only (POP3 was filtered out): JUST_EST, its 10 client
    // segments and CLOSE, each once (the duplicate registration adds nothing).
    assert_eq!(CALLS[0].load(Relaxed), 12);
}

#[test]
fn test_warning_texts_are_libnids() {
    // SAFETY: the table's entries are static C strings.
    let text = |i: usize| unsafe {
        let t = &raw const nids_warnings;
        std::ffi::CStr::from_ptr((*t)[i]).to_str().unwrap()
    };
    assert_eq!(text(0), "Murphy - you never should see this message !");
    assert_eq!(text(4), "Invalid IP header");
    assert_eq!(text(6), "Max number of TCP streams reached");
    assert_eq!(text(9), "Invalid TCP flags");
}

static REINIT: AtomicI64 = AtomicI64::new(-1);

/// Calls `nids_init` from its first data callback, and counts the streams.
unsafe extern "C" fn reinit_from_callback(t: *mut TcpStream, p: *mut *mut c_void) {
    if REINIT.load(Relaxed) == -1 {
        // SAFETY: the stream of this callback.
        if unsafe { (*t).nids_state } == state::DATA {
            REINIT.store(i64::from(nids_init()), Relaxed);
        }
    }
    // SAFETY: as `count_streams`.
    unsafe { count_streams(t, p) };
}

/// `nids_init` from a callback is refused before it touches any state: the
/// running engine keeps its callbacks and streams, so the run sees what a
/// run without the call sees.
#[test]
fn test_init_from_a_callback_is_refused_before_touching_state() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("capi/mail.pcap");
    reset();
    init(&file, 1040);
    // SAFETY: a callback with libnids' signature.
    unsafe { nids_register_tcp(Some(count_streams)) };
    nids_run();
    let plain = (EST.load(Relaxed), ENDS[state::CLOSE as usize].load(Relaxed));
    reset();
    REINIT.store(-1, Relaxed);
    init(&file, 1040);
    // SAFETY: as above.
    unsafe { nids_register_tcp(Some(reinit_from_callback)) };
    nids_run();
    assert_eq!(
        REINIT.load(Relaxed),
        0,
        "nids_init from a callback succeeded"
    );
    // SAFETY: nids_errbuf is a NUL-terminated string.
    let err = unsafe { std::ffi::CStr::from_ptr((&raw const nids_errbuf).cast::<c_char>()) };
    assert!(err.to_string_lossy().contains("from a callback"), "{err:?}");
    let with = (EST.load(Relaxed), ENDS[state::CLOSE as usize].load(Relaxed));
    assert_eq!(
        with, plain,
        "the running engine lost its callbacks or streams"
    );
    assert!(plain.0 > 0 && plain.1 > 0);
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Counts streams; the first call says the run started and lingers, so that
/// another thread's `nids_init` comes while the run holds the library.
unsafe extern "C" fn slow_start(t: *mut TcpStream, p: *mut *mut c_void) {
    if STARTED.fetch_add(1, Relaxed) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // SAFETY: as `count_streams`.
    unsafe { count_streams(t, p) };
}

/// `nids_init` from another thread while a run is in progress is not taken
/// for re-entrancy: it waits for the run to end (which keeps all its streams
/// and callbacks), then succeeds.
#[test]
fn test_init_from_another_thread_waits_for_the_run() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("capi/mail.pcap");
    reset();
    init(&file, 1040);
    // SAFETY: a callback with libnids' signature.
    unsafe { nids_register_tcp(Some(count_streams)) };
    nids_run();
    let plain = (EST.load(Relaxed), ENDS[state::CLOSE as usize].load(Relaxed));
    reset();
    STARTED.store(0, Relaxed);
    init(&file, 1040);
    // SAFETY: as above.
    unsafe { nids_register_tcp(Some(slow_start)) };
    std::thread::scope(|s| {
        let run = s.spawn(|| {
            nids_run();
            (EST.load(Relaxed), ENDS[state::CLOSE as usize].load(Relaxed))
        });
        while STARTED.load(Relaxed) == 0 {
            std::thread::yield_now();
        }
        assert_eq!(nids_init(), 1, "another thread's nids_init was refused");
        assert_eq!(
            run.join().unwrap(),
            plain,
            "the run lost streams to nids_init"
        );
    });
    nids_exit();
    assert!(plain.0 > 0 && plain.1 > 0);
}

/// Tunnels are decoded only when the program asks: libnids decodes none.
#[test]
fn test_tunnels_only_when_opted_in() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = data("tunnels/vxlan-real.pcap");
    let mut est = [0; 2];
    for on in [0, 1] {
        reset();
        nids_rs_enable_tunnels(on);
        init(&file, 1040);
        // SAFETY: a callback with libnids' signature.
        unsafe { nids_register_tcp(Some(count_streams)) };
        nids_run();
        est[on as usize] = EST.load(Relaxed);
    }
    nids_rs_enable_tunnels(0);
    assert_eq!(
        est[0], 0,
        "streams inside VXLAN reached a program that did not opt in"
    );
    assert!(est[1] > 0, "no stream inside VXLAN with tunnels on");
}

//! Issue 24, through the C API: a tunnelled connection whose two directions
//! carry different tunnel identifiers (GTP-U TEIDs, GRE keys, ERSPAN sessions,
//! MPLS labels, Geneve options) is one stream to a C program, with the bytes
//! the CLI reports (tests/tests/tunnels.rs checks the CLI over the same
//! captures), and `nids_find_tcp_stream` finds it from its own `addr`; a
//! capture of link type PPP with Cisco HDLC framing gives its stream too.
#![allow(unsafe_code)] // the API under test is C's

use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use nids::ffi::*;
use nids::types::{state, TcpStream};

static SERIAL: Mutex<()> = Mutex::new(());
static EST: AtomicUsize = AtomicUsize::new(0);
static CLOSED: AtomicUsize = AtomicUsize::new(0);
static FOUND: AtomicUsize = AtomicUsize::new(0);
static REVERSED_FOUND: AtomicUsize = AtomicUsize::new(0);
/// Bytes the server received, then the client.
static BYTES: [AtomicI64; 2] = [const { AtomicI64::new(0) }; 2];

unsafe extern "C" fn follow(t: *mut TcpStream, _: *mut *mut c_void) {
    // SAFETY: the stream of this callback.
    let s = unsafe { &mut *t };
    match s.nids_state {
        state::JUST_EST => {
            EST.fetch_add(1, Relaxed);
            s.server.collect += 1;
            s.client.collect += 1;
            let mut addr = s.addr;
            // SAFETY: a tuple of ours.
            if unsafe { nids_find_tcp_stream(&mut addr) } == t {
                FOUND.fetch_add(1, Relaxed);
            }
            let mut rev = addr;
            (rev.source, rev.dest, rev.saddr, rev.daddr) =
                (addr.dest, addr.source, addr.daddr, addr.saddr);
            // SAFETY: as above.
            if !unsafe { nids_find_tcp_stream(&mut rev) }.is_null() {
                REVERSED_FOUND.fetch_add(1, Relaxed);
            }
        }
        state::DATA => {
            BYTES[0].fetch_add(i64::from(s.server.count_new), Relaxed);
            BYTES[1].fetch_add(i64::from(s.client.count_new), Relaxed);
        }
        state::CLOSE => {
            CLOSED.fetch_add(1, Relaxed);
        }
        _ => {}
    }
}

/// (established, closed, found by addr, found reversed, server bytes, client bytes)
fn run(rel: &str) -> (usize, usize, usize, usize, i64, i64) {
    let file = CString::new(format!(
        "{}/../tests/data/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for a in [&EST, &CLOSED, &FOUND, &REVERSED_FOUND] {
        a.store(0, Relaxed);
    }
    for b in &BYTES {
        b.store(0, Relaxed);
    }
    // SAFETY: no other thread uses the library (SERIAL); the file name lives
    // for the whole run.
    unsafe {
        let p = &raw mut nids_params;
        (*p).filename = file.as_ptr().cast_mut();
        (*p).n_tcp_streams = 1040 as c_int;
        (*p).scan_num_hosts = 256;
        (*p).one_loop_less = 0;
    }
    // The drop-in decodes tunnels only when asked (a struct tuple4 cannot name
    // one, so libnids programs get no tunnelled stream by default).
    nids_rs_enable_tunnels(1);
    assert_eq!(nids_init(), 1, "{rel}");
    // SAFETY: a callback with libnids' signature.
    unsafe { nids_register_tcp(Some(follow)) };
    nids_run();
    (
        EST.load(Relaxed),
        CLOSED.load(Relaxed),
        FOUND.load(Relaxed),
        REVERSED_FOUND.load(Relaxed),
        BYTES[0].load(Relaxed),
        BYTES[1].load(Relaxed),
    )
}

#[test]
fn test_per_direction_tunnel_ids_one_stream() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for name in [
        "gtpu-asym",
        "gre-asym",
        "erspan-asym",
        "mpls-asym",
        "geneve-asym",
    ] {
        let got = run(&format!("tunnels/{name}.pcap"));
        // make-asym.py's request and reply name the capture
        let n = name.len() as i64;
        assert_eq!(got, (1, 1, 1, 0, 18 + n, 30 + n), "{name}");
    }
    // one inner connection in two tunnels between different endpoints: two
    // streams; `addr` names no tunnel, so a lookup finds one of them
    let (est, closed, found, _, _, _) = run("tunnels/gre-two-tunnels.pcap");
    assert_eq!((est, closed), (2, 2));
    assert!(found >= 1);
}

#[test]
fn test_ppp_link_with_cisco_hdlc() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // the IPv4 connection (IPv6 is opt-in in the C API), as libnids gives it
    let (est, closed, found, _, srv, cli) = run("links/ppp-chdlc.pcap");
    assert_eq!((est, closed, found, srv, cli), (1, 1, 1, 27, 39));
}

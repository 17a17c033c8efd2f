//! [`CStream`]: the `struct tcp_stream` a C program sees for one engine stream,
//! its listeners and its two contiguous buffers, with libnids' rules for who
//! is called and what `count`, `offset`, `count_new` and `data` hold.
//!
//! The engine consumes every byte it delivers; the bytes a C program keeps
//! with `nids_discard` live in the half's [`HalfBuf`] (nids-compat), which
//! owns libnids' buffer rules: room past `count_new`, one callback per
//! segment, `nids_discard`, the bound on kept bytes.

use core::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nids_compat::{HalfBuf, Push, DEFAULT_MAX_KEPT, KEPT_WARNING};

use nids_core::tcp::half::Half;
use nids_core::{Side, Stream, Tuple};

use crate::ffi;
use crate::types::{state, HalfStream, TcpFn, TcpStream, Tuple4};

/// `whatto` bits of a listener (libnids' `COLLECT_*`).
const CC: u8 = 1;
const SC: u8 = 2;
const CCU: u8 = 4;
const SCU: u8 = 8;

/// Most bytes kept for a half between events (`nids_rs_set_max_kept`).
pub static MAX_KEPT: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_KEPT);
/// Whether [`KEPT_WARNING`] was printed (once per process).
static KEPT_WARNED: AtomicBool = AtomicBool::new(false);

/// [`KEPT_WARNING`] on stderr, the first time kept bytes hit the bound.
fn warn_kept() {
    if !KEPT_WARNED.swap(true, Ordering::Relaxed) {
        eprintln!("{KEPT_WARNING}");
    }
}

/// One TCP callback interested in a stream: libnids' `lurker_node`.
#[derive(Debug)]
struct Listener {
    cb: TcpFn,
    /// The callback's `*param`, kept between its calls.
    data: *mut c_void,
    /// Which halves (and urgent bytes) it asked for.
    whatto: u8,
}

/// The C view of one stream. `c` comes first so a `struct tcp_stream *` handed
/// to C is also a pointer to the whole `CStream` (see [`ffi`]).
#[repr(C)]
#[derive(Debug)]
pub struct CStream {
    /// What C callbacks see.
    pub c: TcpStream,
    /// The engine's tuple (IPv6 streams have zero addresses in `c.addr`).
    pub tuple: Tuple,
    listeners: Vec<Listener>,
    /// The undiscarded bytes of the client half, then of the server half.
    bufs: [HalfBuf; 2],
}

/// The four interest counters: client/server `collect`, then `collect_urg`
/// (`char` is signed on x86, unsigned elsewhere: read as signed, as libnids
/// compares them on x86).
#[allow(clippy::unnecessary_cast)]
fn counters(c: &TcpStream) -> [i8; 4] {
    [
        c.client.collect as i8,
        c.server.collect as i8,
        c.client.collect_urg as i8,
        c.server.collect_urg as i8,
    ]
}

/// The `whatto` bits whose counter rose and fell between `before` and `after`.
fn changes(before: [i8; 4], after: [i8; 4]) -> (u8, u8) {
    const BITS: [u8; 4] = [CC, SC, CCU, SCU];
    let (mut up, mut down) = (0, 0);
    for i in 0..4 {
        if before[i] < after[i] {
            up |= BITS[i];
        } else if before[i] > after[i] {
            down |= BITS[i];
        }
    }
    (up, down)
}

/// libnids' state number for a half.
fn libnids_state(h: &Half) -> i8 {
    h.state().libnids_value() as i8
}

impl CStream {
    /// A new stream for `addr`, with the engine's view of `s` (at its
    /// `JustEstablished` event).
    pub fn new<U>(addr: Tuple4, s: &Stream<'_, '_, U>) -> Box<CStream> {
        let mut cs = Box::new(CStream {
            c: TcpStream::new(addr),
            tuple: *s.tuple(),
            listeners: Vec::new(),
            bufs: [HalfBuf::new(), HalfBuf::new()],
        });
        // libnids: the packet second of the handshake's last packet.
        cs.c.ts = s.ts().secs() as _;
        cs.sync(s);
        cs
    }

    /// The pointer C gets: to the whole `CStream`, typed as its first field.
    pub fn as_c(&mut self) -> *mut TcpStream {
        (self as *mut CStream).cast()
    }

    /// Whether any callback still listens.
    pub fn has_listeners(&self) -> bool {
        !self.listeners.is_empty()
    }

    /// Copies the engine's states and counts into the C halves.
    fn sync<U>(&mut self, s: &Stream<'_, '_, U>) {
        for (i, h) in [s.client(), s.server()].into_iter().enumerate() {
            let ch = self.half_mut(i);
            ch.state = libnids_state(h) as _;
            ch.count = h.count() as i32;
            if ch.collect <= 0 {
                // Not buffered: everything received counts as consumed.
                ch.offset = ch.count;
                self.bufs[i].clear();
            }
        }
        self.point();
    }

    fn half_mut(&mut self, i: usize) -> &mut HalfStream {
        if i == 0 {
            &mut self.c.client
        } else {
            &mut self.c.server
        }
    }

    /// Points `data`/`bufsize` of both halves at their buffers.
    fn point(&mut self) {
        for i in 0..2 {
            let ptr = self.bufs[i].as_mut_ptr().cast();
            let size = self.bufs[i].bufsize();
            let h = self.half_mut(i);
            h.data = ptr;
            h.bufsize = size as i32;
        }
    }

    /// `NIDS_JUST_EST`: every callback of `procs` (libnids' list order, newest
    /// first) is called with one shared `*param`; those that raise a counter
    /// become listeners (prepended, as libnids does). Returns whether any did.
    pub fn establish(&mut self, procs: &[TcpFn], one_loop_less: bool) -> bool {
        self.c.nids_state = state::JUST_EST;
        let mut data: *mut c_void = core::ptr::null_mut();
        for &cb in procs {
            let before = counters(&self.c);
            let me = self.as_c();
            ffi::call_tcp(cb, me, &mut data);
            let (mut whatto, _) = changes(before, counters(&self.c));
            if one_loop_less {
                // One reader per half: a second `collect++` is taken back.
                if self.c.client.collect >= 2 {
                    self.c.client.collect = before[0] as _;
                    whatto &= !CC;
                }
                if self.c.server.collect >= 2 {
                    self.c.server.collect = before[1] as _;
                    whatto &= !SC;
                }
            }
            if whatto != 0 {
                self.listeners.insert(0, Listener { cb, data, whatto });
            }
        }
        if self.listeners.is_empty() {
            return false;
        }
        self.c.nids_state = state::DATA;
        true
    }

    /// Calls the listeners whose `whatto` has a bit of `mask`, updating their
    /// interest from the counters each one changes (libnids' `ride_lurkers`).
    fn ride(&mut self, mask: u8) {
        for i in 0..self.listeners.len() {
            if self.listeners[i].whatto & mask == 0 {
                continue;
            }
            let before = counters(&self.c);
            let cb = self.listeners[i].cb;
            let mut data = self.listeners[i].data;
            let me = self.as_c();
            ffi::call_tcp(cb, me, &mut data);
            let (up, down) = changes(before, counters(&self.c));
            let l = &mut self.listeners[i];
            l.data = data;
            l.whatto = (l.whatto | up) & !down;
        }
    }

    /// Drops listeners without interest left.
    fn prune(&mut self) {
        self.listeners.retain(|l| l.whatto != 0);
    }

    /// A `Data` event of the engine: `new` bytes for `side`, or its urgent
    /// byte. Runs libnids' `notify` on the half.
    pub fn data<U>(&mut self, s: &Stream<'_, '_, U>, side: Side, one_loop_less: bool) {
        let (i, h) = match side {
            Side::Client => (0, s.client()),
            Side::Server => (1, s.server()),
        };
        // A segment held back for its rest ends at any other kind of event.
        let urgent = h.count_new_urg();
        self.flush(one_loop_less, |j| j != i || urgent);
        self.sync(s);
        self.c.nids_state = state::DATA;
        if urgent {
            let half = self.half_mut(i);
            half.urgdata = h.urgdata();
            half.count_new_urg = 1;
            if half.collect_urg > 0 {
                self.ride(if i == 0 { CCU } else { SCU });
            }
            let half = self.half_mut(i);
            half.count_new_urg = 0;
            half.urg_count += 1;
        }
        let new = s.new_data();
        if !new.is_empty() {
            if self.half_mut(i).collect > 0 {
                let push = self.bufs[i].push(new, s.continues());
                let kept = self.bufs[i].len() as i32;
                let half = self.half_mut(i);
                // The engine's count already holds these bytes.
                half.offset = half.count - kept;
                if let Push::Ready { count_new } = push {
                    half.count_new = count_new as i32;
                    self.notify(i, one_loop_less);
                }
            } else {
                let half = self.half_mut(i);
                half.offset = half.count;
            }
        }
        self.prune();
        self.point();
    }

    /// libnids' `notify` for buffered bytes of half `i`: the listeners read,
    /// `read` bytes (all unless `nids_discard` lowered it) are dropped from the
    /// front, and with `one_loop_less` the round repeats while part of the new
    /// bytes was consumed and part is left.
    fn notify(&mut self, i: usize, one_loop_less: bool) {
        let mask = if i == 0 { CC } else { SC };
        loop {
            self.point();
            let total = self.bufs[i].len() as i32;
            self.c.read = total;
            self.ride(mask);
            let read = self.c.read.clamp(0, total) as usize;
            let mut count_new = self.half_mut(i).count_new.max(0) as usize;
            let max = MAX_KEPT.load(Ordering::Relaxed);
            let round =
                self.bufs[i].after_callbacks(Some(read), &mut count_new, one_loop_less, max);
            let half = self.half_mut(i);
            half.count_new = count_new as i32;
            half.offset += (round.read + round.dropped) as i32;
            if round.dropped > 0 {
                warn_kept();
            }
            if !round.again {
                break;
            }
        }
        self.half_mut(i).count_new = 0;
        self.point();
    }

    /// Runs the callbacks for a segment held back for its rest (see
    /// `Stream::continues`) on each half `which` selects.
    fn flush(&mut self, one_loop_less: bool, which: impl Fn(usize) -> bool) {
        for i in 0..2 {
            if !which(i) {
                continue;
            }
            if let Some(n) = self.bufs[i].flush() {
                if self.half_mut(i).collect > 0 {
                    self.c.nids_state = state::DATA;
                    self.half_mut(i).count_new = n as i32;
                    self.notify(i, one_loop_less);
                }
            }
        }
    }

    /// Keeps at most `MAX_KEPT` bytes for half `i` (libnids' buffer grows
    /// without limit while a program keeps bytes with `nids_discard`): the
    /// oldest are dropped (counted as read), with a warning the first time.
    #[cfg(test)]
    fn bound(&mut self, i: usize) {
        let dropped = self.bufs[i].bound(MAX_KEPT.load(Ordering::Relaxed));
        if dropped > 0 {
            self.half_mut(i).offset += dropped as i32;
            warn_kept();
        }
    }

    /// An end event (`Close`, `Reset`, `TimedOut`, `Exiting`): every remaining
    /// listener is called once with `nids_state`, whatever its interest.
    pub fn end<U>(&mut self, s: &Stream<'_, '_, U>, nids_state: i8, one_loop_less: bool) {
        self.flush(one_loop_less, |_| true);
        self.sync(s);
        self.c.nids_state = nids_state;
        for i in 0..self.listeners.len() {
            let cb = self.listeners[i].cb;
            let mut data = self.listeners[i].data;
            let me = self.as_c();
            ffi::call_tcp(cb, me, &mut data);
            self.listeners[i].data = data;
        }
        self.listeners.clear();
    }

    /// Forgets every listener without a call (`nids_free_tcp_stream`).
    pub fn forget(&mut self) {
        self.listeners.clear();
    }

    /// The engine's interest for the halves: C's counters, or none at all once
    /// no listener is left (the engine then drops the stream silently).
    pub fn apply_interest<U>(&self, s: &mut Stream<'_, '_, U>) {
        let any = self.has_listeners();
        let c = &self.c;
        let client = s.client_mut();
        client.collect = any && c.client.collect > 0;
        client.collect_urg = any && c.client.collect_urg > 0;
        let server = s.server_mut();
        server.collect = any && c.server.collect > 0;
        server.collect_urg = any && c.server.collect_urg > 0;
    }
}

impl Drop for CStream {
    fn drop(&mut self) {
        let me = self.as_c() as usize;
        crate::registry::forget(&self.tuple, me);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_kept_bytes_are_bounded() {
        let t = Tuple {
            src: core::net::Ipv4Addr::new(10, 0, 0, 1).into(),
            sport: 1,
            dst: core::net::Ipv4Addr::new(10, 0, 0, 2).into(),
            dport: 2,
            tunnel: nids_core::TunnelId::NONE,
        };
        let mut cs = CStream {
            c: TcpStream::new(Tuple4::default()),
            tuple: t,
            listeners: Vec::new(),
            bufs: [HalfBuf::new(), HalfBuf::new()],
        };
        let max = MAX_KEPT.load(Ordering::Relaxed);
        cs.bufs[0].push(&vec![7; max + 10], false);
        cs.c.client.count = (max + 10) as i32;
        cs.bound(0);
        assert_eq!(cs.bufs[0].len(), max);
        assert_eq!(cs.c.client.offset, 10);
        assert!(KEPT_WARNED.load(Ordering::Relaxed));
        cs.bound(1);
        assert_eq!(cs.c.server.offset, 0);
    }

    #[test]
    fn test_changes() {
        assert_eq!(changes([0, 0, 0, 0], [1, 0, 0, 1]), (CC | SCU, 0));
        assert_eq!(changes([1, 1, 0, 0], [0, 2, 0, 0]), (SC, CC));
    }
}

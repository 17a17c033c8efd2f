//! pynids' global API: one engine in the module's state, driven by `run()`,
//! `next()` and `dispatch()`, reporting to the callbacks given to `register_*`.
//!
//! Locking: the state sits behind one mutex that is never held while Python
//! code runs (no callback, no `__del__`), so callbacks may call back into the
//! module (`get_pkt_ts()`, `param()`, `register_tcp()`, ...). While packets are
//! processed the driver is taken out of the state, and the GIL is released; a
//! callback takes the GIL back for the time of its call.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use nids_compat::{HalfBuf, Push, DEFAULT_MAX_KEPT, KEPT_WARNING};
use std::sync::{LazyLock, Mutex, MutexGuard};

use nids_core::ip::checksum::Rule;
use nids_core::ip::Packet as IpPacket;
use nids_core::{udp, Handler, Instant, LinkType, Side, Stream, TcpEvent};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::driver::{pump, Driver, Kept, PacketHandler, Source};
use crate::error;
use crate::params::{self, Kind, Params, Settings, Value};
use crate::stream::{addr_tuple, HalfStream, TcpStream};

/// The callback kinds, in `register_*` order.
#[derive(Clone, Copy)]
enum Cb {
    Tcp = 0,
    Udp = 1,
    Ip = 2,
    IpFrag = 3,
}

/// The module's state.
struct State {
    params: Params,
    /// `chksum_ctl` rules.
    rules: Vec<Rule>,
    /// The registered callbacks, by [`Cb`].
    callbacks: [Option<Py<PyAny>>; 4],
    /// The engine, when initialised and not checked out by a running loop.
    driver: Option<Box<Driver>>,
    /// Whether `init()` succeeded (and `exit()` was not called since).
    initialised: bool,
    /// Whether a loop (`run`, `next`, `dispatch`, `exit`) has the driver.
    busy: bool,
    /// The capture file, open, for `getfd()`.
    fd_file: Option<File>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        params: Params::default(),
        rules: Vec::new(),
        callbacks: [None, None, None, None],
        driver: None,
        initialised: false,
        busy: false,
        fd_file: None,
    })
});

/// Whether each callback kind is registered (checked without the GIL).
static REGISTERED: [AtomicBool; 4] = [
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
];

/// Time of the packet being (or last) processed, in µs; `u64::MAX` for none.
static LAST_TS: AtomicU64 = AtomicU64::new(u64::MAX);
/// Most bytes a half keeps with `discard()` (`param("max_kept")`).
pub static MAX_KEPT: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_KEPT);
/// Whether the kept-bytes warning was given (once per process, as in C).
static KEPT_WARNED: AtomicBool = AtomicBool::new(false);
/// Packets read since `init()`.
static PACKETS: AtomicU64 = AtomicU64::new(0);

fn state() -> MutexGuard<'static, State> {
    // No code that can panic runs under the lock; recover anyway.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

fn callback(py: Python<'_>, kind: Cb) -> Option<Py<PyAny>> {
    if !REGISTERED[kind as usize].load(Ordering::Relaxed) {
        return None;
    }
    state().callbacks[kind as usize]
        .as_ref()
        .map(|c| c.clone_ref(py))
}

/// The handler that calls the registered Python callbacks.
pub struct Compat {
    /// The first exception a callback raised; processing stops at it.
    pub error: Option<PyErr>,
    /// RST frames of `kill()`, to send on a live interface.
    frames: Vec<(LinkType, Vec<u8>)>,
    one_loop_less: bool,
    tcp: bool,
}

impl Compat {
    fn new(s: &Settings) -> Compat {
        Compat {
            error: None,
            frames: Vec::new(),
            one_loop_less: s.one_loop_less,
            tcp: s.streams > 0,
        }
    }

    /// Calls `kind`'s callback, if any, with the arguments `args` makes.
    fn call<F>(&mut self, kind: Cb, args: F)
    where
        F: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
    {
        if self.error.is_some() || !REGISTERED[kind as usize].load(Ordering::Relaxed) {
            return;
        }
        Python::with_gil(|py| {
            let Some(cb) = callback(py, kind) else { return };
            if let Err(e) = args(py).and_then(|a| cb.call1(py, a)) {
                self.error = Some(e);
            }
        });
    }

    fn call_tcp(
        &mut self,
        py: Python<'_>,
        cb: &Py<PyAny>,
        s: &mut Stream<'_, '_, Kept>,
    ) -> PyResult<()> {
        let event = s.event();
        let mut kept = s.user().take().unwrap_or_default();
        let data_side = if event == TcpEvent::Data {
            s.side()
        } else {
            None
        };
        let urgent = data_side.is_some_and(|side| match side {
            Side::Client => s.client().count_new_urg(),
            Side::Server => s.server().count_new_urg(),
        });
        // A segment held back for its rest (`Stream::continues`) ends at any
        // other kind of event: its callback runs first.
        for side in [Side::Client, Side::Server] {
            if data_side == Some(side) && !urgent {
                continue;
            }
            if let Some(n) = buffer(&mut kept, side).flush() {
                self.notify(py, cb, s, &mut kept, TcpEvent::Data, Some(side), n)?;
            }
        }
        let mut count_new = 0;
        if let Some(side) = data_side {
            let new = s.new_data();
            if !new.is_empty() {
                match buffer(&mut kept, side).push(new, s.continues()) {
                    Push::Pending => {
                        *s.user() = Some(kept);
                        return Ok(());
                    }
                    Push::Ready { count_new: n } => count_new = n,
                }
            }
        }
        self.notify(py, cb, s, &mut kept, event, data_side, count_new)?;
        if matches!(event, TcpEvent::JustEstablished | TcpEvent::Data) {
            *s.user() = Some(kept);
        }
        Ok(())
    }

    /// Calls the callback for `event` (`count_new` new bytes for
    /// `data_side`), then libnids' `notify()`: consume all but what
    /// `discard()` kept and, with `one_loop_less`, call again while new data
    /// is left unconsumed.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        py: Python<'_>,
        cb: &Py<PyAny>,
        s: &mut Stream<'_, '_, Kept>,
        kept: &mut Kept,
        event: TcpEvent,
        data_side: Option<Side>,
        mut count_new: usize,
    ) -> PyResult<()> {
        let t = *s.tuple();
        let addr = addr_tuple(py, t.src, t.sport, t.dst, t.dport)?.unbind();
        loop {
            let new_for = |side| {
                if data_side == Some(side) {
                    count_new
                } else {
                    0
                }
            };
            let client = HalfStream::new(
                s.client(),
                std::mem::take(&mut kept.client),
                new_for(Side::Client),
            );
            let server = HalfStream::new(
                s.server(),
                std::mem::take(&mut kept.server),
                new_for(Side::Server),
            );
            let stream = Py::new(
                py,
                TcpStream::new(
                    addr.clone_ref(py),
                    event.libnids_value(),
                    Py::new(py, client)?,
                    Py::new(py, server)?,
                ),
            )?;
            let result = cb.call1(py, (stream.clone_ref(py),));
            let out = stream.borrow_mut(py).close(py);
            (
                kept.client,
                s.client_mut().collect,
                s.client_mut().collect_urg,
            ) = out.client;
            (
                kept.server,
                s.server_mut().collect,
                s.server_mut().collect_urg,
            ) = out.server;
            if out.kill {
                s.kill();
            }
            result?;
            let Some(side) = data_side else { break };
            let max = MAX_KEPT.load(Ordering::Relaxed);
            let round = buffer(kept, side).after_callbacks(
                out.discard,
                &mut count_new,
                self.one_loop_less,
                max,
            );
            if round.dropped > 0 && !KEPT_WARNED.swap(true, Ordering::Relaxed) {
                PyErr::warn(
                    py,
                    &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                    &std::ffi::CString::new(KEPT_WARNING).unwrap_or_default(),
                    1,
                )?;
            }
            if !round.again {
                break;
            }
        }
        Ok(())
    }
}

fn buffer(k: &mut Kept, side: Side) -> &mut HalfBuf {
    match side {
        Side::Client => &mut k.client,
        Side::Server => &mut k.server,
    }
}

/// The time of the event being reported, for `get_pkt_ts()`.
fn stamp(ts: Instant) {
    LAST_TS.store(ts.micros(), Ordering::Relaxed);
}

impl Handler<Kept> for Compat {
    fn ip_frag(&mut self, ts: Instant, packet: &[u8]) {
        stamp(ts);
        self.call(Cb::IpFrag, |py| {
            (PyBytes::new(py, packet),).into_pyobject(py)
        });
    }

    fn ip(&mut self, ts: Instant, datagram: &IpPacket<'_>) {
        stamp(ts);
        self.call(Cb::Ip, |py| {
            (PyBytes::new(py, datagram.bytes),).into_pyobject(py)
        });
    }

    fn udp(&mut self, d: &udp::Datagram<'_>) {
        stamp(d.ts);
        self.call(Cb::Udp, |py| {
            let t = d.tuple;
            (
                addr_tuple(py, t.src, t.sport, t.dst, t.dport)?,
                PyBytes::new(py, d.payload),
                PyBytes::new(py, d.ip),
            )
                .into_pyobject(py)
        });
    }

    fn transmit(&mut self, link: LinkType, frame: &[u8]) {
        self.frames.push((link, frame.to_vec()));
    }

    fn tcp(&mut self, s: &mut Stream<'_, '_, Kept>) {
        stamp(s.ts());
        if !self.tcp
            || self.error.is_some()
            || !REGISTERED[Cb::Tcp as usize].load(Ordering::Relaxed)
        {
            return;
        }
        Python::with_gil(|py| {
            let Some(cb) = callback(py, Cb::Tcp) else {
                return;
            };
            if let Err(e) = self.call_tcp(py, &cb, s) {
                self.error = Some(e);
            }
        });
    }
}

impl PacketHandler for Compat {
    fn stepped(&mut self, packets: u64) {
        PACKETS.store(packets, Ordering::Relaxed);
    }

    fn take_frames(&mut self) -> Vec<(LinkType, Vec<u8>)> {
        std::mem::take(&mut self.frames)
    }

    fn stopped(&self) -> bool {
        self.error.is_some()
    }

    fn set_error(&mut self, e: PyErr) {
        self.error.get_or_insert(e);
    }
}

/// The driver taken out of the state for a loop; put back when dropped (even
/// on a panic).
struct Checkout {
    driver: Option<Box<Driver>>,
}

impl Checkout {
    fn take(what: &str) -> PyResult<Checkout> {
        let mut st = state();
        if st.busy {
            return Err(error::new_err(format!(
                "{what}: called while run(), next(), dispatch() or exit() is running \
                 (from a callback, or from another thread)"
            )));
        }
        match st.driver.take() {
            Some(d) => {
                st.busy = true;
                Ok(Checkout { driver: Some(d) })
            }
            None => Err(error::new_err(format!(
                "{what}: libnids not initialized: call nids.init() first"
            ))),
        }
    }

    fn driver(&mut self) -> &mut Driver {
        self.driver.as_mut().expect("present until dropped")
    }

    /// Drops the driver instead of putting it back (`exit()`).
    fn discard(mut self) -> Option<Box<Driver>> {
        let d = self.driver.take();
        let mut st = state();
        st.initialised = false;
        st.fd_file = None;
        LAST_TS.store(u64::MAX, Ordering::Relaxed);
        d
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let mut st = state();
        st.busy = false;
        if let Some(d) = self.driver.take() {
            st.driver = Some(d);
        }
    }
}

/// How many packets a loop may read.
#[derive(Clone, Copy)]
enum Limit {
    All,
    Count(usize),
}

/// Reads up to `limit` packets with the GIL released; then, with `finish`,
/// ends the open streams (`NIDS_EXITING`). Returns the packets read, or the
/// callback's exception, or `nids.error` for a read error.
fn drive(py: Python<'_>, d: &mut Driver, limit: Limit, finish: bool) -> PyResult<usize> {
    let mut h = Compat::new(d.settings());
    // run() waits through live read timeouts; next() and dispatch() return.
    let (n, read_error) = py.allow_threads(|| {
        let (n, e) = pump(d, &mut h, finish, |n, _| match limit {
            Limit::All => true,
            Limit::Count(max) => n < max,
        });
        if finish && !h.stopped() && (d.is_done()) {
            d.finish(&mut h);
        }
        (n, e)
    });
    if let Some(e) = h.error {
        return Err(e);
    }
    match read_error {
        Some(e) => Err(error::new_err(e)),
        None => Ok(n),
    }
}

/// Ends the open streams of `d` through the callbacks (libnids' `nids_exit`).
fn finish(py: Python<'_>, d: &mut Driver) -> PyResult<()> {
    let mut h = Compat::new(d.settings());
    py.allow_threads(|| d.finish(&mut h));
    h.error.map_or(Ok(()), Err)
}

/// `param(name[, value])`: read a libnids parameter, or set it and get the old
/// value back.
///
/// Integer parameters: n_tcp_streams (1040), n_hosts (256), sk_buff_size (168),
/// dev_addon (-1), syslog_level (1), scan_num_hosts (256), scan_num_ports (10),
/// scan_delay (3000), promisc (1), one_loop_less (0), pcap_timeout (1024),
/// tcp_flow_timeout (3600), tcp_workarounds (0), multiproc (0), queue_limit
/// (20000), and nids-rs' max_kept (64 MiB: most bytes a half keeps with
/// discard(), at once). String parameters (or None): device, pcap_filter,
/// filename. Settings take effect at the next init().
///
/// An unknown name returns None with a UserWarning (as pynids returned None).
/// Raises TypeError for a value of the wrong type and ValueError for one out
/// of range.
#[pyfunction]
#[pyo3(signature = (name, *value), text_signature = "(name, value=...)")]
pub fn param(
    py: Python<'_>,
    name: &str,
    value: &Bound<'_, pyo3::types::PyTuple>,
) -> PyResult<Py<PyAny>> {
    // `*value`, not a default of None: None is a value (of the string parameters).
    let value = match value.len() {
        0 => None,
        1 => Some(value.get_item(0)?),
        n => {
            return Err(PyTypeError::new_err(format!(
                "param() takes a name and at most one value ({n} values given)"
            )))
        }
    };
    let Some(spec) = params::spec(name) else {
        // pynids returns None for a name it does not know, and public
        // scripts have such typos ("san_num_hosts"): warn, and go on.
        let known: Vec<&str> = params::SPECS.iter().map(|s| s.name).collect();
        let msg = format!(
            "nids.param(): unknown parameter {name:?} ignored (known: {})",
            known.join(", ")
        );
        PyErr::warn(
            py,
            &py.get_type::<pyo3::exceptions::PyUserWarning>(),
            &std::ffi::CString::new(msg).unwrap_or_default(),
            1,
        )?;
        return Ok(py.None());
    };
    let old = match value {
        None => state().params.get(name).clone(),
        Some(v) => {
            let v = convert(name, spec.kind, &v)?;
            if let (Value::Int(n), "max_kept") = (&v, name) {
                MAX_KEPT.store(*n as usize, Ordering::Relaxed);
            }
            state().params.set(name, v)
        }
    };
    Ok(match old {
        Value::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Value::Str(Some(s)) => PyString::new(py, &s).into_any().unbind(),
        Value::Str(None) => py.None(),
    })
}

fn convert(name: &str, kind: Kind, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    match kind {
        Kind::Int { min, max } => {
            if !v.is_instance_of::<pyo3::types::PyInt>() {
                return Err(PyTypeError::new_err(format!(
                    "param {name:?} takes an int, not {}",
                    v.get_type().name()?
                )));
            }
            let i: i64 = v.extract().map_err(|_| out_of_range(name, min, max))?;
            if i < min || i > max {
                return Err(out_of_range(name, min, max));
            }
            Ok(Value::Int(i))
        }
        Kind::Str => {
            if v.is_none() {
                return Ok(Value::Str(None));
            }
            if let Ok(s) = v.downcast::<PyString>() {
                return Ok(Value::Str(Some(s.extract::<String>()?)));
            }
            // bytes (as the Python 3 port of pynids wanted) and path-like objects.
            let os = v.py().import("os")?;
            if v.is_instance_of::<PyBytes>() || v.hasattr("__fspath__")? {
                let s = os.call_method1("fsdecode", (v,))?;
                return Ok(Value::Str(Some(s.extract()?)));
            }
            Err(PyTypeError::new_err(format!(
                "param {name:?} takes a str (or None), not {}",
                v.get_type().name()?
            )))
        }
    }
}

fn out_of_range(name: &str, min: i64, max: i64) -> PyErr {
    PyValueError::new_err(format!("param {name:?} must be from {min} to {max}"))
}

/// `init()`: open the capture named by `param("filename")` and get ready to
/// read it. Streams still open from a previous init() first end with
/// NIDS_EXITING. Returns 1 (libnids' success value); raises nids.error when the
/// capture cannot be opened. Without a filename it captures live on
/// `param("device")` (None or "all": every interface), and `pcap_filter` is a
/// BPF filter: both need a build with the libpcap feature, and raise
/// nids.error without it.
///
/// Tunnels (GRE, VXLAN, Geneve, GTP-U, IP-in-IP, ...) are not decoded, as
/// libnids decodes none: `addr` cannot name a tunnel, so one capture could
/// give several streams with the same `addr`. `init(tunnels=True)` decodes
/// them (`nids.Capture` does by default, and its events carry the tunnel).
#[pyfunction]
#[pyo3(signature = (*, tunnels = false))]
pub fn init(py: Python<'_>, tunnels: bool) -> PyResult<i32> {
    // libnids' nids_init() starts with nids_exit().
    let previous = {
        let mut st = state();
        if st.busy {
            return Err(error::new_err(
                "init: called while run(), next(), dispatch() or exit() is running",
            ));
        }
        st.initialised = false;
        st.fd_file = None;
        st.driver.take()
    };
    if let Some(mut d) = previous {
        state().busy = true;
        let r = finish(py, &mut d);
        state().busy = false;
        drop(d);
        r?;
    }
    let (source, settings, filter) = {
        let st = state();
        let source = match (st.params.str("filename"), st.params.str("device")) {
            (Some(path), _) => Source::File(PathBuf::from(path)),
            // libnids: "all" is every interface (pcap's "any"), and no device
            // its pcap_lookupdev() choice; here that is "any" too.
            (None, dev) => Source::Live {
                iface: match dev {
                    None | Some("all") => "any".to_owned(),
                    Some(d) => d.to_owned(),
                },
                promisc: st.params.int("promisc") != 0,
                timeout_ms: st.params.int("pcap_timeout").clamp(1, i32::MAX.into()) as i32,
            },
        };
        let filter = st.params.str("pcap_filter").map(str::to_owned);
        let mut settings = params::settings(&st.params, &st.rules);
        settings.tunnels = tunnels;
        (source, settings, filter)
    };
    let fd_file = match &source {
        Source::File(path) => File::open(path).ok(),
        Source::Live { .. } => None,
    };
    let driver = py
        .allow_threads(|| Driver::open(source, settings, filter.as_deref()))
        .map_err(|e| error::new_err(format!("init: {e}")))?;
    LAST_TS.store(u64::MAX, Ordering::Relaxed);
    PACKETS.store(0, Ordering::Relaxed);
    let old = {
        let mut st = state();
        st.initialised = true;
        st.fd_file = fd_file;
        st.driver.replace(Box::new(driver))
    };
    drop(old);
    Ok(1)
}

fn register(py: Python<'_>, kind: Cb, f: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    if let Some(f) = &f {
        if !f.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "a callback must be callable, not {}",
                f.get_type().name()?
            )));
        }
    }
    let new = f.map(Bound::unbind);
    REGISTERED[kind as usize].store(new.is_some(), Ordering::Relaxed);
    let old = std::mem::replace(&mut state().callbacks[kind as usize], new);
    // Dropped outside the lock: its __del__ may call into the module.
    drop(old);
    let _ = py;
    Ok(())
}

/// `register_tcp(f)`: `f(stream: TcpStream)` is called for every TCP stream
/// event. One callback per kind: a new one replaces the old; None removes it.
/// May be called before or after init().
#[pyfunction]
pub fn register_tcp(py: Python<'_>, f: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    register(py, Cb::Tcp, f)
}

/// `register_udp(f)`: `f(((src, sport), (dst, dport)), payload: bytes,
/// ip_packet: bytes)` for every valid UDP datagram.
#[pyfunction]
pub fn register_udp(py: Python<'_>, f: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    register(py, Cb::Udp, f)
}

/// `register_ip(f)`: `f(ip_packet: bytes)` for every valid whole IP datagram
/// (IPv4 or IPv6; reassembled from fragments where it was fragmented).
#[pyfunction]
pub fn register_ip(py: Python<'_>, f: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    register(py, Cb::Ip, f)
}

/// `register_ip_frag(f)`: `f(packet: bytes)` for every IP packet found in a
/// frame, before any check or defragmentation (the bytes may be anything).
#[pyfunction]
pub fn register_ip_frag(py: Python<'_>, f: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    register(py, Cb::IpFrag, f)
}

/// `run()`: read every remaining packet, then end the streams still open with
/// NIDS_EXITING. An exception raised by a callback stops processing and is
/// re-raised here with its traceback; a damaged capture raises nids.error
/// after its open streams were ended.
#[pyfunction]
pub fn run(py: Python<'_>) -> PyResult<()> {
    let mut c = Checkout::take("run")?;
    drive(py, c.driver(), Limit::All, true).map(|_| ())
}

/// `next()`: read and process one packet. Returns 1, or 0 at the end of the
/// capture (streams still open stay open: call exit() to end them).
#[pyfunction]
pub fn next(py: Python<'_>) -> PyResult<i32> {
    let mut c = Checkout::take("next")?;
    drive(py, c.driver(), Limit::Count(1), false).map(|n| n as i32)
}

/// `dispatch(n)`: read and process up to `n` packets (all remaining if `n` is
/// 0 or less). Returns how many were read: 0 at the end of the capture.
#[pyfunction]
pub fn dispatch(py: Python<'_>, n: i64) -> PyResult<usize> {
    let limit = usize::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .map_or(Limit::All, Limit::Count);
    let mut c = Checkout::take("dispatch")?;
    drive(py, c.driver(), limit, false)
}

/// `exit()`: end every open stream with NIDS_EXITING (through the callbacks)
/// and close the capture (libnids' `nids_exit`). init() is needed again after.
#[pyfunction]
pub fn exit(py: Python<'_>) -> PyResult<()> {
    let mut c = Checkout::take("exit")?;
    let r = finish(py, c.driver());
    let d = c.discard();
    drop(d);
    r
}

/// `getfd()`: a file descriptor of the capture, for select() loops around
/// next(). Raises nids.error when not initialised.
#[pyfunction]
pub fn getfd() -> PyResult<i64> {
    #[allow(unused_mut)]
    let mut st = state();
    if !st.initialised {
        return Err(error::new_err(
            "getfd: libnids not initialized: call nids.init() first",
        ));
    }
    #[cfg(feature = "libpcap")]
    if let Some(fd) = st.driver.as_mut().and_then(|d| d.live_fd()) {
        return Ok(fd.into());
    }
    #[cfg(unix)]
    if let Some(f) = &st.fd_file {
        use std::os::fd::AsRawFd;
        return Ok(f.as_raw_fd().into());
    }
    Err(error::new_err(
        "getfd: no file descriptor (standard input, or a loop is running)",
    ))
}

/// `chksum_ctl([(network, verify), ...])`: which checksums to verify, by
/// source address. The first entry whose network (`"10.0.0.0/8"`,
/// `"fd00::/8"`, or one address) holds a packet's source decides: a false
/// `verify` skips the IP, TCP and UDP checksums of its packets. Sources that
/// match no entry are verified. Applies from the next init() (or at once if no
/// packet has been read yet).
#[pyfunction]
pub fn chksum_ctl(py: Python<'_>, rules: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut parsed = Vec::new();
    for item in rules.try_iter()? {
        let item = item?;
        let (net, verify): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract().map_err(|_| {
            PyTypeError::new_err("chksum_ctl takes a list of (network, verify) pairs")
        })?;
        let net: String = net
            .extract()
            .map_err(|_| PyTypeError::new_err("chksum_ctl: the network must be a str"))?;
        let net = params::parse_net(&net)
            .map_err(|e| PyValueError::new_err(format!("chksum_ctl: {e}")))?;
        parsed.push(Rule {
            net,
            verify: verify.is_truthy()?,
        });
    }
    let reopen = {
        let mut st = state();
        st.rules = parsed;
        match &st.driver {
            Some(d) if d.packets() == 0 && !st.busy && matches!(d.source(), Source::File(_)) => {
                let mut s = d.settings().clone();
                s.checksums = params::Checksums::List(st.rules.clone());
                let filter = st.params.str("pcap_filter").map(str::to_owned);
                Some((d.source().clone(), s, filter))
            }
            _ => None,
        }
    };
    if let Some((source, settings, filter)) = reopen {
        let d = py
            .allow_threads(|| Driver::open(source, settings, filter.as_deref()))
            .map_err(error::new_err)?;
        let old = state().driver.replace(Box::new(d));
        drop(old);
    }
    Ok(())
}

/// `get_pkt_ts()`: the capture time (float seconds since the epoch) of the
/// packet being processed, or of the last one read. Raises nids.error before
/// the first packet.
#[pyfunction]
pub fn get_pkt_ts() -> PyResult<f64> {
    match LAST_TS.load(Ordering::Relaxed) {
        u64::MAX => Err(error::new_err("get_pkt_ts: no packet has been read yet")),
        us => Ok(us as f64 / 1e6),
    }
}

/// `get_pcap_stats()`: `(received, dropped, interface_dropped)`. Reading a
/// capture file nothing is dropped: `(packets read, 0, 0)`.
#[pyfunction]
pub fn get_pcap_stats() -> PyResult<(u64, u64, u64)> {
    if !state().initialised {
        return Err(error::new_err(
            "get_pcap_stats: libnids not initialized: call nids.init() first",
        ));
    }
    Ok((PACKETS.load(Ordering::Relaxed), 0, 0))
}

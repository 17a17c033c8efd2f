//! The Pythonic layer: `nids.Capture`, an iterator of event objects over a
//! capture file, with its own engine (no module state, so several may run at
//! once). Events are plain immutable values: keep them as long as you like.

use std::collections::VecDeque;
use std::path::PathBuf;

use nids_core::ip::checksum::Rule;
use nids_core::{udp, Duration, Handler, Instant, Side, Stats, Stream, TcpEvent, Tuple};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::driver::{pump, Driver, Kept, PacketHandler, Source};
use crate::error;
use crate::params::{self, Checksums, Settings};
use crate::stream::addr_tuple;

fn secs(t: Instant) -> f64 {
    t.micros() as f64 / 1e6
}

fn addr(py: Python<'_>, t: &Tuple) -> PyResult<Py<PyTuple>> {
    Ok(addr_tuple(py, t.src, t.sport, t.dst, t.dport)?.unbind())
}

/// What the engine reported, before it becomes a Python object.
#[derive(Debug)]
pub(crate) enum Ev {
    Start {
        tuple: Tuple,
        ts: Instant,
    },
    Data {
        tuple: Tuple,
        side: Side,
        data: Vec<u8>,
        urgent: bool,
        ts: Instant,
    },
    End {
        tuple: Tuple,
        reason: TcpEvent,
        c2s: u64,
        s2c: u64,
        first: Instant,
        ts: Instant,
    },
    Udp {
        tuple: Tuple,
        payload: Vec<u8>,
        ts: Instant,
    },
}

/// `"c2s"` for bytes the server receives, `"s2c"` for the client's.
fn direction(side: Side) -> &'static str {
    match side {
        Side::Server => "c2s",
        Side::Client => "s2c",
    }
}

/// A TCP stream completed its handshake (and is being followed).
#[pyclass(module = "nids", frozen, get_all)]
pub struct StreamStart {
    /// `((client, client_port), (server, server_port))`.
    addr: Py<PyTuple>,
    /// Capture time of the handshake's last packet (seconds since the epoch).
    ts: f64,
}

/// New bytes of a stream, in order.
#[pyclass(module = "nids", frozen, get_all)]
pub struct StreamData {
    /// `((client, client_port), (server, server_port))`.
    addr: Py<PyTuple>,
    /// `"c2s"` (client to server) or `"s2c"`.
    direction: &'static str,
    /// The new bytes.
    data: Py<PyBytes>,
    /// Whether `data` is one urgent byte (TCP URG; only with `urgent=True`).
    urgent: bool,
    /// Capture time of the packet that completed them.
    ts: f64,
}

/// A stream ended.
#[pyclass(module = "nids", frozen, get_all)]
pub struct StreamEnd {
    /// `((client, client_port), (server, server_port))`.
    addr: Py<PyTuple>,
    /// `"close"`, `"reset"`, `"timeout"` or `"exiting"` (still open at the end
    /// of the capture).
    reason: &'static str,
    /// Bytes delivered client to server.
    c2s_bytes: u64,
    /// Bytes delivered server to client.
    s2c_bytes: u64,
    /// Capture time of the SYN that opened it.
    first_ts: f64,
    /// Capture time of the event that ended it.
    ts: f64,
}

/// A UDP datagram (only with `udp=True`).
#[pyclass(module = "nids", frozen, get_all)]
pub struct Datagram {
    /// `((src, sport), (dst, dport))`.
    addr: Py<PyTuple>,
    /// The UDP payload.
    payload: Py<PyBytes>,
    /// Capture time.
    ts: f64,
}

fn repr_addr(py: Python<'_>, a: &Py<PyTuple>) -> String {
    a.bind(py)
        .repr()
        .map_or_else(|_| "?".into(), |r| r.to_string())
}

#[pymethods]
impl StreamStart {
    /// The TCP stream's Community ID (version 1, as Zeek and Suricata log it);
    /// `seed` as their setting of that name (0 by default).
    #[pyo3(signature = (seed = 0))]
    fn community_id(&self, py: Python<'_>, seed: u16) -> PyResult<String> {
        crate::community::of_addr(py, &self.addr, 6, seed)
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("addr", "ts")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StreamStart(addr={}, ts={:?})",
            repr_addr(py, &self.addr),
            self.ts
        )
    }
}

#[pymethods]
impl StreamData {
    /// The TCP stream's Community ID (version 1, as Zeek and Suricata log it);
    /// `seed` as their setting of that name (0 by default).
    #[pyo3(signature = (seed = 0))]
    fn community_id(&self, py: Python<'_>, seed: u16) -> PyResult<String> {
        crate::community::of_addr(py, &self.addr, 6, seed)
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("addr", "direction", "data")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StreamData(addr={}, direction='{}', data=<{} bytes>{}, ts={:?})",
            repr_addr(py, &self.addr),
            self.direction,
            self.data.bind(py).as_bytes().len(),
            if self.urgent { ", urgent=True" } else { "" },
            self.ts
        )
    }
}

#[pymethods]
impl StreamEnd {
    /// The TCP stream's Community ID (version 1, as Zeek and Suricata log it);
    /// `seed` as their setting of that name (0 by default).
    #[pyo3(signature = (seed = 0))]
    fn community_id(&self, py: Python<'_>, seed: u16) -> PyResult<String> {
        crate::community::of_addr(py, &self.addr, 6, seed)
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("addr", "reason")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StreamEnd(addr={}, reason='{}', c2s_bytes={}, s2c_bytes={}, first_ts={:?}, ts={:?})",
            repr_addr(py, &self.addr),
            self.reason,
            self.c2s_bytes,
            self.s2c_bytes,
            self.first_ts,
            self.ts
        )
    }
}

#[pymethods]
impl Datagram {
    /// The datagram's Community ID (version 1, as Zeek and Suricata log it);
    /// `seed` as their setting of that name (0 by default).
    #[pyo3(signature = (seed = 0))]
    fn community_id(&self, py: Python<'_>, seed: u16) -> PyResult<String> {
        crate::community::of_addr(py, &self.addr, 17, seed)
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("addr", "payload")
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Datagram(addr={}, payload=<{} bytes>, ts={:?})",
            repr_addr(py, &self.addr),
            self.payload.bind(py).as_bytes().len(),
            self.ts
        )
    }
}

impl Capture {
    /// The next event, as the engine reported it.
    fn next_ev(&mut self, py: Python<'_>) -> PyResult<Option<Ev>> {
        if let Some(t) = self.threaded.as_mut() {
            let next = py.allow_threads(|| t.next());
            self.stats = t.stats.clone();
            return next.map_err(error::new_err);
        }
        loop {
            if let Some(ev) = self.events.queue.pop_front() {
                return Ok(Some(ev));
            }
            if let Some(e) = self.pending.take() {
                return Err(error::new_err(e));
            }
            let slot = self.driver.get_mut().unwrap_or_else(|e| e.into_inner());
            let Some(d) = slot.as_mut() else {
                return Ok(None);
            };
            if d.is_finished() {
                return Ok(None);
            }
            let ev = &mut self.events;
            let end_ts = self.end_ts;
            let read_error = py.allow_threads(|| {
                let (_, e) = pump(d, ev, true, |_, h| h.queue.is_empty());
                if ev.error.is_none() && d.is_done() {
                    if let Some(t) = end_ts {
                        d.advance(t, ev);
                    }
                    d.finish(ev);
                }
                e
            });
            self.stats = d.stats();
            if let Some(e) = self.events.error.take() {
                return Err(e);
            }
            self.pending = read_error;
        }
    }

    /// Up to `size` rows of the events to come (`None` at the end).
    fn next_batch(
        &mut self,
        py: Python<'_>,
        size: usize,
        seed: u16,
    ) -> PyResult<Option<arrow_array::RecordBatch>> {
        let mut rows = crate::arrow::Rows::default();
        let mut more = true;
        while rows.len() < size {
            match self.next_ev(py)? {
                Some(ev) => rows.push(&ev, seed),
                None => {
                    more = false;
                    break;
                }
            }
        }
        if rows.len() == 0 && !more {
            return Ok(None);
        }
        rows.take_batch().map(Some)
    }
}

/// `Capture.record_batches()`: record batches as the capture's events come.
#[pyclass(module = "nids")]
pub struct RecordBatches {
    capture: Py<Capture>,
    size: usize,
    seed: u16,
}

#[pymethods]
impl RecordBatches {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<crate::arrow::ArrowBatch>> {
        let mut cap = self.capture.bind(py).try_borrow_mut()?;
        Ok(cap
            .next_batch(py, self.size, self.seed)?
            .map(crate::arrow::ArrowBatch::new))
    }
}

impl Ev {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Ev::Start { tuple, ts } => Py::new(
                py,
                StreamStart {
                    addr: addr(py, &tuple)?,
                    ts: secs(ts),
                },
            )?
            .into_any(),
            Ev::Data {
                tuple,
                side,
                data,
                urgent,
                ts,
            } => Py::new(
                py,
                StreamData {
                    addr: addr(py, &tuple)?,
                    direction: direction(side),
                    data: PyBytes::new(py, &data).unbind(),
                    urgent,
                    ts: secs(ts),
                },
            )?
            .into_any(),
            Ev::End {
                tuple,
                reason,
                c2s,
                s2c,
                first,
                ts,
            } => Py::new(
                py,
                StreamEnd {
                    addr: addr(py, &tuple)?,
                    reason: reason.name(),
                    c2s_bytes: c2s,
                    s2c_bytes: s2c,
                    first_ts: secs(first),
                    ts: secs(ts),
                },
            )?
            .into_any(),
            Ev::Udp { tuple, payload, ts } => Py::new(
                py,
                Datagram {
                    addr: addr(py, &tuple)?,
                    payload: PyBytes::new(py, &payload).unbind(),
                    ts: secs(ts),
                },
            )?
            .into_any(),
        })
    }
}

/// The handler behind [`Capture`]: queues events.
pub(crate) struct Events {
    pub(crate) queue: VecDeque<Ev>,
    udp: bool,
    urgent: bool,
    ports: Option<Vec<u16>>,
    error: Option<PyErr>,
}

impl Events {
    /// A queue of the events `Capture` was asked for.
    fn new(udp: bool, urgent: bool, ports: Option<Vec<u16>>) -> Events {
        Events {
            queue: VecDeque::new(),
            udp,
            urgent,
            ports,
            error: None,
        }
    }
}

impl Handler<Kept> for Events {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Kept>) {
        let tuple = *s.tuple();
        let ts = s.ts();
        match s.event() {
            TcpEvent::JustEstablished => {
                if self
                    .ports
                    .as_ref()
                    .is_some_and(|p| !p.contains(&tuple.dport))
                {
                    return;
                }
                for side in [Side::Client, Side::Server] {
                    let h = match side {
                        Side::Client => s.client_mut(),
                        Side::Server => s.server_mut(),
                    };
                    h.collect = true;
                    h.collect_urg = self.urgent;
                }
                self.queue.push_back(Ev::Start { tuple, ts });
            }
            TcpEvent::Data => {
                if let Some(side) = s.side() {
                    if !s.new_data().is_empty() {
                        self.queue.push_back(Ev::Data {
                            tuple,
                            side,
                            data: s.new_data().to_vec(),
                            urgent: false,
                            ts,
                        });
                    }
                }
                for (side, h) in [(Side::Client, s.client()), (Side::Server, s.server())] {
                    if h.count_new_urg() && self.urgent {
                        self.queue.push_back(Ev::Data {
                            tuple,
                            side,
                            data: vec![h.urgdata()],
                            urgent: true,
                            ts,
                        });
                    }
                }
            }
            reason => self.queue.push_back(Ev::End {
                tuple,
                reason,
                c2s: s.server().count(),
                s2c: s.client().count(),
                first: s.created(),
                ts,
            }),
        }
    }

    fn udp(&mut self, d: &udp::Datagram<'_>) {
        if self.udp {
            self.queue.push_back(Ev::Udp {
                tuple: d.tuple,
                payload: d.payload.to_vec(),
                ts: d.ts,
            });
        }
    }
}

impl PacketHandler for Events {
    fn stopped(&self) -> bool {
        self.error.is_some()
    }

    fn set_error(&mut self, e: PyErr) {
        self.error.get_or_insert(e);
    }
}

/// Events from a capture file: iterate over it to get `StreamStart`,
/// `StreamData`, `StreamEnd` and (with `udp=True`) `Datagram` objects, in the
/// order the engine reports them. Streams still open at the end of the
/// capture end with reason `"exiting"`.
///
/// ```python
/// with nids.Capture("trace.pcap") as cap:
///     for ev in cap:
///         if isinstance(ev, nids.StreamEnd):
///             print(ev.addr, ev.reason, ev.c2s_bytes, ev.s2c_bytes)
/// ```
///
/// Each `Capture` has its own engine; packets are processed in Rust with the
/// GIL released.
#[pyclass(module = "nids")]
pub struct Capture {
    /// In a mutex only to make `Capture` `Sync` (a live pcap handle is not);
    /// reached through `&mut self`, so it is never locked.
    driver: std::sync::Mutex<Option<Box<Driver>>>,
    events: Events,
    /// A read error to raise once the queued events are out.
    pending: Option<String>,
    path: String,
    stats: Stats,
    /// With `threads > 1`: the sharded run (then `driver` is `None`).
    threaded: Option<crate::threaded::Threaded>,
    /// `end_ts`: packet time runs to it before open streams end.
    end_ts: Option<Instant>,
}

fn checksums(v: &Bound<'_, PyAny>) -> PyResult<Checksums> {
    if let Ok(name) = v.extract::<String>() {
        return match name.as_str() {
            "auto" => Ok(Checksums::Auto),
            "verify" => Ok(Checksums::List(Vec::new())),
            "off" => Ok(Checksums::Off),
            _ => Err(PyValueError::new_err(format!(
                "checksums: {name:?} is not one of \"auto\", \"verify\", \"off\""
            ))),
        };
    }
    if let Ok(b) = v.downcast::<pyo3::types::PyBool>() {
        return Ok(if b.is_true() {
            Checksums::List(Vec::new())
        } else {
            Checksums::Off
        });
    }
    let mut rules = Vec::new();
    for item in v.try_iter().map_err(|_| {
        PyTypeError::new_err(
            "checksums must be \"auto\", True, False or a list of (network, verify) pairs",
        )
    })? {
        let (net, verify): (String, Bound<'_, PyAny>) = item?.extract().map_err(|_| {
            PyTypeError::new_err("checksums: each entry is a (network, verify) pair")
        })?;
        let net = params::parse_net(&net)
            .map_err(|e| PyValueError::new_err(format!("checksums: {e}")))?;
        rules.push(Rule {
            net,
            verify: verify.is_truthy()?,
        });
    }
    Ok(Checksums::List(rules))
}

impl Capture {
    fn is_closed(&self) -> bool {
        self.threaded.is_none() && self.driver.lock().map_or(true, |d| d.is_none())
    }
}

#[pymethods]
impl Capture {
    /// Opens `source`, a pcap or pcapng file (a str or path-like object).
    ///
    /// * `udp`: also yield a `Datagram` for every UDP datagram.
    /// * `ports`: follow only TCP streams to these server ports (default: all).
    /// * `urgent`: also yield urgent bytes (`StreamData.urgent`).
    /// * `checksums`: `"auto"` (the default: verify, but accept the checksums
    ///   that senders with checksum offload leave unfilled, as most captures
    ///   taken on Linux hosts show them), True or `"verify"` (verify all, as
    ///   libnids), False or `"off"` (verify none), or a list of
    ///   `(network, verify)` pairs as `nids.chksum_ctl` takes. The
    ///   pynids-compatible functions keep libnids' default (verify all).
    /// * `max_streams`: most streams followed at once (1040 slots by default,
    ///   which hold 781 streams, as libnids).
    /// * `flow_timeout`: seconds after which a SYN for the same tuple replaces a
    ///   stream (3600).
    /// * `midstream`: also follow streams whose handshake was not captured.
    /// * `skip_gaps`: when a receiver acknowledges bytes the capture missed,
    ///   skip them and go on (as `nids streams --skip-gaps`); off, as libnids,
    ///   which waits for them.
    /// * `tunnels`: decapsulate GRE, VXLAN, Geneve, GTP-U, ... (on, as the
    ///   `nids` command; `False` is its `--no-decap all`).
    ///
    /// * `threads`: engines to run, each on its own thread, behind a symmetric
    ///   hash of the IP address pair (the events and their order are the same
    ///   as with one; `max_streams` then holds per engine).
    /// * `end_ts`: when the capture ends (seconds since the epoch): packet time
    ///   runs to it before streams still open end as `"exiting"`, if it is
    ///   later than the last packet. For one file of `nids split`'s: the whole
    ///   capture's last packet time, so that streams end as in one run.
    ///
    /// Raises `nids.error` if the file cannot be opened or is not a capture;
    /// live capture is not available yet.
    #[new]
    #[pyo3(signature = (source, *, udp = false, ports = None, urgent = false,
        checksums = None, max_streams = None, flow_timeout = 3600, midstream = false,
        skip_gaps = false, tunnels = true, threads = 1, end_ts = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        udp: bool,
        ports: Option<Vec<u16>>,
        urgent: bool,
        checksums: Option<&Bound<'_, PyAny>>,
        max_streams: Option<usize>,
        flow_timeout: u64,
        midstream: bool,
        skip_gaps: bool,
        tunnels: bool,
        threads: usize,
        end_ts: Option<f64>,
    ) -> PyResult<Capture> {
        let path: PathBuf = source.extract().map_err(|_| {
            PyTypeError::new_err("Capture() takes the path of a capture file (str or path-like)")
        })?;
        let mut s = Settings::new();
        s.checksums = Checksums::Auto;
        if let Some(c) = checksums {
            s.checksums = self::checksums(c)?;
        }
        if let Some(n) = max_streams {
            if n == 0 || n > params::MAX_STREAMS {
                return Err(PyValueError::new_err(format!(
                    "max_streams must be from 1 to {}",
                    params::MAX_STREAMS
                )));
            }
            s.streams = n;
        }
        s.flow_timeout = Duration::from_secs(flow_timeout);
        s.midstream = midstream;
        s.skip_gaps = skip_gaps;
        s.tunnels = tunnels;
        if !(1..=1024).contains(&threads) {
            return Err(PyValueError::new_err("threads must be from 1 to 1024"));
        }
        let end_ts = match end_ts {
            Some(t) if t.is_finite() && t >= 0.0 => {
                Some(Instant::from_micros((t * 1e6).round() as u64))
            }
            Some(_) => {
                return Err(PyValueError::new_err(
                    "end_ts must be a time in seconds since the epoch",
                ))
            }
            None => None,
        };
        let make = move || Events::new(udp, urgent, ports.clone());
        let events = make();
        let (driver, threaded) = if threads > 1 {
            let file = path.clone();
            let t = py
                .allow_threads(move || {
                    crate::threaded::Threaded::start(file, s, make, threads, end_ts)
                })
                .map_err(error::new_err)?;
            (None, Some(t))
        } else {
            let d = py
                .allow_threads(|| Driver::open(Source::File(path.clone()), s, None))
                .map_err(error::new_err)?;
            (Some(Box::new(d)), None)
        };
        Ok(Capture {
            path: path.display().to_string(),
            driver: std::sync::Mutex::new(driver),
            events,
            pending: None,
            stats: Stats::new(),
            threaded,
            end_ts,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self.next_ev(py)? {
            Some(ev) => ev.into_py(py).map(Some),
            None => Ok(None),
        }
    }

    /// All the streams (as they end) and datagrams still to come, one row
    /// each, as an Arrow table: `pyarrow.table(cap.to_arrow())`,
    /// `polars.from_arrow(cap.to_arrow())`, through the Arrow PyCapsule
    /// interface. Columns: `kind`, `src`, `sport`, `dst`, `dport`, `end`
    /// (null for a datagram), `c2s_bytes`, `s2c_bytes` (a datagram's payload
    /// is `c2s_bytes`), `ts`, `last_ts` (UTC timestamps, microseconds),
    /// `community_id` (with `community_id_seed`). Consumes the capture's
    /// events.
    #[pyo3(signature = (*, community_id_seed = 0))]
    // The Python name (as pandas' and polars' `to_*`); it reads the events
    // still to come, hence `&mut self`.
    #[allow(clippy::wrong_self_convention)]
    fn to_arrow(
        &mut self,
        py: Python<'_>,
        community_id_seed: u16,
    ) -> PyResult<crate::arrow::ArrowTable> {
        let mut batches = Vec::new();
        while let Some(b) = self.next_batch(py, 65_536, community_id_seed)? {
            batches.push(b);
        }
        Ok(crate::arrow::ArrowTable::new(batches))
    }

    /// The rows of `to_arrow`, `size` at a time, as they come: an iterator of
    /// record batches (`pyarrow.record_batch(b)`), for captures whose table
    /// should not be held whole.
    #[pyo3(signature = (size = 65_536, *, community_id_seed = 0))]
    fn record_batches(
        slf: Py<Self>,
        size: usize,
        community_id_seed: u16,
    ) -> PyResult<RecordBatches> {
        if size == 0 {
            return Err(PyValueError::new_err("size must be at least 1"));
        }
        Ok(RecordBatches {
            capture: slf,
            size,
            seed: community_id_seed,
        })
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }

    /// Releases the file and the engine; iteration then ends. Streams still
    /// open get no event.
    fn close(&mut self) {
        if let Some(t) = self.threaded.take() {
            self.stats = t.stats.clone();
        }
        let slot = self.driver.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = slot.take() {
            self.stats = d.stats();
        }
        self.events.queue.clear();
        self.pending = None;
    }

    /// The capture's path.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Whether `close()` was called (or the context manager exited).
    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    /// The engine's counters so far: packets, bytes, streams, drops by reason.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.stats;
        let d = PyDict::new(py);
        for (k, v) in [
            ("frames", s.frames),
            ("bytes", s.bytes),
            ("non_ip", s.non_ip),
            ("ipv4", s.ipv4),
            ("ipv6", s.ipv6),
            ("fragments", s.fragments),
            ("reassembled", s.reassembled),
            ("datagrams", s.datagrams),
            ("udp", s.udp),
            ("tcp_segments", s.tcp_segments),
            ("icmp", s.icmp),
            ("tcp_streams", s.tcp_streams),
            ("tcp_established", s.tcp_established),
            ("tcp_bytes", s.tcp_bytes),
            ("scans", s.scans),
        ] {
            d.set_item(k, v)?;
        }
        let w = PyDict::new(py);
        for (warning, n) in s.nonzero_warnings() {
            w.set_item(warning.code(), n)?;
        }
        d.set_item("warnings", w)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<nids.Capture '{}'{}>",
            self.path,
            if self.is_closed() { " closed" } else { "" }
        )
    }
}

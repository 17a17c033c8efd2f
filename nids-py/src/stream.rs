//! `TcpStream` and `HalfStream`: what a pynids TCP callback receives.
//!
//! They are snapshots that live only for one callback. Before the call, the
//! module copies the stream's state into them and moves the kept bytes of each
//! half in (no copy); after the call it reads back `collect`, `collect_urg`,
//! `discard()` and `kill()`, moves the bytes out again and marks both objects
//! dead, so an object kept past its callback raises `nids.error` instead of
//! reading freed memory (pynids' use-after-free).

use std::net::IpAddr;

use nids_core::tcp::half::Half;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use nids_compat::HalfBuf;

use crate::error;

/// `((src, sport), (dst, dport))` with addresses as text (IPv6 too).
pub fn addr_tuple<'py>(
    py: Python<'py>,
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
) -> PyResult<Bound<'py, PyTuple>> {
    ((src.to_string(), sport), (dst.to_string(), dport)).into_pyobject(py)
}

fn stale(what: &str) -> PyErr {
    error::new_err(format!(
        "{what} used after its callback returned: copy what you need (e.g. bytes(half.data)) \
         inside the callback"
    ))
}

/// One direction of a TCP stream, as libnids' `struct half_stream`. `client`
/// holds what the client receives, `server` what the server receives.
///
/// Valid only during the callback that received it; later use raises
/// `nids.error`.
#[pyclass(module = "nids", name = "HalfStream")]
pub struct HalfStream {
    live: bool,
    state: u8,
    count: u64,
    count_new: usize,
    count_new_urg: bool,
    urgdata: u8,
    collect: bool,
    collect_urg: bool,
    /// The half's buffer: kept bytes, then new ones, in `bufsize` bytes.
    data: HalfBuf,
    /// `data` as a Python object, made on first access.
    data_obj: Option<Py<PyBytes>>,
}

impl HalfStream {
    /// A snapshot of `h` whose available bytes are those of `data` (of which
    /// the last `count_new` are new).
    pub fn new(h: &Half, data: HalfBuf, count_new: usize) -> HalfStream {
        HalfStream {
            live: true,
            state: h.state().libnids_value(),
            count: h.count(),
            count_new,
            count_new_urg: h.count_new_urg(),
            urgdata: h.urgdata(),
            collect: h.collect,
            collect_urg: h.collect_urg,
            data,
            data_obj: None,
        }
    }

    /// Ends the snapshot: its bytes and the flags the callback set.
    pub fn close(&mut self) -> (HalfBuf, bool, bool) {
        self.live = false;
        self.data_obj = None;
        (
            std::mem::take(&mut self.data),
            self.collect,
            self.collect_urg,
        )
    }

    fn check(&self) -> PyResult<()> {
        if self.live {
            Ok(())
        } else {
            Err(stale("HalfStream"))
        }
    }
}

#[pymethods]
impl HalfStream {
    /// The half's TCP state (libnids' numbers: 1 established, 2 SYN sent,
    /// 3 SYN received, 7 closed, 11 closing, 120 FIN sent, 121 FIN confirmed).
    #[getter]
    fn state(&self) -> PyResult<u8> {
        self.check()?;
        Ok(self.state)
    }

    /// The half's whole buffer, as pynids gives it (libnids' `bufsize`
    /// bytes, 4096 or more once a byte arrived): first the `count - offset`
    /// available bytes, those kept by earlier `discard()` calls and then the
    /// `count_new` new ones, then unused space (zeros, or bytes moved out of
    /// the front). Slice it as pynids scripts do: `data[:count_new]` without
    /// `discard()`, `data[:count - offset]` with it.
    #[getter]
    fn data(&mut self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        self.check()?;
        let obj = self
            .data_obj
            .get_or_insert_with(|| PyBytes::new(py, self.data.whole()).unbind());
        Ok(obj.clone_ref(py))
    }

    /// The last urgent byte (one byte).
    #[getter]
    fn urgdata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.check()?;
        Ok(PyBytes::new(py, &[self.urgdata]))
    }

    /// Bytes received in order so far.
    #[getter]
    fn count(&self) -> PyResult<u64> {
        self.check()?;
        Ok(self.count)
    }

    /// Bytes of `count` no longer available (consumed).
    #[getter]
    fn offset(&self) -> PyResult<u64> {
        self.check()?;
        Ok(self.count - self.data.len() as u64)
    }

    /// Bytes new in this callback (the last ones of `data`).
    #[getter]
    fn count_new(&self) -> PyResult<usize> {
        self.check()?;
        Ok(self.count_new)
    }

    /// 1 when this callback delivers an urgent byte (`urgdata`), else 0.
    #[getter]
    fn count_new_urg(&self) -> PyResult<u8> {
        self.check()?;
        Ok(self.count_new_urg.into())
    }

    /// Whether this half's bytes are collected (1) or not (0). Set it in the
    /// `NIDS_JUST_EST` callback; clearing every flag of both halves later drops
    /// the stream.
    #[getter]
    fn get_collect(&self) -> PyResult<u8> {
        self.check()?;
        Ok(self.collect.into())
    }

    #[setter]
    fn set_collect(&mut self, v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.check()?;
        self.collect = flag(v)?;
        Ok(())
    }

    /// Whether this half's urgent bytes are collected (1) or not (0).
    #[getter]
    fn get_collect_urg(&self) -> PyResult<u8> {
        self.check()?;
        Ok(self.collect_urg.into())
    }

    #[setter]
    fn set_collect_urg(&mut self, v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.check()?;
        self.collect_urg = flag(v)?;
        Ok(())
    }

    fn __repr__(&self) -> String {
        if self.live {
            format!(
                "<HalfStream state={} count={} offset={} count_new={} collect={}>",
                self.state,
                self.count,
                self.count - self.data.len() as u64,
                self.count_new,
                u8::from(self.collect)
            )
        } else {
            "<HalfStream (stale)>".to_owned()
        }
    }
}

/// A `collect` value: any object, by its truth (as pynids stored 0 or 1).
fn flag(v: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    match v {
        Some(v) => v.is_truthy(),
        None => Err(pyo3::exceptions::PyAttributeError::new_err(
            "collect flags cannot be deleted",
        )),
    }
}

/// A TCP stream, as libnids' `struct tcp_stream`, given to the callback
/// registered with `register_tcp`.
///
/// Valid only during that callback; later use raises `nids.error`.
#[pyclass(module = "nids", name = "TcpStream")]
pub struct TcpStream {
    live: bool,
    addr: Py<PyTuple>,
    state: u8,
    client: Py<HalfStream>,
    server: Py<HalfStream>,
    discard: Option<usize>,
    kill: bool,
}

/// What a callback asked for, read back after it returned.
pub struct Outcome {
    pub client: (HalfBuf, bool, bool),
    pub server: (HalfBuf, bool, bool),
    pub discard: Option<usize>,
    pub kill: bool,
}

impl TcpStream {
    pub fn new(
        addr: Py<PyTuple>,
        state: u8,
        client: Py<HalfStream>,
        server: Py<HalfStream>,
    ) -> TcpStream {
        TcpStream {
            live: true,
            addr,
            state,
            client,
            server,
            discard: None,
            kill: false,
        }
    }

    /// Ends the snapshot (and its halves'), returning what the callback asked for.
    pub fn close(&mut self, py: Python<'_>) -> Outcome {
        self.live = false;
        Outcome {
            client: self.client.borrow_mut(py).close(),
            server: self.server.borrow_mut(py).close(),
            discard: self.discard,
            kill: self.kill,
        }
    }

    fn check(&self) -> PyResult<()> {
        if self.live {
            Ok(())
        } else {
            Err(stale("TcpStream"))
        }
    }
}

#[pymethods]
impl TcpStream {
    /// `((src, sport), (dst, dport))`: the client (sender of the SYN) first.
    /// Addresses are text: dotted quads, or IPv6 in its usual form.
    #[getter]
    fn addr(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        self.check()?;
        Ok(self.addr.clone_ref(py))
    }

    /// What happened: `NIDS_JUST_EST`, `NIDS_DATA`, `NIDS_CLOSE`, `NIDS_RESET`,
    /// `NIDS_TIMED_OUT` or `NIDS_EXITING`.
    #[getter]
    fn nids_state(&self) -> PyResult<u8> {
        self.check()?;
        Ok(self.state)
    }

    /// The client's half: the bytes the client receives (server to client).
    #[getter]
    fn client(&self, py: Python<'_>) -> PyResult<Py<HalfStream>> {
        self.check()?;
        Ok(self.client.clone_ref(py))
    }

    /// The server's half: the bytes the server receives (client to server).
    #[getter]
    fn server(&self, py: Python<'_>) -> PyResult<Py<HalfStream>> {
        self.check()?;
        Ok(self.server.clone_ref(py))
    }

    /// Keep all but the first `n` available bytes of the half that has new data
    /// for the next callback (libnids' `nids_discard`; `discard(0)` keeps all).
    /// Without a call everything is consumed. Several calls: the smallest wins.
    /// Meaningful in `NIDS_DATA` callbacks only.
    fn discard(&mut self, n: i64) -> PyResult<()> {
        self.check()?;
        let n = usize::try_from(n).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err("discard() needs a count of 0 or more")
        })?;
        self.discard = Some(self.discard.map_or(n, |d| d.min(n)));
        Ok(())
    }

    /// Reset the connection (libnids' `nids_killtcp`): four RST segments, two
    /// toward each end with the sequence numbers it expects, are built after
    /// the callback. Reading a capture file they go nowhere, as with libnids.
    fn kill(&mut self) -> PyResult<()> {
        self.check()?;
        self.kill = true;
        Ok(())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        if self.live {
            format!(
                "<TcpStream {} nids_state={}>",
                self.addr
                    .bind(py)
                    .repr()
                    .map_or_else(|_| "?".into(), |r| r.to_string()),
                self.state
            )
        } else {
            "<TcpStream (stale)>".to_owned()
        }
    }
}

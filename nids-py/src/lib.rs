//! The `nids` Python 3 module: pynids' API over nids-rs, and a Pythonic one.
//!
//! * [`compat`]: pynids' global functions (`param`, `init`, `register_*`,
//!   `run`, `next`, `dispatch`, ...) over one engine in the module's state,
//!   with pynids' defects fixed (see the module docstring below).
//! * [`stream`]: `TcpStream` and `HalfStream`, valid during their callback only.
//! * [`capture`]: `nids.Capture`, an iterator of event objects.
//! * [`driver`]: a capture file and the engine over it, shared by both.
//!
//! Packets are processed in Rust with the GIL released; callbacks take it back.
#![deny(unsafe_code)]

use pyo3::prelude::*;

mod arrow;
mod capture;
mod community;
mod compat;
mod driver;
mod params;
mod stream;
mod threaded;

pyo3::create_exception!(
    nids,
    error,
    pyo3::exceptions::PyException,
    "Raised by nids functions (pynids' nids.error): a capture that cannot be \
     opened or read, a call out of order, an unknown parameter, or a TcpStream \
     used after its callback."
);

/// Network intrusion detection building blocks: IP defragmentation, TCP
/// stream reassembly and port-scan detection over capture files, by nids-rs.
///
/// A successor to pynids, with its API:
///
///     import nids
///     def tcp(stream):
///         if stream.nids_state == nids.NIDS_JUST_EST:
///             stream.client.collect = stream.server.collect = 1
///         elif stream.nids_state == nids.NIDS_DATA:
///             stream.discard(0)          # keep the bytes for later callbacks
///         else:
///             print(stream.addr, len(stream.server.data), len(stream.client.data))
///     nids.param("filename", "trace.pcap")
///     nids.init()
///     nids.register_tcp(tcp)
///     nids.run()
///
/// What differs from pynids: payloads are bytes; HalfStream.data is the valid
/// bytes only (count - offset of them); unknown param() names raise nids.error,
/// values of the wrong type TypeError; run() ends the streams still open with
/// NIDS_EXITING (so does exit(), for next()/dispatch() loops); a TcpStream kept
/// past its callback raises nids.error; an exception in a callback stops
/// processing and comes out of run()/next()/dispatch() with its traceback;
/// IPv6 addresses appear in addr as text; callbacks may be registered before
/// init(). Live capture, pcap_filter and kill() on a live interface need a
/// build with the libpcap feature (init() says so otherwise).
///
/// For new code, nids.Capture(path) iterates over event objects
/// (StreamStart, StreamData, StreamEnd, Datagram), as a context manager.
#[pymodule]
fn nids(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The libnids whose behaviour nids-rs follows.
    m.add("__nids_version__", "1.26")?;
    m.add("error", py.get_type::<error>())?;
    for (name, value) in [
        ("NIDS_JUST_EST", 1),
        ("NIDS_DATA", 2),
        ("NIDS_CLOSE", 3),
        ("NIDS_RESET", 4),
        ("NIDS_TIMED_OUT", 5),
        ("NIDS_TIMEOUT", 5),
        ("NIDS_EXITING", 6),
    ] {
        m.add(name, value)?;
    }
    m.add_function(wrap_pyfunction!(community::community_id, m)?)?;
    m.add_function(wrap_pyfunction!(compat::param, m)?)?;
    m.add_function(wrap_pyfunction!(compat::init, m)?)?;
    m.add_function(wrap_pyfunction!(compat::register_tcp, m)?)?;
    m.add_function(wrap_pyfunction!(compat::register_udp, m)?)?;
    m.add_function(wrap_pyfunction!(compat::register_ip, m)?)?;
    m.add_function(wrap_pyfunction!(compat::register_ip_frag, m)?)?;
    m.add_function(wrap_pyfunction!(compat::run, m)?)?;
    m.add_function(wrap_pyfunction!(compat::next, m)?)?;
    m.add_function(wrap_pyfunction!(compat::dispatch, m)?)?;
    m.add_function(wrap_pyfunction!(compat::exit, m)?)?;
    m.add_function(wrap_pyfunction!(compat::getfd, m)?)?;
    m.add_function(wrap_pyfunction!(compat::chksum_ctl, m)?)?;
    m.add_function(wrap_pyfunction!(compat::get_pkt_ts, m)?)?;
    m.add_function(wrap_pyfunction!(compat::get_pcap_stats, m)?)?;
    m.add_class::<stream::TcpStream>()?;
    m.add_class::<stream::HalfStream>()?;
    m.add_class::<capture::Capture>()?;
    m.add_class::<capture::StreamStart>()?;
    m.add_class::<capture::StreamData>()?;
    m.add_class::<capture::StreamEnd>()?;
    m.add_class::<capture::Datagram>()?;
    m.add_class::<capture::RecordBatches>()?;
    m.add_class::<arrow::ArrowTable>()?;
    m.add_class::<arrow::ArrowBatch>()?;
    // maturin's package `__init__` re-exports with `import *`: list the dunders too.
    let mut all: Vec<String> = vec!["__version__".into(), "__nids_version__".into()];
    for name in m.dict().keys() {
        let name: String = name.extract()?;
        if !name.starts_with('_') {
            all.push(name);
        }
    }
    m.add("__all__", all)?;
    Ok(())
}

//! The Community ID for Python: `nids.community_id(...)` and the events'
//! `community_id()` methods, both from `nids_host::community_id` (the one
//! implementation; this only translates Python's values).

use std::net::IpAddr;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

fn ip(s: &str) -> PyResult<IpAddr> {
    s.parse()
        .map_err(|_| PyValueError::new_err(format!("not an IP address: {s:?}")))
}

/// The Community ID (version 1) of a flow: ``"1:"`` and the base64 SHA-1 of
/// the seed, the ordered endpoints and the protocol, as Zeek, Suricata and
/// Arkime log it. Either direction gives the same ID.
///
/// ``proto`` is the IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...);
/// for ICMP and ICMPv6, ``sport`` is the type and ``dport`` the code.
/// Raises ``ValueError`` for an address that is not one, or two of
/// different families.
#[pyfunction]
#[pyo3(signature = (proto, src, sport, dst, dport, seed = 0))]
pub fn community_id(
    proto: u8,
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    seed: u16,
) -> PyResult<String> {
    nids_host::community_id::community_id(seed, proto, ip(src)?, sport, ip(dst)?, dport)
        .ok_or_else(|| PyValueError::new_err("the two addresses are of different families"))
}

/// The Community ID of an event's `addr`, `((src, sport), (dst, dport))`.
pub(crate) fn of_addr(
    py: Python<'_>,
    addr: &Py<PyTuple>,
    proto: u8,
    seed: u16,
) -> PyResult<String> {
    let ((src, sport), (dst, dport)): ((String, u16), (String, u16)) = addr.bind(py).extract()?;
    community_id(proto, &src, sport, &dst, dport, seed)
}

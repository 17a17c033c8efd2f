//! The streams C can name: `nids_find_tcp_stream` looks them up by tuple, and
//! `nids_killtcp` / `nids_free_tcp_stream` mark them for the engine to act on
//! at the stream's next event (or at once, from inside its callback).
//!
//! Each table has its own lock, never held while C code runs, so callbacks
//! may call these functions.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use nids_core::Tuple;

/// Streams with listeners: the address of their `struct tcp_stream` by
/// client-to-server tuple, and the tuple by address (O(1) both ways).
#[derive(Default)]
struct Streams {
    by_tuple: HashMap<Tuple, usize>,
    by_ptr: HashMap<usize, Tuple>,
}

impl Streams {
    fn remove_ptr(&mut self, ptr: usize) -> Option<Tuple> {
        let t = self.by_ptr.remove(&ptr)?;
        if self.by_tuple.get(&t) == Some(&ptr) {
            self.by_tuple.remove(&t);
        }
        Some(t)
    }
}

static STREAMS: Mutex<Option<Streams>> = Mutex::new(None);
/// Streams a program asked to kill.
static KILL: Mutex<Option<HashSet<usize>>> = Mutex::new(None);
/// Streams a program freed.
static FREED: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn with<T, R>(m: &Mutex<Option<T>>, f: impl FnOnce(&mut T) -> R) -> R
where
    T: Default,
{
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(T::default))
}

/// Records a stream under its tuple.
pub fn insert(addr: Tuple, ptr: usize) {
    with(&STREAMS, |m| {
        if let Some(old) = m.by_tuple.insert(addr, ptr) {
            m.by_ptr.remove(&old);
        }
        m.by_ptr.insert(ptr, addr);
    });
}

/// The stream of `addr` (exact orientation), if any. A `struct tuple4` names
/// no tunnel, so when no stream outside tunnels has these addresses and ports,
/// the one inside a tunnel that has them is found (the lowest tunnel id, if
/// several tenants reuse them): a callback's own `addr` finds its stream. A
/// tunnelled stream's id is the same for both directions (no GTP-U TEID, GRE
/// key, ERSPAN session or MPLS label in it: `nids_core::tunnel`, "Tunnel
/// identity"), so its two halves are one entry, found from either's packets.
/// O(1), or O(streams) when the stream is in a tunnel or not found.
pub fn find(addr: &Tuple) -> Option<usize> {
    with(&STREAMS, |m| {
        m.by_tuple.get(addr).copied().or_else(|| {
            m.by_tuple
                .iter()
                .filter(|(t, _)| {
                    (t.src, t.sport, t.dst, t.dport) == (addr.src, addr.sport, addr.dst, addr.dport)
                })
                .min_by_key(|(t, _)| t.tunnel)
                .map(|(_, &p)| p)
        })
    })
}

/// Whether `ptr` is a stream C may act on. O(1).
pub fn contains(ptr: usize) -> bool {
    with(&STREAMS, |m| m.by_ptr.contains_key(&ptr))
}

/// Forgets the stream at `ptr`, recorded under `addr` (it ended).
pub fn forget(addr: &Tuple, ptr: usize) {
    with(&STREAMS, |m| {
        if m.by_ptr.get(&ptr) == Some(addr) {
            m.remove_ptr(ptr);
        }
    });
    with(&KILL, |k| k.remove(&ptr));
    with(&FREED, |f| f.remove(&ptr));
}

/// Asks for the stream at `ptr` to be killed.
pub fn kill(ptr: usize) {
    if contains(ptr) {
        with(&KILL, |k| k.insert(ptr));
    }
}

/// Whether the stream at `ptr` was asked to be killed (and clears the request).
pub fn take_kill(ptr: usize) -> bool {
    with(&KILL, |k| k.remove(&ptr))
}

/// Frees the stream at `ptr` for C: no more callbacks, no lookup.
pub fn free(ptr: usize) {
    let addr = with(&STREAMS, |m| m.remove_ptr(ptr));
    if addr.is_some() {
        with(&FREED, |f| f.insert(ptr));
    }
}

/// Whether the stream at `ptr` was freed by the program (and clears it).
pub fn take_freed(ptr: usize) -> bool {
    with(&FREED, |f| f.remove(&ptr))
}

/// Forgets everything (a new `nids_init`).
pub fn clear() {
    with(&STREAMS, |m| *m = Streams::default());
    with(&KILL, |k| k.clear());
    with(&FREED, |f| f.clear());
}

#[cfg(test)]
mod tests {
    use super::*;
    use nids_core::TunnelId;

    fn tuple(sport: u16, tunnel: TunnelId) -> Tuple {
        Tuple {
            src: core::net::Ipv4Addr::new(10, 0, 0, 1).into(),
            sport,
            dst: core::net::Ipv4Addr::new(10, 0, 0, 2).into(),
            dport: 80,
            tunnel,
        }
    }

    #[test]
    fn test_find_outside_then_inside_tunnels() {
        // Ports of their own: the registry is global to the test binary.
        let vxlan = TunnelId::from_bits;
        insert(tuple(50001, vxlan(7)), 0x1000);
        insert(tuple(50001, vxlan(3)), 0x2000);
        let plain = tuple(50001, TunnelId::NONE);
        assert_eq!(find(&plain), Some(0x2000), "the lowest tunnel id");
        insert(plain, 0x3000);
        assert_eq!(find(&plain), Some(0x3000), "outside tunnels first");
        assert_eq!(find(&tuple(50002, TunnelId::NONE)), None);
        for (t, p) in [
            (tuple(50001, vxlan(7)), 0x1000),
            (tuple(50001, vxlan(3)), 0x2000),
            (plain, 0x3000),
        ] {
            forget(&t, p);
        }
        assert_eq!(find(&plain), None);
    }

    #[test]
    fn test_by_pointer() {
        let t = tuple(50010, TunnelId::NONE);
        insert(t, 0x5000);
        assert!(contains(0x5000));
        // The same tuple again (a new connection): the old pointer is gone.
        insert(t, 0x6000);
        assert!(!contains(0x5000) && contains(0x6000));
        free(0x6000);
        assert!(!contains(0x6000));
        assert!(take_freed(0x6000));
        assert_eq!(find(&t), None);
    }
}

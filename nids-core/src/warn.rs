//! `warn`: how every layer of the engine reports a [`Warning`]: counted in
//! [`Stats`], then given to the handler with the packet that caused it.

use crate::event::Warning;
use crate::handler::Handler;
use crate::stats::Stats;
use crate::time::Instant;

/// Count `w` and hand it to `h` with `packet` (empty when no packet caused it).
/// O(1).
pub(crate) fn warn<U, H: Handler<U>>(
    stats: &mut Stats,
    h: &mut H,
    ts: Instant,
    w: Warning,
    packet: &[u8],
) {
    stats.count(w);
    h.warning(ts, w, packet);
}

//! [`Half`]: one endpoint of a stream and the bytes it receives.
//!
//! libnids' naming is kept: `stream.client()` holds what the **client receives**
//! (server-to-client bytes), `stream.server()` what the server receives.

use super::pool::NONE;
use super::queue::Queue;
use super::seq::{after, before};

/// libnids' half-stream states (the values pynids exposes as `HalfStream.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// No SYN seen from this side yet (libnids `TCP_CLOSE`, 7).
    Closed,
    /// Client sent its SYN (`TCP_SYN_SENT`, 2).
    SynSent,
    /// Server sent its SYN-ACK (`TCP_SYN_RECV`, 3).
    SynRecv,
    /// Handshake complete (`TCP_ESTABLISHED`, 1).
    Established,
    /// This side's FIN is queued out of order (`TCP_CLOSING`, 11).
    Closing,
    /// This side's FIN was processed in order (`FIN_SENT`, 120).
    FinSent,
    /// The peer acknowledged this side's FIN (`FIN_CONFIRMED`, 121).
    FinConfirmed,
}

impl State {
    /// The number libnids uses for this state.
    pub const fn libnids_value(self) -> u8 {
        match self {
            State::Established => 1,
            State::SynSent => 2,
            State::SynRecv => 3,
            State::Closed => 7,
            State::Closing => 11,
            State::FinSent => 120,
            State::FinConfirmed => 121,
        }
    }
}

/// Bytes a handler kept with `discard`: a chain of pool blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kept {
    pub head: u32,
    pub tail: u32,
    /// Offset of the first kept byte in the head block's payload.
    pub start: usize,
    /// Number of kept bytes.
    pub len: usize,
}

impl Kept {
    pub const EMPTY: Kept = Kept {
        head: NONE,
        tail: NONE,
        start: 0,
        len: 0,
    };
}

/// One endpoint of a TCP stream: its own sequence state, and the bytes it
/// receives. Size: about 120 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Half {
    /// Whether the handler wants this half's bytes (libnids `collect`). Set it
    /// in the `JustEstablished` event; clearing both halves' `collect` and
    /// `collect_urg` later ends the handler's interest, and the stream is dropped.
    pub collect: bool,
    /// Whether the handler wants this half's urgent bytes (`collect_urg`).
    pub collect_urg: bool,
    pub(crate) state: State,
    pub(crate) count: u64,
    pub(crate) offset: u64,
    pub(crate) count_new: usize,
    pub(crate) count_new_urg: bool,
    pub(crate) urgdata: u8,
    pub(crate) seq: u32,
    pub(crate) ack_seq: u32,
    pub(crate) first_data_seq: u32,
    pub(crate) fin_seq: u32,
    pub(crate) urg_count: u32,
    pub(crate) urg_ptr: u32,
    pub(crate) urg_seen: bool,
    pub(crate) window: u32,
    /// The last window field as sent (unscaled).
    pub(crate) raw_window: u16,
    pub(crate) wscale: u8,
    pub(crate) wscale_on: bool,
    pub(crate) ts_on: bool,
    /// This endpoint's TSval as its peer last echoed it: a floor of the
    /// peer's TS.Recent (PAWS).
    pub(crate) curr_ts: u32,
    /// The highest TSval seen from this endpoint (an echo cannot exceed it).
    pub(crate) ts_seen: u32,
    /// The out-of-order queue of bytes this half receives.
    pub(crate) queue: Queue,
    pub(crate) kept: Kept,
    /// Bytes skipped over holes the receiver acknowledged (`skip_gaps`).
    pub(crate) missing: u64,
    /// The expected sequence number at which a hole was last reported.
    pub(crate) gap_warned: Option<u32>,
    /// An RST from the peer that came ahead of bytes still missing: it ends
    /// the stream when they are in (the receiver may get them first).
    pub(crate) rst_ahead: Option<u32>,
}

impl Half {
    pub(crate) const NEW: Half = Half {
        collect: false,
        collect_urg: false,
        state: State::Closed,
        count: 0,
        offset: 0,
        count_new: 0,
        count_new_urg: false,
        urgdata: 0,
        seq: 0,
        ack_seq: 0,
        first_data_seq: 0,
        fin_seq: 0,
        urg_count: 0,
        urg_ptr: 0,
        urg_seen: false,
        window: 0,
        raw_window: 0,
        wscale: 0,
        wscale_on: false,
        ts_on: false,
        curr_ts: 0,
        ts_seen: 0,
        queue: Queue::EMPTY,
        kept: Kept::EMPTY,
        missing: 0,
        gap_warned: None,
        rst_ahead: None,
    };

    /// The half's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Bytes received in order so far (urgent bytes excluded), as libnids' `count`.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Bytes of `count` that were consumed (not kept), as libnids' `offset`.
    /// `count - offset` bytes are available: kept ones, then new ones.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes new in this event (libnids' `count_new`).
    pub fn count_new(&self) -> usize {
        self.count_new
    }

    /// Whether this event delivers an urgent byte (`count_new_urg`).
    pub fn count_new_urg(&self) -> bool {
        self.count_new_urg
    }

    /// The last urgent byte (`urgdata`).
    pub fn urgdata(&self) -> u8 {
        self.urgdata
    }

    /// Bytes skipped because the capture missed them while the receiver got them
    /// (only with `Config::tcp.skip_gaps`); they are not in `count`.
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// Bytes waiting in the out-of-order queue.
    pub fn queued_bytes(&self) -> usize {
        self.queue.bytes()
    }

    /// Storage the out-of-order queue holds: every block it occupies, whole.
    pub fn queued_storage(&self) -> usize {
        self.queue.charged()
    }

    /// Once this endpoint has closed (its FIN processed in order), how many of
    /// the `len` bytes it sent at `seq` lie at or after its FIN's sequence
    /// number: they are never stream data. `None` while its FIN is not processed.
    pub(crate) fn past_fin(&self, seq: u32, len: u32) -> Option<u32> {
        if !matches!(self.state, State::FinSent | State::FinConfirmed) {
            return None;
        }
        let end = seq.wrapping_add(len);
        let from = if before(seq, self.fin_seq) {
            self.fin_seq
        } else {
            seq
        };
        Some(if after(end, from) {
            end.wrapping_sub(from)
        } else {
            0
        })
    }

    /// This endpoint's next sequence number as the capture shows it, `rcv`
    /// being the half that receives its bytes: after its FIN once that is in,
    /// else the next byte `rcv` expects. O(1).
    pub(crate) fn next_seq(&self, rcv: &Half) -> u32 {
        match self.state {
            State::FinSent | State::FinConfirmed => self.fin_seq.wrapping_add(1),
            _ => rcv.expected(self.first_data_seq),
        }
    }

    /// The next sequence number expected from the peer (libnids `EXP_SEQ` for
    /// bytes this half receives), given the peer's `first_data_seq`.
    pub(crate) fn expected(&self, peer_first_data_seq: u32) -> u32 {
        peer_first_data_seq
            .wrapping_add(self.count as u32)
            .wrapping_add(self.urg_count)
            .wrapping_add(self.missing as u32)
    }
}

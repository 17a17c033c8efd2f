//! [`Stream`]: the view of a stream given to [`crate::Handler::tcp`].

use core::net::IpAddr;

use super::half::Half;
use super::pool::{Pool, NONE};
use super::Slot;
use crate::flow::Tuple;
use crate::time::Instant;

/// What happened to a stream (libnids' `nids_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// The 3-way handshake completed. Set `collect`/`collect_urg` on the halves
    /// you want; if none is set, the stream is dropped and no other event comes.
    JustEstablished,
    /// New bytes for one half ([`Half::count_new`]) or an urgent byte
    /// ([`Half::count_new_urg`]).
    Data,
    /// Both sides closed with FIN, and each FIN was acknowledged.
    Close,
    /// A valid RST ended the stream.
    Reset,
    /// The stream was evicted (table full), reused after `flow_timeout`, or idle
    /// past `idle_timeout`.
    TimedOut,
    /// Input ended ([`crate::Nids::finish`]) with the stream still open.
    Exiting,
}

impl Event {
    /// libnids' number for it (`NIDS_JUST_EST` = 1 … `NIDS_EXITING` = 6).
    pub const fn libnids_value(self) -> u8 {
        match self {
            Event::JustEstablished => 1,
            Event::Data => 2,
            Event::Close => 3,
            Event::Reset => 4,
            Event::TimedOut => 5,
            Event::Exiting => 6,
        }
    }

    /// `"close"`, `"reset"`, `"timeout"`, `"exiting"` (and `"established"`,
    /// `"data"`): the names `nids streams --json` prints.
    pub const fn name(self) -> &'static str {
        match self {
            Event::JustEstablished => "established",
            Event::Data => "data",
            Event::Close => "close",
            Event::Reset => "reset",
            Event::TimedOut => "timeout",
            Event::Exiting => "exiting",
        }
    }
}

/// Which half of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Side {
    /// The client's half: bytes the client receives (server to client).
    Client,
    /// The server's half: bytes the server receives (client to server).
    Server,
}

/// A stream as seen from [`crate::Handler::tcp`]: its tuple, both halves, the
/// new bytes of this event, and the actions the handler may take.
pub struct Stream<'s, 'a, U> {
    pub(crate) ts: Instant,
    pub(crate) event: Event,
    pub(crate) tuple: Tuple,
    pub(crate) slot: &'s mut Slot<U>,
    pub(crate) pool: &'s Pool<'a>,
    pub(crate) side: Option<Side>,
    pub(crate) new: &'s [u8],
    pub(crate) continues: bool,
    pub(crate) read: Option<usize>,
    pub(crate) kill: bool,
}

impl<'s, 'a, U> Stream<'s, 'a, U> {
    /// What happened.
    pub fn event(&self) -> Event {
        self.event
    }

    /// Time of the packet that caused the event (or of `finish`/`advance`).
    pub fn ts(&self) -> Instant {
        self.ts
    }

    /// Client (SYN sender) to server.
    pub fn tuple(&self) -> &Tuple {
        &self.tuple
    }

    /// The client's half: what the client receives.
    pub fn client(&self) -> &Half {
        &self.slot.client
    }

    /// The server's half: what the server receives.
    pub fn server(&self) -> &Half {
        &self.slot.server
    }

    /// The client's half, to set `collect`/`collect_urg`.
    pub fn client_mut(&mut self) -> &mut Half {
        &mut self.slot.client
    }

    /// The server's half, to set `collect`/`collect_urg`.
    pub fn server_mut(&mut self) -> &mut Half {
        &mut self.slot.server
    }

    /// Which half got new bytes in this `Data` event.
    pub fn side(&self) -> Option<Side> {
        self.side
    }

    /// Whether the stream was picked up without its handshake
    /// (`Config::tcp.midstream`): then the client/server roles are a guess (the
    /// lower port is the server's).
    pub fn midstream(&self) -> bool {
        self.slot.midstream
    }

    /// Time of the SYN that created the stream.
    pub fn created(&self) -> Instant {
        self.slot.created
    }

    /// Number of the frame that created the stream: the engine numbers the
    /// frames it processes 0, 1, 2, … unless told otherwise
    /// ([`crate::Nids::set_frame_number`]). Streams are ended oldest first by
    /// this number (idle timeouts, `finish`), so engines fed parts of one
    /// capture can have their events put back in one engine's order.
    pub fn created_frame(&self) -> u64 {
        self.slot.created_frame
    }

    /// Number of the frame that last touched the stream (see
    /// [`created_frame`](Self::created_frame)): idle timeouts end streams
    /// least recently touched first, so engines fed parts of one capture can
    /// put those ends back in one engine's order. O(1).
    pub fn last_frame(&self) -> u64 {
        self.slot.last_frame
    }

    /// The bytes new in this event (`count_new` of them), borrowed straight from
    /// the frame when they arrived in order. Empty outside `Data` events.
    /// They outlive this borrow of the stream, so a handler may hold them
    /// while it updates its [`Stream::user`] data in place.
    pub fn new_data(&self) -> &'s [u8] {
        self.new
    }

    /// Whether the segment these new bytes come from goes on in the next
    /// `Data` event of this half. A segment that waited behind a hole is
    /// stored in storage blocks and delivered one block at a time; libnids
    /// gives it to its callbacks in one piece (one callback, `count_new` its
    /// whole length), so a face that copies the bytes anyway (nids-compat)
    /// joins the pieces and calls its callbacks once, at the last piece. No
    /// other event of the stream comes between the pieces, except when the
    /// rest is dropped (bytes past a FIN): an event of another kind or side
    /// then ends the segment.
    pub fn continues(&self) -> bool {
        self.continues
    }

    /// Bytes of `side` kept by earlier `discard` calls, oldest first, as chunks
    /// (they live in pool blocks). Together with [`Stream::new_data`] they make
    /// the `count - offset` available bytes.
    pub fn kept(&self, side: Side) -> KeptChunks<'_, 'a> {
        let k = self.slot.receiving(side).0.kept;
        KeptChunks {
            pool: self.pool,
            block: k.head,
            start: k.start,
            left: k.len,
        }
    }

    /// Keep all but the first `n` available bytes of the half with new data for
    /// the next event (libnids' `nids_discard`). Without a call, all are
    /// consumed. Several calls: the smallest `n` wins.
    pub fn discard(&mut self, n: usize) {
        self.read = Some(self.read.map_or(n, |r| r.min(n)));
    }

    /// Per-stream user data, `None` until the handler sets it.
    pub fn user(&mut self) -> &mut Option<U> {
        &mut self.slot.user
    }

    /// The server's address and port.
    pub fn server_addr(&self) -> (IpAddr, u16) {
        (self.tuple.dst, self.tuple.dport)
    }

    /// Ask for the connection to be reset: the engine builds the RST frames libnids
    /// sends and gives them to [`crate::Handler::transmit`] after this event.
    pub fn kill(&mut self) {
        self.kill = true;
    }
}

/// Iterator over kept bytes ([`Stream::kept`]).
pub struct KeptChunks<'s, 'a> {
    pool: &'s Pool<'a>,
    block: u32,
    start: usize,
    left: usize,
}

impl<'s> Iterator for KeptChunks<'s, '_> {
    type Item = &'s [u8];
    fn next(&mut self) -> Option<&'s [u8]> {
        if self.left == 0 || self.block == NONE {
            return None;
        }
        let d = self.pool.data(self.block);
        let chunk = d.get(self.start..).unwrap_or(&[]);
        let chunk = &chunk[..chunk.len().min(self.left)];
        self.left -= chunk.len();
        self.block = self.pool.next(self.block);
        self.start = 0;
        if chunk.is_empty() {
            self.left = 0;
        }
        Some(chunk)
    }
}

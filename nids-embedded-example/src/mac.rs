//! What the firmware needs from an Ethernet MAC, and nothing more: receive a
//! frame into a buffer, transmit a frame, count what was lost. A driver for a
//! new chip implements [`Mac`] (see the porting guide in the README); the
//! receive path ([`crate::rx`]), the engine loop ([`crate::app`]) and the
//! handler ([`crate::tap`]) are the same on every board.

/// An Ethernet MAC that a tap can use.
///
/// The receive side is polled: [`Mac::receive`] never blocks. A board that
/// receives by interrupt calls [`crate::rx::Rx::drain`] from the MAC's
/// interrupt handler, which calls [`Mac::receive`] until it returns `None`;
/// [`Mac::set_rx_interrupt`] turns that interrupt on and off.
pub trait Mac {
    /// The MAC's own address (the source of frames it builds; a tap sends few).
    fn address(&self) -> [u8; 6];

    /// Take the next received frame, if any: copy it into `buf` (without its
    /// FCS) and return its length, or say why it was dropped. Never blocks.
    ///
    /// Acknowledge the receive interrupt *before* looking for a frame, so that
    /// a frame that arrives after the last call raises the interrupt again.
    fn receive(&mut self, buf: &mut [u8]) -> Option<Result<usize, RxError>>;

    /// Send one Ethernet frame (header included, FCS not).
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError>;

    /// Turn the receive interrupt on or off (masked at the MAC: the NVIC line
    /// is the board's business).
    fn set_rx_interrupt(&mut self, on: bool);

    /// What the driver counted: frames, drops, overruns, errors.
    fn counters(&mut self) -> Counters;
}

/// What a driver counts. Frames the MAC lost without telling (QEMU's LAN9118
/// on a full FIFO, for example) cannot be counted here: the runner counts them
/// by comparing what it sent with what the engine saw.
#[derive(Debug, Clone, Copy, Default, defmt::Format)]
pub struct Counters {
    /// Frames received and handed out.
    pub rx_frames: u32,
    /// Times the MAC reported a receive overrun (at least one frame lost each
    /// time).
    pub rx_overruns: u32,
    /// Frames the MAC reported damaged.
    pub rx_errors: u32,
    /// Frames longer than the caller's buffer, read and dropped.
    pub rx_too_long: u32,
    /// Times the receive FIFO was out of step and was reset (frames in it lost).
    pub rx_resets: u32,
    /// Frames transmitted.
    pub tx_frames: u32,
    /// Frames not transmitted (bad length, or the transmitter stuck).
    pub tx_errors: u32,
}

/// Why [`Mac::receive`] gave no frame although one was waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum RxError {
    /// The frame was longer than the buffer (its length here); it was dropped.
    TooLong(usize),
    /// The MAC marked the frame as damaged; it was dropped.
    Damaged,
    /// The FIFO was out of step and was reset.
    Resync,
}

/// Why [`Mac::transmit`] did not send a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum TxError {
    /// Shorter than an Ethernet header, or longer than the MAC sends.
    BadLength,
    /// The previous frame never finished.
    Busy,
}

/// Fill `buf` from a FIFO data register that gives 4 bytes, little-endian,
/// per read (`read`); returns the number of reads. Whole words are stored
/// with one (unaligned) store each, the last partial word byte by byte.
pub fn read_words(buf: &mut [u8], mut read: impl FnMut() -> u32) -> usize {
    let mut chunks = buf.chunks_exact_mut(4);
    let mut n = 0;
    for c in &mut chunks {
        c.copy_from_slice(&read().to_le_bytes());
        n += 1;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let w = read().to_le_bytes();
        rest.copy_from_slice(&w[..rest.len()]);
        n += 1;
    }
    n
}

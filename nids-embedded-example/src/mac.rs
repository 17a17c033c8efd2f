//! What the firmware needs from an Ethernet MAC, and nothing more: receive a
//! frame into a buffer, transmit a frame, count what was lost. A driver for a
//! new chip implements [`Mac`] (see the porting guide in the README); the
//! receive path ([`crate::rx`]), the engine loop ([`crate::app`]) and the
//! handler ([`crate::tap`]) are the same on every board.

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicBool, Ordering};

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

impl Counters {
    /// Count a transmission's result, and pass it on.
    pub fn count_tx(&mut self, result: Result<(), TxError>) -> Result<(), TxError> {
        match result {
            Ok(()) => self.tx_frames += 1,
            Err(_) => self.tx_errors += 1,
        }
        result
    }
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

/// A device's block of 32-bit memory-mapped registers, for its driver.
pub struct Regs(usize);

impl Regs {
    /// The block at `base`.
    ///
    /// # Safety
    ///
    /// `base` is the base address of a device's registers, every offset later
    /// given to [`Regs::read`] and [`Regs::write`] is one of its 32-bit
    /// registers (reads and writes with no effect beyond the documented ones),
    /// and only this value's owner (the driver) accesses them.
    pub const unsafe fn at(base: usize) -> Regs {
        Regs(base)
    }

    /// Read the register at `off`.
    pub fn read(&self, off: usize) -> u32 {
        // SAFETY: a register of the device, as promised to `Regs::at`.
        unsafe { read_volatile((self.0 + off) as *const u32) }
    }

    /// Write `v` to the register at `off`.
    pub fn write(&self, off: usize, v: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((self.0 + off) as *mut u32, v) }
    }
}

/// For a driver's `take()`: `true` the first time it is called with `taken`,
/// `false` after (there is one controller).
pub fn first_take(taken: &AtomicBool) -> bool {
    !taken.swap(true, Ordering::AcqRel)
}

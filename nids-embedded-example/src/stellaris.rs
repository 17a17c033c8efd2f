//! A small driver for the Ethernet controller of the TI (Luminary Micro) Stellaris
//! LM3S6965, as QEMU's `lm3s6965evb` board emulates it (`hw/net/stellaris_enet.c`).
//!
//! The controller has no DMA: frames go through a receive FIFO and a transmit
//! FIFO, one 32-bit word at a time through the `DATA` register.
//!
//! * **Receive** ([`Mac::receive`]): `NP` says how many frames wait. The
//!   first word read holds the FIFO length of the frame in bits 15:0
//!   (frame + 2 length bytes + 4 FCS bytes) and the first two frame bytes in bits
//!   31:16; the rest of the frame and the FCS follow, little-endian, and the frame
//!   is done after `ceil(len / 4)` words. The frame is copied into the caller's
//!   buffer: no heap, no allocation, nothing kept.
//! * **Transmit** ([`Mac::transmit`]): the first word written holds the
//!   payload length (frame minus its 14-byte header) in bits 15:0 and the first two
//!   destination bytes in bits 31:16; the rest of the frame follows, then `TR = 1`
//!   sends it. The MAC pads to 60 bytes and appends the FCS.
//! * **Interrupts** ([`Mac::set_rx_interrupt`]): the controller raises NVIC
//!   line [`IRQ`] while `RIS & IM` is non-zero. The firmware uses only the
//!   receive interrupt (`RX`); [`Mac::receive`] acknowledges it before it looks
//!   at `NP`, so a frame that comes later raises it again.
//! * **Drops**: a frame that does not fit the 2 KiB FIFO slot sets `FOV` and is
//!   lost (QEMU: 2,042 bytes or more); a damaged one sets `RXER`. Both are counted
//!   ([`Counters`]). Under QEMU the 31-frame FIFO pushes back on the network
//!   backend when full, so nothing else is lost. The controller filters nothing here: promiscuous mode is on
//!   (this is a tap) and QEMU does not model address filtering anyway.
//!
//! Register map (offsets from [`BASE`]), from the LM3S6965 data sheet, §15:
//!
//! | off | name | use here |
//! |---|---|---|
//! | 0x00 | MACRIS (read) / MACIACK (write) | interrupt status / acknowledge |
//! | 0x04 | MACIM | interrupt mask |
//! | 0x08 | MACRCTL | RXEN, AMUL, PRMS, BADCRC, RSTFIFO |
//! | 0x0c | MACTCTL | TXEN, PADEN, CRC, DUPLEX |
//! | 0x10 | MACDATA | FIFO data |
//! | 0x14, 0x18 | MACIA0, MACIA1 | MAC address |
//! | 0x1c | MACTHR | transmit threshold (0x3f = off: send on `TR`) |
//! | 0x34 | MACNP | frames in the receive FIFO |
//! | 0x38 | MACTR | write 1: transmit; reads 1 while sending |
//!
//! Only this module touches the controller (through [`Regs`]).

use core::ptr::{read_volatile, write_volatile};

use core::sync::atomic::AtomicBool;

use crate::mac::{first_take, read_words, Counters, Mac, Regs, RxError, TxError};

/// Base address of the controller.
pub const BASE: usize = 0x4004_8000;
/// Its NVIC interrupt line.
pub const IRQ: u16 = 42;
/// `RCGC2`, the clock gating register of the system control block.
const SYSCTL_RCGC2: usize = 0x400F_E108;
/// `RCGC2` bits: clocks of the Ethernet MAC and of the PHY.
const RCGC2_EMAC0: u32 = 1 << 28;
const RCGC2_EPHY0: u32 = 1 << 30;

const RIS: usize = 0x00;
const IACK: usize = 0x00;
const IM: usize = 0x04;
const RCTL: usize = 0x08;
const TCTL: usize = 0x0c;
const DATA: usize = 0x10;
const IA0: usize = 0x14;
const IA1: usize = 0x18;
const THR: usize = 0x1c;
const NP: usize = 0x34;
const TR: usize = 0x38;

/// Interrupt bits of `RIS`, `IACK` and `IM`.
#[allow(dead_code)]
pub mod int {
    /// A frame was received.
    pub const RX: u32 = 0x01;
    /// Transmit error.
    pub const TXER: u32 = 0x02;
    /// Transmit FIFO empty (a frame was sent).
    pub const TXEMP: u32 = 0x04;
    /// Receive FIFO overrun: a frame was lost.
    pub const FOV: u32 = 0x08;
    /// Receive error: a damaged frame.
    pub const RXER: u32 = 0x10;
    /// Every bit.
    pub const ALL: u32 = 0x7f;
}

/// `RCTL` bits.
mod rctl {
    pub const RXEN: u32 = 0x01;
    pub const AMUL: u32 = 0x02;
    pub const PRMS: u32 = 0x04;
    pub const BADCRC: u32 = 0x08;
    pub const RSTFIFO: u32 = 0x10;
}

/// `TCTL` bits.
mod tctl {
    pub const TXEN: u32 = 0x01;
    pub const PADEN: u32 = 0x02;
    pub const CRC: u32 = 0x04;
    pub const DUPLEX: u32 = 0x08;
}

// SAFETY: the Ethernet controller's registers on the LM3S6965 (the offsets above; reading DATA pops the receive FIFO, as the driver intends), used by this module only.
const REGS: Regs = unsafe { Regs::at(BASE) };

/// Longest frame (without FCS) QEMU's model delivers: a FIFO slot is 2,048
/// bytes with the length and FCS words; longer frames set `FOV` and are lost.
pub const MAX_FRAME: usize = 2041;
/// Longest payload (frame minus the Ethernet header) the controller transmits.
pub const MAX_TX_PAYLOAD: usize = 2032;
/// Polls of `TR` before a transmission is given up as stuck.
const TX_SPIN: u32 = 100_000;

/// The controller. There is one; [`Stellaris::take`] hands it out once.
pub struct Stellaris {
    counters: Counters,
}

impl Stellaris {
    /// The controller, the first time only.
    pub fn take() -> Option<Stellaris> {
        static TAKEN: AtomicBool = AtomicBool::new(false);
        first_take(&TAKEN).then(|| Stellaris {
            counters: Counters::default(),
        })
    }

    /// Reset and start the controller: clocks on, interrupts masked and
    /// cleared, receive FIFO emptied, MAC address `mac`, transmitter on (pad
    /// short frames, append the FCS, full duplex), receiver on in promiscuous
    /// mode (every frame on the wire, multicast included, bad-CRC frames
    /// rejected). Frames that arrived before this call are dropped.
    pub fn init(&mut self, mac: [u8; 6]) {
        // SAFETY: RCGC2 is the system control block's clock gating register;
        // setting the Ethernet bits only turns clocks on (QEMU ignores it).
        unsafe {
            let rcgc2 = SYSCTL_RCGC2 as *mut u32;
            write_volatile(rcgc2, read_volatile(rcgc2) | RCGC2_EMAC0 | RCGC2_EPHY0);
        }
        REGS.write(RCTL, 0);
        REGS.write(TCTL, 0);
        REGS.write(IM, 0);
        REGS.write(IACK, int::ALL);
        REGS.write(RCTL, rctl::RSTFIFO);
        self.set_mac(mac);
        REGS.write(THR, 0x3f);
        REGS.write(TCTL, tctl::TXEN | tctl::PADEN | tctl::CRC | tctl::DUPLEX);
        REGS.write(RCTL, rctl::RSTFIFO);
        REGS.write(RCTL, rctl::RXEN | rctl::AMUL | rctl::PRMS | rctl::BADCRC);
    }

    /// Set the MAC address (the source of frames the controller builds).
    pub fn set_mac(&mut self, mac: [u8; 6]) {
        REGS.write(IA0, u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]));
        REGS.write(IA1, u32::from_le_bytes([mac[4], mac[5], 0, 0]));
    }

    /// Frames waiting in the receive FIFO.
    pub fn pending(&self) -> u32 {
        REGS.read(NP) & 0x3f
    }

    /// Count and acknowledge the receive error bits.
    fn check_errors(&mut self) {
        let ris = REGS.read(RIS);
        let errs = ris & (int::FOV | int::RXER);
        if errs != 0 {
            REGS.write(IACK, errs);
            if errs & int::FOV != 0 {
                self.counters.rx_overruns += 1;
            }
            if errs & int::RXER != 0 {
                self.counters.rx_errors += 1;
            }
        }
    }

    fn send(frame: &[u8]) -> Result<(), TxError> {
        if frame.len() < 14 || frame.len() - 14 > MAX_TX_PAYLOAD {
            return Err(TxError::BadLength);
        }
        let mut spin = 0;
        while REGS.read(TR) & 1 != 0 {
            spin += 1;
            if spin > TX_SPIN {
                return Err(TxError::Busy);
            }
        }
        let payload = (frame.len() - 14) as u32;
        REGS.write(
            DATA,
            payload | u32::from(frame[0]) << 16 | u32::from(frame[1]) << 24,
        );
        for chunk in frame[2..].chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            REGS.write(DATA, u32::from_le_bytes(w));
        }
        REGS.write(TR, 1);
        Ok(())
    }
}

impl Mac for Stellaris {
    fn address(&self) -> [u8; 6] {
        let a = REGS.read(IA0).to_le_bytes();
        let b = REGS.read(IA1).to_le_bytes();
        [a[0], a[1], a[2], a[3], b[0], b[1]]
    }

    fn receive(&mut self, buf: &mut [u8]) -> Option<Result<usize, RxError>> {
        // Acknowledge first: a frame that arrives after the NP check below
        // raises RX again.
        REGS.write(IACK, int::RX);
        self.check_errors();
        if self.pending() == 0 {
            return None;
        }
        let first = REGS.read(DATA);
        let fifo_len = (first & 0xffff) as usize;
        if !(6..=2048).contains(&fifo_len) {
            // Out of step (cannot happen unless the FIFO was misread): start
            // again from an empty FIFO, without touching the other settings.
            let rc = REGS.read(RCTL);
            REGS.write(RCTL, rc | rctl::RSTFIFO);
            REGS.write(RCTL, rc & !rctl::RSTFIFO);
            self.counters.rx_resets += 1;
            return Some(Err(RxError::Resync));
        }
        let len = fifo_len - 6;
        let words = fifo_len.div_ceil(4);
        if len > buf.len() {
            for _ in 1..words {
                REGS.read(DATA);
            }
            self.counters.rx_too_long += 1;
            return Some(Err(RxError::TooLong(len)));
        }
        // Frame byte i sits at FIFO byte i + 2.
        let head = (first >> 16).to_le_bytes();
        let n = len.min(2);
        buf[..n].copy_from_slice(&head[..n]);
        let read = 1 + read_words(&mut buf[n..len], || REGS.read(DATA));
        // The FCS, and what is left of the last word.
        for _ in read..words {
            REGS.read(DATA);
        }
        self.counters.rx_frames += 1;
        Some(Ok(len))
    }

    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.counters.count_tx(Self::send(frame))
    }

    fn set_rx_interrupt(&mut self, on: bool) {
        REGS.write(IM, if on { int::RX } else { 0 });
    }

    fn counters(&mut self) -> Counters {
        self.check_errors();
        self.counters
    }
}

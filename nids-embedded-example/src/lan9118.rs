//! A small driver for the SMSC LAN9118 Ethernet controller (a LAN9220 on the
//! real Arm MPS2 board), as QEMU's `mps2-an385` board emulates it
//! (`hw/net/lan9118.c`): base [`BASE`], NVIC line [`IRQ`].
//!
//! No crate drives this chip (none on crates.io at the time of writing), so
//! this is a small one: PIO only, 32-bit mode, no PHY management (QEMU's link is
//! up from reset; on real hardware, start autonegotiation through `MII_ACC`).
//!
//! * **Receive** ([`Mac::receive`]): `RX_FIFO_INF` bits 23:16 count the status
//!   words waiting. Each frame has one: bits 29:16 are its length with the FCS,
//!   bit 15 the error summary. Its data follows in `RX_DATA_FIFO`, little-endian,
//!   `ceil(length / 4)` words, FCS last (no offset, no end padding: `RX_CFG` = 0).
//! * **Transmit** ([`Mac::transmit`]): two command words into `TX_DATA_FIFO`
//!   (A: first and last segment, buffer length; B: frame length), then the frame
//!   in little-endian words. The controller appends the FCS; the status word it
//!   leaves is popped and counted.
//! * **Interrupts** ([`Mac::set_rx_interrupt`]): `IRQ_CFG` makes the line
//!   push-pull, active high; `INT_EN.RSFL` raises it when a receive status word is
//!   waiting. [`Mac::receive`] acknowledges `RSFL` before it looks at the count.
//! * **Drops**: QEMU's model drops a frame when the 10,560-byte data FIFO or the
//!   176-entry status FIFO is full, and frames of 2,048 bytes or more, all
//!   without a word (its `RX_DROP` reads 0); so the runner paces the frames it
//!   sends (a window acknowledged by the firmware). On real silicon `RX_DROP`
//!   counts them, and it is added to the overruns.
//!
//! Register map (offsets from [`BASE`]), from the LAN9118 data sheet, §5:
//!
//! | off | name | use here |
//! |---|---|---|
//! | 0x00 | RX_DATA_FIFO | frame data |
//! | 0x20 | TX_DATA_FIFO | command words and frame data |
//! | 0x40 | RX_STATUS_FIFO | one status word per frame |
//! | 0x48 | TX_STATUS_FIFO | one status word per frame sent |
//! | 0x54 | IRQ_CFG | line enable, polarity, type |
//! | 0x58 | INT_STS | interrupt status (write 1 to clear) |
//! | 0x5c | INT_EN | interrupt enable |
//! | 0x64 | BYTE_TEST | reads 0x8765_4321 |
//! | 0x6c | RX_CFG | end alignment, offset, RX_DUMP |
//! | 0x70 | TX_CFG | TX_ON |
//! | 0x74 | HW_CFG | soft reset |
//! | 0x7c | RX_FIFO_INF | status words and data bytes waiting |
//! | 0x80 | TX_FIFO_INF | status words waiting, data space free |
//! | 0xa0 | RX_DROP | frames dropped |
//! | 0xa4, 0xa8 | MAC_CSR_CMD, MAC_CSR_DATA | the MAC's own registers, indirectly |
//!
//! Only this module touches the controller (through [`Regs`]).

use core::sync::atomic::AtomicBool;

use crate::mac::{first_take, read_words, Counters, Mac, Regs, RxError, TxError};

/// Base address of the controller on the MPS2 AN385.
pub const BASE: usize = 0x4020_0000;
/// Its NVIC interrupt line on the AN385.
pub const IRQ: u16 = 13;

const RX_DATA_FIFO: usize = 0x00;
const TX_DATA_FIFO: usize = 0x20;
const RX_STATUS_FIFO: usize = 0x40;
const TX_STATUS_FIFO: usize = 0x48;
const IRQ_CFG: usize = 0x54;
const INT_STS: usize = 0x58;
const INT_EN: usize = 0x5c;
const BYTE_TEST: usize = 0x64;
const RX_CFG: usize = 0x6c;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const RX_DROP: usize = 0xa0;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

/// `IRQ_CFG`: line enabled, active high, push-pull.
const IRQ_EN: u32 = 1 << 8;
const IRQ_POL: u32 = 1 << 4;
const IRQ_TYPE: u32 = 1 << 0;
/// `INT_STS`/`INT_EN`: receive status FIFO level (a frame is waiting).
const RSFL: u32 = 1 << 3;
/// `TX_CFG.TX_ON`.
const TX_ON: u32 = 1 << 1;
/// `HW_CFG.SRST`.
const SRST: u32 = 1 << 0;
/// `MAC_CSR_CMD`: busy (start), read.
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;
/// MAC registers (through `MAC_CSR_*`).
const MAC_CR: u32 = 1;
const MAC_ADDRH: u32 = 2;
const MAC_ADDRL: u32 = 3;
/// `MAC_CR` bits: receiver on, transmitter on, promiscuous, full duplex.
const MAC_CR_RXEN: u32 = 1 << 2;
const MAC_CR_TXEN: u32 = 1 << 3;
const MAC_CR_PRMS: u32 = 1 << 18;
const MAC_CR_FDPX: u32 = 1 << 20;
/// Receive status: error summary.
const RX_ES: u32 = 1 << 15;
/// Transmit command A: first and last segment.
const TX_FS: u32 = 1 << 13;
const TX_LS: u32 = 1 << 12;

// SAFETY: the LAN9118's registers on the MPS2 AN385 (the offsets above, all implemented by the chip and by QEMU's model), used by this module only.
const REGS: Regs = unsafe { Regs::at(BASE) };

/// Longest frame (without FCS) the controller takes: QEMU drops 2,048 bytes
/// and more.
pub const MAX_FRAME: usize = 2047;
/// Polls before a busy controller is given up on.
const SPIN: u32 = 100_000;

/// The controller. There is one; [`Lan9118::take`] hands it out once.
pub struct Lan9118 {
    counters: Counters,
}

impl Lan9118 {
    /// The controller, the first time only.
    pub fn take() -> Option<Lan9118> {
        static TAKEN: AtomicBool = AtomicBool::new(false);
        first_take(&TAKEN).then(|| Lan9118 {
            counters: Counters::default(),
        })
    }

    fn csr_wait() {
        let mut spin = 0;
        while REGS.read(MAC_CSR_CMD) & CSR_BUSY != 0 && spin < SPIN {
            spin += 1;
        }
    }

    fn mac_read(reg: u32) -> u32 {
        Self::csr_wait();
        REGS.write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | reg);
        Self::csr_wait();
        REGS.read(MAC_CSR_DATA)
    }

    fn mac_write(reg: u32, v: u32) {
        Self::csr_wait();
        REGS.write(MAC_CSR_DATA, v);
        REGS.write(MAC_CSR_CMD, CSR_BUSY | reg);
        Self::csr_wait();
    }

    /// Reset and start the controller: soft reset, interrupt line active high
    /// with every source masked, MAC address `mac`, transmitter on, receiver on
    /// in promiscuous mode. `false` if no LAN9118 answers at [`BASE`].
    pub fn init(&mut self, mac: [u8; 6]) -> bool {
        if REGS.read(BYTE_TEST) != 0x8765_4321 {
            return false;
        }
        REGS.write(HW_CFG, SRST);
        let mut spin = 0;
        while REGS.read(HW_CFG) & SRST != 0 && spin < SPIN {
            spin += 1;
        }
        REGS.write(INT_EN, 0);
        REGS.write(INT_STS, u32::MAX);
        REGS.write(IRQ_CFG, IRQ_EN | IRQ_POL | IRQ_TYPE);
        REGS.write(RX_CFG, 0);
        REGS.write(TX_CFG, TX_ON);
        Self::mac_write(
            MAC_ADDRL,
            u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]),
        );
        Self::mac_write(MAC_ADDRH, u32::from_le_bytes([mac[4], mac[5], 0, 0]));
        Self::mac_write(
            MAC_CR,
            MAC_CR_RXEN | MAC_CR_TXEN | MAC_CR_PRMS | MAC_CR_FDPX,
        );
        true
    }

    /// Read and drop `words` words of receive data.
    fn discard(words: usize) {
        for _ in 0..words {
            REGS.read(RX_DATA_FIFO);
        }
    }

    fn send(frame: &[u8]) -> Result<(), TxError> {
        if frame.len() < 14 || frame.len() > MAX_FRAME {
            return Err(TxError::BadLength);
        }
        let words = frame.len().div_ceil(4);
        let mut spin = 0;
        while (REGS.read(TX_FIFO_INF) & 0xffff) < (words as u32 + 2) * 4 {
            spin += 1;
            if spin > SPIN {
                return Err(TxError::Busy);
            }
        }
        let len = frame.len() as u32;
        REGS.write(TX_DATA_FIFO, TX_FS | TX_LS | len);
        REGS.write(TX_DATA_FIFO, len);
        for chunk in frame.chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            REGS.write(TX_DATA_FIFO, u32::from_le_bytes(w));
        }
        // Pop the status words, so the status FIFO never fills.
        while (REGS.read(TX_FIFO_INF) >> 16) & 0xff != 0 {
            REGS.read(TX_STATUS_FIFO);
        }
        Ok(())
    }
}

impl Mac for Lan9118 {
    fn address(&self) -> [u8; 6] {
        let l = Self::mac_read(MAC_ADDRL).to_le_bytes();
        let h = Self::mac_read(MAC_ADDRH).to_le_bytes();
        [l[0], l[1], l[2], l[3], h[0], h[1]]
    }

    fn receive(&mut self, buf: &mut [u8]) -> Option<Result<usize, RxError>> {
        // Acknowledge first: a frame that arrives after the count below raises
        // RSFL again.
        REGS.write(INT_STS, RSFL);
        if (REGS.read(RX_FIFO_INF) >> 16) & 0xff == 0 {
            return None;
        }
        let status = REGS.read(RX_STATUS_FIFO);
        let with_fcs = ((status >> 16) & 0x3fff) as usize;
        let words = with_fcs.div_ceil(4);
        if status & RX_ES != 0 || with_fcs < 4 {
            Self::discard(words);
            self.counters.rx_errors += 1;
            return Some(Err(RxError::Damaged));
        }
        let len = with_fcs - 4;
        if len > buf.len() {
            Self::discard(words);
            self.counters.rx_too_long += 1;
            return Some(Err(RxError::TooLong(len)));
        }
        let read = read_words(&mut buf[..len], || REGS.read(RX_DATA_FIFO));
        // The FCS, and what is left of the last word.
        Self::discard(words - read);
        self.counters.rx_frames += 1;
        Some(Ok(len))
    }

    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.counters.count_tx(Self::send(frame))
    }

    fn set_rx_interrupt(&mut self, on: bool) {
        REGS.write(INT_EN, if on { RSFL } else { 0 });
    }

    fn counters(&mut self) -> Counters {
        // RX_DROP clears on read on the chip.
        self.counters.rx_overruns = self.counters.rx_overruns.saturating_add(REGS.read(RX_DROP));
        self.counters
    }
}

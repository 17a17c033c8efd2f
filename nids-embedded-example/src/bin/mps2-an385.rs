//! The tap on QEMU's `mps2-an385` (Arm MPS2 FPGA board with the AN385
//! Cortex-M3 image: 4 MiB code SSRAM, 4 MiB data SSRAM, SMSC LAN9118 Ethernet
//! on NVIC line 13).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use nids_embedded_example::app::{self, Board};
use nids_embedded_example::lan9118::{self, Lan9118};
use nids_embedded_example::rx::Rx;
use nids_embedded_example::{handlers, mem, semihosting, MAC_ADDRESS};

/// The board, with its RAM budget (the data SSRAM; the engine is sized as on
/// the LM3S6965, so most of it stays free): the build fails if the firmware
/// does not fit it.
const BOARD: Board = Board::new("mps2-an385", lan9118::IRQ, 4 * 1024 * 1024);

static RX: Rx<Lan9118> = Rx::new();

#[entry]
fn main() -> ! {
    mem::paint();
    let Some(mut mac) = Lan9118::take() else {
        semihosting::fail("MAC taken twice")
    };
    if !mac.init(MAC_ADDRESS) {
        semihosting::fail("no LAN9118 at its address");
    }
    app::run(&BOARD, &RX, mac)
}

handlers!(RX, lan9118::IRQ);

//! The tap on QEMU's `mps2-an385` (Arm MPS2 FPGA board with the AN385
//! Cortex-M3 image: 4 MiB code SSRAM, 4 MiB data SSRAM, SMSC LAN9118 Ethernet
//! on NVIC line 13).

#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use nids_embedded_example::app::{self, Board};
use nids_embedded_example::lan9118::{self, Lan9118};
use nids_embedded_example::rx::Rx;
use nids_embedded_example::{config, mem, semihosting, MAC_ADDRESS};

/// The RAM budget: the data SSRAM (the engine is sized as on the LM3S6965,
/// so most of it stays free).
const RAM_BUDGET: usize = 4 * 1024 * 1024;

const _: () = assert!(
    config::fits(RAM_BUDGET),
    "nids-embedded-example: the engine, its storage and the receive buffers do not fit this board's RAM budget (mps2-an385: 4 MiB); lower STREAMS (NIDS_FW_STREAMS), TCP_POOL or the other counts in src/config.rs"
);

const BOARD: Board = Board {
    name: "mps2-an385",
    irq: lan9118::IRQ,
    ram: RAM_BUDGET,
};

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

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    defmt::error!("PANIC hard fault at pc={=u32:#x}", ef.pc());
    semihosting::exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == lan9118::IRQ as i16 {
        RX.drain();
    } else {
        defmt::error!("PANIC unexpected interrupt {=i16}", irqn);
        semihosting::exit(false);
    }
}

//! The tap on QEMU's `lm3s6965evb` (TI Stellaris LM3S6965: Cortex-M3,
//! 256 KiB flash, 64 KiB RAM, Stellaris Ethernet MAC on NVIC line 42).

#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception, ExceptionFrame};
use nids_embedded_example::app::{self, Board};
use nids_embedded_example::rx::Rx;
use nids_embedded_example::stellaris::{self, Stellaris};
use nids_embedded_example::{config, mem, semihosting, MAC_ADDRESS};

/// The RAM budget: all of the chip's SRAM.
const RAM_BUDGET: usize = 64 * 1024;

const _: () = assert!(
    config::fits(RAM_BUDGET),
    "nids-embedded-example: the engine, its storage and the receive buffers do not fit this board's RAM budget (lm3s6965evb: 64 KiB); lower STREAMS (NIDS_FW_STREAMS), TCP_POOL or the other counts in src/config.rs"
);

const BOARD: Board = Board {
    name: "lm3s6965evb",
    irq: stellaris::IRQ,
    ram: RAM_BUDGET,
};

static RX: Rx<Stellaris> = Rx::new();

#[entry]
fn main() -> ! {
    mem::paint();
    let Some(mut mac) = Stellaris::take() else {
        semihosting::fail("MAC taken twice")
    };
    mac.init(MAC_ADDRESS);
    app::run(&BOARD, &RX, mac)
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    defmt::error!("PANIC hard fault at pc={=u32:#x}", ef.pc());
    semihosting::exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == stellaris::IRQ as i16 {
        RX.drain();
    } else {
        defmt::error!("PANIC unexpected interrupt {=i16}", irqn);
        semihosting::exit(false);
    }
}

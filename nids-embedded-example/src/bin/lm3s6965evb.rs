//! The tap on QEMU's `lm3s6965evb` (TI Stellaris LM3S6965: Cortex-M3,
//! 256 KiB flash, 64 KiB RAM, Stellaris Ethernet MAC on NVIC line 42).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use nids_embedded_example::app::{self, Board};
use nids_embedded_example::rx::Rx;
use nids_embedded_example::stellaris::{self, Stellaris};
use nids_embedded_example::{handlers, mem, semihosting, MAC_ADDRESS};

/// The RAM budget. Full profile: all of the chip's SRAM (64 KiB); minimal
/// profile: 24 KiB (what the profile promises, so a change that outgrows it
/// does not build).
const RAM: usize = if cfg!(feature = "full") { 64 } else { 24 } * 1024;

/// The board, with its RAM budget: the build fails if the firmware does not
/// fit it.
const BOARD: Board = Board::new("lm3s6965evb", stellaris::IRQ, RAM);

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

handlers!(RX, stellaris::IRQ);

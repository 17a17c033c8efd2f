//! nids-rs on a Cortex-M3: a one-port (monitor/SPAN) tap firmware, for two
//! QEMU boards.
//!
//! * `lm3s6965evb` (TI Stellaris LM3S6965: 256 KiB flash, 64 KiB RAM, an
//!   Ethernet MAC with FIFOs and no DMA; [`stellaris`]);
//! * `mps2-an385` (Arm MPS2 with a Cortex-M3 image: 4 MiB code and 4 MiB data
//!   SSRAM, an SMSC LAN9118; [`lan9118`]).
//!
//! Each board is a binary (`src/bin/`) that starts its MAC and calls
//! [`app::run`]. Both drivers implement [`mac::Mac`]; everything else is
//! shared: the receive path ([`rx`]: a `heapless` pool of frame buffers and an
//! SPSC queue, filled by the MAC's interrupt or by polling), the engine loop
//! ([`app`]), the handler ([`tap`]: SHA-256 per direction, a defmt summary per
//! stream, `kill()`), the sizing and RAM budget ([`config`]), the memory
//! figures ([`mem`]) and the cost figures ([`cycles`]).
//!
//! Everything the firmware reports goes through `defmt`: to the host's standard
//! output by semihosting (feature `semihosting`, the default, for QEMU), or to
//! an RTT buffer for a debug probe (feature `rtt`).

#![no_std]

#[cfg(all(feature = "semihosting", feature = "rtt"))]
compile_error!("choose one defmt transport: feature `semihosting` or `rtt`");

pub mod app;
pub mod config;
pub mod cycles;
pub mod lan9118;
pub mod mac;
pub mod mem;
pub mod rx;
pub mod semihosting;
pub mod stellaris;
pub mod tap;

#[cfg(feature = "rtt")]
use defmt_rtt as _;
#[cfg(feature = "semihosting")]
use defmt_semihosting as _;

/// The MAC address the firmware gives its controller (QEMU's default).
pub const MAC_ADDRESS: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // The location only: formatting the message would pull core::fmt into
    // the firmware (several KiB of flash) for a path that should never run.
    match info.location() {
        Some(l) => defmt::error!("PANIC at {=str}:{=u32}", l.file(), l.line()),
        None => defmt::error!("PANIC"),
    }
    semihosting::exit(false)
}

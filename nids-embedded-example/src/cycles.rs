//! Time spent working, in SysTick ticks, for the cost-per-frame figures.
//!
//! Under QEMU with `-icount shift=0` every guest instruction advances virtual
//! time by exactly 1 ns, and SysTick counts virtual time: so ticks measure
//! instructions, deterministically. [`Cycles::start`] runs a calibration loop of
//! a known 2,000,000 instructions and records its ticks, so the runner can turn
//! ticks into instructions whatever clock the board's SysTick is given. (The
//! DWT cycle counter reads 0 under QEMU.) Without `-icount`, the figures are
//! host time and mean little.

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;

/// SysTick's counter width.
const MASK: u32 = 0x00ff_ffff;
/// Iterations of the two-instruction calibration loop.
const CALIBRATION_LOOPS: u32 = 1_000_000;

/// SysTick, free-running, and what was added up with it.
pub struct Cycles {
    /// Ticks of the calibration loop (2,000,000 instructions).
    pub calibration: u32,
    /// Ticks spent in loop iterations that handled a frame (receive, control,
    /// engine), idle polling and sleep excluded.
    pub busy: u64,
    /// Ticks spent in `Nids::process` alone.
    pub engine: u64,
}

impl Cycles {
    /// Start SysTick from the core clock, wrapping every 2^24 ticks, and
    /// calibrate. (Steals SysTick: the firmware uses no other timer.)
    pub fn start() -> Cycles {
        // SAFETY: SysTick is used only here, by this one instance.
        let mut syst = unsafe { cortex_m::Peripherals::steal() }.SYST;
        syst.disable_interrupt();
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(MASK);
        syst.clear_current();
        syst.enable_counter();
        let mut c = Cycles {
            calibration: 0,
            busy: 0,
            engine: 0,
        };
        // QEMU loads the counter from the reload value on the first tick
        // after it is enabled: wait for that before measuring.
        let mut wait = 1_000_000;
        while c.now() == 0 && wait > 0 {
            wait -= 1;
        }
        let t0 = c.now();
        spin(CALIBRATION_LOOPS);
        c.calibration = c.since(t0) as u32;
        c
    }

    /// The counter now.
    pub fn now(&self) -> u32 {
        now()
    }

    /// Ticks since `t0`.
    pub fn since(&self, t0: u32) -> u64 {
        since(t0)
    }
}

/// The counter now (it counts down).
pub fn now() -> u32 {
    SYST::get_current()
}

/// Ticks since `t0` (a [`now`] less than 2^24 ticks ago).
pub fn since(t0: u32) -> u64 {
    u64::from(t0.wrapping_sub(now()) & MASK)
}

/// Exactly two instructions per iteration (`subs`, `bne`).
fn spin(n: u32) {
    // SAFETY: a register countdown; touches no memory.
    unsafe {
        core::arch::asm!(
            "1:",
            "subs {0}, #1",
            "bne 1b",
            inout(reg) n => _,
            options(nomem, nostack)
        );
    }
}

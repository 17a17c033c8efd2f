//! Memory figures: static RAM, flash, and the stack's high-water mark.
//!
//! The stack (cortex-m-rt: from the top of RAM down) and the statics (`.data`,
//! `.bss`, `.uninit` from the bottom up) share the RAM (64 KiB on the LM3S6965), and nothing
//! stops the stack from running into the statics (the chip has no MPU guard
//! set up here, and QEMU mirrors nothing past the end). So the firmware paints
//! the free RAM between them with a pattern at boot, and at the end measures how
//! deep the stack went: the lowest word that no longer holds the pattern.

use core::ptr::{addr_of, read_volatile, write_volatile};

/// The paint.
const PAINT: u32 = 0x5afe_c0de;
/// Bytes below the current stack pointer left unpainted (the painter's own frame).
const MARGIN: usize = 256;

// Symbols of cortex-m-rt's link.x: only their addresses are used.
extern "C" {
    static _stack_start: u32;
    static __sheap: u32;
    static __sdata: u32;
    static __edata: u32;
    static __sidata: u32;
}

const RAM_START: usize = 0x2000_0000;

fn sym(s: *const u32) -> usize {
    s as usize
}

/// Where the statics end (word-aligned) and the stack's free space begins.
fn statics_end() -> usize {
    (sym(addr_of!(__sheap)) + 3) & !3
}

/// The top of the stack (the end of RAM).
pub fn stack_top() -> usize {
    sym(addr_of!(_stack_start))
}

/// Paint the free stack. Call first thing in `main`.
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let mut a = statics_end();
    while a + 4 <= sp - MARGIN {
        // SAFETY: [statics_end, sp - MARGIN) is RAM that no object lives in:
        // above every static, below every stack frame in use now.
        unsafe { write_volatile(a as *mut u32, PAINT) };
        a += 4;
    }
}

/// Memory use so far.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// RAM taken by statics (`.data` + `.bss` + `.uninit`).
    pub ram_static: usize,
    /// RAM left for the stack.
    pub stack_size: usize,
    /// Deepest stack use seen (bytes from the top of RAM).
    pub stack_peak: usize,
    /// Flash used: code, read-only data and `.data`'s initial values.
    pub flash: usize,
}

/// Measure. The stack peak is exact to the word unless the stack ever went
/// within `MARGIN` (256 bytes) of the statics' end at boot (it did not if `stack_peak` is
/// well below `stack_size`).
pub fn figures() -> Figures {
    let lo = statics_end();
    let top = stack_top();
    let mut a = lo;
    // SAFETY: reading words of RAM between the statics and the stack top.
    while a < top && unsafe { read_volatile(a as *const u32) } == PAINT {
        a += 4;
    }
    let (sidata, sdata, edata) = (
        sym(addr_of!(__sidata)),
        sym(addr_of!(__sdata)),
        sym(addr_of!(__edata)),
    );
    Figures {
        ram_static: lo - RAM_START,
        stack_size: top - lo,
        stack_peak: top - a,
        flash: sidata + (edata - sdata),
    }
}

//! The little the firmware asks of the host through semihosting besides its
//! log: the command line (QEMU's `-semihosting-config arg=…`) and the exit
//! status. Under QEMU both are served by QEMU; with a debug probe, by the
//! debugger (probe-rs serves exit).

use cortex_m_semihosting::debug;

/// Whether the semihosting command line holds the word `word`.
pub fn cmdline_has(word: &str) -> bool {
    let mut buf = [0u8; 128];
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE (0x15) writes at most `block[1]` bytes to
    // `block[0]` and the length back into `block[1]`; both live until the call
    // returns.
    let r = unsafe {
        cortex_m_semihosting::syscall1(
            cortex_m_semihosting::nr::GET_CMDLINE,
            block.as_mut_ptr() as usize,
        )
    };
    if r != 0 {
        return false;
    }
    let n = block[1].min(buf.len());
    buf[..n]
        .split(|b| *b == b' ' || *b == 0)
        .any(|w| w == word.as_bytes())
}

/// End the program: QEMU exits with status 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Log a failure and exit with status 1.
pub fn fail(what: &str) -> ! {
    defmt::error!("PANIC {=str}", what);
    exit(false)
}

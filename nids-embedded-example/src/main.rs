//! nids-rs on a Cortex-M3: a one-port (monitor/SPAN) tap for QEMU's
//! `lm3s6965evb` board (TI Stellaris LM3S6965: 256 KiB flash, 64 KiB RAM, an
//! Ethernet MAC without DMA).
//!
//! Frames come from the MAC ([`enet`], our own driver) by polling, or, when the
//! semihosting command line holds the word `irq`, by sleeping (`WFI`) until the
//! MAC's receive interrupt. Each frame goes to a `nids_core::Nids` engine built
//! in place in a `static` and sized for the chip. For every finished TCP stream
//! the firmware prints one JSON line as `nids streams --json` does ([`tap`]),
//! over semihosting; `kill()` RST frames go out through the MAC.
//!
//! Control frames, from the test runner (EtherType 0x88B5, the IEEE "local
//! experimental" type, from [`CONTROL_SRC`] to the broadcast address), are not
//! given to the engine; any other frame is, 0x88B5 or not:
//!
//! | payload | meaning |
//! |---|---|
//! | `TIM` + u64 big-endian | packet time (µs) of the frames that follow |
//! | `KIL` + u16 big-endian | reset (`kill()`) every stream to this server port |
//! | `END` | end of input: end all streams, report, exit |
//!
//! Packet time comes only from `TIM` frames (the engine never reads a clock);
//! a real tap would stamp frames with a hardware timer instead.
//!
//! Output, one item per line: `READY …` once the receiver is on, a JSON line
//! per stream, at the end `{"kind":"stats",…}` (the engine's `Stats`),
//! `{"kind":"firmware",…}` (driver counters and memory figures) and `DONE`;
//! then the firmware exits through semihosting (QEMU exit status 0). A panic or
//! fault prints `PANIC …` and exits with status 1.

#![no_std]
#![no_main]

mod console;
mod enet;
mod mem;
mod tap;

use core::mem::size_of;

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::debug;
use nids_core::defrag::Defrag;
use nids_core::{Config, Instant, LinkType, Nids, Storage};
use static_cell::{ConstStaticCell, StaticCell};

use console::Console;
use enet::Stellaris;
use tap::{Digests, Tap};

/// TCP stream slots (at most 13 open at once: libnids' 3/4 rule).
const STREAMS: usize = 16;
/// Defragmentation host slots.
const HOSTS: usize = 4;
/// Port-scan detector sources (512 bytes each).
const SCAN_HOSTS: usize = 2;
/// Bytes for out-of-order TCP segments: 48 blocks of 256 bytes.
const TCP_POOL: usize = 12 * 1024;
/// Fragmented datagrams that can be pending at once.
const DEFRAG_DATAGRAMS: usize = 2;

/// The engine's settings: libnids' behaviour with limits for 64 KiB of RAM.
const fn config() -> Config<'static> {
    let mut c = Config::new();
    c.tcp.block_size = 256;
    c.tcp.max_queue = 4 * 1024;
    c.tcp.max_kept = 1024;
    c.defrag.max_datagram = 1600;
    c.defrag.max_fragments = 16;
    c.defrag.max_host_bytes = 4 * 1024;
    c
}
const DEFRAG_POOL: usize =
    Defrag::<'static, HOSTS>::storage_for(&config().defrag, DEFRAG_DATAGRAMS);

type Engine = Nids<'static, Digests, STREAMS, HOSTS, SCAN_HOSTS>;

static ENGINE: StaticCell<Engine> = StaticCell::new();
static TCP_MEM: ConstStaticCell<[u8; TCP_POOL]> = ConstStaticCell::new([0; TCP_POOL]);
static DEFRAG_MEM: ConstStaticCell<[u8; DEFRAG_POOL]> = ConstStaticCell::new([0; DEFRAG_POOL]);
static RX_BUF: ConstStaticCell<[u8; enet::MAX_FRAME]> = ConstStaticCell::new([0; enet::MAX_FRAME]);

/// The MAC address the firmware gives its controller (QEMU's default).
const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/// The MAC's NVIC line.
#[derive(Clone, Copy)]
struct EthIrq;

// SAFETY: 42 is the Stellaris Ethernet controller's line on the LM3S6965.
unsafe impl InterruptNumber for EthIrq {
    fn number(self) -> u16 {
        enet::IRQ
    }
}

/// A control frame from the runner.
enum Control {
    Time(u64),
    Kill(u16),
    End,
}

/// Source address of the runner's control frames (locally administered).
const CONTROL_SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

fn control(frame: &[u8]) -> Option<Control> {
    if frame.len() < 17
        || frame[..6] != [0xff; 6]
        || frame[6..12] != CONTROL_SRC
        || frame[12..14] != [0x88, 0xb5]
    {
        return None;
    }
    let p = &frame[14..];
    match &p[..3] {
        b"TIM" if p.len() >= 11 => {
            Some(Control::Time(u64::from_be_bytes(p[3..11].try_into().ok()?)))
        }
        b"KIL" if p.len() >= 5 => Some(Control::Kill(u16::from_be_bytes([p[3], p[4]]))),
        b"END" => Some(Control::End),
        _ => None,
    }
}

/// Whether the semihosting command line holds the word `word`.
fn cmdline_has(word: &str) -> bool {
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

#[entry]
fn main() -> ! {
    mem::paint();
    let mut out = Console::open();
    let irq = cmdline_has("irq");

    let Some(mut mac) = Stellaris::take() else {
        fail(&mut out, "MAC taken twice")
    };
    mac.init(MAC);

    let storage = Storage::new(&mut TCP_MEM.take()[..], &mut DEFRAG_MEM.take()[..]);
    // Flow-hash key from what this chip has: its MAC address (a part with a
    // unique ID or a TRNG would mix that in), not the public default.
    let (mut c, m) = (config(), mac.mac());
    c.hash_key.0 ^= u64::from_le_bytes([m[0], m[1], m[2], m[3], m[4], m[5], 0, 0]);
    let engine = match Nids::new_in(ENGINE.uninit(), LinkType::ETHERNET, c, storage) {
        Ok(e) => e,
        Err(_) => fail(&mut out, "engine"),
    };
    let rx = RX_BUF.take();

    if irq {
        // SAFETY: the handler (DefaultHandler below) only masks the MAC's
        // interrupt; no critical section depends on this line being masked.
        unsafe { NVIC::unmask(EthIrq) };
    }
    let m = mac.mac();
    outln!(
        out,
        "READY nids-embedded-example lm3s6965evb rx={} mac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        if irq { "irq" } else { "poll" },
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5]
    );

    let mut tap = Tap {
        mac,
        out,
        kill_port: None,
        reported: 0,
        killed: 0,
    };
    let mut now = Instant::ZERO;
    let mut control_frames = 0u32;
    loop {
        match tap.mac.receive(&mut rx[..]) {
            Some(Ok(frame)) => match control(frame) {
                Some(c) => {
                    control_frames += 1;
                    match c {
                        Control::Time(us) => now = Instant::from_micros(us),
                        Control::Kill(port) => tap.kill_port = Some(port),
                        Control::End => break,
                    }
                }
                None => engine.process(now, frame, &mut tap),
            },
            // Dropped and counted by the driver.
            Some(Err(_)) => {}
            None if irq => cortex_m::interrupt::free(|_| {
                // Sleep until a frame comes. With interrupts masked here, the
                // interrupt that wakes the core runs only after this closure,
                // so it cannot slip in between the check and the WFI.
                if tap.mac.pending() == 0 {
                    tap.mac.listen();
                    cortex_m::asm::wfi();
                }
            }),
            None => {}
        }
    }

    engine.finish(&mut tap);
    tap::print_stats(&mut tap.out, engine.stats());
    let c = tap.mac.counters();
    let f = mem::figures();
    let (blocks_used, blocks) = engine.tcp_storage();
    outln!(
        tap.out,
        "{{\"kind\":\"firmware\",\"board\":\"lm3s6965evb\",\"rx\":\"{}\",\"streams\":{},\"hosts\":{},\"scan_hosts\":{},\"engine_bytes\":{},\"tcp_pool\":{},\"tcp_blocks\":{},\"tcp_blocks_in_use\":{},\"defrag_pool\":{},\"control_frames\":{},\"rx_frames\":{},\"rx_overruns\":{},\"rx_errors\":{},\"rx_too_long\":{},\"rx_resets\":{},\"tx_frames\":{},\"tx_errors\":{},\"reported\":{},\"killed\":{},\"ram_static\":{},\"stack_size\":{},\"stack_peak\":{},\"flash\":{}}}",
        if irq { "irq" } else { "poll" },
        STREAMS,
        HOSTS,
        SCAN_HOSTS,
        size_of::<Engine>(),
        TCP_POOL,
        blocks,
        blocks_used,
        DEFRAG_POOL,
        control_frames,
        c.rx_frames,
        c.rx_overruns,
        c.rx_errors,
        c.rx_too_long,
        c.rx_resets,
        c.tx_frames,
        c.tx_errors,
        tap.reported,
        tap.killed,
        f.ram_static,
        f.stack_size,
        f.stack_peak,
        f.flash
    );
    outln!(tap.out, "DONE");
    debug::exit(debug::EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Report a failure and exit with status 1.
fn fail(out: &mut Console, what: &str) -> ! {
    outln!(out, "PANIC {what}");
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut out = Console::open();
    outln!(out, "PANIC {info}");
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    let mut out = Console::open();
    outln!(out, "PANIC hard fault at pc={:#010x}", ef.pc());
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == enet::IRQ as i16 {
        Stellaris::on_interrupt();
    } else {
        let mut out = Console::open();
        outln!(out, "PANIC unexpected interrupt {irqn}");
        debug::exit(debug::EXIT_FAILURE);
    }
}

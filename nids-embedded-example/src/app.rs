//! The engine loop, the same for every board: receive (by polling or by
//! interrupt, through [`crate::rx`]), hand frames to the engine, obey the
//! runner's control frames, and report at the end.
//!
//! Control frames, from the test runner (EtherType 0x88B5, the IEEE "local
//! experimental" type, from [`CONTROL_SRC`] to the broadcast address), are not
//! given to the engine; any other frame is, 0x88B5 or not:
//!
//! | payload | meaning |
//! |---|---|
//! | `TIM` + u64 big-endian | packet time (µs) of the frames that follow |
//! | `KIL` + u16 big-endian | reset (`kill()`) every stream to this server port |
//! | `SYN` + u32 big-endian | answer with `ACK` + the same u32 (flow control: every frame before it was handled) |
//! | `END` | end of input: end all streams, report, exit |
//!
//! Packet time comes only from `TIM` frames (the engine never reads a clock);
//! a real tap would stamp frames with a hardware timer instead.
//!
//! Output (defmt): `READY …` once the receiver is on; the handler's stream
//! summaries and warnings ([`crate::tap`]); at the end `stats [..]` (every
//! counter of `Stats`, in `Stats::counters()` order) and `firmware key=value …`
//! (board, driver counters, memory and time figures), then `DONE`; then the
//! firmware exits through semihosting (QEMU exit status 0). A panic or fault
//! logs an error and exits with status 1.

use core::mem::size_of;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use heapless::pool::object::ObjectBlock;
use heapless::spsc::Queue;
use nids_core::{Instant, LinkType, Nids, Stats, Storage, Warning};
use static_cell::{ConstStaticCell, StaticCell};

use crate::config::{self, Engine, DEFRAG_POOL, TCP_POOL};
use crate::cycles::Cycles;
use crate::mac::Mac;
use crate::rx::{FrameQueue, Rx, BUFFERS, FRAME_BUF};
use crate::tap::Tap;
use crate::{mem, semihosting};

/// What the loop needs to know about a board.
pub struct Board {
    /// Its QEMU name (`lm3s6965evb`, `mps2-an385`).
    pub name: &'static str,
    /// The MAC's NVIC line.
    pub irq: u16,
    /// The RAM budget: what the firmware may use, stack included.
    pub ram: usize,
}

impl Board {
    /// A board with `ram` bytes of RAM budget. In a `const` (as every board's
    /// binary uses it), fails the build when the firmware as sized in
    /// [`config`] does not fit that budget.
    pub const fn new(name: &'static str, irq: u16, ram: usize) -> Board {
        assert!(
            config::fits(ram),
            "nids-embedded-example: the engine, its storage and the receive buffers do not fit this board's RAM budget (Board::ram); lower STREAMS (NIDS_FW_STREAMS), TCP_POOL or the other counts in src/config.rs"
        );
        Board { name, irq, ram }
    }
}

/// The exception handlers of a board's binary: a hard fault logs and exits
/// with status 1; the MAC's interrupt line `$irq` runs `$rx.drain()`; any
/// other interrupt is a failure.
#[macro_export]
macro_rules! handlers {
    ($rx:ident, $irq:expr) => {
        #[cortex_m_rt::exception]
        unsafe fn HardFault(ef: &cortex_m_rt::ExceptionFrame) -> ! {
            defmt::error!("PANIC hard fault at pc={=u32:#x}", ef.pc());
            $crate::semihosting::exit(false)
        }

        #[cortex_m_rt::exception]
        unsafe fn DefaultHandler(irqn: i16) {
            if irqn == $irq as i16 {
                $rx.drain();
            } else {
                defmt::error!("PANIC unexpected interrupt {=i16}", irqn);
                $crate::semihosting::exit(false);
            }
        }
    };
}

/// An NVIC line, for [`NVIC::unmask`] and [`NVIC::pend`].
#[derive(Clone, Copy)]
struct Line(u16);

// SAFETY: built only from `Board::irq`, the MAC's line on that board (a line
// the chip has).
unsafe impl InterruptNumber for Line {
    fn number(self) -> u16 {
        self.0
    }
}

static ENGINE: StaticCell<Engine> = StaticCell::new();
static TCP_MEM: ConstStaticCell<[u8; TCP_POOL]> = ConstStaticCell::new([0; TCP_POOL]);
static DEFRAG_MEM: ConstStaticCell<[u8; DEFRAG_POOL]> = ConstStaticCell::new([0; DEFRAG_POOL]);
static QUEUE: ConstStaticCell<FrameQueue> = ConstStaticCell::new(Queue::new());

/// The receive buffers, handed out once (a second call fails the firmware).
fn frame_blocks() -> &'static mut [ObjectBlock<[u8; FRAME_BUF]>; BUFFERS] {
    static mut BLOCKS: [ObjectBlock<[u8; FRAME_BUF]>; BUFFERS] =
        [const { ObjectBlock::new([0; FRAME_BUF]) }; BUFFERS];
    static TAKEN: AtomicBool = AtomicBool::new(false);
    if TAKEN.swap(true, Ordering::AcqRel) {
        semihosting::fail("receive buffers taken twice");
    }
    // SAFETY: the flag above lets this line run once, so the reference is
    // the only one ever made to BLOCKS. (ObjectBlock is not Sync, so no safe
    // static cell takes it.)
    unsafe { &mut *addr_of_mut!(BLOCKS) }
}

/// A control frame from the runner.
enum Control {
    Time(u64),
    Kill(u16),
    Sync(u32),
    End,
}

/// Source address of the runner's control frames (locally administered).
pub const CONTROL_SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
/// EtherType of control frames.
const CONTROL_TYPE: [u8; 2] = [0x88, 0xb5];

fn control(frame: &[u8]) -> Option<Control> {
    if frame.len() < 17
        || frame[..6] != [0xff; 6]
        || frame[6..12] != CONTROL_SRC
        || frame[12..14] != CONTROL_TYPE
    {
        return None;
    }
    let p = &frame[14..];
    match &p[..3] {
        b"TIM" if p.len() >= 11 => {
            Some(Control::Time(u64::from_be_bytes(p[3..11].try_into().ok()?)))
        }
        b"KIL" if p.len() >= 5 => Some(Control::Kill(u16::from_be_bytes([p[3], p[4]]))),
        b"SYN" if p.len() >= 7 => Some(Control::Sync(u32::from_be_bytes(p[3..7].try_into().ok()?))),
        b"END" => Some(Control::End),
        _ => None,
    }
}

/// The `ACK` answer to a `SYN`: to the runner, from the MAC's address.
fn ack(mac: [u8; 6], n: u32) -> [u8; 21] {
    let mut f = [0u8; 21];
    f[..6].copy_from_slice(&CONTROL_SRC);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&CONTROL_TYPE);
    f[14..17].copy_from_slice(b"ACK");
    f[17..21].copy_from_slice(&n.to_be_bytes());
    f
}

/// Every counter of `Stats`, in `Stats::counters()` order (`Stats::values()`).
const COUNTERS: usize = Stats::NAMES.len() + Warning::COUNT;

/// Run the tap on `board` with `mac` (started, receiver on). `rx` is the
/// board's receive path; its interrupt handler calls [`Rx::drain`] on it.
pub fn run<M: Mac + Send>(board: &Board, rx: &'static Rx<M>, mac: M) -> ! {
    let irq = semihosting::cmdline_has("irq");
    let mut cycles = Cycles::start();
    let address = mac.address();

    let storage = Storage::new(&mut TCP_MEM.take()[..], &mut DEFRAG_MEM.take()[..]);
    // Flow-hash key from what this chip has: its MAC address (a part with a
    // unique ID or a TRNG would mix that in), not the public default.
    let mut c = config::config();
    let m = address;
    c.hash_key.0 ^= u64::from_le_bytes([m[0], m[1], m[2], m[3], m[4], m[5], 0, 0]);
    let engine = match Nids::new_in(ENGINE.uninit(), LinkType::ETHERNET, c, storage) {
        Ok(e) => e,
        Err(_) => semihosting::fail("engine"),
    };
    let mut frames = rx.start(mac, frame_blocks(), QUEUE.take(), irq);
    let line = Line(board.irq);
    if irq {
        // SAFETY: the board's handler for this line only calls `rx.drain()`,
        // which takes its own critical section; nothing relies on the line
        // being masked.
        unsafe { NVIC::unmask(line) };
    }
    let mode = if irq { "irq" } else { "poll" };
    defmt::println!(
        "READY board={=str} rx={=str} mac={=[u8]}",
        board.name,
        mode,
        address
    );

    let mut tap = Tap::new(rx);
    let mut now = Instant::ZERO;
    let (mut control_frames, mut acks) = (0u32, 0u32);
    loop {
        let t0 = cycles.now();
        if !irq {
            rx.drain();
        }
        let Some(frame) = frames.dequeue() else {
            if irq {
                // Sleep until a frame comes. With interrupts masked here, the
                // interrupt that wakes the core runs only after this closure,
                // so it cannot slip in between the check and the WFI.
                cortex_m::interrupt::free(|_| {
                    if !frames.ready() {
                        cortex_m::asm::wfi();
                    }
                });
            }
            continue;
        };
        match control(&frame) {
            Some(c) => {
                control_frames += 1;
                match c {
                    Control::Time(us) => now = Instant::from_micros(us),
                    Control::Kill(port) => tap.kill_port = Some(port),
                    Control::Sync(n) => {
                        acks += 1;
                        let _ = rx.with_mac(|m| m.transmit(&ack(address, n)));
                    }
                    Control::End => break,
                }
            }
            None => {
                let e0 = cycles.now();
                engine.process(now, &frame, &mut tap);
                cycles.engine += cycles.since(e0);
            }
        }
        drop(frame);
        if rx.stalled() && irq {
            // Buffers are free again: let the interrupt handler move the
            // frames still in the MAC (their interrupt was acknowledged).
            rx.resume();
            NVIC::pend(line);
        }
        cycles.busy += cycles.since(t0);
    }

    engine.finish(&mut tap);
    let mut counters = [0u64; COUNTERS];
    for (c, n) in counters.iter_mut().zip(engine.stats().values()) {
        *c = n;
    }
    defmt::info!("stats {=[?]}", counters[..]);
    let c = rx.with_mac(|m| m.counters());
    let f = mem::figures();
    let (blocks_used, blocks) = engine.tcp_storage();
    defmt::info!(
        "firmware board={=str} profile={=str} rx={=str} streams={} hosts={} scan_hosts={} engine_bytes={} tcp_pool={} tcp_blocks={} tcp_blocks_in_use={} defrag_pool={} rx_buffers={} control_frames={} acks={} rx_frames={} rx_overruns={} rx_errors={} rx_too_long={} rx_resets={} tx_frames={} tx_errors={} reported={} killed={} warnings_logged={} ram_budget={} ram_needed={} ram_static={} stack_size={} stack_peak={} flash={} busy_ticks={} engine_ticks={} hash_ticks={} calibration_ticks={}",
        board.name,
        config::PROFILE,
        mode,
        config::STREAMS,
        config::HOSTS,
        config::SCAN_HOSTS,
        size_of::<Engine>(),
        TCP_POOL,
        blocks,
        blocks_used,
        DEFRAG_POOL,
        BUFFERS,
        control_frames,
        acks,
        c.rx_frames,
        c.rx_overruns,
        c.rx_errors,
        c.rx_too_long,
        c.rx_resets,
        c.tx_frames,
        c.tx_errors,
        tap.reported,
        tap.killed,
        tap.warnings_logged,
        board.ram,
        config::RAM_NEEDED,
        f.ram_static,
        f.stack_size,
        f.stack_peak,
        f.flash,
        cycles.busy,
        cycles.engine,
        tap.hash_ticks,
        cycles.calibration
    );
    defmt::println!("DONE");
    semihosting::exit(true)
}

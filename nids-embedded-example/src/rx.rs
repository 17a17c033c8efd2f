//! The receive path: MAC -> frame buffers from a `heapless` object pool ->
//! a `heapless` single-producer single-consumer queue -> the engine loop.
//!
//! The producer side, [`Rx::drain`], runs in the MAC's interrupt handler when
//! the firmware receives by interrupt, or in the main loop when it polls: it
//! takes a free buffer from [`FramePool`], has the MAC copy the next frame
//! into it, and queues it, until the MAC is empty, the pool is empty or the
//! queue is full. In the last two cases it masks the MAC's receive interrupt
//! and marks the path [`Rx::stalled`]; the frames stay in the MAC (which pushes
//! back or drops, as the MAC does), and the main loop re-arms the interrupt once
//! it has handed buffers back. The consumer side is the main loop: it takes a
//! [`Frame`] from the queue without a lock, gives it to the engine, and dropping
//! the frame returns its buffer to the pool.
//!
//! Memory: [`BUFFERS`] × [`FRAME_BUF`] bytes of buffers plus a small queue.
//! The MAC itself lives here, behind a critical section, so that the handler's
//! transmissions ([`Rx::with_mac`]) and the interrupt handler never overlap.

use core::cell::RefCell;
use core::ops::Deref;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::Mutex;
use heapless::object_pool;
use heapless::pool::object::{Object, ObjectBlock};
use heapless::spsc::{Consumer, Producer, Queue};

use crate::mac::Mac;

/// Bytes of one frame buffer. Full profile: the largest frame either MAC
/// delivers (Stellaris 2,041, LAN9118 2,047) fits. Minimal profile: an
/// Ethernet frame with two VLAN tags (1,522 bytes) fits; a longer one is
/// dropped and counted by the driver (`rx_too_long`).
pub const FRAME_BUF: usize = if cfg!(feature = "full") { 2048 } else { 1536 };
/// Frame buffers: one with the engine, the rest queued or being filled
/// (4 in the full profile, 2 in the minimal one).
pub const BUFFERS: usize = if cfg!(feature = "full") { 4 } else { 2 };
/// Queue slots (`heapless::spsc::Queue<_, N>` holds `N - 1`).
const QUEUE: usize = BUFFERS;

object_pool!(FramePool: [u8; FRAME_BUF]);

/// A received frame: a pooled buffer and the frame's length in it. Dropping
/// it gives the buffer back.
pub struct Frame {
    buf: Object<FramePool>,
    len: u16,
}

impl Deref for Frame {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// The queue between the producer and the main loop.
pub type FrameQueue = Queue<Frame, QUEUE>;

/// The receive path's shared state: the MAC and the queue's producer end.
pub struct Rx<M> {
    inner: Mutex<RefCell<Option<Inner<M>>>>,
    stalled: AtomicBool,
}

struct Inner<M> {
    mac: M,
    producer: Producer<'static, Frame>,
    irq: bool,
}

impl<M: Mac> Rx<M> {
    /// An empty receive path, for a `static`.
    pub const fn new() -> Self {
        Rx {
            inner: Mutex::new(RefCell::new(None)),
            stalled: AtomicBool::new(false),
        }
    }

    /// Give the path its MAC, buffers and queue; returns the consumer end for
    /// the main loop. `irq`: the MAC's receive interrupt will call
    /// [`Rx::drain`] (else the main loop polls it).
    pub fn start(
        &self,
        mut mac: M,
        blocks: &'static mut [ObjectBlock<[u8; FRAME_BUF]>; BUFFERS],
        queue: &'static mut FrameQueue,
        irq: bool,
    ) -> Consumer<'static, Frame> {
        for b in blocks.iter_mut() {
            FramePool.manage(b);
        }
        let (producer, consumer) = queue.split();
        mac.set_rx_interrupt(irq);
        critical_section::with(|cs| {
            self.inner
                .borrow_ref_mut(cs)
                .replace(Inner { mac, producer, irq });
        });
        consumer
    }

    /// Move every frame the MAC holds into pooled buffers on the queue, as far
    /// as buffers and queue slots allow. Returns how many were queued.
    pub fn drain(&self) -> usize {
        critical_section::with(|cs| {
            let mut inner = self.inner.borrow_ref_mut(cs);
            let Some(inner) = inner.as_mut() else {
                return 0;
            };
            let mut queued = 0;
            loop {
                if !inner.producer.ready() {
                    break self.stall(inner);
                }
                let Some(mut buf) = FramePool.request() else {
                    break self.stall(inner);
                };
                match inner.mac.receive(&mut buf[..]) {
                    None => break,
                    Some(Ok(len)) => {
                        // Cannot fail: checked `ready()` above, and only this
                        // function produces.
                        let _ = inner.producer.enqueue(Frame {
                            buf,
                            len: len as u16,
                        });
                        queued += 1;
                    }
                    // Dropped and counted by the driver; the buffer goes back.
                    Some(Err(_)) => {}
                }
            }
            queued
        })
    }

    fn stall(&self, inner: &mut Inner<M>) {
        if inner.irq {
            inner.mac.set_rx_interrupt(false);
        }
        self.stalled.store(true, Ordering::Release);
    }

    /// Whether the last drain stopped for want of buffers or queue slots (and
    /// so masked the receive interrupt). Clears the mark; the caller then
    /// re-arms with [`Rx::resume`].
    pub fn stalled(&self) -> bool {
        self.stalled.swap(false, Ordering::AcqRel)
    }

    /// Unmask the MAC's receive interrupt after a stall (interrupt mode only).
    /// The caller also pends the NVIC line: the frames left in the MAC raised
    /// their interrupt already, and it was acknowledged.
    pub fn resume(&self) {
        self.with_mac(|m| m.set_rx_interrupt(true));
    }

    /// Use the MAC (transmit, read counters) with the interrupt held off.
    ///
    /// # Panics
    ///
    /// If called before [`Rx::start`] (a firmware bug).
    pub fn with_mac<R>(&self, f: impl FnOnce(&mut M) -> R) -> R {
        critical_section::with(|cs| {
            let mut inner = self.inner.borrow_ref_mut(cs);
            let inner = inner.as_mut().expect("Rx::start first");
            f(&mut inner.mac)
        })
    }
}

impl<M: Mac> Default for Rx<M> {
    fn default() -> Self {
        Self::new()
    }
}

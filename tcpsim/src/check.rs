//! The check: feed a run's capture to nids-core and compare what it delivered
//! with what the endpoints' applications really read, and how the connection
//! really ended.
//!
//! Per direction, `read` is what the receiving application read (by the cut,
//! for a cut capture), `seen` the bytes the tap saw without a hole from the
//! first one, and `floor` the same counting only copies the receiver took (the
//! tap cannot know which; a copy the receiver refused by PAWS, the engine may
//! refuse too). The engine's bytes must be the direction's own bytes (none
//! invented), at most `seen` of them, and at least `min(read, floor)`: between
//! the two the tap cannot know the truth (bytes that passed the tap and were
//! lost after it, or reached a receiver that had stopped reading), and the model
//! says so by allowing the range. With tap losses the engine may stop short of
//! the floor only if it reported a gap. When the engine ended the stream at an RST,
//! `floor` counts only frames before the first RST of the capture (bytes behind
//! it may have reached the receiver before it, or not). Where the engine has
//! fewer bytes than the receiver read and the tap saw the receiver acknowledge
//! past them, it must have reported a gap (`tcp.gap`). A connection that really
//! closed (both FINs acknowledged) or was really reset must be reported so when
//! the tap missed nothing and the capture was not cut, unless bytes the tap saw
//! were lost before the receiver that took the RST (its next byte is then
//! unknowable); nobody's RST, no `reset`.

use nids_core::{
    Config, Handler, Instant, LinkType, Nids, Side, Stream, TcpEvent as Event, Warning,
};

use crate::scenario::Scenario;
use crate::sim::{content, run, Run};

/// One run's figures.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Frames in the capture.
    pub frames: u64,
    /// Segments the endpoints sent.
    pub sent: u64,
    /// Bytes the engine delivered (both directions).
    pub delivered: u64,
    /// Time the simulation took, nanoseconds.
    pub sim_ns: u64,
    /// Time nids-core took over the capture (and `finish`), nanoseconds.
    pub engine_ns: u64,
}

/// What the engine reported: both directions' bytes, the streams it
/// established, the last event and whether it reported a gap. Cheap: no
/// formatting per callback, so the soak measures the engine.
#[derive(Default)]
struct Collector {
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    streams: u32,
    end: Option<&'static str>,
    gap: bool,
}

impl Handler for Collector {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        match s.event() {
            Event::JustEstablished => {
                self.streams += 1;
                s.client_mut().collect = true;
                s.server_mut().collect = true;
            }
            Event::Data => match s.side() {
                Some(Side::Server) => self.c2s.extend_from_slice(s.new_data()),
                Some(Side::Client) => self.s2c.extend_from_slice(s.new_data()),
                None => {}
            },
            end => self.end = Some(end.name()),
        }
    }

    fn warning(&mut self, _ts: Instant, w: Warning, _packet: &[u8]) {
        self.gap |= w == Warning::TcpGap;
    }
}

/// A difference between the engine and the truth.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// What differs.
    pub what: String,
    /// The run (boxed: a result stays small).
    pub scenario: Box<Scenario>,
}

/// Bytes of one direction the tap saw without a hole from the first (in the
/// frames before `upto`; with `taken`, only in copies the receiver took), and
/// the highest acknowledgement (offset) the receiver sent that the tap saw.
fn tap_view(run: &Run, from_client: bool, upto: usize, taken: bool) -> (u64, u64) {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut acked = 0;
    for t in &run.tap[..upto] {
        let s = &t.seg;
        if s.from_client == from_client && s.len > 0 && (t.taken || !taken) {
            ranges.push((s.seq, s.seq + u64::from(s.len)));
        }
        if s.from_client != from_client {
            if let Some(a) = s.ack {
                acked = acked.max(a);
            }
        }
    }
    ranges.sort_unstable();
    let mut next = 1;
    for (a, b) in ranges {
        if a > next {
            break;
        }
        next = next.max(b);
    }
    (next - 1, acked)
}

/// Run `sc`, feed its capture to a fresh engine with `config`, and compare.
pub fn check_with(sc: &Scenario, config: Config<'static>) -> Result<Checked, Mismatch> {
    let t0 = std::time::Instant::now();
    let run = run(sc);
    let sim_ns = t0.elapsed().as_nanos() as u64;
    let fail = |what: String| Mismatch {
        what,
        scenario: Box::new(sc.clone()),
    };
    // One storage per thread, reused: its pages stay mapped, so the figures
    // are the engine's, not the kernel's first touch of fresh memory.
    thread_local!(static MEM: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 16 << 20]));
    MEM.with(|mem| engine_run(&run, config, &mut mem.borrow_mut()[..]))
        .map_err(fail)
        .and_then(|(rec, engine_ns)| judge(sc, &run, rec, sim_ns, engine_ns).map_err(fail))
}

/// Feed the capture to a fresh engine over `mem`; returns what it reported and
/// the time it took.
fn engine_run(
    run: &Run,
    config: Config<'static>,
    mem: &mut [u8],
) -> Result<(Collector, u64), String> {
    let mut nids = Nids::<(), 16, 4>::boxed(LinkType::ETHERNET, config, mem)
        .map_err(|e| format!("engine: {e:?}"))?;
    let mut rec = Collector::default();
    let t0 = std::time::Instant::now();
    for t in &run.tap {
        nids.process(Instant::from_micros(t.ts_us), &t.frame, &mut rec);
    }
    nids.finish(&mut rec);
    Ok((rec, t0.elapsed().as_nanos() as u64))
}

/// Compare what the engine reported with the truth of the run.
fn judge(
    sc: &Scenario,
    run: &Run,
    rec: Collector,
    sim_ns: u64,
    engine_ns: u64,
) -> Result<Checked, String> {
    let fail = |what: String| what;
    let gap = rec.gap;
    let clean = sc.tap_loss == 0.0 && sc.cut_at_us.is_none() && !run.truncated;
    let mut checked = Checked {
        frames: run.tap.len() as u64,
        sent: run.sent,
        delivered: 0,
        sim_ns,
        engine_ns,
    };
    if rec.streams > 1 {
        return Err(fail(format!("{} streams", rec.streams)));
    }
    let handshake = run.tap.iter().any(|t| t.seg.syn);
    if rec.streams == 0 {
        // no stream: only if nothing was ever exchanged that the tap saw whole
        if clean && handshake && run.client.read + run.server.read > 0 {
            return Err(fail("no stream reported".into()));
        }
        return Ok(checked);
    }
    let (client_read, server_read) = run
        .read_at_cut
        .unwrap_or((run.client.read, run.server.read));
    let reported_reset = rec.end == Some("reset");
    let mut views = Vec::new();
    for (from_client, got, read) in [
        (true, &rec.c2s, server_read),
        (false, &rec.s2c, client_read),
    ] {
        let dir = if from_client { "c2s" } else { "s2c" };
        let (seen, acked) = tap_view(run, from_client, run.tap.len(), false);
        // The floor: what the tap saw in copies the receiver took (a copy it
        // refused, by PAWS, the engine may refuse too); when the engine ended
        // the stream at an RST, only before the first RST (bytes behind it in
        // the capture may have reached the receiver before it, or not).
        let first_rst = run.tap.iter().position(|t| t.seg.rst);
        let upto = match (reported_reset, first_rst) {
            (true, Some(i)) => i,
            _ => run.tap.len(),
        };
        let (floor, acked) = match (reported_reset, first_rst) {
            (true, Some(i)) => tap_view(run, from_client, i, true),
            _ => (tap_view(run, from_client, upto, true).0, acked),
        };
        let n = got.len() as u64;
        checked.delivered += n;
        if let Some(i) = (0..n).find(|&i| got[i as usize] != content(from_client, i)) {
            return Err(fail(format!("{dir}: byte {i} is not the stream's")));
        }
        if n > seen {
            return Err(fail(format!(
                "{dir}: {n} bytes delivered, the tap saw {seen}"
            )));
        }
        // With tap losses, what makes a frame usable may be what the tap
        // missed (the first SYN-ACK, with the client's data before the copy
        // it saw): the engine may then stop short, but must say so.
        if n < read.min(floor) && !(sc.tap_loss > 0.0 && gap) {
            return Err(fail(format!(
                "{dir}: {n} bytes delivered, the receiver read {read} and the tap saw {seen}"
            )));
        }
        views.push((from_client, seen, read));
        if n < read && acked > n + 1 && !gap {
            return Err(fail(format!(
                "{dir}: {n} bytes delivered, the receiver read {read}, no gap reported"
            )));
        }
    }
    let end = rec.end.unwrap_or("");
    let closed = run.client.fin_acked && run.server.fin_acked;
    let reset = run.client.reset || run.server.reset;
    if clean && closed && !reset && end != "close" {
        return Err(fail(format!("closed, reported {end}")));
    }
    // An RST at the receiver's next byte is taken; if bytes the tap saw were
    // lost after it, the receiver's next byte is not the engine's, and whether
    // the receiver took the RST cannot be known from the tap.
    let ambiguous = views.iter().any(|&(from_client, seen, read)| {
        let reset_here = if from_client {
            run.server.reset
        } else {
            run.client.reset
        };
        reset_here && seen > read
    });
    if clean && reset && !closed && end != "reset" && !ambiguous {
        return Err(fail(format!("reset, reported {end}")));
    }
    let aborted = run.client.aborted || run.server.aborted;
    if clean && !aborted && end == "reset" {
        return Err(fail("reported reset, nobody sent an RST".into()));
    }
    Ok(checked)
}

/// [`check_with`] libnids' defaults.
pub fn check(sc: &Scenario) -> Result<Checked, Mismatch> {
    check_with(sc, Config::new())
}

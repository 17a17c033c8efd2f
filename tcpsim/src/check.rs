//! The check: feed a run's capture to nids-core and compare what it delivered
//! with what the endpoints' applications really read, and how the connection
//! really ended.
//!
//! Per direction, `read` is what the receiving application read (by the cut,
//! for a cut capture) and `seen` the bytes the tap saw without a hole from the
//! first one. Then the engine's bytes must be the direction's own bytes (none
//! invented), at most `seen` of them, and at least `min(read, seen)`: where the
//! two differ the tap cannot know the truth (bytes that passed the tap after
//! their receiver stopped reading, or bytes the tap missed), and the model says
//! so by allowing the range. Where the engine has fewer bytes than the receiver
//! read and the tap saw the receiver acknowledge past them, the engine must
//! have reported a gap (`tcp.gap`); with tap losses it may stop short of
//! `min(read, seen)` only then (the one copy the tap saw may be one the receiver
//! refused). A connection that really closed (both FINs acknowledged) or was
//! really reset must be reported so when the tap missed nothing and the capture
//! was not cut, unless bytes the tap saw were lost before the receiver that
//! took the RST (its next byte is then unknowable).

use nids_core::test_util::Recorder;
use nids_core::{Config, Instant, LinkType, Nids, Warning};

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
/// frames before `upto`), and the highest acknowledgement (offset) the
/// receiver sent that the tap saw.
fn tap_view(run: &Run, from_client: bool, upto: usize) -> (u64, u64) {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut acked = 0;
    for t in &run.tap[..upto] {
        let s = &t.seg;
        if s.from_client == from_client && s.len > 0 {
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
    let run = run(sc);
    let fail = |what: String| Mismatch {
        what,
        scenario: Box::new(sc.clone()),
    };
    let mut mem = vec![0u8; 16 << 20];
    let mut nids = Nids::<(), 16, 4>::boxed(LinkType::ETHERNET, config, &mut mem[..])
        .map_err(|e| fail(format!("engine: {e:?}")))?;
    let mut rec = Recorder::default();
    for t in &run.tap {
        nids.process(Instant::from_micros(t.ts_us), &t.frame, &mut rec);
    }
    nids.finish(&mut rec);
    let gap = rec.warnings.contains(&Warning::TcpGap);
    let clean = sc.tap_loss == 0.0 && sc.cut_at_us.is_none();
    let mut checked = Checked {
        frames: run.tap.len() as u64,
        sent: run.sent,
        delivered: 0,
    };
    if rec.streams.len() > 1 {
        return Err(fail(format!("{} streams", rec.streams.len())));
    }
    let handshake = run.tap.iter().filter(|t| t.seg.syn).count() > 0;
    let Some((_, seen_stream)) = rec.streams.first() else {
        // no stream: only if nothing was ever exchanged that the tap saw whole
        if clean && handshake && run.client.read + run.server.read > 0 {
            return Err(fail("no stream reported".into()));
        }
        return Ok(checked);
    };
    let (client_read, server_read) = run
        .read_at_cut
        .unwrap_or((run.client.read, run.server.read));
    let reported_reset = seen_stream.events.last() == Some(&"reset");
    let mut views = Vec::new();
    for (from_client, got, read) in [
        (true, &seen_stream.c2s, server_read),
        (false, &seen_stream.s2c, client_read),
    ] {
        let dir = if from_client { "c2s" } else { "s2c" };
        let (seen, acked) = tap_view(&run, from_client, run.tap.len());
        // An engine that ended the stream at an RST cannot know whether bytes
        // behind it in the capture reached the receiver before it.
        let first_rst = run.tap.iter().position(|t| t.seg.rst);
        let (floor, acked) = match (reported_reset, first_rst) {
            (true, Some(i)) => tap_view(&run, from_client, i),
            _ => (seen, acked),
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
        // With tap losses, the only copy the tap saw may be one the receiver
        // refused (PAWS), the copy it took having been missed: then the engine
        // may stop short, but must say so.
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
    let end = seen_stream.events.last().copied().unwrap_or("");
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

//! Feed one seed's capture to the engine frame by frame and print what changes:
//! `trace SEED [MAX_BYTES]` (the soak caps scenarios at MAX_BYTES).
use nids_core::test_util::Recorder;
use nids_core::{Config, Instant, LinkType, Nids};
fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("SEED");
    let max: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let sc = nids_tcpsim::Scenario::from_seed(seed).capped(max);
    let run = nids_tcpsim::sim::run(&sc);
    let mut mem = vec![0u8; 16 << 20];
    let mut nids =
        Nids::<(), 16, 4>::boxed(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    let mut last = (0, 0, 0, 0, 0);
    for (i, t) in run.tap.iter().enumerate() {
        nids.process(Instant::from_micros(t.ts_us), &t.frame, &mut rec);
        let st = nids.stats();
        let s = rec
            .streams
            .first()
            .map(|s| (s.1.c2s.len(), s.1.s2c.len()))
            .unwrap_or((0, 0));
        let now = (
            s.0,
            s.1,
            st.tcp_out_of_window,
            st.tcp_paws,
            rec.warnings.len(),
        );
        let g = &t.seg;
        if now != last {
            println!("frame {} {} seq {} len {} ack {:?} syn {} fin {} rst {}: c2s {} s2c {} oow {} paws {} warnings {:?}",
                i + 1, if g.from_client {"C"} else {"S"}, g.seq, g.len, g.ack, g.syn, g.fin, g.rst, now.0, now.1, now.2, now.3, &rec.warnings[last.4..]);
            last = now;
        }
    }
    nids.finish(&mut rec);
    println!(
        "events {:?}",
        rec.streams.first().map(|s| s.1.events.last().copied())
    );
}

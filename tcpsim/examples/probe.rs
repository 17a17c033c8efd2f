fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let from: u64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let mut bad = 0;
    let t = std::time::Instant::now();
    let mut frames = 0;
    for seed in from..from + n {
        let sc = nids_tcpsim::Scenario::from_seed(seed);
        match nids_tcpsim::check(&sc) {
            Ok(c) => frames += c.frames,
            Err(m) => {
                bad += 1;
                if bad <= 10 {
                    println!("seed {seed}: {}  [{:?} req {} resp {} mss {} wm {} buf {} ws {:?} ts {} sack {} tap_loss {} cut {:?}]", m.what, sc.ending, sc.request, sc.response, sc.mss, sc.write_max, sc.rcv_buf, sc.wscale, sc.timestamps, sc.sack, sc.tap_loss, sc.cut_at_us);
                }
            }
        }
    }
    println!(
        "{n} runs, {bad} mismatches, {frames} frames, {:?}",
        t.elapsed()
    );
}

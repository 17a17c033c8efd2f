//! Check the given seeds: `seeds MAX_BYTES SEED...` (0: uncapped), one line each.
fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let (max, seeds) = args.split_first().expect("MAX_BYTES SEED...");
    for &seed in seeds {
        let sc = nids_tcpsim::Scenario::from_seed(seed).capped(*max);
        match nids_tcpsim::check(&sc) {
            Ok(c) => println!("seed {seed}: ok, {} frames", c.frames),
            Err(m) => println!("seed {seed}: {}", m.what),
        }
    }
}

//! Write the capture of one seed's run: `dump SEED OUT.pcap [MAX_BYTES]`.
fn main() {
    let mut a = std::env::args().skip(1);
    let seed: u64 = a.next().and_then(|s| s.parse().ok()).expect("SEED");
    let out = a.next().expect("OUT.pcap");
    let max: u64 = std::env::args()
        .nth(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let sc = nids_tcpsim::Scenario::from_seed(seed).capped(max);
    let run = nids_tcpsim::sim::run(&sc);
    std::fs::write(&out, nids_tcpsim::sim::pcap(&run)).unwrap();
    println!(
        "{sc:#?}\nclient {:?}\nserver {:?}\ncut {:?}",
        run.client, run.server, run.read_at_cut
    );
}

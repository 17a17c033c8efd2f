//! Write the capture of one seed's run: `dump SEED OUT.pcap`.
fn main() {
    let mut a = std::env::args().skip(1);
    let seed: u64 = a.next().and_then(|s| s.parse().ok()).expect("SEED");
    let out = a.next().expect("OUT.pcap");
    let sc = nids_tcpsim::Scenario::from_seed(seed);
    let run = nids_tcpsim::sim::run(&sc);
    std::fs::write(&out, nids_tcpsim::sim::pcap(&run)).unwrap();
    println!(
        "{sc:#?}\nclient {:?}\nserver {:?}\ncut {:?}",
        run.client, run.server, run.read_at_cut
    );
}

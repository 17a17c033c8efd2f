//! Write the capture of one fuzz input's run: `dumpbytes FILE OUT.pcap`.
fn main() {
    let mut a = std::env::args().skip(1);
    let data = std::fs::read(a.next().expect("FILE")).unwrap();
    let out = a.next().expect("OUT.pcap");
    let sc = nids_tcpsim::Scenario::from_bytes(&data);
    let run = nids_tcpsim::sim::run(&sc);
    std::fs::write(&out, nids_tcpsim::sim::pcap(&run)).unwrap();
    println!("client {:?}\nserver {:?}", run.client, run.server);
}

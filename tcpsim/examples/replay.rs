//! Check one fuzz input (a file): `replay FILE`, with its run time.
fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let data = std::fs::read(path).unwrap();
    let sc = nids_tcpsim::Scenario::from_bytes(&data);
    let t = std::time::Instant::now();
    let r = nids_tcpsim::check(&sc);
    println!(
        "{:?} in {:?}\n{sc:#?}",
        r.as_ref().map(|c| c.frames).map_err(|m| &m.what),
        t.elapsed()
    );
}

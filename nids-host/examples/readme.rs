//! The README's library example, as it is written there (a test checks that
//! the two are the same): `cargo run -p nids-host --example readme`.
use nids_core::{Handler, Instant, LinkType, Nids, Side, Stream, TcpEvent};
use nids_host::capture::CaptureFile;

struct Printer;
impl Handler for Printer {
    fn tcp(&mut self, s: &mut Stream<'_, '_, ()>) {
        match s.event() {
            TcpEvent::JustEstablished => {
                s.client_mut().collect = true; // server -> client bytes
                s.server_mut().collect = true; // client -> server bytes
            }
            TcpEvent::Data => {
                let dir = if s.side() == Some(Side::Server) {
                    "c2s"
                } else {
                    "s2c"
                };
                println!("{} {dir} {} bytes", s.tuple(), s.new_data().len());
            }
            end => println!("{} {}", s.tuple(), end.name()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = CaptureFile::open("tests/data/real/http.pcap".as_ref())?;
    // Cargo.toml: nids-core = { ..., features = ["alloc"] } for `Nids::boxed`
    let mut storage = vec![0u8; 4 << 20]; // 3/4 TCP bytes that wait, 1/4 fragments
    let link = LinkType(file.link_types()[0]);
    let mut nids = Nids::<(), 1040, 256>::boxed(link, Default::default(), &mut storage[..])?;
    for packet in file.packets() {
        let p = packet?;
        nids.process(Instant::from_micros(p.ts_us), p.data, &mut Printer);
    }
    nids.finish(&mut Printer); // open streams end with `Exiting`
    Ok(())
}

//! A capture file (the seed corpus is the project's test captures) read by
//! `nids_host::capture` and fed to an engine with small tables, with the same
//! invariants as the `engine` target (`nids_fuzz::Checker`). Mutated real
//! traffic complements the structured frames of `engine`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nids_core::ip::checksum::Policy;
use nids_core::{defrag, tcp, Config, Duration, Instant, LinkType};
use nids_fuzz::{Checker, Setup};
use nids_host::capture::CaptureFile;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = CaptureFile::from_bytes(data.to_vec()) else {
        return;
    };
    // A few engine settings, chosen by the file length.
    let v = data.len() % 4;
    let mut config = Config::new();
    config.checksums = if v & 1 == 0 {
        Policy::Verify
    } else {
        Policy::Off
    };
    config.tcp = tcp::Config {
        max_queue: 2000,
        max_kept: 3000,
        block_size: 256,
        midstream: v & 2 != 0,
        idle_timeout: Duration::from_secs(30),
        ..tcp::Config::new()
    };
    config.defrag = defrag::Config {
        max_datagram: 4000,
        max_fragments: 8,
        ..defrag::Config::new()
    };
    let tcp_storage = 256 * 40;
    let defrag_storage = defrag::Defrag::<{ nids_fuzz::HOSTS }>::storage_for(&config.defrag, 2);
    let mut memory = vec![0u8; tcp_storage + defrag_storage];
    let mut memory = Some(&mut memory[..]);
    let mut checker: Option<Checker> = None;
    let mut link = None;
    for p in file.packets().take(2000) {
        let Ok(p) = p else { break };
        let lt = LinkType(p.link_type);
        if !lt.is_supported() {
            continue;
        }
        if link.is_some_and(|l| l != lt) {
            continue;
        }
        let c = checker.get_or_insert_with(|| {
            link = Some(lt);
            let setup = Setup {
                link: lt,
                config,
                tcp_storage,
                defrag_storage,
                filter: 0,
                consistent: false,
                decisions: vec![3, 0, 5, 2, 1, 0x0b],
            };
            Checker::new(setup, memory.take().expect("one engine"))
        });
        c.process(Instant::from_micros(p.ts_us), p.data);
    }
    if let Some(mut c) = checker {
        c.finish();
    }
});

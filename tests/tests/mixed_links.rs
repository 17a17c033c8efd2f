//! A pcapng file whose interfaces have different link types (Ethernet and raw
//! IP): every frame is decoded with its own interface's link type.

use nids_core::test_util::{ipv4_eth, udp4};
use nids_tests::streams_json;

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()).div_ceil(4) * 4;
    let mut b = Vec::new();
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&(len as u32).to_le_bytes());
    b.extend_from_slice(body);
    b.resize(len - 4, 0);
    b.extend_from_slice(&(len as u32).to_le_bytes());
    b
}

fn epb(interface: u32, ts_us: u64, frame: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&interface.to_le_bytes());
    body.extend_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts_us as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    block(6, &body)
}

#[test]
fn pcapng_with_ethernet_and_raw_interfaces() {
    let (a, b) = ([10, 1, 0, 1], [10, 1, 0, 2]);
    let eth = ipv4_eth(a, b, 17, &udp4(a, 1000, b, 2000, b"over ethernet"));
    let raw = eth[14..].to_vec();
    let mut f = Vec::new();
    // SHB: byte-order magic, version 1.0, section length unknown
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    f.extend(block(0x0a0d0d0a, &shb));
    for link in [1u16, 101] {
        let mut idb = link.to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0, 0, 0, 4, 0]); // reserved, snaplen 262144
        f.extend(block(1, &idb));
    }
    f.extend(epb(0, 1_000_000, &eth));
    f.extend(epb(1, 2_000_000, &raw));
    let dir = std::env::temp_dir().join(format!("nids-mixed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mixed.pcapng");
    std::fs::write(&path, &f).unwrap();
    let lines = streams_json(&path, true);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l.contains("\"kind\":\"udp\"") && l.contains("\"bytes\":13")));
}

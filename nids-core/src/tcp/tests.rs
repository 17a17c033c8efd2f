//! Stream reassembly tests over hand-built frames.

use std::vec::Vec;

use super::segment::flags::{ACK, FIN, PSH, RST, SYN, URG};
use crate::test_util::{tcp4, tcp4_opts, Recorder};
use crate::{Config, Instant, LinkType, Nids, Warning};

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];

/// A scripted connection: client port `cp` to server port 80, ISNs `ci`, `si`.
struct Conn {
    cp: u16,
    ci: u32,
    si: u32,
}

impl Conn {
    fn syn(&self) -> Vec<u8> {
        tcp4(C, self.cp, S, 80, self.ci, 0, SYN, b"")
    }
    fn synack(&self) -> Vec<u8> {
        tcp4(
            S,
            80,
            C,
            self.cp,
            self.si,
            self.ci.wrapping_add(1),
            SYN | ACK,
            b"",
        )
    }
    fn ack3(&self) -> Vec<u8> {
        tcp4(
            C,
            self.cp,
            S,
            80,
            self.ci.wrapping_add(1),
            self.si.wrapping_add(1),
            ACK,
            b"",
        )
    }
    /// Client data at relative offset `rel` (1 = first byte).
    fn c(&self, rel: u32, fl: u8, data: &[u8]) -> Vec<u8> {
        tcp4(
            C,
            self.cp,
            S,
            80,
            self.ci.wrapping_add(rel),
            self.si.wrapping_add(1),
            ACK | fl,
            data,
        )
    }
    /// Server data at relative offset `rel`, acking `ack_rel` of the client.
    fn c_ack(&self, rel: u32, ack_rel: u32, fl: u8, data: &[u8]) -> Vec<u8> {
        tcp4(
            C,
            self.cp,
            S,
            80,
            self.ci.wrapping_add(rel),
            self.si.wrapping_add(ack_rel),
            ACK | fl,
            data,
        )
    }
    fn s(&self, rel: u32, ack_rel: u32, fl: u8, data: &[u8]) -> Vec<u8> {
        tcp4(
            S,
            80,
            C,
            self.cp,
            self.si.wrapping_add(rel),
            self.ci.wrapping_add(ack_rel),
            ACK | fl,
            data,
        )
    }
    fn handshake(&self) -> Vec<Vec<u8>> {
        std::vec![self.syn(), self.synack(), self.ack3()]
    }
}

type Engine<'a> = Nids<'a, (), 8, 4>;

fn run_with(
    frames: &[Vec<u8>],
    rec: &mut Recorder,
    config: Config<'static>,
    storage: usize,
) -> crate::Stats {
    let mut mem = std::vec![0u8; storage];
    let mut n: Engine<'_> = Nids::new(LinkType::ETHERNET, config, &mut mem[..]).unwrap();
    for (i, f) in frames.iter().enumerate() {
        n.process(Instant::from_secs_micros(1000, i as u32), f, rec);
    }
    n.finish(rec);
    n.stats().clone()
}

/// Runs with ample storage (4 MiB): the proptest queues every out-of-order
/// segment and duplicate in its own block.
fn run(frames: &[Vec<u8>]) -> Recorder {
    let mut rec = Recorder::default();
    let st = run_with(frames, &mut rec, Config::new(), 4 << 20);
    assert_eq!(st.warning(Warning::TcpStorageFull), 0);
    rec
}

#[test]
fn test_established_data_close() {
    let k = Conn {
        cp: 1000,
        ci: 100,
        si: 5000,
    };
    let mut f = k.handshake();
    f.push(k.c(1, PSH, b"hello"));
    f.push(k.s(1, 6, PSH, b"world!"));
    f.push(k.c(6, FIN, b""));
    f.push(k.s(7, 7, 0, b""));
    f.push(k.s(7, 7, FIN, b""));
    f.push(k.c_ack(7, 8, 0, b""));
    let r = run(&f);
    let s = r.only();
    assert_eq!(s.c2s, b"hello");
    assert_eq!(s.s2c, b"world!");
    assert_eq!(s.events, ["established", "data", "data", "close"]);
}

#[test]
fn test_open_stream_exits() {
    let k = Conn {
        cp: 1001,
        ci: 7,
        si: 9,
    };
    let mut f = k.handshake();
    f.push(k.c(1, PSH, b"abc"));
    let r = run(&f);
    assert_eq!(r.only().events, ["established", "data", "exiting"]);
}

#[test]
fn test_no_handshake_no_stream() {
    let k = Conn {
        cp: 1002,
        ci: 7,
        si: 9,
    };
    let r = run(&[k.c(1, PSH, b"abc"), k.s(1, 4, PSH, b"x")]);
    assert!(r.streams.is_empty());
}

#[test]
fn test_wrong_third_ack_keeps_pending_stream() {
    // libnids frees the pending stream on a wrong 3rd ACK; a correct one later
    // still establishes it here.
    let k = Conn {
        cp: 1003,
        ci: 7,
        si: 9,
    };
    let wrong = tcp4(C, 1003, S, 80, 8, 9 + 77, ACK, b"");
    let r = run(&[k.syn(), k.synack(), wrong, k.ack3(), k.c(1, PSH, b"ok")]);
    assert_eq!(r.only().c2s, b"ok");
}

#[test]
fn test_out_of_order_and_duplicates() {
    let k = Conn {
        cp: 1004,
        ci: 1000,
        si: 2000,
    };
    let mut f = k.handshake();
    f.push(k.c(7, PSH, b"world"));
    f.push(k.c(4, 0, b"lo "));
    f.push(k.c(7, PSH, b"world"));
    f.push(k.c(1, 0, b"hel"));
    f.push(k.c(1, 0, b"hello"));
    let r = run(&f);
    assert_eq!(r.only().c2s, b"hello world");
}

#[test]
fn test_sequence_wrap() {
    let k = Conn {
        cp: 1005,
        ci: u32::MAX - 3,
        si: u32::MAX - 1,
    };
    let mut f = k.handshake();
    f.push(k.c(1, 0, b"0123"));
    f.push(k.c(9, 0, b"89"));
    f.push(k.c(5, 0, b"4567"));
    f.push(k.s(1, 11, PSH, b"wrapped"));
    let r = run(&f);
    assert_eq!(r.only().c2s, b"0123456789");
    assert_eq!(r.only().s2c, b"wrapped");
}

#[test]
fn test_urgent_byte_taken_out() {
    let k = Conn {
        cp: 1006,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(tcp4_opts(
        C,
        1006,
        S,
        80,
        11,
        21,
        ACK | PSH | URG,
        4,
        &[],
        b"abcXdef",
    ));
    let mut rec = Recorder {
        urgent: true,
        ..Default::default()
    };
    run_with(&f, &mut rec, Config::new(), 64 * 1024);
    assert_eq!(rec.only().c2s, b"abcdef");
    assert_eq!(rec.only().urg_c2s, b"X");
}

#[test]
fn test_reset_by_either_side() {
    let k = Conn {
        cp: 1007,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(1, PSH, b"req"));
    f.push(tcp4(S, 80, C, 1007, 21, 0, RST, b""));
    let r = run(&f);
    assert_eq!(r.only().events, ["established", "data", "reset"]);
    let mut f = k.handshake();
    f.push(tcp4(C, 1007, S, 80, 11, 0, RST, b""));
    assert_eq!(run(&f).only().events, ["established", "reset"]);
}

#[test]
fn test_reset_out_of_window_ignored() {
    let k = Conn {
        cp: 1008,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(tcp4(S, 80, C, 1008, 21 + 1_000_000, 0, RST, b""));
    assert_eq!(run(&f).only().events, ["established", "exiting"]);
}

#[test]
fn test_fin_needs_covering_ack() {
    let k = Conn {
        cp: 1009,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(1, PSH, b"abc"));
    f.push(k.c(4, FIN, b""));
    f.push(k.s(1, 4, 0, b"")); // acks the data, not the FIN
    f.push(k.s(1, 4, FIN, b""));
    f.push(k.c_ack(5, 2, 0, b"")); // client acks the server FIN
                                   // libnids would report close here; the client FIN was never acknowledged.
    assert_eq!(run(&f).only().events, ["established", "data", "exiting"]);
}

#[test]
fn test_resent_fin_confirms_crossing_fin() {
    // As above, then the server resends its FIN, now acknowledging the client's:
    // the resent FIN lies just before the client's ack, yet its ACK counts.
    let k = Conn {
        cp: 1020,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(1, PSH, b"abc"));
    f.push(k.c(4, FIN, b""));
    f.push(k.s(1, 4, FIN, b"")); // acks the data, not the FIN
    f.push(k.c_ack(5, 2, 0, b"")); // client acks the server FIN
    f.push(k.s(1, 5, FIN, b"")); // the FIN again, acking the client's FIN
    let r = run(&f);
    assert_eq!(r.only().events, ["established", "data", "close"]);
    assert_eq!(r.only().c2s, b"abc");
}

#[test]
fn test_split_handshake_starts_from_the_servers_syn() {
    // SYN, a bare ACK of it from the server, the server's own SYN, the client's
    // SYN-ACK, the server's ACK: the server's SYN starts the stream. The server
    // ISN is far above the client's window (libnids would miss the stream).
    let (cp, ci, si) = (1021u16, 10u32, 0x9000_0000u32);
    let f = std::vec![
        tcp4(C, cp, S, 80, ci, 0, SYN, b""),
        tcp4(S, 80, C, cp, si, ci + 1, ACK, b""),
        tcp4(S, 80, C, cp, si, 0, SYN, b""),
        tcp4(C, cp, S, 80, ci, si + 1, SYN | ACK, b""),
        tcp4(S, 80, C, cp, si + 1, ci + 1, ACK, b""),
        tcp4(C, cp, S, 80, ci + 1, si + 1, ACK | PSH, b"ping"),
        tcp4(S, 80, C, cp, si + 1, ci + 5, ACK | PSH, b"pong"),
    ];
    let r = run(&f);
    assert_eq!(r.streams.len(), 1, "{:?}", r.streams);
    assert_eq!(r.streams[0].0, "10.0.0.2:80 - 10.0.0.1:1021");
    assert_eq!(r.only().c2s, b"pong");
    assert_eq!(r.only().s2c, b"ping");
}

#[test]
fn test_bytes_after_fin_dropped_and_counted() {
    let k = Conn {
        cp: 1022,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(8, 0, b"XYZ")); // beyond the FIN to come: queued
    f.push(k.c(1, FIN, b"abcdefg")); // FIN at 8; "XYZ" drains after it
    f.push(k.s(1, 9, 0, b""));
    f.push(k.c(8, FIN, b"Q")); // a byte at the FIN, and a FIN after it
    f.push(k.c(11, 0, b"more")); // beyond, out of order
    f.push(k.s(1, 9, FIN, b""));
    f.push(k.c_ack(9, 2, 0, b""));
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(rec.only().c2s, b"abcdefg");
    assert_eq!(rec.only().events, ["established", "data", "close"]);
    assert_eq!(st.warning(Warning::TcpDataAfterFin), 3);
    assert_eq!(st.tcp_bytes_after_fin, 3 + 1 + 4);
}

#[test]
fn test_server_data_before_third_ack() {
    let k = Conn {
        cp: 1010,
        ci: 10,
        si: 20,
    };
    let f = std::vec![
        k.syn(),
        k.synack(),
        k.s(1, 1, PSH, b"banner"),
        k.ack3(),
        k.c(1, PSH, b"hi")
    ];
    let r = run(&f);
    assert_eq!(r.only().s2c, b"banner");
    assert_eq!(r.only().c2s, b"hi");
}

#[test]
fn test_data_on_third_ack() {
    let k = Conn {
        cp: 1011,
        ci: 10,
        si: 20,
    };
    let f = std::vec![k.syn(), k.synack(), k.c(1, PSH, b"GET /")];
    assert_eq!(run(&f).only().c2s, b"GET /");
}

#[test]
fn test_table_full_evicts_oldest() {
    // 8 slots: libnids' rule allows 3*8/4+1 = 7 concurrent streams.
    let mut f = Vec::new();
    for i in 0..8u16 {
        let k = Conn {
            cp: 2000 + i,
            ci: 10,
            si: 20,
        };
        f.extend(k.handshake());
    }
    let r = run(&f);
    assert_eq!(r.streams.len(), 8);
    assert_eq!(r.streams[0].1.events, ["established", "timeout"]);
    assert!(r.streams[1..]
        .iter()
        .all(|(_, s)| s.events == ["established", "exiting"]));
    assert_eq!(r.warnings, [Warning::TcpTooManyStreams]);
}

#[test]
fn test_flow_timeout_reuse_tells_handler() {
    let k = Conn {
        cp: 1012,
        ci: 10,
        si: 20,
    };
    let k2 = Conn {
        cp: 1012,
        ci: 900,
        si: 800,
    };
    let mut rec = Recorder::default();
    let mut mem = std::vec![0u8; 16384];
    let mut n: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    for f in k.handshake() {
        n.process(Instant::from_secs_micros(10, 0), &f, &mut rec);
    }
    for f in k2.handshake().into_iter().chain([k2.c(1, PSH, b"new")]) {
        n.process(Instant::from_secs_micros(10 + 3601, 0), &f, &mut rec);
    }
    n.finish(&mut rec);
    assert_eq!(rec.streams.len(), 2);
    assert_eq!(rec.streams[0].1.events, ["established", "timeout"]);
    assert_eq!(rec.streams[1].1.c2s, b"new");
}

#[test]
fn test_discard_keeps_bytes() {
    let k = Conn {
        cp: 1013,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    for (i, c) in body.chunks(100).enumerate() {
        f.push(k.c(1 + 100 * i as u32, 0, c));
    }
    let mut rec = Recorder {
        keep_until: Some(2500),
        ..Default::default()
    };
    let st = run_with(&f, &mut rec, Config::new(), 64 * 1024);
    let s = rec.only();
    // 25 segments kept then released at once, then 5 more one by one.
    assert_eq!(s.c2s, body);
    assert_eq!(st.tcp_bytes, 3000);
}

#[test]
fn test_overlap_libnids_vector() {
    // Novak/Sturges TCP vector (overlap-policies.md): libnids gives the BSD result.
    let k = Conn {
        cp: 1014,
        ci: 0,
        si: 5,
    };
    let segs: [(u32, &[u8]); 18] = [
        (2, b"AAA"),
        (6, b"BB"),
        (8, b"CCC"),
        (12, b"D"),
        (15, b"EE"),
        (17, b"FFF"),
        (20, b"GG"),
        (22, b"HH"),
        (24, b"I"),
        (3, b"JJJJ"),
        (8, b"KKK"),
        (11, b"LLL"),
        (14, b"MMM"),
        (18, b"N"),
        (21, b"O"),
        (22, b"P"),
        (24, b"QQ"),
        (1, b"0"),
    ];
    let mut f = k.handshake();
    for (rel, d) in segs {
        f.push(k.c(rel, 0, d));
    }
    assert_eq!(run(&f).only().c2s, b"0AAAJJBCCCLLLMMMFFFGGHHIQ");
}

#[test]
fn test_queue_full_prunes_far_end() {
    let k = Conn {
        cp: 1015,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    // 100 segments of 100 bytes, all ahead of a missing first byte.
    for i in 0..100u32 {
        f.push(k.c(2 + 100 * i, 0, &[b'x'; 100]));
    }
    f.push(k.c(1, 0, b"y"));
    let mut config = Config::new();
    config.tcp.max_queue = 2000;
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, config, 1 << 20);
    assert!(st.warning(Warning::TcpQueueFull) > 0);
    // The near segments survived: the start of the stream is delivered. Each
    // 100-byte segment is charged a small block (256 bytes).
    assert_eq!(rec.only().c2s.len(), 1 + 100 * (2000 / 256));
}

#[test]
fn test_storage_exhausted_warns_and_survives() {
    let k = Conn {
        cp: 1016,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    for i in 0..50u32 {
        f.push(k.c(2 + 1000 * i, 0, &[b'x'; 1000]));
    }
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 8 * 2048);
    assert!(st.warning(Warning::TcpStorageFull) > 0);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
        /// Any segmentation, reordering and duplication of random bytes, with
        /// consistent retransmissions and any ISN, reassembles to the bytes,
        /// under every overlap policy.
        #[test]
        fn reassembles_any_segmentation(
            c2s in proptest::collection::vec(any::<u8>(), 0..3000),
            s2c in proptest::collection::vec(any::<u8>(), 0..3000),
            ci in any::<u32>(), si in any::<u32>(),
            cuts in proptest::collection::vec(1usize..400, 1..40),
            order in proptest::collection::vec(any::<u16>(), 0..120),
            policy in 0usize..9,
        ) {
            let k = Conn { cp: 4242, ci, si };
            let mut segs = Vec::new();
            for (data, client) in [(&c2s, true), (&s2c, false)] {
                let mut at = 0;
                let mut i = 0;
                while at < data.len() {
                    let n = cuts[i % cuts.len()].min(data.len() - at);
                    let rel = 1 + at as u32;
                    segs.push(if client { k.c(rel, 0, &data[at..at + n]) } else {
                        // Acks stay at the handshake: an ack past data not yet
                        // captured would make that data look old (libnids' rule).
                        k.s(rel, 1, 0, &data[at..at + n])
                    });
                    at += n;
                    i += 1;
                }
            }
            // shuffle and duplicate by the random order list
            let mut frames = k.handshake();
            let base = segs.len();
            for (j, o) in order.iter().enumerate() {
                if base == 0 { break; }
                let a = *o as usize % base;
                let b = j % base;
                segs.swap(a, b);
                if o % 3 == 0 { let d = segs[a].clone(); segs.push(d); }
            }
            frames.extend(segs);
            use crate::tcp::policy::Policy::*;
            let mut config = Config::new();
            config.tcp.policy = [Libnids, First, Last, Bsd, Linux, OldLinux, Windows, Vista, Solaris][policy];
            let mut r = Recorder::default();
            let st = run_with(&frames, &mut r, config, 4 << 20);
            prop_assert_eq!(st.warning(Warning::TcpStorageFull), 0);
            prop_assert_eq!(st.warning(Warning::TcpInconsistentRetransmission), 0);
            let s = r.only();
            prop_assert_eq!(&s.c2s, &c2s);
            prop_assert_eq!(&s.s2c, &s2c);
        }
    }
}

#[test]
fn test_discard_across_blocks() {
    let k = Conn {
        cp: 1013,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    for (i, c) in body.chunks(100).enumerate() {
        f.push(k.c(1 + 100 * i as u32, 0, c));
    }
    for lim in [100, 1000, 2044, 2045, 2100, 2500, 4100, 5000] {
        let mut rec = Recorder {
            keep_until: Some(lim),
            ..Default::default()
        };
        run_with(&f, &mut rec, Config::new(), 64 * 1024);
        assert_eq!(
            rec.only().c2s.len(),
            3000,
            "{lim} {:?} {:?}",
            rec.only().events.len(),
            rec.warnings
        );
    }
}

mod overlap_policies {
    //! The Novak/Sturges TCP vectors of overlap-policies.md, one test per policy.
    use super::*;
    use crate::tcp::policy::Policy;

    const MAIN: &[(u32, &str)] = &[
        (2, "AAA"),
        (6, "BB"),
        (8, "CCC"),
        (12, "D"),
        (15, "EE"),
        (17, "FFF"),
        (20, "GG"),
        (22, "HH"),
        (24, "I"),
        (3, "JJJJ"),
        (8, "KKK"),
        (11, "LLL"),
        (14, "MMM"),
        (18, "N"),
        (21, "O"),
        (22, "P"),
        (24, "QQ"),
        (1, "0"),
    ];
    const BEFORE: &[(u32, &str)] = &[
        (3, "B"),
        (9, "D"),
        (12, "EE"),
        (2, "AA"),
        (1, "JJJJ"),
        (8, "LLL"),
        (11, "MMM"),
    ];
    const SAME: &[(u32, &str)] = &[
        (1, "CCC"),
        (15, "HH"),
        (17, "II"),
        (1, "KKK"),
        (1, "LLLL"),
        (15, "P"),
        (15, "QQ"),
    ];
    const AFTER: &[(u32, &str)] = &[
        (1, "AA"),
        (16, "FFF"),
        (19, "GG"),
        (2, "JJ"),
        (20, "O"),
        (17, "N"),
    ];

    /// Client bytes after sending `segs` (shifted by `shift`), then one filler
    /// segment of '.' per hole of `image`, then "0" at position 1 if shifted.
    fn reassemble(
        policy: Policy,
        segs: &[(u32, &str)],
        shift: u32,
        image: &str,
    ) -> std::string::String {
        let k = Conn {
            cp: 1100,
            ci: 1000,
            si: 2000,
        };
        let mut f = k.handshake();
        for (rel, d) in segs {
            f.push(k.c(rel + shift, 0, d.as_bytes()));
        }
        let bytes = image.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'.' {
                let start = i;
                while i < bytes.len() && bytes[i] == b'.' {
                    i += 1;
                }
                f.push(k.c(1 + shift + start as u32, 0, &bytes[start..i]));
            } else {
                i += 1;
            }
        }
        if shift > 0 {
            f.push(k.c(1, 0, b"0"));
        }
        let mut config = Config::new();
        config.tcp.policy = policy;
        let mut rec = Recorder::default();
        run_with(&f, &mut rec, config, 1 << 20);
        std::string::String::from_utf8(rec.only().c2s.clone()).unwrap()
    }

    fn check(policy: Policy, main: &str, before: &str, same: &str, after: &str) {
        assert_eq!(
            reassemble(policy, MAIN, 0, main),
            main,
            "{policy:?} main vector"
        );
        for (name, segs, image) in [
            ("before", BEFORE, before),
            ("same", SAME, same),
            ("after", AFTER, after),
        ] {
            let want = std::format!("0{image}");
            assert_eq!(
                reassemble(policy, segs, 1, image),
                want,
                "{policy:?} {name}"
            );
        }
    }

    #[test]
    fn test_policy_bsd() {
        check(
            Policy::Bsd,
            "0AAAJJBCCCLLLMMMFFFGGHHIQ",
            "JJJJ...LLLMMM",
            "CCCL..........HHII",
            "AAJ............FFFGG",
        );
    }

    #[test]
    fn test_policy_windows_is_bsd() {
        check(
            Policy::Windows,
            "0AAAJJBCCCLLLMMMFFFGGHHIQ",
            "JJJJ...LLLMMM",
            "CCCL..........HHII",
            "AAJ............FFFGG",
        );
    }

    #[test]
    fn test_policy_first_and_vista() {
        for p in [Policy::First, Policy::Vista] {
            check(
                p,
                "0AAAJBBCCCLDLMEEFFFGGHHIQ",
                "JABJ...LDLMEE",
                "CCCL..........HHII",
                "AAJ............FFFGG",
            );
        }
    }

    #[test]
    fn test_policy_linux() {
        check(
            Policy::Linux,
            "0AAAJJBCCCLLLMMMFFFGGHHQQ",
            "JJJJ...LLLMMM",
            "LLLL..........HHII",
            "AAJ............FFFGG",
        );
    }

    #[test]
    fn test_policy_old_linux() {
        check(
            Policy::OldLinux,
            "0AAAJJBKKKLLLMMMFFFGGHHQQ",
            "JJJJ...LLLMMM",
            "LLLL..........QQII",
            "AAJ............FFFGG",
        );
    }

    #[test]
    fn test_policy_solaris() {
        check(
            Policy::Solaris,
            "0AJJJBBKKKLLLMMMFFFGGHHQQ",
            "JJJJ...LLLMMM",
            "LLLL..........QQII",
            "AJJ............FFFGG",
        );
    }

    #[test]
    fn test_policy_last() {
        check(
            Policy::Last,
            "0AJJJJBKKKLLLMMMFNFGOPHQQ",
            "JJJJ...LLLMMM",
            "LLLL..........QQII",
            "AJJ............FNFGO",
        );
    }

    #[test]
    fn test_policy_libnids_main_vector() {
        assert_eq!(
            reassemble(Policy::Libnids, MAIN, 0, ""),
            "0AAAJJBCCCLLLMMMFFFGGHHIQ"
        );
    }

    #[test]
    fn test_inconsistent_retransmission_warned() {
        let k = Conn {
            cp: 1101,
            ci: 10,
            si: 20,
        };
        let mut f = k.handshake();
        f.push(k.c(3, 0, b"cd"));
        f.push(k.c(3, 0, b"XY"));
        f.push(k.c(1, 0, b"ab"));
        let mut config = Config::new();
        config.tcp.policy = Policy::First;
        let mut rec = Recorder::default();
        let st = run_with(&f, &mut rec, config, 1 << 20);
        assert_eq!(rec.only().c2s, b"abcd");
        assert_eq!(st.warning(Warning::TcpInconsistentRetransmission), 1);
    }
}

#[test]
fn test_syn_flood_stays_bounded() {
    // 1,000,000 SYNs from distinct ports and addresses into 64 slots.
    let mut mem = std::vec![0u8; 64 * 1024];
    let mut n: Nids<'_, (), 64, 4> =
        Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    let limit = 3 * 64 / 4 + 1;
    for i in 0..1_000_000u32 {
        let src = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let f = tcp4(
            src,
            1024 + (i % 50000) as u16,
            S,
            80,
            i.wrapping_mul(2654435761),
            0,
            SYN,
            b"",
        );
        n.process(Instant::from_micros(u64::from(i)), &f, &mut rec);
        assert!(n.streams() <= limit);
    }
    assert_eq!(n.stats().tcp_streams, 1_000_000);
    // Pending streams are evicted silently to the handler (none established),
    // but every eviction is counted.
    assert_eq!(
        n.stats().warning(Warning::TcpTooManyStreams),
        1_000_000 - limit as u64
    );
    assert_eq!(n.tcp_storage().0, 0);
    assert!(rec.streams.is_empty());
}

#[test]
fn test_out_of_order_flood_stays_in_storage() {
    // One stream, 20,000 segments all ahead of a hole, and 64 streams doing the
    // same: the queue limits and the storage hold.
    let mut mem = std::vec![0u8; 256 * 1024];
    let mut config = Config::new();
    config.tcp.max_queue = 16 * 1024;
    let mut n: Nids<'_, (), 128, 4> = Nids::new(LinkType::ETHERNET, config, &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    let total = n.tcp_storage().1;
    for s in 0..64u16 {
        let k = Conn {
            cp: 3000 + s,
            ci: 1000,
            si: 2000,
        };
        for f in k.handshake() {
            n.process(Instant::ZERO, &f, &mut rec);
        }
        for i in 0..20_000u32 {
            n.process(
                Instant::ZERO,
                &k.c(2 + 500 * (i % 97), 0, &[b'q'; 500]),
                &mut rec,
            );
            assert!(n.tcp_storage().0 <= total);
        }
    }
    let st = n.stats();
    assert!(st.warning(Warning::TcpQueueFull) > 0);
    assert!(
        st.warning(Warning::TcpStorageFull) > 0,
        "128 KiB cannot hold 64 x 16 KiB queues"
    );
    assert_eq!(n.streams(), 64);
    n.finish(&mut rec);
    assert_eq!(
        n.tcp_storage().0,
        0,
        "every block is returned when streams end"
    );
}

#[test]
fn test_kill_sends_rsts_each_end_accepts() {
    let k = Conn {
        cp: 1200,
        ci: 1000,
        si: 5000,
    };
    let mut f = k.handshake();
    f.push(k.s(1, 1, PSH, b"220 ready\r\n")); // 11 bytes to the client
    f.push(k.c(1, PSH, b"HELO x\r\n")); // 8 bytes to the server: kill here
    let mut rec = Recorder {
        kill_on_data: true,
        ..Default::default()
    };
    run_with(&f, &mut rec, Config::new(), 1 << 16);
    let seqs: Vec<(u16, u32, u8)> = rec
        .sent
        .iter()
        .map(|(link, fr)| {
            assert_eq!(*link, LinkType::ETHERNET);
            let tcp = &fr[14 + 20..];
            (
                u16::from_be_bytes([tcp[0], tcp[1]]),
                u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
                tcp[13],
            )
        })
        .collect();
    // Killed at the server's 11 bytes: the server expects 1001 (and acked it),
    // the client expects 5012 but has acknowledged only 5001 so far.
    assert_eq!(
        seqs,
        [
            (1200, 1001, RST),
            (80, 5012, RST),
            (1200, 1001, RST),
            (80, 5001, RST)
        ]
    );
    // MACs: client frames go to the server's MAC.
    assert_eq!(&rec.sent[0].1[0..12], &f[0][0..12]);
    assert_eq!(&rec.sent[1].1[0..6], &f[0][6..12]);
    // The frames are valid: a fresh engine accepts all four checksums.
    let mut mem = std::vec![0u8; 4096];
    let mut n: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    let mut r2 = Recorder::default();
    for (_, fr) in &rec.sent {
        n.process(Instant::ZERO, fr, &mut r2);
    }
    assert_eq!(n.stats().tcp_segments, 4);
    assert_eq!(n.stats().total_warnings(), 0);
}

#[test]
fn test_midstream_off_by_default() {
    let k = Conn {
        cp: 1300,
        ci: 10,
        si: 20,
    };
    assert!(run(&[k.c(1, PSH, b"late"), k.s(1, 5, PSH, b"joiner")])
        .streams
        .is_empty());
}

#[test]
fn test_midstream_pickup() {
    let k = Conn {
        cp: 1301,
        ci: 10,
        si: 20,
    };
    // The handshake and the first bytes were missed.
    let f = std::vec![
        k.s(50, 101, PSH, b"from server"),
        k.c(101, PSH, b"from client"),
        k.s(61, 112, PSH, b"!")
    ];
    let mut config = Config::new();
    config.tcp.midstream = true;
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, config, 1 << 16);
    let s = rec.only();
    assert_eq!(
        rec.streams[0].0, "10.0.0.1:1301 - 10.0.0.2:80",
        "the lower port is the server"
    );
    assert_eq!(s.s2c, b"from server!");
    assert_eq!(s.c2s, b"from client");
    assert_eq!(st.tcp_midstream, 1);
}

#[test]
fn test_gap_reported_and_skipped_when_asked() {
    let k = Conn {
        cp: 1302,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(1, 0, b"abc"));
    // bytes 4..6 are never captured; 7.. arrive and the server acks them all
    f.push(k.c(7, 0, b"ghi"));
    f.push(k.s(1, 10, 0, b""));
    f.push(k.c(10, 0, b"jk"));
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(
        rec.only().c2s,
        b"abc",
        "libnids' default waits for the hole"
    );
    assert_eq!(st.warning(Warning::TcpGap), 1);

    let mut config = Config::new();
    config.tcp.skip_gaps = true;
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, config, 1 << 16);
    assert_eq!(rec.only().c2s, b"abcghijk");
    assert_eq!(st.warning(Warning::TcpGap), 1);
}

/// An ICMP port unreachable from `from` quoting the client's SYN of `k`.
fn icmp_unreachable(k: &Conn, from: [u8; 4], code: u8) -> Vec<u8> {
    icmp_quoting(&k.syn(), from, code)
}

/// An ICMP destination unreachable from `from` quoting the IPv4 frame `sent`.
fn icmp_quoting(sent: &[u8], from: [u8; 4], code: u8) -> Vec<u8> {
    let quoted = &sent[14..14 + 28];
    let mut m = std::vec![3, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(quoted);
    let c = !(crate::ip::checksum::sum(&m) as u16);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    crate::test_util::ipv4_eth(from, C, 1, &m)
}

#[test]
fn test_icmp_unreachable_ends_pending_stream() {
    let k = Conn {
        cp: 1303,
        ci: 10,
        si: 20,
    };
    let f = std::vec![
        k.syn(),
        icmp_unreachable(&k, S, 3),
        k.synack(),
        k.ack3(),
        k.c(1, PSH, b"x")
    ];
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert!(rec.streams.is_empty());
    assert_eq!(st.tcp_icmp_refused, 1);
    // Port unreachable from a third party is ignored; established streams too.
    let f = std::vec![
        k.syn(),
        icmp_unreachable(&k, [10, 9, 9, 9], 3),
        k.synack(),
        k.ack3(),
        icmp_unreachable(&k, S, 3),
        k.c(1, PSH, b"x")
    ];
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(rec.only().c2s, b"x");
    assert_eq!(st.tcp_icmp_refused, 0);
}

#[test]
fn test_icmp_unreachable_needs_sequence_in_window() {
    // RFC 5927: a message quoting a sequence number the client never sent is
    // forged or stale: the attempt goes on.
    let k = Conn {
        cp: 1304,
        ci: 10,
        si: 20,
    };
    let forged = tcp4(C, k.cp, S, 80, 0x8000_0000, 0, SYN, b"");
    let f = std::vec![
        k.syn(),
        icmp_quoting(&forged, S, 3),
        k.synack(),
        k.ack3(),
        k.c(1, PSH, b"x")
    ];
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(st.tcp_icmp_refused, 0);
    assert_eq!(rec.only().c2s, b"x");
}

#[test]
fn test_idle_timeout() {
    let k = Conn {
        cp: 1400,
        ci: 10,
        si: 20,
    };
    let other = Conn {
        cp: 1401,
        ci: 10,
        si: 20,
    };
    let mut config = Config::new();
    config.tcp.idle_timeout = crate::Duration::from_secs(10);
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n: Engine<'_> = Nids::new(LinkType::ETHERNET, config, &mut mem[..]).unwrap();
    let mut rec = Recorder::default();
    for f in k.handshake() {
        n.process(Instant::from_secs_micros(100, 0), &f, &mut rec);
    }
    // Another stream's packets move packet time on; the first stream is idle.
    n.process(Instant::from_secs_micros(105, 0), &other.syn(), &mut rec);
    assert_eq!(n.streams(), 2);
    n.process(Instant::from_secs_micros(112, 0), &other.synack(), &mut rec);
    assert_eq!(rec.streams[0].1.events, ["established", "timeout"]);
    // advance() does the same on an idle link.
    n.advance(Instant::from_secs_micros(200, 0), &mut rec);
    assert_eq!(n.streams(), 0);
}

/// A TCP timestamp option (NOP, NOP, TS) with `val`.
fn ts_opt(val: u32) -> Vec<u8> {
    let mut o = std::vec![1, 1, 8, 10];
    o.extend_from_slice(&val.to_be_bytes());
    o.extend_from_slice(&[0; 4]);
    o
}

#[test]
fn test_paws_drops_older_timestamp() {
    let f = std::vec![
        tcp4_opts(C, 1402, S, 80, 10, 0, SYN, 0, &ts_opt(1000), b""),
        tcp4_opts(S, 80, C, 1402, 20, 11, SYN | ACK, 0, &ts_opt(5000), b""),
        tcp4_opts(C, 1402, S, 80, 11, 21, ACK, 0, &ts_opt(1001), b""),
        tcp4_opts(C, 1402, S, 80, 11, 21, ACK | PSH, 0, &ts_opt(1002), b"new"),
        // a later segment with an older timestamp: PAWS drops it
        tcp4_opts(C, 1402, S, 80, 14, 21, ACK | PSH, 0, &ts_opt(900), b"old"),
        tcp4_opts(C, 1402, S, 80, 14, 21, ACK | PSH, 0, &ts_opt(1003), b"!"),
    ];
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(rec.only().c2s, b"new!");
    assert_eq!(st.tcp_paws, 1);
}

#[test]
fn test_window_scaling_widens_the_window() {
    let wscale = [1u8, 3, 3, 7];
    for scaled in [false, true] {
        let opts: &[u8] = if scaled { &wscale } else { &[] };
        let mut f = std::vec![
            tcp4_opts(C, 1403, S, 80, 10, 0, SYN, 0, opts, b""),
            tcp4_opts(S, 80, C, 1403, 20, 11, SYN | ACK, 0, opts, b""),
            tcp4(C, 1403, S, 80, 11, 21, ACK, b""),
            tcp4(S, 80, C, 1403, 21, 11, ACK, b""), // window 65535, scaled if negotiated
        ];
        // 100 KB ahead of the server's ack point, then the bytes before it.
        f.push(tcp4(C, 1403, S, 80, 11 + 100_000, 21, ACK, b"far"));
        for i in 0..100u32 {
            f.push(tcp4(C, 1403, S, 80, 11 + 1000 * i, 21, ACK, &[b'a'; 1000]));
        }
        let mut rec = Recorder::default();
        let st = run_with(&f, &mut rec, Config::new(), 1 << 20);
        let got = rec.only().c2s.len();
        if scaled {
            assert_eq!(got, 100_003);
        } else {
            // segments starting past ack + 65,535 are dropped: 66 of 1000 bytes pass
            assert_eq!(
                got, 66_000,
                "beyond one unscaled window the segments are dropped"
            );
            assert!(st.tcp_out_of_window > 0);
        }
    }
}

#[test]
fn test_inconsistent_retransmission_libnids_policy() {
    let k = Conn {
        cp: 1404,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    f.push(k.c(3, 0, b"cd"));
    f.push(k.c(3, 0, b"XY"));
    f.push(k.c(1, 0, b"ab"));
    let mut rec = Recorder::default();
    let st = run_with(&f, &mut rec, Config::new(), 1 << 16);
    assert_eq!(
        rec.only().c2s,
        b"abcd",
        "the first queued copy wins, as in libnids"
    );
    assert_eq!(st.warning(Warning::TcpInconsistentRetransmission), 1);
}

/// Records, for each `Data` event of the server half, the number of new bytes
/// and whether the segment continues in the next event.
#[derive(Default)]
struct Pieces(Vec<(usize, bool)>);

impl crate::Handler<()> for Pieces {
    fn tcp(&mut self, s: &mut crate::Stream<'_, '_, ()>) {
        if s.event() == crate::TcpEvent::JustEstablished {
            s.server_mut().collect = true;
        }
        if s.side() == Some(crate::Side::Server) {
            self.0.push((s.new_data().len(), s.continues()));
        }
    }
}

#[test]
fn test_segment_behind_hole_continues_across_blocks() {
    let k = Conn {
        cp: 1405,
        ci: 10,
        si: 20,
    };
    let mut f = k.handshake();
    // 2,872 bytes wait behind a 100-byte hole, then two small segments.
    let big: Vec<u8> = (0..2872u32).map(|i| i as u8).collect();
    f.push(k.c(101, 0, &big));
    f.push(k.c(2973, 0, b"tail"));
    f.push(k.c(1, 0, &[b'h'; 100]));
    let mut p = Pieces::default();
    let mut mem = std::vec![0u8; 1 << 16];
    let mut n: Engine<'_> = Nids::new(LinkType::ETHERNET, Config::new(), &mut mem[..]).unwrap();
    for (i, fr) in f.iter().enumerate() {
        n.process(Instant::from_secs_micros(1000, i as u32), fr, &mut p);
    }
    // The hole's filler, the big segment in storage blocks (all but the last
    // say the segment goes on), then the small one on its own.
    assert_eq!(p.0.first(), Some(&(100, false)));
    assert_eq!(p.0.last(), Some(&(4, false)));
    let big_pieces = &p.0[1..p.0.len() - 1];
    assert!(big_pieces.len() >= 2, "stored in more than one block");
    assert_eq!(big_pieces.iter().map(|x| x.0).sum::<usize>(), 2872);
    let (last, rest) = big_pieces.split_last().unwrap();
    assert!(!last.1);
    assert!(rest.iter().all(|x| x.1));
}

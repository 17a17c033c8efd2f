//! The Community ID flow hash, version 1 (corelight/community-id-spec): the key
//! by which Zeek, Suricata, Arkime and Elastic records of one flow are joined.
//!
//! This module is the one place it is computed; `nids --community-id-seed`,
//! nids-capi's `nids_rs_community_id` and nids-py's events all call
//! [`community_id`].
//!
//! The hash is SHA-1 over: the seed (2 bytes, big-endian), the two addresses
//! (4 or 16 bytes each), the protocol (1 byte), a zero byte, and for TCP, UDP,
//! SCTP, ICMP and ICMPv6 the two ports (2 bytes each, big-endian). The endpoints
//! are ordered so that the smaller address (then the smaller port) comes first,
//! so both directions of a flow get the same ID. For ICMP and ICMPv6 the
//! "ports" are the type and its counterpart type (echo request and reply, ...),
//! as Zeek pairs them; a type without a counterpart (unreachable, time
//! exceeded, ...) is one-way: type and code, never reordered. The digest is
//! written in base64 after `1:`.
//!
//! ```
//! use nids_host::community_id::community_id;
//! let a = "1.2.3.4".parse().unwrap();
//! let b = "5.6.7.8".parse().unwrap();
//! // The spec's first baseline row, and the same flow seen the other way.
//! assert_eq!(community_id(0, 6, a, 1122, b, 3344).unwrap(), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
//! assert_eq!(community_id(0, 6, b, 3344, a, 1122).unwrap(), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
//! ```

use std::net::IpAddr;

use sha1::{Digest, Sha1};

/// IP protocol numbers the hash treats specially.
mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMPV6: u8 = 58;
    pub const SCTP: u8 = 132;
}

/// The ICMP type answering `ty` (echo request and reply, timestamp, information,
/// router solicitation and advertisement, address mask), as Zeek's
/// `ICMP4_counterpart`; `None` for a one-way type.
fn icmp4_counterpart(ty: u8) -> Option<u8> {
    Some(match ty {
        8 => 0,
        0 => 8,
        13 => 14,
        14 => 13,
        15 => 16,
        16 => 15,
        10 => 9,
        9 => 10,
        17 => 18,
        18 => 17,
        _ => return None,
    })
}

/// The ICMPv6 type answering `ty` (echo, multicast listener query and report,
/// router and neighbour discovery, node information, home agent address
/// discovery), as Zeek's `ICMP6_counterpart`; `None` for a one-way type.
fn icmp6_counterpart(ty: u8) -> Option<u8> {
    Some(match ty {
        128 => 129,
        129 => 128,
        130 => 131,
        131 => 130,
        133 => 134,
        134 => 133,
        135 => 136,
        136 => 135,
        139 => 140,
        140 => 139,
        144 => 145,
        145 => 144,
        _ => return None,
    })
}

/// The ICMP (`proto` 1) or ICMPv6 (58) type answering type `ty`, as Zeek pairs
/// them (echo request and reply, ...); `None` for a one-way type or another
/// protocol. Zeek's conn.log, and so `nids conn`, logs it as the responder's
/// "port".
pub fn icmp_counterpart(proto: u8, ty: u8) -> Option<u8> {
    match proto {
        proto::ICMP => icmp4_counterpart(ty),
        proto::ICMPV6 => icmp6_counterpart(ty),
        _ => None,
    }
}

/// The 20-byte SHA-1 digest of a flow, or `None` when the two addresses are
/// not of one family.
///
/// `proto` is the IP protocol number. For TCP, UDP and SCTP, `sport` and
/// `dport` are the ports; for ICMP (1) and ICMPv6 (58), `sport` is the
/// message's type and `dport` its code; for other protocols they are not used.
/// The two directions of one flow give the same digest.
pub fn digest(
    seed: u16,
    proto: u8,
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
) -> Option<[u8; 20]> {
    let (ports, ordered) = match proto {
        proto::TCP | proto::UDP | proto::SCTP => (Some((sport, dport)), true),
        proto::ICMP | proto::ICMPV6 => {
            let ty = u8::try_from(sport).unwrap_or(u8::MAX);
            match icmp_counterpart(proto, ty) {
                Some(other) => (Some((sport, u16::from(other))), true),
                None => (Some((sport, dport)), false),
            }
        }
        _ => (None, true),
    };
    let (a, b) = match (src, dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        _ => return None,
    };
    let (p, q) = ports.unwrap_or((0, 0));
    let swap = ordered && (b < a || (a == b && q < p));
    let ((a, p), (b, q)) = if swap {
        ((b, q), (a, p))
    } else {
        ((a, p), (b, q))
    };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(&a);
    h.update(&b);
    h.update([proto, 0]);
    if ports.is_some() {
        h.update(p.to_be_bytes());
        h.update(q.to_be_bytes());
    }
    Some(h.finalize().into())
}

/// The Community ID of a flow, `1:` and the base64 of its [`digest`]; `None`
/// when the two addresses are not of one family.
pub fn community_id(
    seed: u16,
    proto: u8,
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
) -> Option<String> {
    let d = digest(seed, proto, src, sport, dst, dport)?;
    let mut s = String::with_capacity(30);
    s.push_str("1:");
    base64(&d, &mut s);
    Some(s)
}

/// `bytes` in standard base64 (RFC 4648 alphabet, `=` padding), appended to
/// `out`.
fn base64(bytes: &[u8], out: &mut String) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = u32::from(chunk[0]) << 16
            | u32::from(chunk.get(1).copied().unwrap_or(0)) << 8
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            if i <= n {
                out.push(char::from(ABC[(v >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        let mut s = String::new();
        base64(bytes, &mut s);
        s
    }

    #[test]
    fn test_base64_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(plain.as_bytes()), enc);
        }
        assert_eq!(b64(&[0xfb, 0xff]), "+/8=");
    }

    /// A baseline row: proto, saddr, sport, daddr, dport, Community ID.
    type Row = (u8, IpAddr, Option<u16>, IpAddr, Option<u16>, String);

    /// Rows of the spec's `baseline_*.json`: every flow of its capture files.
    fn json_rows(text: &str) -> Vec<Row> {
        let rows: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
        rows.iter()
            .map(|r| {
                let port = |k: &str| r[k].as_u64().map(|p| u16::try_from(p).unwrap());
                (
                    u8::try_from(r["proto"].as_u64().unwrap()).unwrap(),
                    r["saddr"].as_str().unwrap().parse().unwrap(),
                    port("sport"),
                    r["daddr"].as_str().unwrap().parse().unwrap(),
                    port("dport"),
                    r["communityid"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn test_spec_baseline_json() {
        for (file, seed) in [
            (
                include_str!("../tests/data/community-id/baseline_deflt.json"),
                0,
            ),
            (
                include_str!("../tests/data/community-id/baseline_seed1.json"),
                1,
            ),
        ] {
            let rows = json_rows(file);
            assert_eq!(rows.len(), 23);
            for (proto, src, sport, dst, dport, want) in rows {
                let got = community_id(
                    seed,
                    proto,
                    src,
                    sport.unwrap_or(0),
                    dst,
                    dport.unwrap_or(0),
                );
                assert_eq!(
                    got.as_deref(),
                    Some(&*want),
                    "{proto} {src} {dst} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn test_spec_readme_tables() {
        let text = include_str!("../tests/data/community-id/tables.tsv");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split('\t').collect();
            let port = |s: &str| if s == "-" { 0 } else { s.parse().unwrap() };
            let proto = f[0].parse().unwrap();
            let (src, dst) = (f[1].parse().unwrap(), f[2].parse().unwrap());
            let (sp, dp) = (port(f[3]), port(f[4]));
            assert_eq!(
                community_id(0, proto, src, sp, dst, dp).unwrap(),
                f[5],
                "{line}"
            );
            assert_eq!(
                community_id(1, proto, src, sp, dst, dp).unwrap(),
                f[6],
                "{line}"
            );
            n += 1;
        }
        assert_eq!(n, 16);
    }

    #[test]
    fn test_no_base64_table_digest() {
        // The spec's "No base64-encoding" table, first row.
        let d = digest(
            0,
            6,
            "1.2.3.4".parse().unwrap(),
            1122,
            "5.6.7.8".parse().unwrap(),
            3344,
        )
        .unwrap();
        assert_eq!(
            crate::text::hex(&d),
            "c026f7386ef200559e95a53276ed03fb5db908b3"
        );
    }

    #[test]
    fn test_one_way_icmp_is_not_reordered() {
        let (a, b) = ("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap());
        // Time exceeded from the larger address: kept as sent, so the two
        // directions differ (they are two one-way flows).
        assert_ne!(
            community_id(0, 1, a, 11, b, 0),
            community_id(0, 1, b, 11, a, 0)
        );
    }

    #[test]
    fn test_mixed_families() {
        let a = "1.2.3.4".parse().unwrap();
        let b = "::1".parse().unwrap();
        assert_eq!(community_id(0, 6, a, 1, b, 2), None);
    }
}

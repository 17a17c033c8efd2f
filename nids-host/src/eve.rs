//! Suricata's EVE `flow` records (`nids conn --format eve`): one JSON object
//! per connection of [`crate::conn`], with the field names and types of
//! Suricata's `etc/schema.json` (kept in `tests/data/suricata/` with its
//! origin; `tests/eve_schema.rs` validates the output against it).
//!
//! The originator is the client (`src_*`, `toserver`). Packet and byte
//! counts are per direction; bytes are IP bytes (Suricata counts the whole
//! frame, link header included, so its figures are larger by that much per
//! packet). `timestamp` is the flow's start, as `flow.start`; `flow.reason`
//! is `timeout` for a flow that ended during the capture and `shutdown` for
//! one still open at its end.

use crate::conn::{proto, Conn, TcpState};
use crate::text::{json_str, utc};

/// Suricata's time format: `2023-11-14T22:13:20.000000+0000`.
pub fn timestamp(us: u64) -> String {
    let (y, mo, d, h, mi, s) = utc(us / 1_000_000);
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}+0000",
        us % 1_000_000
    )
}

/// `tcp.state`, from the two endpoints' states.
fn tcp_state(c: &Conn) -> &'static str {
    use TcpState::*;
    let (o, r) = (c.orig().state, c.resp().state);
    match (o, r) {
        (Reset, _) | (_, Reset) | (Closed, Closed) => "closed",
        (Closed, _) => "fin_wait1",
        (_, Closed) => "close_wait",
        (Established, Established) => "established",
        (SynSent | SynAckSent, Inactive) => "syn_sent",
        (_, Established) | (_, SynAckSent) => "syn_recv",
        _ => "none",
    }
}

/// `flow.state`: `new` (one direction seen), `established`, or `closed`
/// (TCP, after FIN both ways or a RST).
fn flow_state(c: &Conn) -> &'static str {
    if c.proto == proto::TCP && tcp_state(c) == "closed" {
        "closed"
    } else if c.orig().pkts > 0 && c.resp().pkts > 0 {
        "established"
    } else {
        "new"
    }
}

/// The TCP flag members: `"tcp_flags":"1b",…,"syn":true,…` (hex of the
/// flags seen, ORed, and one boolean per flag seen).
fn tcp_object(c: &Conn) -> String {
    let (ts, tc) = (c.orig().flags, c.resp().flags);
    let all = ts | tc;
    let mut s = format!(
        "\"tcp_flags\":\"{all:02x}\",\"tcp_flags_ts\":\"{ts:02x}\",\"tcp_flags_tc\":\"{tc:02x}\""
    );
    for (bit, name) in [
        (0x01, "fin"),
        (0x02, "syn"),
        (0x04, "rst"),
        (0x08, "psh"),
        (0x10, "ack"),
        (0x20, "urg"),
        (0x40, "ece"),
        (0x80, "cwr"),
    ] {
        if all & bit != 0 {
            s.push_str(&format!(",\"{name}\":true"));
        }
    }
    s.push_str(&format!(",\"state\":\"{}\"", tcp_state(c)));
    s
}

/// One `event_type: flow` record, with `community_id` when a seed is given.
pub fn flow_json(c: &Conn, community_id_seed: Option<u16>) -> String {
    let (o, r) = (c.orig(), c.resp());
    let (start, end) = (c.first.micros(), c.last.micros());
    let icmp = matches!(c.proto, proto::ICMP | proto::ICMPV6);
    let mut s = format!(
        "{{\"timestamp\":\"{}\",\"flow_id\":{},\"event_type\":\"flow\",\"src_ip\":{}",
        timestamp(start),
        c.id,
        json_str(&o.addr.to_string())
    );
    if !icmp {
        s.push_str(&format!(",\"src_port\":{}", o.port));
    }
    s.push_str(&format!(",\"dest_ip\":{}", json_str(&r.addr.to_string())));
    if !icmp {
        s.push_str(&format!(",\"dest_port\":{}", r.port));
    }
    let name = match c.proto {
        proto::TCP => "TCP",
        proto::UDP => "UDP",
        proto::ICMP => "ICMP",
        _ => "IPv6-ICMP",
    };
    s.push_str(&format!(",\"proto\":\"{name}\""));
    if icmp {
        // The originator's type and code; the answer's, when there was one.
        s.push_str(&format!(
            ",\"icmp_type\":{},\"icmp_code\":{}",
            o.port, o.icmp_code
        ));
        if r.pkts > 0 {
            s.push_str(&format!(
                ",\"response_icmp_type\":{},\"response_icmp_code\":{}",
                r.icmp_type, r.icmp_code
            ));
        }
    }
    if let Some(id) = community_id_seed.and_then(|seed| crate::conn::community_id(c, seed)) {
        s.push_str(&format!(",\"community_id\":\"{id}\""));
    }
    s.push_str(&format!(
        ",\"flow\":{{\"pkts_toserver\":{},\"pkts_toclient\":{},\"bytes_toserver\":{},\
         \"bytes_toclient\":{},\"start\":\"{}\",\"end\":\"{}\",\"age\":{},\"state\":\"{}\",\
         \"reason\":\"{}\",\"alerted\":false}}",
        o.pkts,
        r.pkts,
        o.ip_bytes,
        r.ip_bytes,
        timestamp(start),
        timestamp(end),
        (end - start) / 1_000_000,
        flow_state(c),
        c.reason
    ));
    if c.proto == proto::TCP {
        s.push_str(&format!(",\"tcp\":{{{}}}", tcp_object(c)));
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_timestamp() {
        assert_eq!(
            timestamp(1_700_000_000_000_042),
            "2023-11-14T22:13:20.000042+0000"
        );
    }
}

//! The texts of libnids' default `syslog` hook (`nids_syslog` in libnids.c),
//! word for word: what a program that keeps the default logs.

use core::net::Ipv4Addr;

use crate::types::warn;

/// What a warning is about, as the hook's `iph` and `data` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// No packet (`iph` NULL).
    None,
    /// An IPv4 packet's addresses, and its TCP ports when `data` is its TCP
    /// header.
    Packet {
        /// Source and destination.
        addrs: (Ipv4Addr, Ipv4Addr),
        /// Source and destination ports.
        ports: Option<(u16, u16)>,
    },
    /// A scan: its source and its probes (address, port, TCP flags).
    Scan {
        /// The scanning host.
        src: Ipv4Addr,
        /// The probes reported.
        probes: Vec<(Ipv4Addr, u16, u8)>,
    },
}

/// The line libnids' `nids_syslog` logs for `(kind, errnum)` about `subject`,
/// given the `nids_warnings` text of `errnum`.
pub fn line(kind: i32, errnum: i32, text: &str, subject: &Subject) -> String {
    match (kind, subject) {
        (warn::IP, Subject::Packet { addrs: (s, d), .. }) if errnum != 4 => {
            format!("{text}, packet (apparently) from {s} to {d}\n")
        }
        (warn::IP, _) => format!("{text}\n"),
        (
            warn::TCP,
            Subject::Packet {
                addrs: (s, d),
                ports,
            },
        ) => match ports {
            Some((sp, dp)) if errnum != 7 => format!("{text},from {s}:{sp} to  {d}:{dp}\n"),
            _ => format!("{text},from {s} to {d}\n"),
        },
        (warn::SCAN, Subject::Scan { src, probes }) => {
            let mut m = format!("Scan from {src}. Scanned ports: ");
            let (mut and, mut or) = (255u8, 0u8);
            for (a, port, flags) in probes {
                m += &format!("{a}:{port},");
                and &= flags;
                or |= flags;
            }
            if and == or {
                m += &match and {
                    2 => "scan type: SYN".to_owned(),
                    0 => "scan type: NULL".to_owned(),
                    1 => "scan type: FIN".to_owned(),
                    f => format!("flags=0x{f:x}"),
                };
            } else {
                m += "various flags";
            }
            m
        }
        _ => "Unknown warning number ?\n".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(ports: Option<(u16, u16)>) -> Subject {
        Subject::Packet {
            addrs: (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)),
            ports,
        }
    }

    #[test]
    fn test_libnids_lines() {
        assert_eq!(
            line(1, 3, "Overlapping IP fragments", &packet(None)),
            "Overlapping IP fragments, packet (apparently) from 10.0.0.1 to 10.0.0.2\n"
        );
        assert_eq!(
            line(1, 4, "Invalid IP header", &packet(None)),
            "Invalid IP header\n"
        );
        assert_eq!(
            line(
                2,
                6,
                "Max number of TCP streams reached",
                &packet(Some((1025, 80)))
            ),
            "Max number of TCP streams reached,from 10.0.0.1:1025 to  10.0.0.2:80\n"
        );
        assert_eq!(
            line(2, 7, "Invalid TCP header", &packet(Some((1025, 80)))),
            "Invalid TCP header,from 10.0.0.1 to 10.0.0.2\n"
        );
        let probes = |f: [u8; 2]| Subject::Scan {
            src: Ipv4Addr::new(10, 0, 0, 9),
            probes: vec![
                (Ipv4Addr::new(10, 0, 0, 1), 22, f[0]),
                (Ipv4Addr::new(10, 0, 0, 1), 23, f[1]),
            ],
        };
        assert_eq!(
            line(4, 0, "", &probes([2, 2])),
            "Scan from 10.0.0.9. Scanned ports: 10.0.0.1:22,10.0.0.1:23,scan type: SYN"
        );
        assert!(line(4, 0, "", &probes([2, 1])).ends_with("various flags"));
        assert!(line(4, 0, "", &probes([0x29, 0x29])).ends_with("flags=0x29"));
        assert_eq!(line(9, 0, "", &Subject::None), "Unknown warning number ?\n");
    }
}

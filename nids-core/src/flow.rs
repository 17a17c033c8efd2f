//! [`Tuple`]: the addresses and ports of a flow.

use core::fmt;
use core::net::IpAddr;

/// The 4-tuple of a TCP or UDP flow. For TCP, `src` is the client (the sender of
/// the first SYN), as libnids' `tuple4`. Size: 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tuple {
    /// Source address (the client, for TCP).
    pub src: IpAddr,
    /// Source port.
    pub sport: u16,
    /// Destination address (the server, for TCP).
    pub dst: IpAddr,
    /// Destination port.
    pub dport: u16,
}

impl Tuple {
    /// The same flow seen from the other end.
    pub const fn reversed(&self) -> Tuple {
        Tuple {
            src: self.dst,
            sport: self.dport,
            dst: self.src,
            dport: self.sport,
        }
    }
}

/// `addr:port`, with IPv6 addresses in brackets (`[fd00::1]:80`).
pub struct Endpoint(pub IpAddr, pub u16);

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.1),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.1),
        }
    }
}

impl fmt::Display for Tuple {
    /// `src:sport - dst:dport`, the form of the pynids article's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} - {}",
            Endpoint(self.src, self.sport),
            Endpoint(self.dst, self.dport)
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Tuple {
    fn format(&self, f: defmt::Formatter<'_>) {
        fn ip(f: defmt::Formatter<'_>, a: IpAddr) {
            match a {
                IpAddr::V4(a) => defmt::write!(f, "{=[u8]}", a.octets()),
                IpAddr::V6(a) => defmt::write!(f, "{=[u8]}", a.octets()),
            }
        }
        ip(f, self.src);
        defmt::write!(f, ":{} - ", self.sport);
        ip(f, self.dst);
        defmt::write!(f, ":{}", self.dport);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_display() {
        let t = Tuple {
            src: "10.1.1.101".parse().unwrap(),
            sport: 3177,
            dst: "fd00::1".parse().unwrap(),
            dport: 80,
        };
        assert_eq!(t.to_string(), "10.1.1.101:3177 - [fd00::1]:80");
        assert_eq!(t.reversed().reversed(), t);
    }
}

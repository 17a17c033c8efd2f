//! [`Tuple`]: the addresses and ports of a flow.

use core::fmt;
use core::net::IpAddr;

use crate::tunnel::TunnelId;

/// The 4-tuple of a TCP or UDP flow, and the tunnels it runs in. For TCP, `src`
/// is the client (the sender of the first SYN), as libnids' `tuple4`. Size: 48
/// bytes.
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
    /// The tunnels the flow runs in ([`TunnelId::NONE`] outside tunnels): part
    /// of the flow's identity, so tenants reusing addresses stay apart.
    pub tunnel: TunnelId,
}

impl Tuple {
    /// The same flow seen from the other end.
    pub const fn reversed(&self) -> Tuple {
        Tuple {
            src: self.dst,
            sport: self.dport,
            dst: self.src,
            dport: self.sport,
            tunnel: self.tunnel,
        }
    }

    /// Whether `other` is this flow seen from the other end.
    pub fn is_reverse_of(&self, other: &Tuple) -> bool {
        self.src == other.dst
            && self.sport == other.dport
            && self.dst == other.src
            && self.dport == other.sport
            && self.tunnel == other.tunnel
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
    /// `src:sport - dst:dport`, the form of the pynids article's output, then
    /// ` [vxlan:42]` (the tunnel path) for a tunnelled flow.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} - {}",
            Endpoint(self.src, self.sport),
            Endpoint(self.dst, self.dport)
        )?;
        if !self.tunnel.is_none() {
            write!(f, " [{}]", self.tunnel)?;
        }
        Ok(())
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
            tunnel: TunnelId::NONE,
        };
        assert_eq!(t.to_string(), "10.1.1.101:3177 - [fd00::1]:80");
        assert_eq!(t.reversed().reversed(), t);
    }
}

//! `nids_rs_community_id`: the Community ID of a flow for C programs, from
//! [`nids_host::community_id`] (the one implementation; this only translates
//! C's addresses and buffer).

use core::ffi::{c_char, c_int};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `AF_INET` and `AF_INET6` as Linux numbers them.
const AF_INET: c_int = 2;
const AF_INET6: c_int = 10;

/// Writes the Community ID (version 1, `"1:"` and 28 base64 characters, NUL
/// terminated) of a flow into `out` and returns its length (30), or -1 when
/// `family` is neither `AF_INET` nor `AF_INET6`, a pointer is null, or
/// `outlen` is below 31.
///
/// `saddr` and `daddr` point at 4 (`AF_INET`) or 16 (`AF_INET6`) address
/// bytes in network order (as `struct tuple4`'s `saddr`/`daddr` fields or
/// `struct in6_addr`); `sport` and `dport` are in host order (as in `struct
/// tuple4`); for ICMP (proto 1) and ICMPv6 (58) they are the message's type
/// and code. Either direction of a flow gives the same ID.
///
/// # Safety
///
/// `saddr` and `daddr` must be readable for the address length of `family`,
/// and `out` writable for `outlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn nids_rs_community_id(
    family: c_int,
    saddr: *const u8,
    daddr: *const u8,
    proto: u8,
    sport: u16,
    dport: u16,
    seed: u16,
    out: *mut c_char,
    outlen: usize,
) -> c_int {
    if saddr.is_null() || daddr.is_null() || out.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees the address lengths of `family`.
    let addr = |p: *const u8| -> Option<IpAddr> {
        match family {
            AF_INET => {
                let mut a = [0u8; 4];
                unsafe { core::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), 4) };
                Some(IpAddr::V4(Ipv4Addr::from(a)))
            }
            AF_INET6 => {
                let mut a = [0u8; 16];
                unsafe { core::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), 16) };
                Some(IpAddr::V6(Ipv6Addr::from(a)))
            }
            _ => None,
        }
    };
    let (Some(src), Some(dst)) = (addr(saddr), addr(daddr)) else {
        return -1;
    };
    let Some(id) = nids_host::community_id::community_id(seed, proto, src, sport, dst, dport)
    else {
        return -1;
    };
    if outlen < id.len() + 1 {
        return -1;
    }
    // SAFETY: `out` is writable for `outlen` bytes, checked above to hold the
    // ID and its NUL.
    unsafe {
        core::ptr::copy_nonoverlapping(id.as_ptr(), out.cast::<u8>(), id.len());
        *out.add(id.len()) = 0;
    }
    id.len() as c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(family: c_int, s: &[u8], d: &[u8], proto: u8, sp: u16, dp: u16, seed: u16) -> String {
        let mut buf = [0 as c_char; 40];
        let n = unsafe {
            nids_rs_community_id(
                family,
                s.as_ptr(),
                d.as_ptr(),
                proto,
                sp,
                dp,
                seed,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        assert_eq!(n, 30);
        let bytes: Vec<u8> = buf[..30].iter().map(|&c| c as u8).collect();
        assert_eq!(buf[30], 0);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn test_spec_vectors_through_c() {
        // The spec's README tables (default seed and seed 1).
        let (a, b) = ([1, 2, 3, 4], [5, 6, 7, 8]);
        assert_eq!(
            call(AF_INET, &a, &b, 6, 1122, 3344, 0),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            call(AF_INET, &b, &a, 6, 3344, 1122, 0),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            call(AF_INET, &a, &b, 17, 1122, 3344, 1),
            "1:OShq+iKDAMVouh/4bMxB9Sz4amw="
        );
        assert_eq!(
            call(AF_INET, &b, &a, 1, 0, 0, 0),
            "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="
        );
        let v6a: Vec<u8> = [
            0xfe80u16, 0x0001, 0x0203, 0x0405, 0x0607, 0x0809, 0x0a0b, 0x0c0d,
        ]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
        let v6b: Vec<u8> = [
            0xfe80u16, 0x1011, 0x1213, 0x1415, 0x1617, 0x1819, 0x1a1b, 0x1c1d,
        ]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
        assert_eq!(
            call(AF_INET6, &v6a, &v6b, 58, 128, 0, 0),
            "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="
        );
    }

    #[test]
    fn test_refusals() {
        let a = [1u8, 2, 3, 4];
        let mut small = [0 as c_char; 30];
        let mut big = [0 as c_char; 40];
        unsafe {
            assert_eq!(
                nids_rs_community_id(
                    AF_INET,
                    a.as_ptr(),
                    a.as_ptr(),
                    6,
                    1,
                    2,
                    0,
                    small.as_mut_ptr(),
                    30
                ),
                -1
            );
            assert_eq!(
                nids_rs_community_id(7, a.as_ptr(), a.as_ptr(), 6, 1, 2, 0, big.as_mut_ptr(), 40),
                -1
            );
            assert_eq!(
                nids_rs_community_id(
                    AF_INET,
                    core::ptr::null(),
                    a.as_ptr(),
                    6,
                    1,
                    2,
                    0,
                    big.as_mut_ptr(),
                    40
                ),
                -1
            );
        }
    }
}

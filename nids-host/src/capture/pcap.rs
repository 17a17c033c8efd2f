//! Classic pcap: a 24-byte file header, then 16-byte record headers each followed
//! by the captured bytes.
//!
//! Layout (every field in the byte order given by the magic number):
//! file header `magic u32, version_major u16, version_minor u16, thiszone i32,
//! sigfigs u32, snaplen u32, linktype u32`; record header `ts_sec u32,
//! ts_frac u32 (µs or ns), incl_len u32, orig_len u32`.

use super::{pcapng, take, Endianness, Fault, Interface, Packet, Reason, MAX_CAPLEN};

/// Length of the pcap file header.
pub(super) const HEADER_LEN: usize = 24;

/// Length of a pcap record header.
const RECORD_LEN: usize = 16;

/// Offsets of the file-header fields used here.
mod field {
    /// `snaplen`.
    pub const SNAPLEN: usize = 16;
    /// `linktype`; its low 16 bits are the link type, the upper ones FCS flags.
    pub const LINKTYPE: usize = 20;
}

/// The byte order and timestamp unit of a pcap magic number, as its first four bytes.
pub(super) fn format(magic: [u8; 4]) -> Option<(Endianness, bool)> {
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((Endianness::Little, false)),
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((Endianness::Big, false)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((Endianness::Little, true)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((Endianness::Big, true)),
        _ => None,
    }
}

/// The fields of a pcap file header that reading needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// Byte order of every header.
    pub endianness: Endianness,
    /// Whether `ts_frac` counts nanoseconds instead of microseconds.
    pub nanos: bool,
    /// The snapshot length; informative only, records are checked against
    /// [`MAX_CAPLEN`] instead, as some writers exceed it.
    pub snaplen: u32,
    /// The `LINKTYPE_` value (low 16 bits of the field).
    pub link_type: u32,
}

impl Header {
    /// Parses the file header of `bytes`, whose magic number `format` accepted.
    /// The version, time zone and sigfigs fields are ignored, as libpcap does.
    pub(super) fn parse(bytes: &[u8], endianness: Endianness, nanos: bool) -> Result<Self, Fault> {
        let truncated = Fault::Truncated {
            offset: 0,
            needed: HEADER_LEN,
        };
        let snaplen = take(bytes, field::SNAPLEN).ok_or(truncated.clone())?;
        let link_type = take(bytes, field::LINKTYPE).ok_or(truncated)?;
        Ok(Header {
            endianness,
            nanos,
            snaplen: endianness.u32(snaplen),
            link_type: endianness.u32(link_type) & 0xffff,
        })
    }
}

/// Walking state over pcap records.
#[derive(Debug, Clone)]
pub(super) struct Reader {
    header: Header,
    /// The single interface, for [`Packets::interfaces`](super::Packets::interfaces).
    iface: [Interface; 1],
}

impl Reader {
    /// Starts a walk over a file with this header.
    pub(super) fn new(header: Header) -> Self {
        let iface = Interface {
            link_type: header.link_type,
            snaplen: header.snaplen,
            clock: pcapng::Clock::default(),
        };
        Reader {
            header,
            iface: [iface],
        }
    }

    /// The file's one interface.
    pub(super) fn interfaces(&self) -> &[Interface] {
        &self.iface
    }

    /// Reads the record at `*offset` and moves `*offset` past it; `Ok(None)` at the
    /// end of the file. O(1). On error `*offset` stays at the record.
    pub(super) fn next<'a>(
        &mut self,
        bytes: &'a [u8],
        offset: &mut usize,
    ) -> Result<Option<Packet<'a>>, Fault> {
        let at = *offset;
        if at >= bytes.len() {
            return Ok(None);
        }
        let e = self.header.endianness;
        let truncated = |needed| Fault::Truncated { offset: at, needed };
        let head: [u8; RECORD_LEN] = take(bytes, at).ok_or(truncated(RECORD_LEN))?;
        let word = |i: usize| e.u32([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (sec, frac, caplen, orig_len) = (word(0), word(4), word(8), word(12));
        if caplen > MAX_CAPLEN {
            return Err(Fault::Bad {
                offset: at,
                reason: Reason::CaplenTooLarge {
                    len: caplen,
                    max: MAX_CAPLEN,
                },
            });
        }
        // caplen <= 16 MiB, so these sums cannot overflow a usize of 32 bits or more.
        let needed = RECORD_LEN + caplen as usize;
        let end = at.checked_add(needed).ok_or(truncated(needed))?;
        let data = bytes.get(at + RECORD_LEN..end).ok_or(truncated(needed))?;
        let frac_us = if self.header.nanos { frac / 1000 } else { frac };
        *offset = end;
        Ok(Some(Packet {
            ts_us: u64::from(sec) * 1_000_000 + u64::from(frac_us),
            link_type: self.header.link_type,
            data,
            orig_len,
            interface: 0,
        }))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{CaptureFile, Error, Format};
    use super::*;

    /// A pcap record to build: timestamp seconds and fraction, data, original length.
    pub(in super::super) struct Rec<'a> {
        sec: u32,
        frac: u32,
        data: &'a [u8],
        orig_len: u32,
    }

    impl<'a> Rec<'a> {
        /// A record whose original length is its data length.
        pub(in super::super) fn new(sec: u32, frac: u32, data: &'a [u8]) -> Self {
            let orig_len = data.len() as u32;
            Rec {
                sec,
                frac,
                data,
                orig_len,
            }
        }
    }

    /// Encodes `v` in byte order `e`.
    fn word(e: Endianness, v: u32) -> [u8; 4] {
        match e {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        }
    }

    /// A pcap file header for link type `link` with snaplen 65535.
    fn header(e: Endianness, nanos: bool, link: u32) -> Vec<u8> {
        let magic = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut b = Vec::new();
        b.extend(word(e, magic));
        let version: [u8; 4] = match e {
            Endianness::Little => [2, 0, 4, 0],
            Endianness::Big => [0, 2, 0, 4],
        };
        b.extend(version);
        b.extend(word(e, 0)); // thiszone
        b.extend(word(e, 0)); // sigfigs
        b.extend(word(e, 65535));
        b.extend(word(e, link));
        b
    }

    /// A whole pcap file.
    pub(in super::super) fn pcap_file(
        e: Endianness,
        nanos: bool,
        link: u32,
        recs: &[Rec],
    ) -> Vec<u8> {
        let mut b = header(e, nanos, link);
        for r in recs {
            b.extend(word(e, r.sec));
            b.extend(word(e, r.frac));
            b.extend(word(e, r.data.len() as u32));
            b.extend(word(e, r.orig_len));
            b.extend(r.data);
        }
        b
    }

    /// A decoded packet: ts_us, link_type, data, orig_len.
    type Decoded = (u64, u32, Vec<u8>, u32);

    /// Opens `bytes` and collects its packets, plus the error that ended it.
    fn read(bytes: Vec<u8>) -> (Vec<Decoded>, Option<Error>) {
        let f = CaptureFile::from_bytes(bytes).unwrap();
        let mut out = Vec::new();
        for r in f.packets() {
            match r {
                Ok(p) => {
                    assert_eq!(p.interface, 0);
                    out.push((p.ts_us, p.link_type, p.data.to_vec(), p.orig_len));
                }
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// Crafted as tcpdump writes on x86: little-endian, µs, snaplen 32, Ethernet,
    /// then one record of a 42-byte frame cut to 32 bytes (all zero).
    static LE_US: [u8; 24 + 16 + 32] = {
        let mut b = [0u8; 72];
        let head = [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0,
            // ts 1112172466.496046, incl 32, orig 42
            0xb2, 0x67, 0x4a, 0x42, 0xae, 0x91, 0x07, 0x00, 32, 0, 0, 0, 42, 0, 0, 0,
        ];
        let mut i = 0;
        while i < head.len() {
            b[i] = head[i];
            i += 1;
        }
        b
    };

    #[test]
    fn test_parse_static() {
        let f = CaptureFile::from_bytes(LE_US.to_vec()).unwrap();
        assert_eq!(
            f.format(),
            Format::Pcap {
                endianness: Endianness::Little,
                nanos: false
            }
        );
        let (pkts, err) = read(LE_US.to_vec());
        assert!(err.is_none());
        assert_eq!(pkts.len(), 1);
        assert_eq!(pkts[0].0, 1_112_172_466_496_046);
        assert_eq!(pkts[0].1, 1);
        assert_eq!(pkts[0].2.len(), 32);
        assert_eq!(pkts[0].3, 42);
    }

    #[test]
    fn test_both_orders_and_units() {
        let recs = [
            Rec::new(1_700_000_000, 999_999_999, b"one"),
            Rec::new(2, 5, b""),
            Rec {
                orig_len: 1500,
                ..Rec::new(3, 1_000, &[0xaa; 60])
            },
        ];
        for e in [Endianness::Little, Endianness::Big] {
            for nanos in [false, true] {
                let bytes = pcap_file(e, nanos, 101, &recs);
                let f = CaptureFile::from_bytes(bytes.clone()).unwrap();
                assert_eq!(
                    f.format(),
                    Format::Pcap {
                        endianness: e,
                        nanos
                    }
                );
                assert_eq!(f.link_types(), [101]);
                let (pkts, err) = read(bytes);
                assert!(err.is_none());
                let us = |frac: u64| if nanos { frac / 1000 } else { frac };
                let want: Vec<Decoded> = vec![
                    (
                        1_700_000_000 * 1_000_000 + us(999_999_999),
                        101,
                        b"one".to_vec(),
                        3,
                    ),
                    (2_000_000 + us(5), 101, vec![], 0),
                    (3_000_000 + us(1000), 101, vec![0xaa; 60], 1500),
                ];
                assert_eq!(pkts, want, "{e:?} nanos={nanos}");
            }
        }
    }

    #[test]
    fn test_link_type_fcs_bits_ignored() {
        // FCS present (bit 28) with 4-byte FCS length (bits 26..28 = 2): Ethernet.
        let link = 1 | (1 << 28) | (2 << 26);
        let f = CaptureFile::from_bytes(pcap_file(Endianness::Big, false, link, &[])).unwrap();
        assert_eq!(f.link_types(), [1]);
    }

    #[test]
    fn test_empty_capture() {
        let (pkts, err) = read(pcap_file(Endianness::Little, true, 1, &[]));
        assert!(pkts.is_empty());
        assert!(err.is_none());
    }

    #[test]
    fn test_truncated_header() {
        let mut b = pcap_file(Endianness::Little, false, 1, &[]);
        b.truncate(23);
        let e = CaptureFile::from_bytes(b).unwrap_err();
        assert!(matches!(
            e,
            Error::TruncatedHeader {
                len: 23,
                needed: 24,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "<memory>: truncated capture: the file header needs 24 bytes but the file has only 23"
        );
    }

    #[test]
    fn test_truncated_record_header() {
        let mut b = pcap_file(Endianness::Little, false, 1, &[Rec::new(1, 0, b"ab")]);
        b.extend([0; 15]);
        let (pkts, err) = read(b);
        assert_eq!(pkts.len(), 1);
        let err = err.unwrap();
        assert!(matches!(
            err,
            Error::Truncated {
                offset: 42,
                packets_read: 1,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "<memory>: truncated capture: the record at byte 42 runs past the end of the file \
             (read 1 packets)"
        );
    }

    #[test]
    fn test_truncated_record_data() {
        let mut b = pcap_file(
            Endianness::Big,
            false,
            1,
            &[Rec::new(1, 0, b"ab"), Rec::new(2, 0, b"cdef")],
        );
        b.pop();
        let (pkts, err) = read(b);
        assert_eq!(pkts.len(), 1);
        assert!(matches!(
            err,
            Some(Error::Truncated {
                offset: 42,
                packets_read: 1,
                ..
            })
        ));
    }

    #[test]
    fn test_caplen_too_large() {
        let mut b = pcap_file(Endianness::Little, false, 1, &[Rec::new(1, 0, b"ab")]);
        b[24 + 8..24 + 12].copy_from_slice(&(MAX_CAPLEN + 1).to_le_bytes());
        let (pkts, err) = read(b);
        assert!(pkts.is_empty());
        let err = err.unwrap();
        assert!(matches!(
            err,
            Error::BadRecord {
                offset: 24,
                packets_read: 0,
                reason: Reason::CaplenTooLarge { .. },
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "<memory>: bad capture record at byte 24: its captured length 16777217 is larger \
             than the limit of 16777216 bytes (read 0 packets)"
        );
    }

    #[test]
    fn test_caplen_max_u32() {
        let mut b = pcap_file(Endianness::Big, false, 1, &[Rec::new(1, 0, b"ab")]);
        b[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        let (_, err) = read(b);
        assert!(matches!(err, Some(Error::BadRecord { .. })));
    }

    #[test]
    fn test_caplen_at_max_truncated() {
        let mut b = pcap_file(Endianness::Big, false, 1, &[Rec::new(1, 0, b"ab")]);
        b[24 + 8..24 + 12].copy_from_slice(&MAX_CAPLEN.to_be_bytes());
        let (_, err) = read(b);
        assert!(matches!(err, Some(Error::Truncated { offset: 24, .. })));
    }
}

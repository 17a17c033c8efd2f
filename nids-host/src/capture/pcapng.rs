//! pcapng: a sequence of blocks `type u32, total_len u32, body, total_len u32`,
//! grouped in sections that each start with a Section Header Block (SHB).
//!
//! Each SHB sets the byte order of its section (from its byte-order magic) and
//! empties the interface list; each Interface Description Block (IDB) appends one
//! interface; Enhanced (EPB), Simple (SPB) and obsolete Packet Blocks carry packets.
//! Every other block type (name resolution, statistics, decryption secrets,
//! custom...) is skipped by its length.

use super::{take, Endianness, Fault, Interface, Packet, Reason};

/// Section Header Block; the value reads the same in both byte orders.
const SHB: u32 = 0x0a0d_0d0a;
/// Interface Description Block.
const IDB: u32 = 1;
/// Obsolete Packet Block.
const PB: u32 = 2;
/// Simple Packet Block.
const SPB: u32 = 3;
/// Enhanced Packet Block.
const EPB: u32 = 6;

/// The smallest block: type, length and trailing length.
const MIN_BLOCK: u32 = 12;

/// IDB option `if_tsresol`: one byte, the timestamp resolution.
const OPT_TSRESOL: u16 = 9;
/// IDB option `if_tsoffset`: an `i64` of seconds added to every timestamp.
const OPT_TSOFFSET: u16 = 14;

/// How an interface's timestamps turn into microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Clock {
    /// The raw `if_tsresol` byte: units of 10^-n s, or 2^-n s when the top bit is set.
    resol: u8,
    /// `if_tsoffset`, in seconds.
    offset_s: i64,
}

impl Default for Clock {
    /// Microsecond units and no offset, the pcapng default.
    fn default() -> Self {
        Clock {
            resol: 6,
            offset_s: 0,
        }
    }
}

impl Clock {
    /// Converts a timestamp in this clock's units to microseconds since the epoch,
    /// truncating finer units and saturating to `0..=u64::MAX`. O(1), never panics.
    pub(super) fn micros(self, units: u64) -> u64 {
        let exp = u32::from(self.resol & 0x7f);
        let units = u128::from(units);
        let us = if self.resol & 0x80 == 0 {
            if exp >= 6 {
                // 10^39 overflows u128; any timestamp is then below 1 µs.
                10u128.checked_pow(exp - 6).map_or(0, |div| units / div)
            } else {
                units * 10u128.pow(6 - exp)
            }
        } else {
            // units < 2^64, so units * 10^6 < 2^84; exp <= 127 is a valid shift.
            (units * 1_000_000) >> exp
        };
        let total = i128::try_from(us).unwrap_or(i128::MAX);
        let total = total.saturating_add(i128::from(self.offset_s) * 1_000_000);
        u64::try_from(total.max(0)).unwrap_or(u64::MAX)
    }
}

/// A block whose framing has been checked.
struct Block<'a> {
    /// Block type.
    kind: u32,
    /// Total length, as in the block.
    len: u32,
    /// Everything between the leading length and the trailing one.
    body: &'a [u8],
    /// Byte order of the block: the section's, or its own for an SHB.
    endianness: Endianness,
}

/// Checks the framing of the block at `at`, read in byte order `e` unless it is an
/// SHB. `Ok(None)` when `at` is the end of the file.
fn frame(bytes: &[u8], at: usize, e: Endianness) -> Result<Option<Block<'_>>, Fault> {
    if at >= bytes.len() {
        return Ok(None);
    }
    let truncated = |needed| Fault::Truncated { offset: at, needed };
    let bad = |reason| Fault::Bad { offset: at, reason };
    let kind: [u8; 4] = take(bytes, at).ok_or(truncated(8))?;
    let e = if e.u32(kind) == SHB {
        let bom: [u8; 4] = take(bytes, at + 8).ok_or(truncated(12))?;
        match bom {
            [0x1a, 0x2b, 0x3c, 0x4d] => Endianness::Big,
            [0x4d, 0x3c, 0x2b, 0x1a] => Endianness::Little,
            magic => return Err(bad(Reason::ByteOrder { magic })),
        }
    } else {
        e
    };
    let len = e.u32(take(bytes, at + 4).ok_or(truncated(8))?);
    if len < MIN_BLOCK {
        return Err(bad(Reason::LengthTooShort { len }));
    }
    if len % 4 != 0 {
        return Err(bad(Reason::LengthUnaligned { len }));
    }
    let needed = len as usize;
    let end = at
        .checked_add(needed)
        .filter(|&end| end <= bytes.len())
        .ok_or(truncated(needed))?;
    let trailer = e.u32(take(bytes, end - 4).ok_or(truncated(needed))?);
    if trailer != len {
        return Err(bad(Reason::LengthMismatch { len, trailer }));
    }
    Ok(Some(Block {
        kind: e.u32(kind),
        len,
        body: &bytes[at + 8..end - 4],
        endianness: e,
    }))
}

/// Reads a `u32` at `at` of a body whose length has been checked.
fn u32_at(body: &[u8], at: usize, e: Endianness) -> u32 {
    take(body, at).map_or(0, |b| e.u32(b))
}

/// Checks an SHB body: byte order was checked by [`frame`]; the major version must be 1.
fn check_section(block: &Block<'_>, at: usize) -> Result<(), Fault> {
    let e = block.endianness;
    let bad = |reason| Fault::Bad { offset: at, reason };
    // byte-order magic u32, major u16, minor u16, section length i64
    let (Some(major), Some(minor), true) = (
        take(block.body, 4),
        take(block.body, 6),
        block.body.len() >= 16,
    ) else {
        return Err(bad(Reason::BlockTooShort {
            block: "section header",
            len: block.len,
        }));
    };
    let (major, minor) = (e.u16(major), e.u16(minor));
    if major != 1 {
        return Err(bad(Reason::Version { major, minor }));
    }
    Ok(())
}

/// Checks that `bytes` starts with a valid Section Header Block. O(1).
pub(super) fn check_header(bytes: &[u8]) -> Result<(), Fault> {
    match frame(bytes, 0, Endianness::Little)? {
        Some(block) => check_section(&block, 0),
        None => Err(Fault::Truncated {
            offset: 0,
            needed: 12,
        }),
    }
}

/// Parses an IDB body (link type u16, reserved u16, snaplen u32, options).
/// Malformed options end the option list: they carry nothing needed to read on.
fn interface(block: &Block<'_>, at: usize) -> Result<Interface, Fault> {
    let e = block.endianness;
    let body = block.body;
    let (Some(link), Some(snaplen)) = (take(body, 0), take(body, 4)) else {
        return Err(Fault::Bad {
            offset: at,
            reason: Reason::BlockTooShort {
                block: "interface description",
                len: block.len,
            },
        });
    };
    let mut clock = Clock::default();
    let mut opts = body.get(8..).unwrap_or_default();
    while let (Some(code), Some(len)) = (take(opts, 0), take(opts, 2)) {
        let (code, len) = (e.u16(code), usize::from(e.u16(len)));
        let Some(value) = opts.get(4..4 + len) else {
            break;
        };
        match code {
            0 => break,
            OPT_TSRESOL => {
                if let Some(&r) = value.first() {
                    clock.resol = r;
                }
            }
            OPT_TSOFFSET => {
                if let Some(v) = take(value, 0) {
                    clock.offset_s = e.i64(v);
                }
            }
            _ => {}
        }
        opts = opts.get(4 + len.next_multiple_of(4)..).unwrap_or_default();
    }
    Ok(Interface {
        link_type: u32::from(e.u16(link)),
        snaplen: e.u32(snaplen),
        clock,
    })
}

/// Walking state over pcapng blocks.
#[derive(Debug, Clone)]
pub(super) struct Reader {
    /// Byte order of the current section.
    endianness: Endianness,
    /// The current section's interfaces, in IDB order.
    ifaces: Vec<Interface>,
    /// Timestamp of the last packet, given to Simple Packet Blocks.
    last_ts: u64,
}

impl Reader {
    /// Starts a walk at the first SHB.
    pub(super) fn new() -> Self {
        Reader {
            endianness: Endianness::Little,
            ifaces: Vec::new(),
            last_ts: 0,
        }
    }

    /// The current section's interfaces, indexed by interface number.
    pub(super) fn interfaces(&self) -> &[Interface] {
        &self.ifaces
    }

    /// Looks up interface `id` for the packet block at `at`.
    fn iface(&self, id: u32, at: usize) -> Result<Interface, Fault> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.ifaces.get(i))
            .copied()
            .ok_or(Fault::UnknownInterface {
                offset: at,
                id,
                count: self.ifaces.len(),
            })
    }

    /// Reads blocks from `*offset` up to and including the next packet, moving
    /// `*offset` past them; `Ok(None)` at the end of the file. O(blocks read). On
    /// error `*offset` is at the bad block.
    pub(super) fn next<'a>(
        &mut self,
        bytes: &'a [u8],
        offset: &mut usize,
    ) -> Result<Option<Packet<'a>>, Fault> {
        loop {
            let at = *offset;
            let Some(block) = frame(bytes, at, self.endianness)? else {
                return Ok(None);
            };
            let end = at + block.len as usize;
            let packet = match block.kind {
                SHB => {
                    check_section(&block, at)?;
                    self.endianness = block.endianness;
                    self.ifaces.clear();
                    None
                }
                IDB => {
                    let iface = interface(&block, at)?;
                    self.ifaces.push(iface);
                    None
                }
                EPB | PB => Some(self.packet(&block, at)?),
                SPB => Some(self.simple(&block, at)?),
                _ => None,
            };
            *offset = end;
            if let Some(p) = packet {
                return Ok(Some(p));
            }
        }
    }

    /// Decodes an EPB (`interface u32, ts_high u32, ts_low u32, caplen u32,
    /// orig_len u32, data, options`) or an obsolete Packet Block, which is the same
    /// but for `interface u16, drops u16`.
    fn packet<'a>(&mut self, block: &Block<'a>, at: usize) -> Result<Packet<'a>, Fault> {
        let (e, body) = (block.endianness, block.body);
        let (name, id) = if block.kind == EPB {
            ("enhanced packet", u32_at(body, 0, e))
        } else {
            ("packet", u32::from(take(body, 0).map_or(0, |b| e.u16(b))))
        };
        if body.len() < 20 {
            return Err(Fault::Bad {
                offset: at,
                reason: Reason::BlockTooShort {
                    block: name,
                    len: block.len,
                },
            });
        }
        let ts = u64::from(u32_at(body, 4, e)) << 32 | u64::from(u32_at(body, 8, e));
        let caplen = u32_at(body, 12, e);
        let orig_len = u32_at(body, 16, e);
        let data = 20usize
            .checked_add(caplen as usize)
            .and_then(|end| body.get(20..end))
            .ok_or(Fault::Bad {
                offset: at,
                reason: Reason::CaplenOverrun {
                    caplen,
                    len: block.len,
                },
            })?;
        let iface = self.iface(id, at)?;
        let ts_us = iface.clock.micros(ts);
        self.last_ts = ts_us;
        Ok(Packet {
            ts_us,
            link_type: iface.link_type,
            data,
            orig_len,
            interface: id,
        })
    }

    /// Decodes an SPB (`orig_len u32, data`): interface 0, the previous packet's
    /// timestamp, and `min(orig_len, snaplen, room in the block)` captured bytes.
    fn simple<'a>(&mut self, block: &Block<'a>, at: usize) -> Result<Packet<'a>, Fault> {
        let Some(orig_len) = take(block.body, 0).map(|b| block.endianness.u32(b)) else {
            return Err(Fault::Bad {
                offset: at,
                reason: Reason::BlockTooShort {
                    block: "simple packet",
                    len: block.len,
                },
            });
        };
        let iface = self.iface(0, at)?;
        let room = block.body.len() - 4;
        let mut caplen = room.min(orig_len as usize);
        if iface.snaplen != 0 {
            caplen = caplen.min(iface.snaplen as usize);
        }
        Ok(Packet {
            ts_us: self.last_ts,
            link_type: iface.link_type,
            data: &block.body[4..4 + caplen],
            orig_len,
            interface: 0,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{CaptureFile, Error, Format};
    use super::*;

    /// Encodes a `u32` in byte order `e`.
    fn w32(e: Endianness, v: u32) -> [u8; 4] {
        match e {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u16` in byte order `e`.
    fn w16(e: Endianness, v: u16) -> [u8; 2] {
        match e {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        }
    }

    /// A block of type `kind` around `body`, padded to 4 bytes.
    pub(in super::super) fn block(e: Endianness, kind: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().next_multiple_of(4);
        let len = (12 + padded) as u32;
        let mut b = Vec::new();
        b.extend(w32(e, kind));
        b.extend(w32(e, len));
        b.extend(body);
        b.resize(8 + padded, 0);
        b.extend(w32(e, len));
        b
    }

    /// A version 1.0 SHB with unknown section length and no options.
    pub(in super::super) fn shb(e: Endianness) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(w32(e, 0x1a2b_3c4d));
        body.extend(w16(e, 1));
        body.extend(w16(e, 0));
        body.extend((-1i64).to_le_bytes());
        block(e, SHB, &body)
    }

    /// An option with `code` and `value`, padded.
    fn opt(e: Endianness, code: u16, value: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(w16(e, code));
        b.extend(w16(e, value.len() as u16));
        b.extend(value);
        b.resize(4 + value.len().next_multiple_of(4), 0);
        b
    }

    /// An IDB with link type `link`, `snaplen`, and encoded `options`.
    pub(in super::super) fn idb(e: Endianness, link: u16, snaplen: u32, options: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(w16(e, link));
        body.extend(w16(e, 0));
        body.extend(w32(e, snaplen));
        body.extend(options);
        block(e, IDB, &body)
    }

    /// An EPB on interface `iface` at `ts` (interface units) holding all of `data`.
    pub(in super::super) fn epb(e: Endianness, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(w32(e, iface));
        body.extend(w32(e, (ts >> 32) as u32));
        body.extend(w32(e, ts as u32));
        body.extend(w32(e, data.len() as u32));
        body.extend(w32(e, data.len() as u32 + 100));
        body.extend(data);
        block(e, EPB, &body)
    }

    /// A decoded packet: ts_us, link_type, interface, data.
    type Decoded = (u64, u32, u32, Vec<u8>);

    /// Opens `bytes` and collects its packets, plus the error that ended it.
    fn read(bytes: Vec<u8>) -> (Vec<Decoded>, Option<Error>) {
        let f = CaptureFile::from_bytes(bytes).unwrap();
        assert_eq!(f.format(), Format::Pcapng);
        let mut out = Vec::new();
        for r in f.packets() {
            match r {
                Ok(p) => out.push((p.ts_us, p.link_type, p.interface, p.data.to_vec())),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    #[test]
    fn test_clock() {
        let c = |resol, offset_s| Clock { resol, offset_s };
        assert_eq!(Clock::default().micros(1_234_567), 1_234_567);
        assert_eq!(c(9, 0).micros(1_234_567_891), 1_234_567);
        assert_eq!(c(3, 0).micros(5), 5_000);
        assert_eq!(c(0, 0).micros(7), 7_000_000);
        assert_eq!(c(0x80 | 20, 0).micros(3 << 20), 3_000_000);
        assert_eq!(c(0x80 | 1, 0).micros(1), 500_000);
        assert_eq!(c(6, 10).micros(1), 10_000_001);
        assert_eq!(c(6, -10).micros(1), 0);
        assert_eq!(c(0, i64::MAX).micros(u64::MAX), u64::MAX);
        assert_eq!(c(127, 0).micros(u64::MAX), 0);
        assert_eq!(c(0xff, 0).micros(u64::MAX), 0);
        assert_eq!(c(0, 0).micros(u64::MAX), u64::MAX);
    }

    #[test]
    fn test_two_interfaces_two_resolutions() {
        for e in [Endianness::Little, Endianness::Big] {
            let mut b = shb(e);
            b.extend(idb(e, 1, 65535, &opt(e, OPT_TSRESOL, &[9])));
            let mut opts = opt(e, OPT_TSRESOL, &[0x80 | 10]);
            opts.extend(opt(e, OPT_TSOFFSET, &w64(e, 100)));
            opts.extend(opt(e, 0, &[]));
            b.extend(idb(e, 113, 0, &opts));
            b.extend(epb(e, 0, 1_700_000_000_123_456_789, b"eth"));
            b.extend(epb(e, 1, 5 << 10, b"sll"));
            let (pkts, err) = read(b);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(
                pkts,
                [
                    (1_700_000_000_123_456, 1, 0, b"eth".to_vec()),
                    (105_000_000, 113, 1, b"sll".to_vec()),
                ]
            );
        }
    }

    /// Encodes an `i64` in byte order `e`.
    fn w64(e: Endianness, v: i64) -> [u8; 8] {
        match e {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        }
    }

    #[test]
    fn test_epb_fields() {
        let e = Endianness::Big;
        let mut b = shb(e);
        b.extend(idb(e, 1, 0, &[]));
        b.extend(epb(e, 0, 42, b"abcde"));
        let f = CaptureFile::from_bytes(b).unwrap();
        let p = f.packets().next().unwrap().unwrap();
        assert_eq!(p.ts_us, 42);
        assert_eq!(p.orig_len, 105);
        assert_eq!(p.data, b"abcde");
        assert_eq!(f.packets().interfaces(), []);
    }

    #[test]
    fn test_spb_and_obsolete_pb() {
        let e = Endianness::Little;
        let mut b = shb(e);
        b.extend(idb(e, 1, 4, &[]));
        // SPB before any timestamp: ts 0; orig 6 but snaplen 4.
        b.extend(block(e, SPB, &[6, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
        b.extend(epb(e, 0, 77, b"x"));
        // SPB with orig_len 2 in a padded block: 2 bytes.
        b.extend(block(e, SPB, &[2, 0, 0, 0, 9, 8]));
        // Obsolete PB: interface 0, drops 0, ts 0:1000, caplen 2, len 60.
        let mut pb = vec![
            0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0,
        ];
        pb.extend([0xaa, 0xbb]);
        b.extend(block(e, PB, &pb));
        let (pkts, err) = read(b);
        assert!(err.is_none());
        assert_eq!(
            pkts,
            [
                (0, 1, 0, vec![1, 2, 3, 4]),
                (77, 1, 0, b"x".to_vec()),
                (77, 1, 0, vec![9, 8]),
                (1000, 1, 0, vec![0xaa, 0xbb]),
            ]
        );
    }

    #[test]
    fn test_skips_other_blocks() {
        let e = Endianness::Little;
        let mut b = shb(e);
        b.extend(block(e, 4, b"name resolution")); // NRB
        b.extend(idb(e, 1, 0, &[]));
        b.extend(block(e, 5, &[0; 20])); // ISB
        b.extend(block(e, 0x0000_000a, &[1; 8])); // DSB
        b.extend(block(e, 0x0000_0bad, &[2; 8])); // custom
        b.extend(block(e, 0x4000_0bad, &[])); // custom, empty body
        b.extend(epb(e, 0, 1, b"p"));
        b.extend(block(e, 5, &[0; 20]));
        let (pkts, err) = read(b);
        assert!(err.is_none());
        assert_eq!(pkts.len(), 1);
    }

    #[test]
    fn test_new_section_resets_interfaces() {
        let mut b = shb(Endianness::Little);
        b.extend(idb(Endianness::Little, 1, 0, &[]));
        b.extend(idb(Endianness::Little, 101, 0, &[]));
        b.extend(epb(Endianness::Little, 1, 1, b"a"));
        b.extend(shb(Endianness::Big));
        b.extend(idb(Endianness::Big, 228, 0, &[]));
        b.extend(epb(Endianness::Big, 0, 2, b"b"));
        b.extend(epb(Endianness::Big, 1, 3, b"c"));
        let (pkts, err) = read(b);
        assert_eq!(
            pkts,
            [(1, 101, 1, b"a".to_vec()), (2, 228, 0, b"b".to_vec())]
        );
        let err = err.unwrap();
        assert!(matches!(
            err,
            Error::UnknownInterface {
                id: 1,
                count: 1,
                packets_read: 2,
                ..
            }
        ));
        assert!(err
            .to_string()
            .contains("is on interface 1, but its section describes only 1 interfaces"));
    }

    #[test]
    fn test_packet_before_idb() {
        let e = Endianness::Little;
        let mut b = shb(e);
        b.extend(block(e, SPB, &[1, 0, 0, 0, 1]));
        let (pkts, err) = read(b);
        assert!(pkts.is_empty());
        assert!(matches!(
            err,
            Some(Error::UnknownInterface {
                id: 0,
                count: 0,
                offset: 28,
                ..
            })
        ));
    }

    #[test]
    fn test_empty_capture() {
        let (pkts, err) = read(shb(Endianness::Big));
        assert!(pkts.is_empty() && err.is_none());
    }

    #[test]
    fn test_header_errors() {
        let e = CaptureFile::from_bytes(vec![0x0a, 0x0d, 0x0d, 0x0a, 28]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TruncatedHeader {
                    len: 5,
                    needed: 12,
                    ..
                }
            ),
            "{e}"
        );
        let mut b = shb(Endianness::Little);
        b.pop();
        let e = CaptureFile::from_bytes(b).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TruncatedHeader {
                    len: 27,
                    needed: 28,
                    ..
                }
            ),
            "{e}"
        );

        let mut b = shb(Endianness::Little);
        b[8..12].copy_from_slice(&[1, 2, 3, 4]);
        let e = CaptureFile::from_bytes(b).unwrap_err();
        assert!(matches!(
            e,
            Error::BadRecord {
                offset: 0,
                reason: Reason::ByteOrder { .. },
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "<memory>: bad capture record at byte 0: its section header has the unknown \
             byte-order magic [01, 02, 03, 04] (read 0 packets)"
        );

        let mut b = shb(Endianness::Big);
        b[12..14].copy_from_slice(&[0, 2]);
        let e = CaptureFile::from_bytes(b).unwrap_err();
        assert!(matches!(
            e,
            Error::BadRecord {
                reason: Reason::Version { major: 2, minor: 0 },
                ..
            }
        ));

        // An SHB too short for its fields.
        let mut body = w32(Endianness::Little, 0x1a2b_3c4d).to_vec();
        body.extend([1, 0, 0, 0]);
        let e = CaptureFile::from_bytes(block(Endianness::Little, SHB, &body)).unwrap_err();
        assert!(matches!(
            e,
            Error::BadRecord {
                reason: Reason::BlockTooShort { len: 20, .. },
                ..
            }
        ));
    }

    /// A valid file with one packet, then `tail`; returns the error after the packet.
    fn error_after(tail: &[u8]) -> Error {
        let e = Endianness::Little;
        let mut b = shb(e);
        b.extend(idb(e, 1, 0, &[]));
        b.extend(epb(e, 0, 1, b"ok"));
        b.extend(tail);
        let (pkts, err) = read(b);
        assert_eq!(pkts.len(), 1);
        err.unwrap()
    }

    /// Offset of the tail in [`error_after`]'s file: SHB 28 + IDB 20 + EPB 36.
    const TAIL: usize = 84;

    #[test]
    fn test_bad_block_lengths() {
        let e = Endianness::Little;
        let reason = |tail: &[u8]| match error_after(tail) {
            Error::BadRecord { offset, reason, .. } => {
                assert_eq!(offset, TAIL);
                reason
            }
            other => panic!("{other}"),
        };
        let mut unaligned = block(e, 5, &[0; 8]);
        unaligned[4] = 18;
        assert_eq!(reason(&unaligned), Reason::LengthUnaligned { len: 18 });
        let mut short = block(e, 5, &[]);
        short[4] = 8;
        assert_eq!(reason(&short), Reason::LengthTooShort { len: 8 });
        let mut mismatch = block(e, 5, &[0; 4]);
        mismatch[12] = 20;
        assert_eq!(
            reason(&mismatch),
            Reason::LengthMismatch {
                len: 16,
                trailer: 20
            }
        );
        assert_eq!(
            reason(&block(e, EPB, &[0; 16])),
            Reason::BlockTooShort {
                block: "enhanced packet",
                len: 28
            }
        );
        assert_eq!(
            reason(&block(e, IDB, &[1, 0, 0, 0])),
            Reason::BlockTooShort {
                block: "interface description",
                len: 16
            }
        );
        assert_eq!(
            reason(&block(e, SPB, &[])),
            Reason::BlockTooShort {
                block: "simple packet",
                len: 12
            }
        );
        let mut overrun = epb(e, 0, 1, b"abcd");
        overrun[20..24].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(
            reason(&overrun),
            Reason::CaplenOverrun { caplen: 5, len: 36 }
        );
        overrun[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(reason(&overrun), Reason::CaplenOverrun { .. }));
    }

    #[test]
    fn test_truncated_block() {
        let e = Endianness::Little;
        let full = epb(e, 0, 2, b"second");
        for cut in 1..full.len() {
            let err = error_after(&full[..cut]);
            assert!(
                matches!(
                    err,
                    Error::Truncated {
                        offset: TAIL,
                        packets_read: 1,
                        ..
                    }
                ),
                "{cut}: {err}"
            );
        }
        let err = error_after(&[0; 4]);
        assert_eq!(
            err.to_string(),
            "<memory>: truncated capture: the record at byte 84 runs past the end of the file \
             (read 1 packets)"
        );
        let shb = shb(Endianness::Big);
        assert!(matches!(
            error_after(&shb[..10]),
            Error::Truncated { offset: TAIL, .. }
        ));
    }

    #[test]
    fn test_huge_block_length_is_truncation() {
        let mut b = block(Endianness::Little, 5, &[]);
        b[4..8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert!(matches!(error_after(&b), Error::Truncated { .. }));
    }

    #[test]
    fn test_malformed_options_ignored() {
        let e = Endianness::Big;
        let mut b = shb(e);
        // if_tsresol claims 200 bytes: option parsing stops, defaults stay.
        let mut o = w16(e, OPT_TSRESOL).to_vec();
        o.extend(w16(e, 200));
        o.extend([3, 0, 0, 0]);
        b.extend(idb(e, 1, 0, &o));
        // if_tsoffset too short: ignored.
        b.extend(idb(e, 1, 0, &opt(e, OPT_TSOFFSET, &[1, 2])));
        b.extend(epb(e, 0, 5, b""));
        b.extend(epb(e, 1, 6, b""));
        let (pkts, err) = read(b);
        assert!(err.is_none());
        assert_eq!(pkts[0].0, 5);
        assert_eq!(pkts[1].0, 6);
    }
}

#!/usr/bin/env python3
"""Write the out-of-order flood capture of issue 13 (see bench/README.md).

    flood-pcap.py N OUT.pcap

One TCP stream (window scale 9 both ways) established, then N one-byte client
segments each behind its own hole (odd offsets), then the N holes filled in
reverse order: 2N + 4 frames, every data segment out of order when it arrives.
The same frames as nids-core/benches/ooo_flood.rs.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, sport, dst, dport, seq, ack, flags, opts=b"", payload=b""):
    thl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (thl // 4) << 4, flags, 65535, 0, 0)
    tcp += opts + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    c, s = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    ci, si, cp = 1000, 5000, 40000
    ws = bytes([1, 3, 3, 9])
    SYN, ACK = 2, 16
    frames = [
        frame(c, cp, s, 80, ci, 0, SYN, ws),
        frame(s, 80, c, cp, si, ci + 1, SYN | ACK, ws),
        frame(c, cp, s, 80, ci + 1, si + 1, ACK),
        frame(s, 80, c, cp, si + 1, ci + 1, ACK),
    ]
    frames += [frame(c, cp, s, 80, ci + 1 + 2 * i + 1, si + 1, ACK, b"", b"b") for i in range(n)]
    frames += [frame(c, cp, s, 80, ci + 1 + 2 * i, si + 1, ACK, b"", b"a") for i in reversed(range(n))]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for k, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1 + k // 1000000, k % 1000000, len(fr), len(fr)) + fr)


if __name__ == "__main__":
    main()

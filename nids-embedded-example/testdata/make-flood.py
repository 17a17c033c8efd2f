#!/usr/bin/python3
"""Build flood.pcap: garbage and flood frames around two well-formed TCP streams.

    /usr/bin/python3 nids-embedded-example/testdata/make-flood.py [OUT.pcap]

Needs python3-scapy (Debian package).  Deterministic (fixed seed, fixed clock):
rerunning gives a byte-identical file.  Classic pcap, microsecond timestamps,
link type Ethernet.  The firmware must take all of it without stopping, count
what it drops, and still report the two streams exactly as the host does.

In order (1 ms apart unless said):

 1. stream A, 10.0.0.1:40000 -> 10.0.0.2:80: handshake, a request and a
    response, FIN both ways.  Reported `close` by firmware and host alike.
 2. garbage: 400 frames of random bytes, 0 to 600 long; half of them claim
    IPv4 or IPv6 (EtherType) so the random bytes reach the IP parsers.
 3. malformed headers, 20 of each kind: IPv4 with a bad version, header length,
    total length, checksum, a truncated packet, bad options; TCP with a bad
    data offset or checksum, SYN+FIN; UDP with a bad length or checksum;
    IPv6 with too many extension headers, hop-by-hop not first, a truncated
    extension; ICMP with a bad checksum; 8 stacked VLAN tags; ARP; control
    look-alikes (EtherType 0x88B5 `END` / `TIM` not from the runner).
 4. mutations: 300 copies of stream A's packets with 1 to 4 random bytes
    changed (they fail checksums, or open bogus streams).
 5. SYN flood: 400 SYNs from 400 sources to 10.0.0.2:80, 40 of them completing
    the handshake and sending a few bytes (the firmware's 16-slot table
    overflows: oldest streams are evicted).
 6. out-of-order flood: 8 streams, each sent 40 segments of 230 bytes after
    a hole of 1 byte (the firmware's 12 KiB TCP pool and 4 KiB queues fill).
    Then each is reset.
 7. fragment flood: 300 first fragments of distinct UDP datagrams to 20 hosts,
    never completed, and 20 fragments past 1,600 bytes (the firmware's
    datagram limit).
 8. oversized frames: 4 frames of 2,100 to 4,000 bytes (QEMU's Stellaris MAC
    drops frames of 2,042 bytes or more and reports an overrun).
 9. a fragmented UDP datagram (2 fragments) that reassembles.
10. stream B, 10.0.0.3:40001 -> 10.0.0.2:8080: like A, after the flood.

All frames of the flood are sent in about 1.6 s of packet time; stream B ends
with `close` on both sides.
"""
import os
import random
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

SEED = 20261123
START = 1_800_000_000 * 1_000_000
rng = random.Random(SEED)
frames = []  # (time in µs, bytes)
clock = [START]


def add(b, gap=1000):
    frames.append((clock[0], bytes(b)))
    clock[0] += gap


def mac(i):
    return "02:00:00:00:%02x:%02x" % ((i >> 8) & 0xFF, i & 0xFF)


def eth(src=1, dst=2):
    return Ether(src=mac(src), dst=mac(dst))


def stream(cip, sport, sip, dport, request, response, isn_c, isn_s):
    """A whole well-formed connection: handshake, request, response, close."""
    c, s = eth(1, 2), eth(2, 1)
    C = IP(src=cip, dst=sip, id=1)
    S = IP(src=sip, dst=cip, id=2)
    add(c / C / TCP(sport=sport, dport=dport, flags="S", seq=isn_c, window=65535))
    add(s / S / TCP(sport=dport, dport=sport, flags="SA", seq=isn_s, ack=isn_c + 1, window=65535))
    add(c / C / TCP(sport=sport, dport=dport, flags="A", seq=isn_c + 1, ack=isn_s + 1, window=65535))
    add(c / C / TCP(sport=sport, dport=dport, flags="PA", seq=isn_c + 1, ack=isn_s + 1, window=65535) / Raw(request))
    cn = isn_c + 1 + len(request)
    add(s / S / TCP(sport=dport, dport=sport, flags="PA", seq=isn_s + 1, ack=cn, window=65535) / Raw(response))
    sn = isn_s + 1 + len(response)
    add(c / C / TCP(sport=sport, dport=dport, flags="FA", seq=cn, ack=sn, window=65535))
    add(s / S / TCP(sport=dport, dport=sport, flags="FA", seq=sn, ack=cn + 1, window=65535))
    add(c / C / TCP(sport=sport, dport=dport, flags="A", seq=cn + 1, ack=sn + 1, window=65535))


def stream_a():
    start = len(frames)
    stream("10.0.0.1", 40000, "10.0.0.2", 80,
           b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n",
           b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 1000, 5000)
    return [f for _, f in frames[start:]]


def garbage():
    for _ in range(400):
        n = rng.randrange(0, 601)
        b = bytearray(rng.getrandbits(8) for _ in range(n))
        if n >= 14 and rng.random() < 0.5:
            b[12:14] = rng.choice([b"\x08\x00", b"\x86\xdd"])
            if rng.random() < 0.5 and n > 14:
                b[14] = (b[14] & 0x0F) | (0x40 if b[12] == 0x08 else 0x60)
        add(b, gap=200)


def malformed():
    e = eth(3, 2)
    tcp = TCP(sport=1234, dport=80, flags="A", seq=1, ack=1)
    kinds = [
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2", version=5) / tcp,
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2", ihl=3) / tcp,
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2", len=10) / tcp,
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2", chksum=0x1234) / tcp,
        lambda: Ether(bytes(e / IP(src="10.1.0.1", dst="10.0.0.2") / tcp / Raw(b"x" * 40))[:40]),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2", options=b"\x44\x01\x00\x00") / tcp,
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, dataofs=15) / Raw(b"abc"),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, chksum=0x4242),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="SF"),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / UDP(sport=1, dport=53, len=200) / Raw(b"q"),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / UDP(sport=1, dport=53, chksum=0x5555) / Raw(b"q"),
        lambda: Ether(src=mac(3), dst=mac(2)) / IPv6(src="fd00::1", dst="fd00::2") /
        (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()) / UDP(),
        lambda: Ether(src=mac(3), dst=mac(2)) / IPv6(src="fd00::1", dst="fd00::2") /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(),
        lambda: Ether(bytes(Ether(src=mac(3), dst=mac(2)) / IPv6(src="fd00::1", dst="fd00::2") /
                            IPv6ExtHdrRouting(addresses=["fd00::9"] * 4) / UDP())[:70]),
        lambda: e / IP(src="10.1.0.1", dst="10.0.0.2") / ICMP(chksum=0x1111),
        lambda: Ether(bytes(Ether(src=mac(3), dst=mac(2)) / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) /
                            Dot1Q(vlan=4) / Dot1Q(vlan=5) / Dot1Q(vlan=6) / Dot1Q(vlan=7) / Dot1Q(vlan=8) /
                            IP(src="10.1.0.1", dst="10.0.0.2") / tcp)),
        lambda: Ether(src=mac(3), dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.1.0.1", pdst="10.0.0.2"),
        # Control look-alikes: not from the runner's address, so plain frames.
        lambda: Ether(src=mac(3), dst="ff:ff:ff:ff:ff:ff", type=0x88B5) / Raw(b"END"),
        lambda: Ether(src=mac(3), dst="ff:ff:ff:ff:ff:ff", type=0x88B5) / Raw(b"TIM" + struct.pack(">Q", 1)),
    ]
    for i in range(20):
        for k in kinds:
            add(k(), gap=100)


def mutations(base):
    for _ in range(300):
        b = bytearray(rng.choice(base))
        for _ in range(rng.randrange(1, 5)):
            at = rng.randrange(14, len(b))
            b[at] ^= 1 << rng.randrange(8)
        add(b, gap=100)


def syn_flood():
    open_ = []
    for i in range(400):
        src = "10.66.%d.%d" % (i // 250, i % 250 + 1)
        sport = 20000 + i
        isn = rng.getrandbits(32)
        add(eth(100 + i, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="S", seq=isn), gap=100)
        if i % 10 == 0:
            open_.append((src, sport, isn, rng.getrandbits(32), 100 + i))
    for src, sport, isn, isn_s, m in open_:
        add(eth(2, m) / IP(src="10.0.0.2", dst=src) / TCP(sport=80, dport=sport, flags="SA", seq=isn_s, ack=isn + 1), gap=100)
        add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="A", seq=isn + 1, ack=isn_s + 1), gap=100)
        add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="PA", seq=isn + 1, ack=isn_s + 1) / Raw(b"flood"), gap=100)


def ooo_flood():
    conns = []
    for i in range(8):
        src, sport = "10.77.0.%d" % (i + 1), 30000 + i
        isn, isn_s = rng.getrandbits(32), rng.getrandbits(32)
        m = 600 + i
        add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="S", seq=isn, window=65535), gap=100)
        add(eth(2, m) / IP(src="10.0.0.2", dst=src) / TCP(sport=80, dport=sport, flags="SA", seq=isn_s, ack=isn + 1, window=65535), gap=100)
        add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="A", seq=isn + 1, ack=isn_s + 1, window=65535), gap=100)
        conns.append((src, sport, isn, isn_s, m))
    for k in range(40):
        for src, sport, isn, isn_s, m in conns:
            seq = (isn + 2 + k * 230) & 0xFFFFFFFF
            add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="A", seq=seq, ack=isn_s + 1, window=65535) /
                Raw(bytes([65 + k % 26]) * 230), gap=100)
    for src, sport, isn, isn_s, m in conns:
        add(eth(m, 2) / IP(src=src, dst="10.0.0.2") / TCP(sport=sport, dport=80, flags="R", seq=isn + 1), gap=100)


def frag_flood():
    for i in range(300):
        dst = "10.88.0.%d" % (i % 20 + 1)
        add(eth(5, 2) / IP(src="10.5.0.1", dst=dst, id=i, flags="MF", frag=0, proto=17) / Raw(b"F" * 64), gap=100)
    for i in range(20):
        add(eth(5, 2) / IP(src="10.5.0.1", dst="10.88.1.1", id=1000 + i, flags="MF", frag=250, proto=17) / Raw(b"G" * 64), gap=100)


def oversized():
    for n in (2100, 2500, 3000, 4000):
        add(eth(6, 2) / IP(src="10.6.0.1", dst="10.0.0.2") / UDP(sport=9, dport=9) / Raw(b"O" * (n - 42)))


def whole_fragmented():
    pkt = IP(src="10.5.0.9", dst="10.0.0.2", id=4242) / UDP(sport=5000, dport=5001) / Raw(b"R" * 100)
    raw = bytes(pkt)
    hdr, payload = IP(raw), raw[20:]
    first = IP(src="10.5.0.9", dst="10.0.0.2", id=4242, flags="MF", frag=0, proto=17) / Raw(payload[:64])
    second = IP(src="10.5.0.9", dst="10.0.0.2", id=4242, frag=8, proto=17) / Raw(payload[64:])
    del hdr
    add(eth(7, 2) / first)
    add(eth(7, 2) / second)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "flood.pcap")
    base = stream_a()
    garbage()
    malformed()
    mutations(base)
    syn_flood()
    ooo_flood()
    frag_flood()
    oversized()
    whole_fragmented()
    stream("10.0.0.3", 40001, "10.0.0.2", 8080,
           b"PUT /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
           b"HTTP/1.1 204 No Content\r\n\r\n", 7000, 9000)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, b in frames:
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(b), len(b)))
            f.write(b)
    print("%s: %d frames, %d bytes" % (out, len(frames), os.path.getsize(out)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the captures of nids-host's command tests (standard library only).

    python3 nids-host/tests/data/make.py

Deterministic: fixed addresses, ISNs and clock, so rerunning gives identical files.

scan.pcap (base time 1700100000):
  * 10.9.0.1 SYN-scans 10.9.0.2 ports 20..31, 1 ms apart (one report, at the 11th);
  * 10.9.0.3 sends XMAS probes to 10.9.0.2 ports 1..11 (one report);
  * 10.9.0.4 opens 5 ordinary connections (SYN only, no report);
  * 2001:db8::9 FIN-scans 2001:db8::2 ports 100..110 (one report);
  * 10.9.0.5 sends 11 UDP datagrams to 11 ports (not a scan by default).
mixed.pcap (base time 1700200000):
  * an IPv4 TCP stream 192.168.7.1:50000 -> 192.168.7.2:80 whose request
    "GET /secret-file HTTP/1.0\\r\\n\\r\\n" is cut into 4 segments, one out of
    order, with a reply holding control bytes ("ok\\x00\\x01\\x7f\\r\\nbye");
  * an IPv6 TCP stream [2001:db8::1]:50001 -> [2001:db8::2]:8080, "ping" / "pong!";
  * UDP: 192.168.7.1:5353 -> 192.168.7.2:53 "query", and
    [2001:db8::1]:123 -> [2001:db8::2]:123 "ntp?", and a reply "answer".
"""
import ipaddress
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip(a):
    return ipaddress.ip_address(a)


def l4_pseudo(src, dst, proto, length):
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, proto, length)
    return src.packed + dst.packed + struct.pack("!IxxxB", length, proto)


def ip_packet(src, dst, proto, payload):
    if src.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64,
                        proto, 0, src.packed, dst.packed)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return 0x0800, h + payload
    h = struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, src.packed, dst.packed)
    return 0x86DD, h + payload


def tcp(src, dst, sport, dport, seq, ack, flags, data=b"", urp=0):
    src, dst = ip(src), ip(dst)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, urp)
    seg = hdr + data
    c = csum(l4_pseudo(src, dst, 6, len(seg)) + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return ip_packet(src, dst, 6, seg)


def udp(src, dst, sport, dport, data):
    src, dst = ip(src), ip(dst)
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(l4_pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return ip_packet(src, dst, 17, seg)


def frame(pkt):
    ethertype, body = pkt
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", ethertype) + body


def write(name, base, packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(packets):
        f = frame(p)
        us = i * 1000
        out += struct.pack("<IIII", base + us // 1000000, us % 1000000, len(f), len(f)) + f
    with open(os.path.join(HERE, name), "wb") as fh:
        fh.write(out)


SYN, FIN, RST, PSH, ACK, URG = 0x02, 0x01, 0x04, 0x08, 0x10, 0x20


def scan():
    p = []
    for port in range(20, 32):
        p.append(tcp("10.9.0.1", "10.9.0.2", 40000, port, 1000, 0, SYN))
        p.append(tcp("10.9.0.2", "10.9.0.1", port, 40000, 0, 1001, RST | ACK))
    for port in range(1, 12):
        p.append(tcp("10.9.0.3", "10.9.0.2", 40001, port, 5000, 0, FIN | PSH | URG))
    for i in range(5):
        p.append(tcp("10.9.0.4", "10.9.0.2", 41000 + i, 80, 7000, 0, SYN))
    for port in range(100, 111):
        p.append(tcp("2001:db8::9", "2001:db8::2", 40002, port, 9000, 0, FIN))
    for port in range(1000, 1011):
        p.append(udp("10.9.0.5", "10.9.0.2", 40003, port, b"probe"))
    write("scan.pcap", 1700100000, p)


def conversation(c, s, cp, sp, cisn, sisn, c2s, s2c, order=None):
    """Handshake, client segments (in `order`), server reply, FIN/ACK close."""
    p = [tcp(c, s, cp, sp, cisn, 0, SYN), tcp(s, c, sp, cp, sisn, cisn + 1, SYN | ACK),
         tcp(c, s, cp, sp, cisn + 1, sisn + 1, ACK)]
    segs, off = [], 1
    for d in c2s:
        segs.append((off, d))
        off += len(d)
    for i in (order or range(len(segs))):
        o, d = segs[i]
        p.append(tcp(c, s, cp, sp, cisn + o, sisn + 1, PSH | ACK, d))
    clen = off - 1
    p.append(tcp(s, c, sp, cp, sisn + 1, cisn + 1 + clen, PSH | ACK, s2c))
    slen = len(s2c)
    p.append(tcp(c, s, cp, sp, cisn + 1 + clen, sisn + 1 + slen, FIN | ACK))
    p.append(tcp(s, c, sp, cp, sisn + 1 + slen, cisn + 2 + clen, FIN | ACK))
    p.append(tcp(c, s, cp, sp, cisn + 2 + clen, sisn + 2 + slen, ACK))
    return p


def mixed():
    p = conversation("192.168.7.1", "192.168.7.2", 50000, 80, 0x1000, 0x2000,
                     [b"GET /se", b"cret-", b"file HTTP/1.0\r", b"\n\r\n"],
                     b"ok\x00\x01\x7f\r\nbye", order=[0, 2, 1, 3])
    p.insert(2, udp("192.168.7.1", "192.168.7.2", 5353, 53, b"query"))
    p += conversation("2001:db8::1", "2001:db8::2", 50001, 8080, 0xFFFFFFF0, 7,
                      [b"ping"], b"pong!")
    p.append(udp("2001:db8::1", "2001:db8::2", 123, 123, b"ntp?"))
    p.append(udp("2001:db8::2", "2001:db8::1", 123, 123, b"answer"))
    write("mixed.pcap", 1700200000, p)


scan()
mixed()

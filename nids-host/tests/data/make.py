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
multiflow.pcap (base time 1700300000; the `--threads` tests): many host pairs
so that every shard gets work, their packets interleaved:
  * 48 TCP conversations (IPv4 and IPv6) closed with FIN, 8 reset, 8 left open
    (they end as `exiting`), all interleaved packet by packet;
  * IPv4 UDP and TCP datagrams cut into fragments sent out of order, and IPv6
    UDP datagrams in fragments (Fragment extension header);
  * 10.20.0.1 SYN-scans 40 different hosts (its probes hash to every shard),
    and 10.20.0.2 UDP-scans 12 hosts, who answer with ICMP port unreachable;
  * an ICMP host unreachable from a router (10.99.0.254) about a pending SYN;
  * ARP frames (not IP);
  * a 20 s pause in the middle, so `--idle-timeout 10` ends streams as
    `timeout` (reported when the next packet arrives).
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


def v6_fragments(src, dst, proto, ident, l4, cuts):
    """IPv6 packets carrying `l4` in fragments (cuts: multiples of 8)."""
    src, dst = ip(src), ip(dst)
    bounds = [0] + [c for c in cuts if 0 < c < len(l4)] + [len(l4)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        more = 1 if b < len(l4) else 0
        fh = struct.pack("!BBHI", proto, 0, a | more, ident)
        body = fh + l4[a:b]
        h = struct.pack("!IHBB16s16s", 6 << 28, len(body), 44, 64, src.packed, dst.packed)
        out.append((0x86DD, h + body))
    return out


def v4_fragments(src, dst, proto, ident, l4, cuts):
    """IPv4 packets carrying `l4` in fragments (cuts: multiples of 8)."""
    s_, d_ = ip(src), ip(dst)
    bounds = [0] + [c for c in cuts if 0 < c < len(l4)] + [len(l4)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        more = 0x2000 if b < len(l4) else 0
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + b - a, ident, (a // 8) | more, 64,
                        proto, 0, s_.packed, d_.packed)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        out.append((0x0800, h + l4[a:b]))
    return out


def l4_bytes(pkt):
    """The transport bytes of an unfragmented packet made by tcp() or udp()."""
    ethertype, body = pkt
    return body[20:] if ethertype == 0x0800 else body[40:]


def icmp_error(src, dst, typ, code, quoted):
    """An ICMP (v4) error from `src` to `dst` quoting the IP packet `quoted`."""
    body = struct.pack("!BBHI", typ, code, 0, 0) + quoted[1][:28]
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ip_packet(ip(src), ip(dst), 1, body)


def arp(i):
    return 0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02" * 6,
                               bytes([10, 30, 0, i]), b"\0" * 6, bytes([10, 30, 0, 1]))


def interleave(lists):
    out, lists = [], [list(x) for x in lists]
    while any(lists):
        for x in lists:
            if x:
                out.append(x.pop(0))
    return out


def multiflow():
    convs = []
    for i in range(64):
        if i % 2:
            c, s = "2001:db8:1::%x" % (i + 1), "2001:db8:2::%x" % (i % 7 + 1)
        else:
            c, s = "10.1.%d.%d" % (i // 8, i + 1), "10.2.0.%d" % (i % 7 + 1)
        c2s = [b"req %d " % i, b"x" * (i % 5 * 40 + 1), b"end\r\n"]
        order = [0, 2, 1] if i % 3 == 0 else None
        p = conversation(c, s, 40000 + i, 80 + i % 3, 1000 * i, 7000 * i + 5, c2s,
                         b"reply %d" % i * (i % 4 + 1), order)
        if i % 8 == 5:  # reset instead of closing
            last = p[-4]
            p = p[:-3] + [tcp(s, c, 80 + i % 3, 40000 + i, 7000 * i + 5 + 200, 0, RST)]
            del last
        if i % 8 == 7:  # left open
            p = p[:-3]
        convs.append(p)
    flows = interleave(convs)
    # fragments, interleaved with the flows
    extra = []
    for k in range(6):
        u = udp("10.3.0.%d" % (k + 1), "10.4.0.%d" % (k + 1), 5000 + k, 53, b"frag%d" % k * 20)
        frs = v4_fragments("10.3.0.%d" % (k + 1), "10.4.0.%d" % (k + 1), 17, 100 + k,
                           l4_bytes(u), [16, 48, 96])
        extra.append(frs[::-1] if k % 2 else frs)
        u6 = udp("2001:db8:3::%d" % (k + 1), "2001:db8:4::%d" % (k + 1), 6000 + k, 53,
                 b"six%d" % k * 30)
        extra.append(v6_fragments("2001:db8:3::%d" % (k + 1), "2001:db8:4::%d" % (k + 1),
                                  17, 200 + k, l4_bytes(u6), [24, 64]))
    # a fragmented TCP handshake + data stream
    t = conversation("10.5.0.1", "10.6.0.1", 41000, 8080, 50, 90, [b"A" * 120], b"B" * 64)
    tf = []
    for pkt in t:
        l4 = l4_bytes(pkt)
        if len(l4) > 60:
            tf.extend(v4_fragments("10.5.0.1" if pkt[1][12:16] == ip("10.5.0.1").packed
                                   else "10.6.0.1",
                                   "10.6.0.1" if pkt[1][12:16] == ip("10.5.0.1").packed
                                   else "10.5.0.1", 6, 300 + len(tf), l4, [32, 64]))
        else:
            tf.append(pkt)
    extra.append(tf)
    # scans: a SYN scan of 40 hosts, a UDP scan of 12 answered by port unreachables
    extra.append([tcp("10.20.0.1", "10.21.%d.%d" % (h // 10, h), 45000, 22 + h % 3, 77, 0, SYN)
                  for h in range(40)])
    us = []
    for h in range(12):
        d = udp("10.20.0.2", "10.22.0.%d" % (h + 1), 45001, 1000 + h, b"probe")
        us += [d, icmp_error("10.22.0.%d" % (h + 1), "10.20.0.2", 3, 3, d)]
    extra.append(us)
    syn = tcp("10.7.0.1", "10.8.0.1", 42000, 443, 5, 0, SYN)
    extra.append([syn, icmp_error("10.99.0.254", "10.7.0.1", 3, 1, syn)])
    extra.append([arp(i) for i in range(5)])
    packets = interleave([flows] + extra)
    half = len(packets) // 2
    stamped = [(i * 1000 + (20000000 if i >= half else 0), p) for i, p in enumerate(packets)]
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    base = 1700300000
    for us_, p in stamped:
        f = frame(p)
        out += struct.pack("<IIII", base + us_ // 1000000, us_ % 1000000, len(f), len(f)) + f
    with open(os.path.join(HERE, "multiflow.pcap"), "wb") as fh:
        fh.write(out)


scan()
mixed()
multiflow()

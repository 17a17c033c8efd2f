#!/usr/bin/env python3
"""Make the crafted tunnel captures of tests/data/tunnels (Ethernet, one per
encapsulation; see README.md). The kernel VXLAN captures come from ../make-netns.sh.

    tests/data/tunnels/make.py          (needs python3-scapy; no root)

Every capture holds, inside its tunnel, an IPv4 TCP connection and a UDP datagram
(IPv6 ones where the tunnel carries IPv6), and something the decoder must count or
leave alone. gre.pcap also has outer fragments (a GRE packet fragmented on the
path) and inner fragments (a UDP datagram fragmented before it entered the tunnel).
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, UDP, fragment, raw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from craft import tcp_conn, pcap  # noqa: E402

O4 = ("192.0.2.1", "192.0.2.2")
O6 = ("2001:db8::1", "2001:db8::2")
MAC_A, MAC_B = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")
IN_A, IN_B = bytes.fromhex("0a00000000a1"), bytes.fromhex("0a00000000b1")


def eth(p, src=MAC_A, dst=MAC_B):
    return dst + src + (b"\x08\x00" if p[0] >> 4 == 4 else b"\x86\xdd") + p


def inner(tag, v6=True, c4="10.20.0.1", s4="10.20.0.2", cport=41001):
    """Inner IP packets: a TCP connection, a UDP datagram, and IPv6 ones."""
    pk = tcp_conn(c4, s4, cport, tag)
    pk.append(raw(IP(src=c4, dst=s4) / UDP(sport=41053, dport=41054) / (b"udp in " + tag.encode())))
    if v6:
        pk += tcp_conn("fd20::1", "fd20::2", cport + 1, tag + "-v6", IPv6)
        pk.append(raw(IPv6(src="fd20::1", dst="fd20::2") / UDP(sport=41053, dport=41054) / (b"udp6 in " + tag.encode())))
    return pk


def outer4(proto, payload):
    return raw(IP(src=O4[0], dst=O4[1], proto=proto) / payload)


def udp4(dport, payload, sport=50000):
    return raw(IP(src=O4[0], dst=O4[1]) / UDP(sport=sport, dport=dport) / payload)


def write(name, packets):
    pcap(os.path.join(HERE, name + ".pcap"), 1, [eth(p) for p in packets])


def gre(proto, payload, key=None, seq=None, csum=False):
    flags = (0x80 if csum else 0) | (0x20 if key is not None else 0) | (0x10 if seq is not None else 0)
    h = struct.pack("!BBH", flags, 0, proto)
    if csum:
        h += b"\x00\x00\x00\x00"  # checksum left 0 (nids does not verify it; tshark neither)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


def l3type(p):
    return 0x0800 if p[0] >> 4 == 4 else 0x86DD


# ---------------------------------------------------------------- GRE
pk = inner("gre")
big_udp = IP(src="10.20.0.1", dst="10.20.0.2", id=77) / UDP(sport=41055, dport=41056) / (bytes(range(256)) * 12)
out = []
for i, p in enumerate(pk):
    # IPv4 inside keyed GRE, IPv6 inside plain GRE; sequence numbers and the
    # checksum field on some packets (they do not change the tunnel)
    key = 1234 if p[0] >> 4 == 4 else None
    out.append(outer4(47, gre(l3type(p), p, key=key, seq=i if i % 2 else None, csum=i % 3 == 0)))
# inner fragments: a 3 KB UDP datagram fragmented before the tunnel (keyed GRE)
for f in fragment(big_udp, fragsize=1000):
    out.append(outer4(47, gre(0x0800, raw(f), key=1234)))
# outer fragments: a big GRE packet fragmented after it
big = IP(src=O4[0], dst=O4[1], proto=47, id=4242) / gre(0x0800, raw(IP(src="10.20.0.3", dst="10.20.0.2") / UDP(sport=41057, dport=41058) / (b"x" * 2000)))
out += [raw(f) for f in fragment(big, fragsize=800)]
out.append(outer4(47, gre(0x9999, b"\x00" * 20)))  # unknown protocol: counted
out.append(outer4(47, b"\x00\x07\x08\x00" + bytes(20)))  # version 7: counted
write("gre", out)

# PPTP: enhanced GRE (version 1) carrying PPP, with an acknowledgement-only packet
out, seq = [], 0
for p in inner("pptp", v6=False):
    ppp = b"\xff\x03\x00\x21" + p
    h = struct.pack("!BBHHHI", 0x30, 0x81, 0x880B, len(ppp), 0x4D2, seq) + struct.pack("!I", seq)
    out.append(outer4(47, h + ppp))
    seq += 1
out.append(outer4(47, struct.pack("!BBHHHI", 0x20, 0x81, 0x880B, 0, 0x4D2, seq)))  # ack only
write("pptp", out)

# transparent Ethernet bridging (what gretap sends), keyed
write("gretap", [outer4(47, gre(0x6558, eth(p, IN_A, IN_B), key=99)) for p in inner("gretap")])

# ---------------------------------------------------------------- ERSPAN
def erspan2(frame, session, seq):
    h = struct.pack("!HHI", (1 << 12) | 10, session, 0)  # ver 1, VLAN 10, session
    return gre(0x88BE, h + frame, seq=seq)


def erspan3(frame, session, seq):
    h = struct.pack("!HHIHH", (2 << 12) | 10, session, 123456, 0, (0 << 10) | (7 << 4))
    return gre(0x22EB, h + frame, seq=seq)


pk = inner("erspan")
write("erspan1", [outer4(47, gre(0x88BE, eth(p, IN_A, IN_B))) for p in pk])
write("erspan2", [outer4(47, erspan2(eth(p, IN_A, IN_B), 77, i)) for i, p in enumerate(pk)])
write("erspan3", [outer4(47, erspan3(eth(p, IN_A, IN_B), 78, i)) for i, p in enumerate(pk)])

# ---------------------------------------------------------------- VXLAN: two tenants with the same addresses
def vxlan(vni, frame):
    return struct.pack("!BBBBI", 0x08, 0, 0, 0, vni << 8) + frame


out = []
for vni, tag in ((100, "tenant-a"), (200, "tenant-b")):
    out += [udp4(4789, vxlan(vni, eth(p, IN_A, IN_B))) for p in inner(tag, v6=False)]
out.append(udp4(4789, b"\x00" * 8 + eth(pk[0])))  # I flag clear: counted, plain UDP
write("vxlan-tenants", out)

# ---------------------------------------------------------------- Geneve (Ethernet and IP payloads, with an option)
def geneve(vni, proto, payload, opt=b""):
    return struct.pack("!BBHI", len(opt) // 4, 0, proto, vni << 8) + opt + payload


opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x01"
out = [udp4(6081, geneve(5001, 0x6558, eth(p, IN_A, IN_B), opt)) for p in inner("geneve")]
out += [udp4(6081, geneve(5002, l3type(p), p)) for p in inner("geneve-ip", cport=42001)]
write("geneve", out)

# ---------------------------------------------------------------- GTP-U (one TEID per direction, with a sequence number on some)
def gtpu(teid, payload, seqno=None):
    if seqno is None:
        return struct.pack("!BBHI", 0x30, 255, len(payload), teid) + payload
    return struct.pack("!BBHIHBB", 0x32, 255, len(payload) + 4, teid, seqno, 0, 0) + payload


out = []
for i, p in enumerate(inner("gtpu")):
    out.append(udp4(2152, gtpu(0x1001, p, i if i % 2 else None), sport=2152))
out.append(udp4(2152, struct.pack("!BBHIHBB", 0x32, 1, 4, 0, 1, 0, 0), sport=2152))  # echo request: plain
write("gtpu", out)

# ---------------------------------------------------------------- IP in IP
write("ip4in4", [outer4(4, p) for p in inner("4in4", v6=False)])
write("ip6in4", [outer4(41, p) for p in inner("6in4")[11:]])
write("ip4in6", [raw(IPv6(src=O6[0], dst=O6[1], nh=4) / p) for p in inner("4in6", v6=False)])
write("ip6in6", [raw(IPv6(src=O6[0], dst=O6[1], nh=41) / p) for p in inner("6in6")[11:]])
# nested too deep: five levels of 4in4 around a UDP datagram (the fifth is left as is)
p = inner("deep", v6=False)[-1]
for _ in range(5):
    p = outer4(4, p)
write("ip4in4-deep", [p])

# ---------------------------------------------------------------- Teredo (IPv6 in UDP 3544, with an origin indication)
t6 = [p for p in inner("teredo")[11:]]
out = [udp4(3544, p, sport=50001) if i % 2 else udp4(50001, b"\x00\x00" + bytes(6) + p, sport=3544)
       for i, p in enumerate(t6)]
write("teredo", out)

# ---------------------------------------------------------------- MPLS over GRE and over UDP
def labels(*ls):
    return b"".join(struct.pack("!I", (l << 12) | (0x100 if i == len(ls) - 1 else 0) | 64) for i, l in enumerate(ls))


pk = inner("mpls")
out = [outer4(47, gre(0x8847, labels(1000, 2000) + p)) for p in pk]
# an Ethernet pseudowire with control word, over MPLS in UDP
PW_A, PW_B = bytes.fromhex("aabbccddeeff"), bytes.fromhex("a0b1c2d3e4f5")
out += [udp4(6635, labels(3000) + bytes(4) + eth(p, PW_A, PW_B)) for p in inner("mpls-pw", cport=43001)]
write("mpls", out)

#!/usr/bin/env python3
"""Make the tunnel captures of tests/data/tunnels whose identifier differs by
direction (issue 24; see README.md). Each holds one IPv4 TCP connection, and a
UDP datagram each way, inside a tunnel whose outer addresses swap with the
direction, as real tunnels do, and whose per-direction identifier differs:

    gtpu-asym.pcap     GTP-U, uplink TEID 0x1001, downlink TEID 0x2002
    gre-asym.pcap      keyed GRE, key 100 one way, 200 the other
    erspan-asym.pcap   ERSPAN II from one switch to one collector, session 10
                       for the client's frames, 20 for the server's
    mpls-asym.pcap     MPLS in GRE, label 1000 one way, 2000 the other
    geneve-asym.pcap   Geneve, one VNI, an option whose value differs by direction
    gre-two-tunnels.pcap  the same inner connection in two keyed GRE tunnels at
                       once, between different endpoints: two flows

    tests/data/tunnels/make-asym.py          (needs python3-scapy; no root)
"""
import os
import struct
import sys

from scapy.all import IP, UDP, raw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from craft import tcp_conn, pcap  # noqa: E402

MAC_A, MAC_B = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")
IN_A, IN_B = bytes.fromhex("0a00000000a1"), bytes.fromhex("0a00000000b1")


def eth(p, src=MAC_A, dst=MAC_B):
    return dst + src + b"\x08\x00" + p


def write(name, packets):
    pcap(os.path.join(HERE, name + ".pcap"), 1, [eth(p) for p in packets])


def gre(proto, payload, key=None, seq=None):
    flags = (0x20 if key is not None else 0) | (0x10 if seq is not None else 0)
    h = struct.pack("!BBH", flags, 0, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload

C, S = "10.30.0.1", "10.30.0.2"
# outer endpoints: (client side, server side)
A, B = "192.0.2.11", "192.0.2.12"


def inner(tag):
    """(from client?, inner IPv4 packet) of a TCP connection and two datagrams."""
    pk = tcp_conn(C, S, 44001, tag)
    pk.insert(4, raw(IP(src=C, dst=S) / UDP(sport=44053, dport=44054) / (b"udp up " + tag.encode())))
    pk.insert(7, raw(IP(src=S, dst=C) / UDP(sport=44054, dport=44053) / (b"udp down " + tag.encode())))
    return [(IP(p).src == C, p) for p in pk]


def outer(up, proto, payload):
    src, dst = (A, B) if up else (B, A)
    return raw(IP(src=src, dst=dst, proto=proto) / payload)


def outer_udp(up, port, payload):
    src, dst = (A, B) if up else (B, A)
    return raw(IP(src=src, dst=dst) / UDP(sport=port, dport=port) / payload)


def gtpu(teid, payload):
    return struct.pack("!BBHI", 0x30, 255, len(payload), teid) + payload


write("gtpu-asym", [outer_udp(up, 2152, gtpu(0x1001 if up else 0x2002, p)) for up, p in inner("gtpu-asym")])

write("gre-asym", [outer(up, 47, gre(0x0800, p, key=100 if up else 200)) for up, p in inner("gre-asym")])


def erspan2(frame, session, seq):
    h = struct.pack("!HHI", (1 << 12) | 10, session, 0)  # ver 1, VLAN 10, session
    return gre(0x88BE, h + frame, seq=seq)


# mirrored frames all go from the switch (A) to the collector (B)
write("erspan-asym", [outer(True, 47, erspan2(eth(p, IN_A, IN_B) if up else eth(p, IN_B, IN_A), 10 if up else 20, i))
                      for i, (up, p) in enumerate(inner("erspan-asym"))])


def label(n):
    return struct.pack("!I", (n << 12) | 0x100 | 64)


write("mpls-asym", [outer(up, 47, gre(0x8847, label(1000 if up else 2000) + p)) for up, p in inner("mpls-asym")])


def geneve(vni, opt, payload):
    return struct.pack("!BBHI", len(opt) // 4, 0, 0x6558, vni << 8) + opt + payload


def ovn_opt(port):
    # class 0x0102 (OVN), type 0x80, 4 bytes: the logical ingress/egress ports
    return struct.pack("!HBB", 0x0102, 0x80, 1) + struct.pack("!I", port)


write("geneve-asym", [outer_udp(up, 6081, geneve(7001, ovn_opt(0x00010002 if up else 0x00020001),
                                                 eth(p, IN_A, IN_B) if up else eth(p, IN_B, IN_A)))
                      for up, p in inner("geneve-asym")])

# The same inner connection in two GRE tunnels at once, A<->B and A<->C (keys
# differ by direction in each): two flows, since their endpoints differ.
out = []
for up, p in inner("gre-two"):
    out.append(outer(up, 47, gre(0x0800, p, key=100 if up else 200)))
    src, dst = ("192.0.2.11", "192.0.2.13") if up else ("192.0.2.13", "192.0.2.11")
    out.append(raw(IP(src=src, dst=dst, proto=47) / gre(0x0800, p, key=300 if up else 400)))
write("gre-two-tunnels", out)

#!/usr/bin/env python3
"""Make the captures of the encapsulations added by issue 24 (see README.md).
Each holds one IPv4 TCP connection (IPv6 for AYIYA) and a UDP datagram each way,
the outer addresses swapped with the direction as real tunnels do:

    gre-udp.pcap     GRE in UDP (RFC 8086, destination port 4754), a key and a
                     source port (entropy) per direction
    ayiya.pcap       AYIYA (UDP 5072): IPv6 between a tunnel client and its PoP,
                     each side signing with its own identity
    gtpu-port.pcap   GTP-U G-PDUs on UDP port 12152 (not 2152): decoded because
                     the header cannot be anything else; TEIDs per direction;
                     and a plain datagram on that port that only starts like one
    gre-ppp.pcap     PPP (ff 03, protocol 0x0021) in plain GRE, version 0

    tests/data/tunnels/make-more.py          (needs python3-scapy; no root)
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, UDP, raw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from craft import tcp_conn, pcap  # noqa: E402

MAC_A, MAC_B = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")


def eth(p):
    return MAC_B + MAC_A + (b"\x08\x00" if p[0] >> 4 == 4 else b"\x86\xdd") + p


def write(name, packets):
    pcap(os.path.join(HERE, name + ".pcap"), 1, [eth(p) for p in packets])


def inner(tag, c="10.70.0.1", s="10.70.0.2", ipcls=IP):
    """(from client?, inner packet) of a TCP connection and two datagrams."""
    pk = tcp_conn(c, s, 48001, tag, ipcls)
    pk.insert(4, raw(ipcls(src=c, dst=s) / UDP(sport=48053, dport=48054) / (b"udp up " + tag.encode())))
    pk.insert(7, raw(ipcls(src=s, dst=c) / UDP(sport=48054, dport=48053) / (b"udp down " + tag.encode())))
    return [(ipcls(p).src == c, p) for p in pk]


A, B = "192.0.2.41", "192.0.2.42"


def ends(up):
    return (A, B) if up else (B, A)


# GRE in UDP: GRE header (K bit) after UDP; the source port is per-flow entropy
out = []
for up, p in inner("gre-udp"):
    src, dst = ends(up)
    g = struct.pack("!BBHI", 0x20, 0, 0x0800, 100 if up else 200) + p
    out.append(raw(IP(src=src, dst=dst) / UDP(sport=50123 if up else 50456, dport=4754) / g))
write("gre-udp", out)

# AYIYA: idlen 4 (16 bytes), idtype 1 (IPv6 address), siglen 5 (20 bytes, SHA-1),
# hash method 2, auth method 1, opcode 1 (forward), next header 41; epoch
out = []
for up, p in inner("ayiya", "2001:db8:70::1", "2001:db8:70::2", IPv6):
    src, dst = ends(up)
    ident = bytes.fromhex("20010db8007000000000000000000001" if up else "20010db8007000000000000000000002")
    h = struct.pack("!BBBBI", 0x41, 0x52, 0x11, 41, 1700000000) + ident + bytes([0x5A if up else 0xA5]) * 20
    out.append(raw(IP(src=src, dst=dst) / UDP(sport=40001 if up else 5072, dport=5072 if up else 40001) / (h + p)))
write("ayiya", out)


# GTP-U off its port: one TEID per direction; then a datagram on the same port
# that starts like a G-PDU but whose length field is wrong: plain UDP
def gtpu(teid, payload):
    return struct.pack("!BBHI", 0x30, 255, len(payload), teid) + payload


out = []
for up, p in inner("gtpu-port"):
    src, dst = ends(up)
    out.append(raw(IP(src=src, dst=dst) / UDP(sport=12152, dport=12152) / gtpu(0x3001 if up else 0x4002, p)))
fake = struct.pack("!BBHI", 0x30, 255, 99, 7) + b"not a G-PDU at all"
out.append(raw(IP(src=A, dst=B) / UDP(sport=12152, dport=12152) / fake))
write("gtpu-port", out)

# PPP in plain GRE (version 0, protocol 0x880b)
out = []
for up, p in inner("gre-ppp"):
    src, dst = ends(up)
    out.append(raw(IP(src=src, dst=dst, proto=47) / (struct.pack("!BBH", 0, 0, 0x880B) + b"\xff\x03\x00\x21" + p)))
write("gre-ppp", out)

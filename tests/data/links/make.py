#!/usr/bin/env python3
"""Make the link-type captures of tests/data/links (one per framing).

    tests/data/links/make.py          (needs python3-scapy; no root)

Every capture carries the same traffic, framed for its link type: an IPv4 TCP
connection (handshake, a request, a reply, FIN both ways), an IPv6 TCP connection
where the framing can say IPv6, a UDP datagram (over a framing variant where the
link type has one: protocol-field compression, Cisco HDLC inside PPP_HDLC, a token
ring routing field, a pseudowire control word...), and a frame that is not IP.
Framing quirks are kept to the UDP datagrams and the non-IP frames, so the TCP
streams are what libnids reads too. The captures of `tcpdump -i any` (SLL, SLL2)
are made by make-any.sh with real traffic instead.
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, UDP, raw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from craft import tcp_conn, pcap as write_pcap  # noqa: E402


def pcap(name, linktype, frames):
    write_pcap(os.path.join(HERE, name), linktype, frames)


def traffic(tag, v6=True):
    """(tcp packets, udp packet) for the capture named `tag`."""
    pk = tcp_conn("10.9.0.1", "10.9.0.2", 40001, tag)
    if v6:
        pk += tcp_conn("fd09::1", "fd09::2", 40002, tag + "-v6", IPv6)
    udp = raw(IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=40054, dport=40053) / (b"udp over " + tag.encode()))
    return pk, udp


def ver(p):
    return p[0] >> 4


def ethertype(p):
    return struct.pack("!H", 0x0800 if ver(p) == 4 else 0x86DD)


MAC_C, MAC_S = bytes.fromhex("020900000001"), bytes.fromhex("020900000002")
ARP = bytes.fromhex("ffffffffffff020900000001" "0806") + bytes(28)


def eth(p, et=None):
    return MAC_S + MAC_C + (et if et is not None else ethertype(p)) + p


def simple(name, linktype, wrap, udp_wrap=None, non_ip=None, v6=True):
    pk, udp = traffic(name, v6)
    frames = [wrap(p) for p in pk] + [(udp_wrap or wrap)(udp)]
    if non_ip is not None:
        frames.append(non_ip)
    pcap(name + ".pcap", linktype, frames)


# ---------------------------------------------------------------- loopback and raw
simple("null", 0, lambda p: struct.pack("<I", 2 if ver(p) == 4 else 24) + p,
       udp_wrap=lambda p: struct.pack(">I", 2) + p, non_ip=struct.pack("<I", 7) + bytes(20))
simple("loop", 108, lambda p: struct.pack(">I", 2 if ver(p) == 4 else 24) + p,
       non_ip=struct.pack(">I", 7) + bytes(20))
simple("raw", 101, lambda p: p)
simple("ipv4", 228, lambda p: p, v6=False)
pk6 = tcp_conn("fd09::1", "fd09::2", 40002, "ipv6", IPv6)
pcap("ipv6.pcap", 229, pk6 + [raw(IPv6(src="fd09::1", dst="fd09::2") / UDP(sport=40054, dport=40053) / b"udp over ipv6")])

# ---------------------------------------------------------------- SLIP: BSD/OS header, and bare as libnids reads it
simple("slip", 8, lambda p: bytes([1, 0x40]) + bytes(14) + p, v6=False,
       non_ip=bytes([0, 0x70]) + bytes(14) + bytes(20))
simple("slip-bare", 8, lambda p: p, v6=False)

# ---------------------------------------------------------------- PPP family
PPP_PROTO = lambda p: b"\x00\x21" if ver(p) == 4 else b"\x00\x57"
simple("ppp", 9, lambda p: b"\xff\x03" + PPP_PROTO(p) + p,
       udp_wrap=lambda p: b"\x21" + p,  # no address/control, compressed protocol field
       non_ip=b"\xff\x03\xc0\x21" + bytes(10))  # LCP
simple("ppp-hdlc", 50, lambda p: b"\xff\x03" + PPP_PROTO(p) + p,
       udp_wrap=lambda p: b"\x0f\x00\x08\x00" + p,  # Cisco HDLC under the PPP serial type
       non_ip=b"\xff\x03\x80\x21" + bytes(10))  # IPCP
# LINKTYPE_PPP holding Cisco HDLC frames (address 0x0f unicast, 0x8f broadcast),
# as BSD/OS and some routers write it: tshark and libnids read it
simple("ppp-chdlc", 9, lambda p: b"\x0f\x00" + ethertype(p) + p,
       udp_wrap=lambda p: b"\x8f\x00" + ethertype(p) + p,
       non_ip=b"\x8f\x00\x80\x35" + bytes(10))  # SLARP
PPPOE = lambda p: b"\x11\x00\x12\x34" + struct.pack("!H", len(p) + 2) + PPP_PROTO(p) + p
simple("ppp-ether", 51, PPPOE, non_ip=b"\x11\x09\x00\x00\x00\x00")  # PADI
simple("chdlc", 104, lambda p: b"\x0f\x00" + ethertype(p) + p,
       udp_wrap=lambda p: b"\x8f\x00" + ethertype(p) + p,
       non_ip=b"\x8f\x00\x80\x35" + bytes(10))  # SLARP
simple("eth-pppoe", 1, lambda p: eth(PPPOE(p), b"\x88\x64"), non_ip=ARP)

# ---------------------------------------------------------------- MPLS, PBB
PW_MACS = bytes.fromhex("aabbccddeeff" "a0b1c2d3e4f5")


def labels(*ls):
    out = b""
    for i, l in enumerate(ls):
        out += struct.pack("!I", (l << 12) | (0x100 if i == len(ls) - 1 else 0) | 64)
    return out


simple("eth-mpls", 1, lambda p: eth(labels(16, 17) + p, b"\x88\x47"),
       # an Ethernet pseudowire with its control word (inner MACs that do not look
       # like an EtherType at the control word's offset 12, as Wireshark guesses)
       udp_wrap=lambda p: eth(labels(18) + bytes(4) + PW_MACS + ethertype(p) + p, b"\x88\x47"),
       non_ip=eth(labels(19) + b"\x10" + bytes(7), b"\x88\x47"))  # an MPLS associated channel
PBB = lambda p: eth(b"\x00\x64\x88\xe7" + b"\x00\x01\x00\x2a" + MAC_S + MAC_C + ethertype(p) + p, b"\x88\xa8")
simple("eth-pbb", 1, PBB, non_ip=ARP)

# ---------------------------------------------------------------- LLC/SNAP: FDDI, token ring
SNAP = lambda p: b"\xaa\xaa\x03\x00\x00\x00" + ethertype(p) + p
simple("fddi", 10, lambda p: b"\x50" + MAC_S + MAC_C + SNAP(p),
       non_ip=b"\x50" + MAC_S + MAC_C + b"\x42\x42\x03" + bytes(20))  # spanning tree
simple("token-ring", 6, lambda p: b"\x10\x40" + MAC_S + MAC_C + SNAP(p),
       udp_wrap=lambda p: b"\x10\x40" + MAC_S + bytes([MAC_C[0] | 0x80]) + MAC_C[1:] + b"\x04\x30\x00\x10" + SNAP(p),
       non_ip=b"\x10\x40" + MAC_S + MAC_C + b"\xf0\xf0\x03" + bytes(20))  # NetBIOS

# ---------------------------------------------------------------- 802.11 and its radio headers
BSSID = bytes.fromhex("020900000000")


def dot11(p, qos=False, wds=False):
    """A data frame to the AP (To-DS), or between APs (To-DS and From-DS)."""
    subtype = 8 if qos else 0
    fc = struct.pack("<H", (2 << 2) | (subtype << 4) | ((3 if wds else 1) << 8))
    hdr = fc + b"\x00\x00" + BSSID + MAC_C + MAC_S + b"\x00\x00"
    if wds:
        hdr += MAC_C
    if qos:
        hdr += b"\x00\x00"
    return hdr + SNAP(p)


BEACON = struct.pack("<H", 8 << 4) + bytes(22) + bytes(12)
PROTECTED = struct.pack("<H", (2 << 2) | (0x41 << 8)) + bytes(22) + bytes(20)
RADIOTAP = lambda f: struct.pack("<BBHI", 0, 0, 12, 1 << 1) + bytes(4) + f  # the flags field, padded
PRISM = lambda f: struct.pack("<II", 0x41, 144) + bytes(136) + f
AVS = lambda f: struct.pack(">II", 0x80211001, 64) + bytes(56) + f
PPI = lambda f: struct.pack("<BBHI", 0, 0, 8, 105) + f

simple("wifi", 105, lambda p: dot11(p), udp_wrap=lambda p: dot11(p, wds=True), non_ip=BEACON)
simple("radiotap", 127, lambda p: RADIOTAP(dot11(p, qos=True)), non_ip=RADIOTAP(PROTECTED))
simple("prism", 119, lambda p: PRISM(dot11(p)), non_ip=PRISM(BEACON))
simple("avs", 163, lambda p: AVS(dot11(p, qos=True)), non_ip=AVS(BEACON))
simple("ppi", 192, lambda p: PPI(dot11(p)), non_ip=PPI(BEACON))

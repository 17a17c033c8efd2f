#!/usr/bin/env python3
"""Make the checksum-offload captures of tests/data/offload (issue 24; see
README.md): what a capture on a host that leaves checksums to its NIC, or on a
loopback or virtual interface, shows.

    tests/data/offload/make.py          (needs python3-scapy; no root)

    ip-zero.pcap     BSD loopback (link type 0, as macOS lo0): one TCP connection,
                     every IPv4 header checksum zero, every TCP checksum the bare
                     pseudo-header sum; then one datagram whose header checksum
                     is plainly wrong (refused under every policy)
    tso.pcap         Ethernet: one TCP connection whose reply is one 3000-byte
                     super-segment with IPv4 total length 0 and header checksum 0
                     (a TCP segmentation offload capture, Windows' large send)
    vxlan-lco.pcap   VXLAN over IPv4 captured on the encapsulating host: the inner
                     TCP checksums are unfilled and the outer UDP checksum was
                     computed as if they were filled (Linux' local checksum
                     offload), so it does not verify on the capture
    vxlan6-zero.pcap VXLAN over IPv6 with zero outer UDP checksums (RFC 6935)
    geneve-rewritten.pcap  Geneve whose outer addresses were rewritten after the
                     fact (IPv4 header checksums fixed, UDP checksums not, as an
                     anonymiser may leave them); the inner packets are intact
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, TCP, UDP, raw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from craft import tcp_conn, pcap  # noqa: E402

MAC_A, MAC_B = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")


def eth(p, src=MAC_A, dst=MAC_B):
    return dst + src + (b"\x08\x00" if p[0] >> 4 == 4 else b"\x86\xdd") + p


def fold(n):
    while n >> 16:
        n = (n & 0xFFFF) + (n >> 16)
    return n


def pseudo4(ip):
    """The bare pseudo-header sum of an IPv4 packet's TCP/UDP segment."""
    hl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0] or len(ip)
    s = sum(struct.unpack("!4H", ip[12:20])) + ip[9] + (total - hl)
    return fold(s)


def unfill_transport(ip):
    """The packet as its sender hands it to the NIC: TCP checksum = pseudo sum."""
    b = bytearray(ip)
    hl = (b[0] & 15) * 4
    at = hl + (16 if b[9] == 6 else 6)
    b[at:at + 2] = struct.pack("!H", pseudo4(ip))
    return bytes(b)


def zero_ip_checksum(ip):
    b = bytearray(ip)
    b[10:12] = b"\x00\x00"
    return bytes(b)


# ---------------------------------------------------------------- ip-zero (NULL / macOS lo0)
out = [zero_ip_checksum(unfill_transport(p)) for p in tcp_conn("127.0.0.1", "127.0.0.1", 49152, "lo0-zero")]
bad = bytearray(raw(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=5353, dport=5353) / b"bad header"))
bad[10] ^= 0x55
out.append(bytes(bad))
pcap(os.path.join(HERE, "ip-zero.pcap"), 0, [struct.pack("<I", 2) + p for p in out])

# ---------------------------------------------------------------- tso (Ethernet, LSO super-segment)
pk = tcp_conn("10.40.0.1", "10.40.0.2", 45001, "tso", reply=bytes(range(256)) * 12)
out = []
for p in pk:
    if len(p) > 1500:
        b = bytearray(unfill_transport(p))
        b[2:4] = b"\x00\x00"  # total length left to the NIC
        b[10:12] = b"\x00\x00"
        p = bytes(b)
    out.append(p)
pcap(os.path.join(HERE, "tso.pcap"), 1, [eth(p) for p in out])


# ---------------------------------------------------------------- VXLAN and local checksum offload
def vxlan(vni, frame):
    return struct.pack("!BBBBI", 0x08, 0, 0, 0, vni << 8) + frame


IN_A, IN_B = bytes.fromhex("0a00000000a1"), bytes.fromhex("0a00000000b1")
out = []
for p in tcp_conn("10.50.0.1", "10.50.0.2", 46001, "vxlan-lco"):
    up = IP(p).src == "10.50.0.1"
    o = ("192.0.2.21", "192.0.2.22") if up else ("192.0.2.22", "192.0.2.21")
    frame = eth(p, IN_A, IN_B) if up else eth(p, IN_B, IN_A)
    whole = raw(IP(src=o[0], dst=o[1]) / UDP(sport=51000, dport=4789) / vxlan(9, frame))
    if up:
        # the client's host encapsulates: inner checksum unfilled, the outer
        # one computed for the packet as the NIC will send it
        b = bytearray(whole)
        inner_at = 20 + 8 + 8 + 14
        b[inner_at:] = unfill_transport(bytes(b[inner_at:]))
        whole = bytes(b)
    out.append(whole)
pcap(os.path.join(HERE, "vxlan-lco.pcap"), 1, [eth(p) for p in out])

out = []
for p in tcp_conn("10.60.0.1", "10.60.0.2", 47001, "vxlan6-zero"):
    up = IP(p).src == "10.60.0.1"
    o = ("2001:db8::21", "2001:db8::22") if up else ("2001:db8::22", "2001:db8::21")
    frame = eth(p, IN_A, IN_B) if up else eth(p, IN_B, IN_A)
    out.append(raw(IPv6(src=o[0], dst=o[1]) / UDP(sport=51000, dport=4789, chksum=0) / vxlan(10, frame)))
pcap(os.path.join(HERE, "vxlan6-zero.pcap"), 1, [eth(p) for p in out])


# ---------------------------------------------------------------- Geneve, outer addresses rewritten
def geneve(vni, payload):
    return struct.pack("!BBHI", 0, 0, 0x0800, vni << 8) + payload


out = []
for p in tcp_conn("10.80.0.1", "10.80.0.2", 48001, "geneve-rewritten"):
    up = IP(p).src == "10.80.0.1"
    o = ("198.51.100.1", "198.51.100.2") if up else ("198.51.100.2", "198.51.100.1")
    whole = bytearray(raw(IP(src=o[0], dst=o[1]) / UDP(sport=6667, dport=6081) / geneve(786734, p)))
    # rewrite the outer addresses, then fix the IPv4 header checksum only
    whole[12:20] = bytes(reversed(whole[12:16])) + bytes(reversed(whole[16:20]))
    whole[10:12] = b"\x00\x00"
    whole[10:12] = struct.pack("!H", 0xFFFF - fold(sum(struct.unpack("!10H", bytes(whole[:20])))))
    out.append(bytes(whole))
pcap(os.path.join(HERE, "geneve-rewritten.pcap"), 1, [eth(p) for p in out])

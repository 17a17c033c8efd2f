"""Writes crafted.pcap: a whole TCP connection (handshake, a request, FIN both
ways) for each TCP flow and one datagram each way for each UDP flow of the
Community ID spec's baseline (baseline_deflt.json), client first as listed, so
`nids streams --json --udp --community-id` reports every one of them.

Also crafted-icmp.pcap: one ICMP or ICMPv6 message for each ICMP row of the
baseline, in its order (type from `sport`; code 0 for a type with a
counterpart, else `dport`), which `nids conn` groups into connections as Zeek
does (ports: type and counterpart type, or code).

Run: python3 craft.py (needs scapy)."""
import json
import struct

from scapy.all import ICMP, IP, TCP, UDP, IPv6, Ether, ICMPv6Unknown, raw

T0 = 1_700_000_000


def ip(src, dst):
    return IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)


def tcp_conn(c, s, cp, sp):
    ci, si = 1000, 5000
    req = b"hello"

    def C(payload=b"", **k):
        return Ether() / ip(c, s) / TCP(sport=cp, dport=sp, window=8192, **k) / payload

    def S(payload=b"", **k):
        return Ether() / ip(s, c) / TCP(sport=sp, dport=cp, window=8192, **k) / payload

    return [
        C(flags="S", seq=ci),
        S(flags="SA", seq=si, ack=ci + 1),
        C(flags="A", seq=ci + 1, ack=si + 1),
        C(flags="PA", seq=ci + 1, ack=si + 1, payload=req),
        S(flags="FA", seq=si + 1, ack=ci + 1 + len(req)),
        C(flags="FA", seq=ci + 1 + len(req), ack=si + 2),
        S(flags="A", seq=si + 2, ack=ci + 2 + len(req)),
    ]


# Types with a counterpart (Zeek's ICMP4_counterpart / ICMP6_counterpart).
TWO_WAY = {1: {8, 0, 13, 14, 15, 16, 10, 9, 17, 18},
           58: {128, 129, 130, 131, 133, 134, 135, 136, 139, 140, 144, 145}}


def write(name, frames):
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            b = raw(fr)
            f.write(struct.pack("<IIII", T0, i * 1000, len(b), len(b)))
            f.write(b)
    print("wrote %s (%d frames)" % (name, len(frames)))


def icmp(r):
    code = 0 if r["sport"] in TWO_WAY[r["proto"]] else r["dport"]
    body = b"\0\0\0\0" + b"nids" * 4
    if r["proto"] == 1:
        return Ether() / IP(src=r["saddr"], dst=r["daddr"]) / ICMP(type=r["sport"], code=code) / (b"nids" * 4)
    return (Ether() / IPv6(src=r["saddr"], dst=r["daddr"], hlim=255)
            / ICMPv6Unknown(type=r["sport"], code=code, msgbody=body))


def main():
    rows = json.load(open("baseline_deflt.json"))
    frames, seen = [], set()
    for r in rows:
        key = (r["proto"], frozenset([(r["saddr"], r["sport"]), (r["daddr"], r["dport"])]))
        if r["proto"] not in (6, 17) or key in seen:
            continue
        seen.add(key)
        if r["proto"] == 6:
            frames += tcp_conn(r["saddr"], r["daddr"], r["sport"], r["dport"])
        else:
            for a, ap, b, bp in [(r["saddr"], r["sport"], r["daddr"], r["dport"]),
                                 (r["daddr"], r["dport"], r["saddr"], r["sport"])]:
                frames.append(Ether() / ip(a, b) / UDP(sport=ap, dport=bp) / b"q")
    write("crafted.pcap", frames)
    write("crafted-icmp.pcap", [icmp(r) for r in rows if r["proto"] in (1, 58)])


main()

"""Crafts one small capture per Zeek conn_state / history rule, and the conn.log
row Zeek's rules give for it (expected.jsonl), derived by hand from Zeek's
conn/main.zeek (conn_state) and TCPSessionAdapter.cc (endpoint states,
update_history, update_last_seq, TCP_Endpoint::Size); the reasoning is in the
comment of each case. Run: python3 craft.py (needs scapy)."""
import json
import struct

from scapy.all import ICMP, IP, TCP, UDP, IPv6, raw

T0 = 1_700_000_000
C, S = "10.1.0.1", "10.1.0.2"
CP, SP = 40001, 80


def c(flags, seq, ack=0, data=b"", win=8192):
    return IP(src=C, dst=S) / TCP(sport=CP, dport=SP, flags=flags, seq=seq, ack=ack, window=win) / data


def s(flags, seq, ack=0, data=b"", win=8192):
    return IP(src=S, dst=C) / TCP(sport=SP, dport=CP, flags=flags, seq=seq, ack=ack, window=win) / data


def write(name, frames, gap_us=1000):
    """frames: packets, or (packet, microseconds after the previous one)."""
    t = T0 * 1_000_000
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # raw IP
        for i, fr in enumerate(frames):
            if isinstance(fr, tuple):
                fr, dt = fr
                t += dt
            elif i:
                t += gap_us
            b = raw(fr)
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(b), len(b)))
            f.write(b)


D5, D10 = b"hello", b"0123456789"
HS = [c("S", 1000), s("SA", 5000, 1001), c("A", 1001, 5001)]
CASES = {}

# Handshake, 5 bytes up, 10 down, FIN both ways, last ACK. Letters once per
# side: S h A D a d F f. Both sides CLOSED: SF. Sizes from sequence space
# less SYN and FIN: 5 and 10. The clock stops at the second FIN (both sides
# did_close), so the last ACK is not in the duration: 8 packets apart, 8 ms.
# Packets 6 and 4, IP bytes 6*40+5 and 4*40+10.
CASES["sf"] = (HS + [c("PA", 1001, 5001, D5), s("A", 5001, 1006), s("PA", 5001, 1006, D10),
                     c("A", 1006, 5011), c("FA", 1006, 5011), s("FA", 5011, 1007),
                     c("A", 1007, 5012)],
               dict(conn_state="SF", history="ShADadFf", orig_bytes=5, resp_bytes=10,
                    duration=0.008, orig_pkts=6, orig_ip_bytes=245, resp_pkts=4,
                    resp_ip_bytes=170, missed_bytes=0))

# SYN answered by RST-ACK: the responder RESET while the originator is
# SYN_SENT: REJ; history S r.
CASES["rej"] = ([c("S", 1000), s("RA", 0, 1001)],
                dict(conn_state="REJ", history="Sr", orig_bytes=0, resp_bytes=0, duration=0.001,
                     orig_pkts=1, orig_ip_bytes=40, resp_pkts=1, resp_ip_bytes=40, missed_bytes=0))

# The same over IPv6: the same letters and sizes; IP bytes count the 40-byte
# header: 6*60+5 and 4*60+10.
C6, S6 = "fd00::1", "fd00::2"


def v6(p):
    return IPv6(src=C6 if p[IP].src == C else S6, dst=S6 if p[IP].dst == S else C6) / p[TCP]


CASES["sf6"] = ([v6(p) for p in CASES["sf"][0]],
                dict(CASES["sf"][1], orig_ip_bytes=365, resp_ip_bytes=250,
                     **{"id.orig_h": C6, "id.resp_h": S6}))

# A SYN and its retransmission 3 s later (same sequence number: no second S,
# no T, as len is 0): SYN_SENT / INACTIVE: S0.
CASES["s0"] = ([c("S", 1000), (c("S", 1000), 3_000_000)],
               dict(conn_state="S0", history="S", orig_bytes=0, resp_bytes=0, duration=3.0,
                    orig_pkts=2, orig_ip_bytes=80, resp_pkts=0, resp_ip_bytes=0, missed_bytes=0))

# Handshake then the originator resets: originator RESET, responder
# ESTABLISHED: RSTO; history S h A R.
CASES["rsto"] = (HS + [c("R", 1001)],
                 dict(conn_state="RSTO", history="ShAR", orig_bytes=0, resp_bytes=0,
                      duration=0.003, orig_pkts=3, orig_ip_bytes=120, resp_pkts=1,
                      resp_ip_bytes=40, missed_bytes=0))

# SYN then RST from the originator, nothing from the responder: originator
# RESET, responder INACTIVE, history matches ^?S[^HAFGIQ]*R: RSTOS0.
CASES["rstos0"] = ([c("S", 1000), c("R", 1001)],
                   dict(conn_state="RSTOS0", history="SR", orig_bytes=0, resp_bytes=0,
                        duration=0.001, orig_pkts=2, orig_ip_bytes=80, resp_pkts=0,
                        resp_ip_bytes=0, missed_bytes=0))

# SYN then FIN from the originator, no answer: CLOSED / INACTIVE: SH.
CASES["sh"] = ([c("S", 1000), c("F", 1001)],
               dict(conn_state="SH", history="SF", orig_bytes=0, resp_bytes=0, duration=0.001,
                    orig_pkts=2, orig_ip_bytes=80, resp_pkts=0, resp_ip_bytes=0, missed_bytes=0))

# Only the server's SYN-ACK and FIN: the first packet is not a bare SYN and
# comes from a likely server port (80) to one that is not, so Zeek flips the
# roles (^): the client is the originator and never sent anything.
# Responder CLOSED, originator INACTIVE: SHR; history ^ h f.
CASES["shr"] = ([s("SA", 5000, 1001), s("FA", 5001, 1001)],
                dict(conn_state="SHR", history="^hf", orig_bytes=0, resp_bytes=0, duration=0.001,
                     orig_pkts=0, orig_ip_bytes=0, resp_pkts=2, resp_ip_bytes=80, missed_bytes=0,
                     **{"id.orig_h": C, "id.orig_p": CP}))

# Handshake and data, never closed: both ESTABLISHED: S1.
CASES["s1"] = (HS + [c("PA", 1001, 5001, D5), s("A", 5001, 1006)],
               dict(conn_state="S1", history="ShADa", orig_bytes=5, resp_bytes=0, duration=0.004,
                    orig_pkts=3, orig_ip_bytes=125, resp_pkts=2, resp_ip_bytes=80, missed_bytes=0))

# Ten bytes, then ten bytes 20 later (a hole of 10), acknowledged past the
# hole: a content gap in the originator's data (G) and missed_bytes 10. The
# originator's size counts the sequence space, hole included: 30.
CASES["gap"] = (HS + [c("PA", 1001, 5001, D10), c("PA", 1021, 5001, D10), s("A", 5001, 1031),
                      c("FA", 1031, 5001), s("FA", 5001, 1032), c("A", 1032, 5002)],
                dict(conn_state="SF", history="ShADaGFf", orig_bytes=30, resp_bytes=0,
                     duration=0.007, orig_pkts=6, orig_ip_bytes=260, resp_pkts=3,
                     resp_ip_bytes=120, missed_bytes=10))

# The same ten bytes sent 10 times more: a retransmission (T) at the 1st
# and the 10th time (log10 scale): S h A D T T a F f.
CASES["rexmit"] = (HS + [c("PA", 1001, 5001, D10)] * 11
                   + [s("A", 5001, 1011), c("FA", 1011, 5001), s("FA", 5001, 1012),
                      c("A", 1012, 5002)],
                   dict(conn_state="SF", history="ShADTTaFf", orig_bytes=10, resp_bytes=0,
                        duration=0.016, orig_pkts=15, orig_ip_bytes=710, resp_pkts=3,
                        resp_ip_bytes=120, missed_bytes=0))

# The server advertises a zero window once: w after its a.
CASES["zerowin"] = (HS + [c("PA", 1001, 5001, D10), s("A", 5001, 1011, win=0),
                          s("A", 5001, 1011), c("FA", 1011, 5001), s("FA", 5001, 1012),
                          c("A", 1012, 5002)],
                    dict(conn_state="SF", history="ShADawFf", orig_bytes=10, resp_bytes=0,
                         duration=0.007, orig_pkts=5, orig_ip_bytes=210, resp_pkts=4,
                         resp_ip_bytes=160, missed_bytes=0))

# UDP: one datagram (duration 0: duration and bytes unset), S0, D.
CASES["udp-s0"] = ([IP(src=C, dst=S) / UDP(sport=40002, dport=53) / D5],
                   dict(conn_state="S0", history="D", orig_pkts=1, orig_ip_bytes=33,
                        resp_pkts=0, resp_ip_bytes=0, missed_bytes=0))

# UDP both ways: SF, D d; bytes are the payloads.
CASES["udp-sf"] = ([IP(src=C, dst=S) / UDP(sport=40002, dport=53) / D5,
                    IP(src=S, dst=C) / UDP(sport=53, dport=40002) / D10],
                   dict(conn_state="SF", history="Dd", orig_bytes=5, resp_bytes=10,
                        duration=0.001, orig_pkts=1, orig_ip_bytes=33, resp_pkts=1,
                        resp_ip_bytes=38, missed_bytes=0))

# UDP answer seen without its question, from port 53: flipped (^), the
# client is the originator; only the responder sent: SHR.
CASES["udp-flip"] = ([IP(src=S, dst=C) / UDP(sport=53, dport=40002) / D10,
                      (IP(src=S, dst=C) / UDP(sport=53, dport=40002) / D10, 1000)],
                     dict(conn_state="SHR", history="^d", orig_bytes=0, resp_bytes=20,
                          duration=0.001, orig_pkts=0, orig_ip_bytes=0, resp_pkts=2,
                          resp_ip_bytes=76, missed_bytes=0,
                          **{"id.orig_h": C, "id.orig_p": 40002, "id.resp_p": 53}))

# ICMP echo and reply: one connection, ports 8 and 0 (type and answering
# type), OTH, no history; bytes are the payloads after the 8-byte header.
CASES["icmp-echo"] = ([IP(src=C, dst=S) / ICMP(type=8, id=1, seq=1) / D10,
                       IP(src=S, dst=C) / ICMP(type=0, id=1, seq=1) / D10],
                      dict(conn_state="OTH", orig_bytes=10, resp_bytes=10, duration=0.001,
                           orig_pkts=1, orig_ip_bytes=38, resp_pkts=1, resp_ip_bytes=38,
                           missed_bytes=0, proto="icmp",
                           **{"id.orig_p": 8, "id.resp_p": 0}))

with open("expected.jsonl", "w") as out:
    for name, (frames, want) in CASES.items():
        write(name + ".pcap", frames)
        out.write(json.dumps(dict(pcap=name + ".pcap", **want)) + "\n")
print("wrote %d captures" % len(CASES))

#!/usr/bin/python3
"""Build the crafted TCP captures in this directory (deterministic).

    /usr/bin/python3 tests/data/crafted/make.py [OUTDIR]

Needs python3-scapy (Debian package).  Every capture is pcap (microsecond
timestamps), link type Ethernet, IPv4, with valid IP and TCP checksums.  ISNs
come from a fixed-seed PRNG (or are fixed by hand), timestamps from a fixed
clock, IP ids from counters, so rerunning gives byte-identical files.
See README.md for what each capture exercises and what libnids reports.
"""
import os
import random
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

M32 = 0xFFFFFFFF


class Capture:
    """Collects frames with explicit microsecond timestamps; writes classic pcap."""

    def __init__(self, name, start_sec, step_us=1000):
        self.name = name
        self.t = start_sec * 1_000_000
        self.step = step_us
        self.frames = []

    def add(self, frame_bytes, gap_us=None):
        self.frames.append((self.t, frame_bytes))
        self.t += self.step if gap_us is None else gap_us

    def wait(self, us):
        self.t += us

    def write(self, outdir):
        path = os.path.join(outdir, self.name)
        with open(path, "wb") as f:
            # magic, v2.4, thiszone 0, sigfigs 0, snaplen 65535, DLT_EN10MB
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, b in self.frames:
                f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000,
                                    len(b), len(b)))
                f.write(b)
        return path


def mac_for(ip):
    a = [int(x) for x in ip.split(".")]
    return "02:00:%02x:%02x:%02x:%02x" % tuple(a)


class Conn:
    """One TCP connection.  Positions are relative to the ISN: the SYN is at 0,
    the first data byte at 1 (seq = isn + pos mod 2^32).  Direction 'c' is the
    client (SYN sender), 's' the server.  The default ack of a packet is
    what a real receiver would send: the peer's ISN plus the end of the
    contiguous run of peer positions (data bytes and FIN) emitted so far."""

    def __init__(self, cap, cip, cport, sip, sport, cisn, sisn, win=65535):
        self.cap = cap
        self.ip = {"c": cip, "s": sip}
        self.port = {"c": cport, "s": sport}
        self.isn = {"c": cisn & M32, "s": sisn & M32}
        self.win = win
        self.ipid = {"c": (cport * 7) & 0xFFFF, "s": (sport * 13 + cport) & 0xFFFF}
        self.seen = {"c": set(), "s": set()}   # positions emitted per direction
        self.contig = {"c": 1, "s": 1}         # next missing position
        self.nxt = {"c": 1, "s": 1}            # next new position to send

    @staticmethod
    def peer(d):
        return "s" if d == "c" else "c"

    def _mark(self, d, pos, n):
        seen = self.seen[d]
        for p in range(pos, pos + n):
            seen.add(p)
        while self.contig[d] in seen:
            seen.discard(self.contig[d])
            self.contig[d] += 1
        self.nxt[d] = max(self.nxt[d], pos + n)

    def ackval(self, d):
        """Ack a packet from direction d would carry by default."""
        p = self.peer(d)
        return (self.isn[p] + self.contig[p]) & M32

    def raw(self, d, seq, ack, flags, payload=b"", urp=0, win=None,
            options=None, gap_us=None):
        p = self.peer(d)
        self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        tcp = TCP(sport=self.port[d], dport=self.port[p], seq=seq & M32,
                  ack=ack & M32, flags=flags,
                  window=self.win if win is None else win, urgptr=urp,
                  options=options or [])
        pkt = (Ether(src=mac_for(self.ip[d]), dst=mac_for(self.ip[p])) /
               IP(src=self.ip[d], dst=self.ip[p], id=self.ipid[d], flags="DF",
                  ttl=64) / tcp)
        if payload:
            pkt = pkt / Raw(payload)
        self.cap.add(bytes(pkt), gap_us)

    # -- handshake
    def syn(self, **kw):
        self.raw("c", self.isn["c"], 0, "S", options=[("MSS", 1460)], **kw)

    def synack(self, **kw):
        self.raw("s", self.isn["s"], self.isn["c"] + 1, "SA",
                 options=[("MSS", 1460)], **kw)

    def handshake(self):
        self.syn()
        self.synack()
        self.send("c")

    # -- data / control
    def send(self, d, data=b"", pos=None, fin=False, flags=None, ack=None,
             urp=0, win=None, mark=True, gap_us=None):
        """Send data (and/or FIN) from d at relative position pos (default: next
        new position).  flags default: PA with data, A without, plus F, plus U
        when urp is set."""
        if isinstance(data, str):
            data = data.encode()
        if pos is None:
            pos = self.nxt[d]
        if flags is None:
            flags = "PA" if data else "A"
            if fin:
                flags = "F" + flags
            if urp:
                flags = "U" + flags
        if ack is None:
            ack = self.ackval(d)
        self.raw(d, self.isn[d] + pos, ack, flags, data, urp=urp, win=win,
                 gap_us=gap_us)
        if mark:
            self._mark(d, pos, len(data) + (1 if fin else 0))

    def c(self, data=b"", **kw):
        self.send("c", data, **kw)

    def s(self, data=b"", **kw):
        self.send("s", data, **kw)

    def ack(self, d, **kw):
        self.send(d, b"", **kw)

    def rst(self, d, pos=None, ack=None, flags="R", **kw):
        if pos is None:
            pos = self.nxt[d]
        if ack is None:
            ack = self.ackval(d) if "A" in flags else 0
        self.raw(d, self.isn[d] + pos, ack, flags, **kw)

    def close(self, first="c"):
        """Orderly close: FIN from `first`, ACK, FIN from the other, ACK."""
        o = self.peer(first)
        self.send(first, fin=True)
        self.ack(o)
        self.send(o, fin=True)
        self.ack(first)


def chunks(data, sizes):
    out, i = [], 0
    for n in sizes:
        out.append((i + 1, data[i:i + n]))
        i += n
    assert i == len(data)
    return out


# ---------------------------------------------------------------- captures

def reorder(rng):
    cap = Capture("reorder.pcap", 1700000000)
    # R1: client request in 3 segments delivered 3,1,2; server reply in
    # 4 segments delivered 2,4,1,3; receivers ACK after each gap is filled.
    k = Conn(cap, "10.0.1.1", 41001, "10.0.1.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    req = b"GET /reorder HTTP/1.0\r\nHost: x\r\n\r\n"
    segs = chunks(req, [10, 12, len(req) - 22])
    for i in (2, 0, 1):
        k.c(segs[i][1], pos=segs[i][0])
        k.ack("s")          # dup-acks while the gap is open, full ack at the end
    rsp = b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"
    segs = chunks(rsp, [9, 8, 20, len(rsp) - 37])
    for i in (1, 3, 0, 2):
        k.s(segs[i][1], pos=segs[i][0])
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # R2: a client data segment overtakes the 3rd ACK: SYN, SYN-ACK,
    # data@6 (carries the handshake-completing ACK), pure ACK, data@1.
    k = Conn(cap, "10.0.1.1", 41002, "10.0.1.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.syn()
    k.synack()
    k.c(b"world", pos=6)
    k.ack("c", pos=1)
    k.c(b"hello", pos=1)
    k.ack("s")
    k.s(b"ok:helloworld")
    k.ack("c")
    k.close("s")
    cap.wait(100000)

    # R3: server data and its FIN out of order: "part2"+FIN arrives before part1.
    k = Conn(cap, "10.0.1.3", 41003, "10.0.1.2", 8080, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"fetch\n")
    k.ack("s")
    k.s(b"-part2-", pos=8, fin=True)
    k.ack("c")               # dup ack (gap at 1)
    k.s(b"part1..", pos=1)
    k.ack("c")               # acks data + FIN
    k.c(fin=True)
    k.ack("s")
    cap.wait(100000)

    # R4: ten client segments arriving in reverse order, server dup-acks.
    k = Conn(cap, "10.0.1.4", 41004, "10.0.1.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    data = bytes(range(48, 48 + 70))
    segs = chunks(data, [7] * 10)
    for pos, d in reversed(segs):
        k.c(d, pos=pos)
        k.ack("s")
    k.s(b"thanks")
    k.ack("c")
    k.close("c")
    return cap


def duplicates(rng):
    cap = Capture("duplicates.pcap", 1700001000)
    # D1: every client segment sent twice back to back.
    k = Conn(cap, "10.0.2.1", 42001, "10.0.2.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    for pos, d in chunks(b"duplicate-segments-everywhere", [9, 9, 11]):
        k.c(d, pos=pos)
        k.c(d, pos=pos)
        k.ack("s")
    k.s(b"seen")
    k.s(b"seen", pos=1)
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # D2: two segments, first ACK lost; the retransmission covers both
    # (same bytes), then more data.
    k = Conn(cap, "10.0.2.1", 42002, "10.0.2.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    msg = b"0123456789abcdefghij"
    k.c(msg[:10], pos=1)
    k.c(msg[10:], pos=11)
    k.c(msg, pos=1)          # retransmission of both
    k.ack("s")
    k.c(b"KLMNOP")
    k.ack("s")
    k.s(b"ok")
    k.ack("c")
    k.close("s")
    cap.wait(100000)

    # D3: partial overlaps, consistent bytes: [1,10], [5,15], [16,20], and an
    # out-of-order segment [26,30] queued twice before [21,25] fills the gap;
    # a stale duplicate [1,10] after everything was acked.
    k = Conn(cap, "10.0.2.3", 42003, "10.0.2.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    text = b"The quick brown fox jumps over"   # 30 bytes
    k.c(text[0:10], pos=1)
    k.c(text[4:15], pos=5)
    k.c(text[15:20], pos=16)
    k.ack("s")
    k.c(text[25:30], pos=26)
    k.c(text[25:30], pos=26)
    k.ack("s")
    k.c(text[18:25], pos=19)     # overlaps the delivered end and fills the gap
    k.ack("s")
    k.c(text[0:10], pos=1)       # stale
    k.ack("s")
    # server side: overlapping retransmissions too
    body = b"server-side overlapping data!"
    k.s(body[0:12], pos=1)
    k.s(body[8:20], pos=9)
    k.s(body[20:], pos=21)
    k.s(body[15:], pos=16)
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # D4: the SYN is retransmitted after 1 s and the SYN-ACK is duplicated;
    # libnids ignores both copies (first_ts is the first SYN's time).
    k = Conn(cap, "10.0.2.4", 42004, "10.0.2.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.syn(gap_us=1_000_000)
    k.syn()
    k.synack()
    k.synack()
    k.c(b"after a retransmitted SYN")
    k.s(b"ok")
    k.ack("c")
    k.close("c")
    return cap


def seqwrap(rng):
    cap = Capture("seqwrap.pcap", 1700002000)
    # W1: both ISNs a little below 2^32; data crosses the wrap both ways,
    # with one out-of-order pair straddling the wrap.
    k = Conn(cap, "10.0.3.1", 43001, "10.0.3.2", 80, 0xFFFFFFF0, 0xFFFFFFF8)
    k.handshake()
    cdata = b"client-bytes-crossing-the-wrap-of-2^32!!"   # 40 bytes
    segs = chunks(cdata, [8, 8, 8, 8, 8])
    for i in (0, 2, 1, 3, 4):      # pos 9..16 crosses 2^32 (isn+16 = 2^32)
        k.c(segs[i][1], pos=segs[i][0])
        k.ack("s")
    sdata = b"server-bytes-also-wrap" * 2              # 44 bytes
    for pos, d in chunks(sdata, [5, 6, 11, 22]):
        k.s(d, pos=pos)
        k.ack("c")
    k.close("c")
    cap.wait(100000)

    # W2: ISN = 2^32-1 (first data byte at seq 0) and 2^32-2.
    k = Conn(cap, "10.0.3.1", 43002, "10.0.3.2", 80, 0xFFFFFFFF, 0xFFFFFFFE)
    k.handshake()
    k.c(b"first byte at seq 0")
    k.ack("s")
    k.s(b"first byte at seq 0xffffffff")
    k.ack("c")
    k.close("s")
    cap.wait(100000)

    # W3: the client FIN sits exactly on seq 0 (isn = 2^32-11, 10 data bytes);
    # the server's data wraps in the middle of an out-of-order segment.
    k = Conn(cap, "10.0.3.3", 43003, "10.0.3.2", 80, 0xFFFFFFF5, 0xFFFFFF00)
    k.handshake()
    k.c(b"ten bytes!")
    k.ack("s")
    payload = bytes((i * 7 + 3) & 0xFF for i in range(300))
    segs = chunks(payload, [100, 100, 100])   # seg 2 covers pos 201..300 (wrap at 256)
    k.s(segs[2][1], pos=segs[2][0])
    k.ack("c")
    k.s(segs[0][1], pos=segs[0][0])
    k.ack("c")
    k.s(segs[1][1], pos=segs[1][0])
    k.ack("c")
    k.close("c")
    return cap


def portreuse(rng):
    cap = Capture("portreuse.pcap", 1700003000)
    # P1: one 4-tuple, two successive connections, each with a full close.
    for i, (req, rsp) in enumerate([(b"GET /one\r\n", b"first connection\n"),
                                    (b"GET /two\r\n", b"second connection\n")]):
        k = Conn(cap, "10.0.4.1", 44001, "10.0.4.2", 80, rng.getrandbits(32),
                 rng.getrandbits(32))
        k.handshake()
        k.c(req)
        k.s(rsp)
        k.ack("c")
        k.close("c")
        cap.wait(2_000_000)

    # P2: connection reset by the client, then the same tuple reused.
    k = Conn(cap, "10.0.4.1", 44002, "10.0.4.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"GET /reset-me\r\n")
    k.s(b"partial respo")
    k.rst("c")
    cap.wait(500_000)
    k = Conn(cap, "10.0.4.1", 44002, "10.0.4.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"GET /after-reset\r\n")
    k.s(b"fresh\n")
    k.ack("c")
    k.close("s")
    cap.wait(2_000_000)

    # P3: old connection still open in libnids' eyes (final ACK missing);
    # a new SYN on the same tuple 5 s later is ignored (tcp_flow_timeout is
    # 3600 s), so the new connection is never reported.
    k = Conn(cap, "10.0.4.3", 44003, "10.0.4.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"old\n")
    k.s(b"OLD\n")
    k.c(fin=True)
    k.ack("s")
    k.s(fin=True)          # the client's last ACK is missing
    cap.wait(5_000_000)
    k2 = Conn(cap, "10.0.4.3", 44003, "10.0.4.2", 80, rng.getrandbits(32),
              rng.getrandbits(32))
    k2.handshake()
    k2.c(b"new\n")
    k2.s(b"NEW\n")
    k2.ack("c")
    k2.close("c")
    cap.wait(1_000_000)

    # P4: an idle open connection whose tuple is reused more than
    # tcp_flow_timeout (3600 s) after it was established: libnids frees the
    # old stream without any callback and follows the new one.
    k = Conn(cap, "10.0.4.4", 44004, "10.0.4.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"idle-old\n")
    k.s(b"IDLE-OLD\n")
    k.ack("c")
    cap.wait(3601_000_000)
    k = Conn(cap, "10.0.4.4", 44004, "10.0.4.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"reused-after-an-hour\n")
    k.s(b"REUSED\n")
    k.ack("c")
    k.close("c")
    return cap


def many(rng):
    cap = Capture("many.pcap", 1700004000, step_us=50)
    n = 2000
    conns = []
    # phase 1: every connection opens and the client sends a request on the
    # 3rd ACK; none closes before all are open.
    for i in range(n):
        cip = "10.5.%d.%d" % (i // 200, i % 200 + 1)
        k = Conn(cap, cip, 30000 + i, "10.6.0.1", 80, rng.getrandbits(32),
                 rng.getrandbits(32))
        k.syn()
        k.synack()
        k.c(b"q%d" % i)
        conns.append(k)
    # phase 2: every server answers and closes its side (data + FIN + ACK).
    for i, k in enumerate(conns):
        k.s(b"r%d" % i, fin=True)
    # phase 3: every client acks and closes, every server acks the FIN.
    for k in conns:
        k.c(fin=True)
        k.ack("s")
    return cap


def urgent(rng):
    cap = Capture("urgent.pcap", 1700005000)
    # U1: "abcXdef" with the urgent pointer on X (BSD style: urp = 4).
    k = Conn(cap, "10.0.6.1", 46001, "10.0.6.2", 23, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"abcXdef", urp=4)
    k.ack("s")
    k.s(b"ok")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # U2: urgent data both ways, the server's at the last byte of a segment.
    k = Conn(cap, "10.0.6.1", 46002, "10.0.6.2", 23, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"interrupt!", urp=10)        # urgent byte '!' (last byte)
    k.s(b"12345!678", urp=6)          # urgent byte '!'
    k.ack("c")
    k.c(b"more")
    k.ack("s")
    k.close("s")
    cap.wait(100000)

    # U3: urgent pointer beyond the segment: the urgent byte (X at pos 8) is
    # in the next segment, which has no URG flag.
    k = Conn(cap, "10.0.6.3", 46003, "10.0.6.2", 23, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"hello", urp=8)
    k.c(b"woXrld")
    k.ack("s")
    k.close("c")
    cap.wait(100000)

    # U4: URG segment arriving out of order (queued), then the gap fills.
    k = Conn(cap, "10.0.6.4", 46004, "10.0.6.2", 23, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"tailUrg", pos=6, urp=5)     # pos 6..12, urgent byte 'U' at pos 10
    k.ack("s")
    k.c(b"head-", pos=1)
    k.ack("s")
    k.close("c")
    cap.wait(100000)

    # U5: URG flag with urgent pointer 0 (points before the segment: ignored).
    k = Conn(cap, "10.0.6.5", 46005, "10.0.6.2", 23, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"zero-urp", flags="UPA", urp=0)
    k.ack("s")
    k.close("c")
    return cap


def early_data(rng):
    cap = Capture("early-data.pcap", 1700006000)
    # E1: server banner captured before the client's 3rd ACK; server ISN with
    # the high bit set.  The banner fails the window check (client.ack_seq is
    # still 0) and is dropped; the stream survives but the server direction
    # has a hole at its start.
    k = Conn(cap, "10.0.7.1", 47001, "10.0.7.2", 25, 0x1F2E3D4C, 0x9ABC0000)
    k.syn()
    k.synack()
    k.s(b"220 banner before 3rd ACK\r\n")
    k.ack("c", ack=k.isn["s"] + 1)   # the real 3rd ACK (sent before the banner arrived)
    k.ack("c")                        # acks the banner
    k.c(b"HELO me\r\n")
    k.s(b"250 ok\r\n")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # E2: the same, server ISN with the high bit clear (> 65535).
    k = Conn(cap, "10.0.7.1", 47002, "10.0.7.2", 25, 0x0BADCAFE, 0x12345678)
    k.syn()
    k.synack()
    k.s(b"220 banner before 3rd ACK\r\n")
    k.ack("c", ack=k.isn["s"] + 1)
    k.ack("c")
    k.c(b"HELO me\r\n")
    k.s(b"250 ok\r\n")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # E3: the same with a small server ISN (< client SYN window): the banner
    # passes the window check before establishment, and libnids frees the
    # not-yet-established stream.
    k = Conn(cap, "10.0.7.1", 47003, "10.0.7.2", 25, 0x600DF00D, 0x00001000)
    k.syn()
    k.synack()
    k.s(b"220 banner before 3rd ACK\r\n")
    k.ack("c", ack=k.isn["s"] + 1)
    k.ack("c")
    k.c(b"HELO me\r\n")
    k.s(b"250 ok\r\n")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # E4: the client's 3rd ACK carries data.
    k = Conn(cap, "10.0.7.3", 47004, "10.0.7.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.syn()
    k.synack()
    k.c(b"GET /on-the-third-ack HTTP/1.0\r\n\r\n")
    k.s(b"HTTP/1.0 204 No Content\r\n\r\n")
    k.ack("c")
    k.close("s")
    cap.wait(100000)

    # E5: the server's data crosses the 3rd ACK, which itself carries client
    # data (client ack does not yet cover the banner).
    k = Conn(cap, "10.0.7.4", 47005, "10.0.7.2", 21, 0x0ABCDEF0, 0xC0FFEE00)
    k.syn()
    k.synack()
    k.s(b"220 ftp\r\n")
    k.c(b"USER anonymous\r\n", ack=k.isn["s"] + 1)
    k.ack("c")
    k.s(b"331 pass?\r\n")
    k.ack("c")
    k.close("c")
    return cap


def resets(rng):
    cap = Capture("resets.pcap", 1700007000)
    # X1: RST from the client after data both ways.
    k = Conn(cap, "10.0.8.1", 48001, "10.0.8.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"client says hi")
    k.s(b"server says hi")
    k.rst("c", flags="RA")
    cap.wait(100000)

    # X2: RST from the server (bare RST, no ACK flag).
    k = Conn(cap, "10.0.8.1", 48002, "10.0.8.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"GET /forbidden\r\n")
    k.ack("s")
    k.s(b"go away")
    k.rst("s")
    cap.wait(100000)

    # X3: an out-of-window RST (seq 1 MB ahead) is ignored; normal close after.
    k = Conn(cap, "10.0.8.3", 48003, "10.0.8.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"still alive?")
    k.rst("s", pos=k.nxt["s"] + 1_000_000)
    k.s(b"yes")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # X4: in-window RST that is not at the next expected seq (pos + 100):
    # libnids accepts any in-window RST.
    k = Conn(cap, "10.0.8.3", 48004, "10.0.8.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"data before a sloppy RST")
    k.ack("s")
    k.rst("c", pos=k.nxt["c"] + 100)
    cap.wait(100000)

    # X5: RST from the client before establishment (after the SYN-ACK).
    k = Conn(cap, "10.0.8.4", 48005, "10.0.8.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.syn()
    k.synack()
    k.rst("c", pos=1)
    cap.wait(100000)

    # X6: connection refused: SYN answered by RST/ACK (seq 0) from the server.
    k = Conn(cap, "10.0.8.4", 48006, "10.0.8.2", 81, rng.getrandbits(32),
             rng.getrandbits(32))
    k.syn()
    k.raw("s", 0, k.isn["c"] + 1, "RA")
    cap.wait(100000)

    # X7: after X6 the same tuple connects properly (a port that came up).
    k = Conn(cap, "10.0.8.4", 48006, "10.0.8.2", 81, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"second try")
    k.ack("s")
    k.close("c")
    return cap


def close_variants(rng):
    cap = Capture("close-variants.pcap", 1700008000)

    def est(port, cip="10.0.9.1"):
        k = Conn(cap, cip, port, "10.0.9.2", 80, rng.getrandbits(32),
                 rng.getrandbits(32))
        k.handshake()
        return k

    # V1: normal close, client first (FIN, ACK, FIN, ACK).
    k = est(49001)
    k.c(b"request")
    k.s(b"response")
    k.ack("c")
    k.close("c")
    cap.wait(100000)

    # V2: server closes first with data on the FIN; FIN+ACK from the client.
    k = est(49002)
    k.c(b"request")
    k.s(b"bye", fin=True)
    k.c(fin=True)
    k.ack("s")
    cap.wait(100000)

    # V3: simultaneous close: both FINs cross, then both ACKs.
    k = est(49003)
    k.c(b"ping")
    k.s(b"pong")
    k.c(fin=True, ack=k.isn["s"] + 1 + 4)
    k.s(fin=True, ack=k.isn["c"] + 1 + 4)
    k.ack("c")
    k.ack("s")
    cap.wait(100000)

    # V4: half close, the final ACK is missing: libnids keeps the stream
    # until the end of the capture (exiting).
    k = est(49004)
    k.c(b"upload", fin=True)
    k.ack("s")
    k.s(b"still sending after the client's FIN")
    k.s(fin=True)
    cap.wait(100000)

    # V5: the client's FIN segment (with data) overtakes its previous data.
    k = est(49005)
    k.c(b"tail+FIN", pos=7, fin=True)
    k.ack("s")                # dup ack
    k.c(b"first-", pos=1)
    k.ack("s")                # acks everything incl. FIN
    k.s(b"got it", fin=True)
    k.ack("c")
    cap.wait(100000)

    # V6: only the client ever sends FIN (server silent afterwards): exiting.
    k = est(49006)
    k.c(b"fire and forget", fin=True)
    k.ack("s")
    cap.wait(100000)

    # V7: the ACK after a FIN does not cover the FIN (a dup ACK); libnids
    # does not check the ack number, so it still counts as confirming it.
    k = est(49007)
    k.c(b"abc")
    k.ack("s")
    k.c(fin=True)
    k.ack("s", ack=k.isn["c"] + 4)   # acks the data only, not the FIN
    k.s(fin=True)
    k.ack("c")
    cap.wait(100000)

    # V8: the server's FIN is out of order and its last data never arrives
    # (a lost segment): the FIN stays queued, so the stream never closes.
    k = est(49008)
    k.c(b"get")
    # server data "lost-" at pos 1..5 is never captured
    k.s(b"after-the-hole", pos=6, fin=True)
    k.c(fin=True)                        # client acks what it has (ISN+1)
    k.ack("s")
    return cap


def overlap(rng):
    cap = Capture("overlap.pcap", 1700009000)
    # Novak/Sturges TCP vector (overlap-policies.md), client -> server,
    # positions relative to ISN (first data byte = 1).
    k = Conn(cap, "10.0.10.1", 50001, "10.0.10.2", 80, 0x31415926, 0x27182818)
    k.handshake()
    vec = [("AAA", 2), ("BB", 6), ("CCC", 8), ("D", 12), ("EE", 15),
           ("FFF", 17), ("GG", 20), ("HH", 22), ("I", 24),
           ("JJJJ", 3), ("KKK", 8), ("LLL", 11), ("MMM", 14), ("N", 18),
           ("O", 21), ("P", 22), ("QQ", 24), ("0", 1)]
    for i, (d, pos) in enumerate(vec):
        k.c(d, pos=pos, mark=False)
        if i % 3 == 2:
            k.ack("s")           # dup ACK (ack = ISN+1) while the hole at 1 is open
    k._mark("c", 1, 25)
    k.ack("s")                   # acks all 25 bytes
    k.s(b"done")
    k.ack("c")
    k.close("c")
    return cap


def split_handshake(rng):
    cap = Capture("split-handshake.pcap", 1700010000)

    def server_syn_first(k, stray_ack):
        # The client's SYN, (a bare ACK of it from the server,) the server's own
        # SYN, and the client's SYN-ACK answering it.
        k.syn()
        if stray_ack:
            k.raw("s", k.isn["s"], k.isn["c"] + 1, "A")
        k.raw("s", k.isn["s"], 0, "S", options=[("MSS", 1460)])
        k.raw("c", k.isn["c"], k.isn["s"] + 1, "SA", options=[("MSS", 1460)])

    def ping_pong(k, first="c"):
        # A 4-byte request and reply, then an orderly close.
        k.c(b"ping")
        k.s(b"pong")
        k.ack("c")
        k.close(first)
        cap.wait(100000)

    # H1: the "5-way handshake" (SYN, ACK, SYN, SYN-ACK, ACK), server ISN below
    # the client's window: the stray ACK passes libnids' window check and frees
    # the pending stream, so the server's SYN starts a new one (the server is
    # libnids' client).
    k = Conn(cap, "10.0.11.1", 51001, "10.0.11.2", 80, rng.getrandbits(32),
             0x1000 + rng.getrandbits(12))
    server_syn_first(k, True)
    k.ack("s")
    ping_pong(k)

    # H2: the same, and the server answers the client's SYN-ACK with a SYN-ACK
    # of its own (SYN-ACKs from both sides), then an ACK from each side.
    k = Conn(cap, "10.0.11.1", 51002, "10.0.11.2", 80, rng.getrandbits(32),
             0x2000 + rng.getrandbits(12))
    server_syn_first(k, True)
    k.synack()
    k.ack("c")
    k.ack("s")
    ping_pong(k, "s")

    # H3: H1 with a server ISN far above the client's window: the stray ACK
    # fails libnids' window check, the pending stream stays, libnids ignores
    # the server's SYN and never reports the connection.  Server port 8080.
    k = Conn(cap, "10.0.11.3", 51003, "10.0.11.2", 8080, rng.getrandbits(32),
             0x80000000 | rng.getrandbits(31))
    server_syn_first(k, True)
    k.ack("s")
    ping_pong(k)

    # H4: simultaneous open without a stray packet: SYN, SYN, SYN-ACK from the
    # client, SYN-ACK from the server, ACK from the client.  The client's
    # stream completes as usual.
    k = Conn(cap, "10.0.11.4", 51004, "10.0.11.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    server_syn_first(k, False)
    k.synack()
    k.ack("c")
    ping_pong(k)
    return cap


def simultaneous_close(rng):
    cap = Capture("simultaneous-close.pcap", 1700011000)
    # C1: the FINs cross; the server's FIN acknowledges the client's data but
    # not its FIN; the client acknowledges the server's FIN; the server resends
    # its FIN, now acknowledging the client's FIN.
    k = Conn(cap, "10.0.12.1", 52001, "10.0.12.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"ping")
    k.s(b"pong")
    k.ack("c")
    k.c(fin=True)
    k.s(fin=True, ack=k.isn["c"] + 5)
    k.ack("c")
    k.s(fin=True, pos=5, mark=False)
    cap.wait(100000)

    # C2: the same with the resent FIN carrying the reply's last bytes again.
    k = Conn(cap, "10.0.12.1", 52002, "10.0.12.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"ping")
    k.ack("s")
    k.c(fin=True)
    k.s(b"pong", fin=True, ack=k.isn["c"] + 5)
    k.ack("c")
    k.s(b"ng", pos=3, fin=True, mark=False)
    return cap


def data_after_fin(rng):
    cap = Capture("data-after-fin.pcap", 1700012000)
    # F1: the FINs cross (the server's does not acknowledge the client's FIN);
    # then the client sends a byte at its FIN's sequence number with a FIN
    # after it; the server acknowledges the first FIN only.
    k = Conn(cap, "10.0.13.1", 53001, "10.0.13.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"abc", fin=True)
    k.s(b"resp", fin=True, ack=k.isn["c"] + 4)
    k.ack("c")
    k.c(b"d", pos=4, fin=True, mark=False)
    k.ack("s")
    cap.wait(100000)

    # F2: bytes beyond the FIN arrive first (queued out of order), then the
    # data and FIN before them; then an orderly close.
    k = Conn(cap, "10.0.13.1", 53002, "10.0.13.2", 80, rng.getrandbits(32),
             rng.getrandbits(32))
    k.handshake()
    k.c(b"XYZ", pos=5, mark=False)
    k.c(b"data", fin=True)
    k.ack("s")
    k.s(b"ok", fin=True)
    k.ack("c")
    return cap


BUILDERS = [reorder, duplicates, seqwrap, portreuse, many, urgent, early_data,
            resets, close_variants, overlap, split_handshake,
            simultaneous_close, data_after_fin]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    for i, b in enumerate(BUILDERS):
        rng = random.Random(20240601 + i)
        cap = b(rng)
        path = cap.write(outdir)
        print("%-22s %6d packets %8d bytes" % (cap.name, len(cap.frames),
                                                os.path.getsize(path)))


if __name__ == "__main__":
    main()

"""A tiny pcap writer for the tests: Ethernet + IPv4/IPv6 + TCP/UDP frames with
correct checksums (or a deliberately wrong TCP checksum), no dependencies."""

import ipaddress
import struct


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Pcap:
    """Frames with timestamps, written as a classic µs pcap (link type Ethernet)."""

    def __init__(self, start=1_700_000_000.0, step=0.001):
        self.frames = []
        self.t = start
        self.step = step

    def add(self, frame):
        self.frames.append((self.t, frame))
        self.t += self.step

    def bytes(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for t, f in self.frames:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            out.append(struct.pack("<IIII", sec, usec, len(f), len(f)) + f)
        return b"".join(out)

    def write(self, path):
        with open(path, "wb") as fh:
            fh.write(self.bytes())
        return str(path)


def ip_packet(src, dst, proto, payload, bad_checksum=False):
    """An Ethernet frame carrying `payload` (a TCP/UDP segment whose checksum
    field is zero) from `src` to `dst`; the transport checksum is filled in."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, proto, len(payload))
    else:
        pseudo = s.packed + d.packed + struct.pack("!IxxxB", len(payload), proto)
    off = 16 if proto == 6 else 6
    c = _csum(pseudo + payload)
    if bad_checksum == "offload":
        # What a sender with transmit checksum offload leaves: the pseudo-header sum.
        c = ~_csum(pseudo) & 0xFFFF
    elif bad_checksum:
        c ^= 0x5A5A
    payload = payload[:off] + struct.pack("!H", c) + payload[off + 2 :]
    if s.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64,
                          proto, 0, s.packed, d.packed)
        hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
        ethertype = 0x0800
    else:
        hdr = struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64,
                          s.packed, d.packed)
        ethertype = 0x86DD
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", ethertype)
    return eth + hdr + payload


def tcp_segment(sport, dport, seq, ack, flags, data=b"", urp=0):
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32}
    f = sum(bits[c] for c in flags)
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       5 << 4, f, 65535, 0, urp) + data


def udp_datagram(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


class Conn:
    """One TCP connection between a client and a server, with ISNs 1000 and
    5000 and the receiver's ACKs sent after every data segment."""

    def __init__(self, cap, client, cport, server, sport, bad_checksum=False):
        self.cap = cap
        self.c = (client, cport)
        self.s = (server, sport)
        self.cseq, self.sseq = 1000, 5000
        self.bad = bad_checksum

    def _send(self, frm, to, seq, ack, flags, data=b"", urp=0):
        seg = tcp_segment(frm[1], to[1], seq, ack, flags, data, urp)
        # "offload": only the client's packets, as captured on the sending host.
        bad = self.bad if self.bad != "offload" or frm == self.c else False
        self.cap.add(ip_packet(frm[0], to[0], 6, seg, bad))

    def handshake(self):
        self._send(self.c, self.s, self.cseq, 0, "S")
        self._send(self.s, self.c, self.sseq, self.cseq + 1, "SA")
        self.cseq += 1
        self.sseq += 1
        self._send(self.c, self.s, self.cseq, self.sseq, "A")
        return self

    def client_sends(self, data, urgent=False):
        flags = "PAU" if urgent else "PA"
        self._send(self.c, self.s, self.cseq, self.sseq, flags, data, len(data) if urgent else 0)
        self.cseq += len(data)
        self._send(self.s, self.c, self.sseq, self.cseq, "A")
        return self

    def server_sends(self, data):
        self._send(self.s, self.c, self.sseq, self.cseq, "PA", data)
        self.sseq += len(data)
        self._send(self.c, self.s, self.cseq, self.sseq, "A")
        return self

    def close(self):
        self._send(self.c, self.s, self.cseq, self.sseq, "FA")
        self.cseq += 1
        self._send(self.s, self.c, self.sseq, self.cseq, "FA")
        self.sseq += 1
        self._send(self.c, self.s, self.cseq, self.sseq, "A")
        return self

    def reset(self):
        self._send(self.c, self.s, self.cseq, self.sseq, "RA")
        return self


def conversation(path, client="10.9.0.1", server="10.9.0.2", port=80,
                 chunks=(b"GET / HTTP/1.0\r\n", b"Host: x\r\n\r\n"),
                 reply=(b"HTTP/1.0 200 OK\r\n\r\n", b"hello"), close=True,
                 bad_checksum=False, cport=40000):
    """One connection: handshake, the client's chunks, the server's replies,
    then a close (or nothing: the stream stays open)."""
    cap = Pcap()
    c = Conn(cap, client, cport, server, port, bad_checksum).handshake()
    for ch in chunks:
        c.client_sends(ch)
    for r in reply:
        c.server_sends(r)
    if close:
        c.close()
    return cap.write(path)

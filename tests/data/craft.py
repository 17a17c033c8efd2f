"""Shared helpers of the capture scripts in tests/data/links and tests/data/tunnels:
a classic pcap writer and a whole TCP connection as IP packets (scapy)."""
import struct

from scapy.all import IP, TCP, raw

T0 = 1_700_000_000


def pcap(path, linktype, frames):
    """Write `frames` (bytes) as a microsecond pcap, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", T0, i * 1000, len(fr), len(fr)))
            f.write(fr)
    print("wrote %s (%d frames)" % (path.rsplit("/", 1)[-1], len(frames)))


def tcp_conn(c, s, cport, tag, ipcls=IP, reply=b""):
    """A whole TCP connection as IP packets (bytes): client c, server s, port 80;
    a request naming `tag`, a reply (plus `reply`), FIN both ways."""
    req = b"GET /" + tag.encode() + b" HTTP/1.0\r\n\r\n"
    rep = b"HTTP/1.0 200 OK\r\n\r\nframed as " + tag.encode() + b"\n" + reply
    ci, si = 1000, 5000

    def C(payload=b"", **k):
        return raw(ipcls(src=c, dst=s) / TCP(sport=cport, dport=80, window=8192, **k) / payload)

    def S(payload=b"", **k):
        return raw(ipcls(src=s, dst=c) / TCP(sport=80, dport=cport, window=8192, **k) / payload)

    return [
        C(flags="S", seq=ci),
        S(flags="SA", seq=si, ack=ci + 1),
        C(flags="A", seq=ci + 1, ack=si + 1),
        C(flags="PA", seq=ci + 1, ack=si + 1, payload=req),
        S(flags="A", seq=si + 1, ack=ci + 1 + len(req)),
        S(flags="PA", seq=si + 1, ack=ci + 1 + len(req), payload=rep),
        S(flags="FA", seq=si + 1 + len(rep), ack=ci + 1 + len(req)),
        C(flags="A", seq=ci + 1 + len(req), ack=si + 2 + len(rep)),
        C(flags="FA", seq=ci + 1 + len(req), ack=si + 2 + len(rep)),
        S(flags="A", seq=si + 2 + len(rep), ack=ci + 2 + len(req)),
    ]

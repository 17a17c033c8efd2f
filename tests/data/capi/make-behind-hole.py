#!/usr/bin/python3
"""Build behind-hole.pcap (deterministic; needs python3-scapy):

    /usr/bin/python3 tests/data/capi/make-behind-hole.py

One HTTP-like connection, 10.78.2.1:40001 -> 10.78.2.2:80, whose large
segments wait behind a hole: the client's first 100 bytes come after a
2,872-byte segment (as a GRO/TSO capture shows them) and a 4-byte one; the
server's 3,000-byte reply and 5,000-byte second part wait behind its first
200 bytes. libnids gives each segment to its callbacks in one piece
(count_new = its length); a library that splits the waiting segments at its
storage blocks calls them more often. It then closes normally.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "crafted"))
from make import Capture, Conn  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cap = Capture("behind-hole.pcap", 1700100000)
    k = Conn(cap, "10.78.2.1", 40001, "10.78.2.2", 80, 0x1234567, 0x89ABCDE)
    k.handshake()
    head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2876\r\n\r\n"
    head = head + b"=" * (100 - len(head))
    body = bytes((i * 7 + 13) % 251 for i in range(2872))
    k.c(body, pos=101)
    k.ack("s")
    k.c(b"tail", pos=2973)
    k.ack("s")
    k.c(head, pos=1)
    k.ack("s")
    reply = b"HTTP/1.1 200 OK\r\n" + b"r" * 183
    big = bytes((i * 11 + 5) % 241 for i in range(3000))
    more = bytes((i * 3 + 1) % 239 for i in range(5000))
    k.s(big, pos=201)
    k.s(more, pos=3201)
    k.ack("c")
    k.s(reply, pos=1)
    k.ack("c")
    k.close("c")
    path = cap.write(here)
    print("%s %d packets" % (path, len(cap.frames)))


if __name__ == "__main__":
    main()

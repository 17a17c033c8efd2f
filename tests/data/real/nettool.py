#!/usr/bin/env python3
"""Small traffic generators used by make-captures.sh (run inside network namespaces).

Every payload is deterministic (derived from sizes/seeds), so a rerun sends the same
bytes; only timestamps, ephemeral ports, IP ids and TCP sequence numbers differ.

Subcommands (see make-captures.sh for how they are used):
  udp-echo PORT...              reply to every datagram with the same bytes (v4+v6)
  udp-sink PORT...              receive and drop datagrams (v4+v6)
  udp-client HOST PORT SIZE...  send SIZE-byte datagrams, wait for each echo
  udp-oneway HOST PORT SIZE...  send datagrams, expect no reply
  dns-server PORT               answer A/AAAA queries with a fixed address
  dns-client HOST PORT NAME:TYPE...
  make-files DIR NAME:SIZE...   write deterministic files
  tcp-listen PORT...            accept and hold connections (for nmap: open ports)
  tcp-rst-client HOST PORT PATH NBYTES   HTTP GET, read NBYTES, close with RST
  tcp-rst-server PORT NBYTES    answer one request with NBYTES, then close with RST
  tcp-hold-server PORT          echo lines back prefixed by "B got: ", never close
  tcp-hold-client HOST PORT     send each stdin line, wait for the echo, never close
  tcp-bulk-server PORT NIN NOUT read NIN bytes, send NOUT bytes, close (one connection)
  tcp-bulk-client HOST PORT NIN NOUT
"""
import hashlib
import socket
import struct
import sys
import time


def pattern(n, seed=0):
    """Deterministic pseudo-random bytes (SHA-256 in counter mode)."""
    out = bytearray()
    ctr = 0
    while len(out) < n:
        out += hashlib.sha256(b"nids-rs:%d:%d" % (seed, ctr)).digest()
        ctr += 1
    return bytes(out[:n])


def log(*a):
    print(*a, flush=True)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def dual_udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    return s


def dual_tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(16)
    return s


def serve_udp(ports, echo):
    import selectors
    sel = selectors.DefaultSelector()
    for p in ports:
        sel.register(dual_udp(p), selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            data, addr = s.recvfrom(70000)
            if echo:
                s.sendto(data, addr)


def udp_client(host, port, sizes, wait_reply):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2.0)
    for i, n in enumerate(sizes):
        data = pattern(n, seed=port * 100000 + n)
        s.sendto(data, (host, port))
        if wait_reply:
            try:
                back, _ = s.recvfrom(70000)
                if back != data:
                    log("MISMATCH", n)
            except socket.timeout:
                log("TIMEOUT", host, port, n)
        time.sleep(0.02)
    s.close()


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_server(port):
    s = dual_udp(port)
    while True:
        q, addr = s.recvfrom(2048)
        qid, flags, qd = struct.unpack("!HHH", q[:6])
        # question = everything after the 12-byte header (one question, no EDNS)
        question = q[12:]
        qtype = struct.unpack("!H", question[-4:-2])[0]
        if qtype == 1:
            rdata = socket.inet_pton(socket.AF_INET, "10.77.99.1")
        elif qtype == 28:
            rdata = socket.inet_pton(socket.AF_INET6, "fd77:99::1")
        else:
            rdata = None
        if rdata is None:  # NXDOMAIN-ish: no answer
            resp = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
        else:
            ans = struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata
            resp = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans
        s.sendto(resp, addr)


def dns_client(host, port, queries):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2.0)
    types = {"A": 1, "AAAA": 28, "TXT": 16}
    for i, q in enumerate(queries):
        name, t = q.split(":")
        pkt = struct.pack("!HHHHHH", 0x1000 + i, 0x0100, 1, 0, 0, 0)
        pkt += dns_name(name) + struct.pack("!HH", types[t], 1)
        s.sendto(pkt, (host, port))
        try:
            s.recvfrom(2048)
        except socket.timeout:
            log("TIMEOUT dns", q)
        time.sleep(0.02)


def make_files(d, specs):
    import os
    os.makedirs(d, exist_ok=True)
    for i, spec in enumerate(specs):
        name, size = spec.split(":")
        with open(os.path.join(d, name), "wb") as f:
            f.write(pattern(int(size), seed=1000 + i))


def tcp_listen(ports):
    import selectors
    sel = selectors.DefaultSelector()
    for p in ports:
        sel.register(dual_tcp(p), selectors.EVENT_READ, "listen")
    while True:
        for key, _ in sel.select():
            if key.data == "listen":
                c, _ = key.fileobj.accept()
                sel.register(c, selectors.EVENT_READ, "conn")
            else:
                try:
                    d = key.fileobj.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def tcp_rst_client(host, port, path, nbytes):
    s = socket.create_connection((host, port))
    s.sendall(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
    got = 0
    while got < nbytes:
        d = s.recv(min(4096, nbytes - got))
        if not d:
            break
        got += len(d)
    linger0(s)
    s.close()  # SO_LINGER {1, 0}: the kernel sends RST instead of FIN
    log("client reset after", got, "bytes")


def tcp_rst_server(port, nbytes):
    ls = dual_tcp(port)
    log("ready")
    c, _ = ls.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break
        req += d
    body = pattern(nbytes, seed=7)
    # announce more than is sent: the server resets mid-response
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % (4 * nbytes) + body)
    time.sleep(0.3)  # let the client ACK everything
    linger0(c)
    c.close()
    log("server reset")


def tcp_rst_server_client(host, port):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /reset-by-server HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode())
    got = 0
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
    except ConnectionResetError:
        log("client saw reset after", got, "bytes")
    s.close()


def tcp_hold_server(port):
    ls = dual_tcp(port)
    c, _ = ls.accept()
    f = c.makefile("rb")
    for line in f:
        c.sendall(b"B got: " + line)
    time.sleep(100000)


def tcp_hold_client(host, port):
    s = socket.create_connection((host, port))
    f = s.makefile("rb")
    for line in sys.stdin.buffer:
        s.sendall(line)
        back = f.readline()
        log("reply", back.decode().strip())
    time.sleep(100000)


def recv_exact(s, n):
    got = bytearray()
    while len(got) < n:
        d = s.recv(min(65536, n - len(got)))
        if not d:
            break
        got += d
    return bytes(got)


def tcp_bulk_server(port, nin, nout):
    ls = dual_tcp(port)
    c, _ = ls.accept()
    d = recv_exact(c, nin)
    assert d == pattern(nin, seed=21), "bulk data mismatch"
    c.sendall(pattern(nout, seed=22))
    c.shutdown(socket.SHUT_WR)
    recv_exact(c, 1)  # wait for the client's FIN
    c.close()


def tcp_bulk_client(host, port, nin, nout):
    s = socket.create_connection((host, port))
    s.sendall(pattern(nin, seed=21))
    d = recv_exact(s, nout)
    assert d == pattern(nout, seed=22), "bulk reply mismatch"
    s.close()
    log("bulk done", nin, nout)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "udp-echo":
        serve_udp([int(p) for p in args], True)
    elif cmd == "udp-sink":
        serve_udp([int(p) for p in args], False)
    elif cmd == "udp-client":
        udp_client(args[0], int(args[1]), [int(x) for x in args[2:]], True)
    elif cmd == "udp-oneway":
        udp_client(args[0], int(args[1]), [int(x) for x in args[2:]], False)
    elif cmd == "dns-server":
        dns_server(int(args[0]))
    elif cmd == "dns-client":
        dns_client(args[0], int(args[1]), args[2:])
    elif cmd == "make-files":
        make_files(args[0], args[1:])
    elif cmd == "tcp-listen":
        tcp_listen([int(p) for p in args])
    elif cmd == "tcp-rst-client":
        tcp_rst_client(args[0], int(args[1]), args[2], int(args[3]))
    elif cmd == "tcp-rst-server":
        tcp_rst_server(int(args[0]), int(args[1]))
    elif cmd == "tcp-rst-server-client":
        tcp_rst_server_client(args[0], int(args[1]))
    elif cmd == "tcp-hold-server":
        tcp_hold_server(int(args[0]))
    elif cmd == "tcp-hold-client":
        tcp_hold_client(args[0], int(args[1]))
    elif cmd == "tcp-bulk-server":
        tcp_bulk_server(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == "tcp-bulk-client":
        tcp_bulk_client(args[0], int(args[1]), int(args[2]), int(args[3]))
    else:
        sys.exit("unknown subcommand " + cmd)


if __name__ == "__main__":
    main()

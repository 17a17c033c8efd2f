#!/usr/bin/env python3
"""Regenerate the expected-output files of tests/data/real/ from the committed captures.

    tests/data/real/make-expected.py        (needs tshark; no root, no scapy)

Oracles come from tshark. Each one is cross-checked against a small independent
pcap parser in this file (Ethernet -> IPv4/IPv6 -> fragments -> UDP); the script
fails if the two disagree. Outputs (see README.md for the formats):
  udp.expected.jsonl, frag.expected.jsonl, http.tshark-streams.txt,
  http.expected-streams.jsonl, nmap.expected.txt
"""
import hashlib
import ipaddress
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TSHARK = os.environ.get("TSHARK", "tshark")


def tshark(*args):
    out = subprocess.run([TSHARK, "-n", *args], check=True, capture_output=True)
    return out.stdout.decode()


def fields(pcap, dfilter, names):
    args = ["-r", pcap, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    if dfilter:
        args += ["-Y", dfilter]
    for n in names:
        args += ["-e", n]
    rows = []
    for line in tshark(*args).splitlines():
        cols = line.split("\t")
        cols += [""] * (len(names) - len(cols))
        rows.append(dict(zip(names, cols)))
    return rows


def addr(text):
    """RFC 5952 (IPv6) / dotted quad (IPv4) text form."""
    return str(ipaddress.ip_address(text))


def hexbytes(h):
    return bytes.fromhex(h.replace(":", ""))


def sha(b):
    return hashlib.sha256(b).hexdigest()


def write_jsonl(name, objs):
    with open(os.path.join(HERE, name), "w") as f:
        for o in objs:
            f.write(json.dumps(o, separators=(", ", ": ")) + "\n")
    print("wrote %s (%d lines)" % (name, len(objs)))


def check(cond, msg):
    if not cond:
        sys.exit("CROSS-CHECK FAILED: " + msg)


# ---------------------------------------------------------------- independent parser
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1" or magic == b"\x4d\x3c\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4" or magic == b"\xa1\xb2\x3c\x4d":
        e = ">"
    else:
        raise ValueError("not a classic pcap file: " + path)
    linktype = struct.unpack(e + "I", data[20:24])[0]
    assert linktype == 1, "expected Ethernet link type"
    off = 24
    while off < len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def l3(frame):
    """-> (version, src, dst, proto, payload, frag) with frag = (id, offset, more) or None."""
    etype = struct.unpack("!H", frame[12:14])[0]
    p = frame[14:]
    if etype == 0x0800:
        ihl = (p[0] & 15) * 4
        tot, ident, fl = struct.unpack("!HHH", p[2:8])
        more, offset = bool(fl & 0x2000), (fl & 0x1FFF) * 8
        frag = (ident, offset, more) if (more or offset) else None
        return 4, addr(p[12:16]), addr(p[16:20]), p[9], p[ihl:tot], frag
    if etype == 0x86DD:
        plen, nxt = struct.unpack("!HB", p[4:7])
        src, dst = addr(p[8:24]), addr(p[24:40])
        body, frag = p[40:40 + plen], None
        while nxt in (0, 43, 60, 44):
            if nxt == 44:
                nnxt, _, fo, ident = struct.unpack("!BBHI", body[:8])
                frag = (ident, fo & 0xFFF8, bool(fo & 1))
                nxt, body = nnxt, body[8:]
                break
            nxt, hl = body[0], (body[1] + 1) * 8
            body = body[hl:]
        return 6, src, dst, nxt, body, frag
    return None


def datagrams(path):
    """Yield (frame_no, version, src, dst, proto, id_or_None, ip_payload, fragmented)."""
    pending = {}
    for no, frame in enumerate(read_pcap(path), 1):
        r = l3(frame)
        if r is None:
            continue
        ver, src, dst, proto, body, frag = r
        if frag is None:
            yield no, ver, src, dst, proto, None, body, False
            continue
        ident, offset, more = frag
        key = (ver, src, dst, proto, ident)
        pieces = pending.setdefault(key, {})
        pieces[offset] = (body, more)
        # complete when the pieces cover 0..end without holes and the last one is known
        pos, last = 0, False
        for o in sorted(pieces):
            if o > pos:
                break
            b, m = pieces[o]
            pos = max(pos, o + len(b))
            if not m:
                last = True
                break
        if last:
            buf = bytearray(pos)
            for o in sorted(pieces):
                b, _ = pieces[o]
                buf[o:o + len(b)] = b
            del pending[key]
            yield no, ver, src, dst, proto, ident, bytes(buf), True


# ---------------------------------------------------------------- udp.expected.jsonl
def make_udp():
    pcap = os.path.join(HERE, "udp.pcap")
    names = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
             "udp.srcport", "udp.dstport", "udp.length", "udp.payload"]
    flt = ("udp && !icmp && !icmpv6 && !ipv6.fraghdr"
           " && !(ip.flags.mf == 1) && !(ip.frag_offset > 0)")
    out = []
    for r in fields(pcap, flt, names):
        payload = hexbytes(r["udp.payload"])
        check(len(payload) == int(r["udp.length"]) - 8,
              "frame %s: payload %d != udp.length-8" % (r["frame.number"], len(payload)))
        out.append({
            "src": addr(r["ip.src"] or r["ipv6.src"]), "sport": int(r["udp.srcport"]),
            "dst": addr(r["ip.dst"] or r["ipv6.dst"]), "dport": int(r["udp.dstport"]),
            "bytes": len(payload), "sha256": sha(payload)})
    mine = []
    for _, _, src, dst, proto, _, body, fragd in datagrams(pcap):
        if proto == 17 and not fragd:
            sp, dp, ln = struct.unpack("!HHH", body[:6])
            pl = body[8:ln]
            mine.append({"src": src, "sport": sp, "dst": dst, "dport": dp,
                         "bytes": len(pl), "sha256": sha(pl)})
    check(out == mine, "udp: tshark and the pcap parser disagree")
    write_jsonl("udp.expected.jsonl", out)


# ---------------------------------------------------------------- frag.expected.jsonl
def make_frag():
    pcap = os.path.join(HERE, "frag.pcap")
    names = ["frame.number", "ip.src", "ip.dst", "ip.proto", "ip.id",
             "ip.reassembled.length", "ip.reassembled.data",
             "ipv6.src", "ipv6.dst", "ipv6.fraghdr.nxt", "ipv6.fraghdr.ident",
             "ipv6.reassembled.length", "ipv6.reassembled.data"]
    out = []
    for r in fields(pcap, "ip.reassembled.data || ipv6.reassembled.data", names):
        if r["ip.reassembled.data"]:
            data = hexbytes(r["ip.reassembled.data"])
            check(len(data) == int(r["ip.reassembled.length"]), "v4 length")
            o = {"src": addr(r["ip.src"]), "dst": addr(r["ip.dst"]),
                 "proto": int(r["ip.proto"]), "id": int(r["ip.id"], 0)}
        else:
            data = hexbytes(r["ipv6.reassembled.data"])
            check(len(data) == int(r["ipv6.reassembled.length"]), "v6 length")
            o = {"src": addr(r["ipv6.src"]), "dst": addr(r["ipv6.dst"]),
                 "proto": int(r["ipv6.fraghdr.nxt"]), "id": int(r["ipv6.fraghdr.ident"], 0)}
        o["bytes"] = len(data)
        o["sha256"] = sha(data)
        out.append(o)
    mine = [{"src": s, "dst": d, "proto": p, "id": i, "bytes": len(b), "sha256": sha(b)}
            for _, _, s, d, p, i, b, fragd in datagrams(pcap) if fragd]
    check(out == mine, "frag: tshark and the pcap parser disagree:\n%s\n%s" % (out, mine))
    write_jsonl("frag.expected.jsonl", out)


# ---------------------------------------------------------------- http streams
def make_http():
    pcap = os.path.join(HERE, "http.pcap")
    conv = tshark("-r", pcap, "-q", "-z", "conv,tcp")
    with open(os.path.join(HERE, "http.tshark-streams.txt"), "w") as f:
        f.write(conv)
    print("wrote http.tshark-streams.txt")
    # per stream: who opened it, payload bytes each way (tshark "follow"), how it ended
    names = ["tcp.stream", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport",
             "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
             "tcp.flags.reset"]
    streams = {}
    for r in fields(pcap, "tcp", names):
        n = int(r["tcp.stream"])
        src = (addr(r["ip.src"] or r["ipv6.src"]), int(r["tcp.srcport"]))
        dst = (addr(r["ip.dst"] or r["ipv6.dst"]), int(r["tcp.dstport"]))
        s = streams.setdefault(n, {"stream": n, "client": None, "server": None,
                                   "fin": [], "rst": []})
        if r["tcp.flags.syn"] in ("1", "True") and r["tcp.flags.ack"] in ("0", "False"):
            s["client"], s["server"] = src, dst
        if r["tcp.flags.fin"] in ("1", "True") and src not in s["fin"]:
            s["fin"].append(src)
        if r["tcp.flags.reset"] in ("1", "True") and src not in s["rst"]:
            s["rst"].append(src)
    out = []
    for n in sorted(streams):
        s = streams[n]
        txt = tshark("-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % n)
        # raw follow: lines from "Node 0" are flush left, lines from "Node 1" start with a tab
        from_node = [bytearray(), bytearray()]
        node0, started = None, False
        for line in txt.splitlines():
            if line.startswith("Node 0:"):
                a, p = line.split(": ", 1)[1].rsplit(":", 1)
                node0 = (addr(a.strip("[]")), int(p))
            elif line.startswith("Node 1:"):
                started = True
            elif started and line.strip() and not line.startswith("="):
                from_node[line.startswith("\t")] += bytes.fromhex(line.strip())
        c, sv = s["client"], s["server"]
        check(c is not None, "stream %d: no SYN seen" % n)
        to_server, to_client = from_node if node0 == c else from_node[::-1]
        role = lambda ep: "client" if ep == c else "server"
        out.append({
            "stream": n, "client": c[0], "cport": c[1], "server": sv[0], "sport": sv[1],
            "to_server_bytes": len(to_server), "to_server_sha256": sha(to_server),
            "to_client_bytes": len(to_client), "to_client_sha256": sha(to_client),
            "fin_from": sorted(role(e) for e in s["fin"]),
            "rst_from": sorted(role(e) for e in s["rst"])})
    write_jsonl("http.expected-streams.jsonl", out)


# ---------------------------------------------------------------- nmap
FLAG_NAMES = [(0x100, "NS"), (0x80, "CWR"), (0x40, "ECE"), (0x20, "URG"), (0x10, "ACK"),
              (0x08, "PSH"), (0x04, "RST"), (0x02, "SYN"), (0x01, "FIN")]


def flag_text(v):
    names = [n for bit, n in FLAG_NAMES if v & bit]
    return "0x%03x %s" % (v, ",".join(names) if names else "(none)")


def ranges(ports):
    ports = sorted(set(ports))
    out, i = [], 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        out.append(str(ports[i]) if i == j else "%d-%d" % (ports[i], ports[j]))
        i = j + 1
    return ",".join(out)


def make_nmap():
    lines = ["# made by make-expected.py from tshark output; one block per capture.",
             "# 'probes' = TCP segments sent by the scanner, grouped by TCP flags",
             "# (packets, distinct destination ports, the ports);",
             "# 'replies' = TCP segments from the target, grouped the same way (by source port).",
             ""]
    for kind in ("syn", "fin", "null", "xmas"):
        name = "nmap-%s.pcap" % kind
        pcap = os.path.join(HERE, name)
        rows = fields(pcap, "tcp", ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport",
                                    "tcp.flags"])
        # the scanner: the source that touches the most distinct destination ports
        by_src = {}
        for r in rows:
            by_src.setdefault(r["ip.src"], set()).add(int(r["tcp.dstport"]))
        scanner = max(by_src, key=lambda s: len(by_src[s]))
        target = next(r["ip.dst"] for r in rows if r["ip.src"] == scanner)
        lines.append("file: %s" % name)
        lines.append("scanner: %s" % scanner)
        lines.append("target: %s" % target)
        for title, mine, portkey in (("probes", True, "tcp.dstport"),
                                     ("replies", False, "tcp.srcport")):
            groups = {}
            for r in rows:
                if (r["ip.src"] == scanner) == mine:
                    groups.setdefault(int(r["tcp.flags"], 0), []).append(int(r[portkey]))
            lines.append("%s:" % title)
            for fl in sorted(groups):
                ps = groups[fl]
                lines.append("  flags=%s packets=%d ports(%d)=%s"
                             % (flag_text(fl), len(ps), len(set(ps)), ranges(ps)))
        lines.append("")
    with open(os.path.join(HERE, "nmap.expected.txt"), "w") as f:
        f.write("\n".join(lines))
    print("wrote nmap.expected.txt")


if __name__ == "__main__":
    make_udp()
    make_frag()
    make_http()
    make_nmap()

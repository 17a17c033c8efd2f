#!/usr/bin/env python3
"""tshark's view of a capture's innermost TCP streams and UDP datagrams.

    tests/data/tshark_view.py CAPTURE [OUT [TSHARK-OPTION...]]    (needs tshark)

(writes OUT, or stdout for "-"; the options go to every tshark run, e.g.
`-d udp.port==8472,vxlan`)

One JSON line per TCP stream that tshark follows (client = sender of the first
SYN without ACK; bytes and SHA-256 of each direction from `-z follow,tcp,raw,N`)
and per UDP datagram (the innermost UDP layer of a frame, when nothing tunnelled
follows it), sorted. The keys are those of `nids streams --json --udp`, so a test
compares the two directly. Used by the expected-output scripts of
tests/data/links and tests/data/tunnels.
"""
import hashlib
import ipaddress
import json
import os
import subprocess
import sys

TSHARK = os.environ.get("TSHARK", "tshark")
# protocols after which an innermost "udp" is a tunnel, not a datagram (a GTP
# echo, say, carries none of them: it is a datagram)
TUNNELS = {"eth", "ip", "ipv6"}


def tshark(*args):
    return subprocess.run([TSHARK, "-n", *args], check=True, capture_output=True).stdout.decode()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def last(v):
    return v.split(",")[-1] if v else ""


def addr(t):
    return str(ipaddress.ip_address(t))


def view(pcap, extra=()):
    names = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.stream",
             "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
             "udp.srcport", "udp.dstport", "udp.payload", "udp.length"]
    args = ["-r", pcap, *extra, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for n in names:
        args += ["-e", n]
    out, streams = [], {}
    for line in tshark(*args).splitlines():
        r = dict(zip(names, line.split("\t") + [""] * len(names)))
        protos = r["frame.protocols"].split(":")
        ips = [p for p in protos if p in ("ip", "ipv6")]
        if not ips:
            continue
        v = ips[-1]
        if not r[v + ".src"]:
            continue
        src, dst = addr(last(r[v + ".src"])), addr(last(r[v + ".dst"]))
        kinds = [i for i, p in enumerate(protos) if p in ("tcp", "udp")]
        if not kinds:
            continue
        inner = protos[kinds[-1]]
        if inner == "udp":
            if TUNNELS & set(protos[kinds[-1] + 1:]):
                continue
            payload = bytes.fromhex(last(r["udp.payload"]).replace(":", ""))
            if len(payload) != int(last(r["udp.length"])) - 8:
                sys.exit("%s: a UDP payload is not whole" % pcap)
            out.append({"kind": "udp", "src": src, "sport": int(last(r["udp.srcport"])),
                        "dst": dst, "dport": int(last(r["udp.dstport"])),
                        "bytes": len(payload), "sha256": sha(payload)})
        else:
            n = int(last(r["tcp.stream"]))
            syn = last(r["tcp.flags.syn"]) in ("1", "True")
            ack = last(r["tcp.flags.ack"]) in ("1", "True")
            if syn and not ack and n not in streams:
                streams[n] = ((src, int(last(r["tcp.srcport"]))), (dst, int(last(r["tcp.dstport"]))))
    for n, (c, s) in sorted(streams.items()):
        txt = tshark("-r", pcap, *extra, "-q", "-z", "follow,tcp,raw,%d" % n)
        node = [bytearray(), bytearray()]
        node0, started = None, False
        for line in txt.splitlines():
            if line.startswith("Node 0:"):
                a, p = line.split(": ", 1)[1].rsplit(":", 1)
                node0 = (addr(a.strip("[]")), int(p))
            elif line.startswith("Node 1:"):
                started = True
            elif started and line.strip() and not line.startswith("="):
                node[line.startswith("\t")] += bytes.fromhex(line.strip())
        c2s, s2c = node if node0 == c else node[::-1]
        out.append({"kind": "tcp", "src": c[0], "sport": c[1], "dst": s[0], "dport": s[1],
                    "c2s_bytes": len(c2s), "c2s_sha256": sha(c2s),
                    "s2c_bytes": len(s2c), "s2c_sha256": sha(s2c)})
    return sorted(out, key=lambda o: json.dumps(o, sort_keys=True))


if __name__ == "__main__":
    lines = "".join(json.dumps(o) + "\n" for o in view(sys.argv[1], sys.argv[3:]))
    if len(sys.argv) > 2 and sys.argv[2] != "-":
        with open(sys.argv[2], "w") as f:
            f.write(lines)
    else:
        sys.stdout.write(lines)

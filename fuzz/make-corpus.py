#!/usr/bin/env python3
"""Build the seed corpus of the fuzz targets from the project's test captures.

Usage: fuzz/make-corpus.py [CORPUS_DIR]   (default: fuzz/corpus)

Reads every classic pcap under tests/data/ and nids-host/tests/data/ and writes:
  capture/, capture_engine/  each file (cut to its first 64 KiB of records), its
                             first 8 packets alone, and both as pcapng
  link_ip/                   every distinct frame, prefixed with the selector
                             byte of its link type (as the target reads it)
  engine/, defrag/            a few pseudo-random inputs of a few hundred bytes
  tcp_model/                 16 pseudo-random scenarios (80 bytes each)
                             (their input is structured: arbitrary bytes decode
                             to runs of operations; these get them past libFuzzer's
                             slow growth from tiny inputs)
Names are content hashes, so running it again adds nothing new.
"""
import hashlib
import os
import random
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [os.path.join(ROOT, "tests", "data"), os.path.join(ROOT, "nids-host", "tests", "data")]
MAX_FILE = 64 * 1024
MAX_FRAMES = 400
# link_ip's selector: index into its LINKS table.
LINK_SELECTOR = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 108: 5, 113: 6, 228: 7, 229: 8, 276: 9}


def captures():
    for src in SOURCES:
        for dirpath, _, names in os.walk(src):
            for n in sorted(names):
                if n.endswith(".pcap"):
                    yield os.path.join(dirpath, n)


def read_pcap(path):
    """(endian, header bytes, link type, [(sec, frac, data, orig_len)])."""
    b = open(path, "rb").read()
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    link = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
    recs, at = [], 24
    while at + 16 <= len(b):
        sec, frac, caplen, orig = struct.unpack(e + "IIII", b[at:at + 16])
        data = b[at + 16:at + 16 + caplen]
        if len(data) < caplen:
            break
        recs.append((sec, frac, data, orig))
        at += 16 + caplen
    return e, b[:24], link, recs


def pcap_bytes(e, header, recs):
    out = bytearray(header)
    for sec, frac, data, orig in recs:
        out += struct.pack(e + "IIII", sec, frac, len(data), orig) + data
    return bytes(out)


def pcapng_bytes(link, recs):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", kind, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", link, 0, 0))
    for sec, frac, data, orig in recs:
        ts = sec * 1_000_000 + frac
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data)
    return out


def write(dirpath, data):
    os.makedirs(dirpath, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(dirpath, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        return 1
    return 0


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
    added = {"capture": 0, "capture_engine": 0, "link_ip": 0}
    frames = set()
    for path in captures():
        parsed = read_pcap(path)
        if parsed is None:
            continue
        e, header, link, recs = parsed
        cut, size = [], 24
        for r in recs:
            size += 16 + len(r[2])
            if size > MAX_FILE:
                break
            cut.append(r)
        for subset in (cut, cut[:8]):
            for data in (pcap_bytes(e, header, subset), pcapng_bytes(link, subset)):
                for t in ("capture", "capture_engine"):
                    added[t] += write(os.path.join(corpus, t), data)
        sel = LINK_SELECTOR.get(link)
        if sel is not None:
            for r in recs:
                if len(frames) < MAX_FRAMES:
                    frames.add(bytes([sel]) + r[2])
    for f in sorted(frames):
        added["link_ip"] += write(os.path.join(corpus, "link_ip"), f)
    rng = random.Random(8)
    for t in ("engine", "defrag"):
        added[t] = 0
        for size in (64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3000):
            data = bytes(rng.randrange(256) for _ in range(size))
            added[t] += write(os.path.join(corpus, t), data)
    # tcp_model decodes a scenario field by field from its first 70 bytes or so
    added["tcp_model"] = 0
    for _ in range(16):
        data = bytes(rng.randrange(256) for _ in range(80))
        added["tcp_model"] += write(os.path.join(corpus, "tcp_model"), data)
    print(" ".join(f"{t}: +{n}" for t, n in added.items()))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`nids streams --json` over a capture split with `nids split`, on a Dask
cluster: each shard file is one task, run through nids.Capture on a worker.

    nids split --shards 64 archive.pcap -o shards/
    python3 cluster_streams.py shards/ tcp://scheduler:8786 > streams.jsonl

The union of the records (in any order) is what `nids streams --json` prints
for the whole capture. Without a scheduler address, a LocalCluster is started.
The workers need the `nids` module (pip install the nids-rs wheel there) and
this file (`client.upload_file("cluster_streams.py")`, or install it); the
shard files must be readable by them (a shared file system, or paths valid on
each worker).
"""

import hashlib
import json
import sys
from pathlib import Path

import nids


def shard_streams(path, end_ts=None):
    """One shard file's streams, as `nids streams --json` records (dicts).

    `end_ts` is the whole capture's last packet time (`split.json`'s
    `last_ts`): streams still open at the end end then, as in one run.
    """
    records, open_ = [], {}
    with nids.Capture(str(path), end_ts=end_ts) as cap:
        for ev in cap:
            if isinstance(ev, nids.StreamStart):
                open_[ev.addr] = (hashlib.sha256(), hashlib.sha256())
            elif isinstance(ev, nids.StreamData) and not ev.urgent:
                c2s, s2c = open_[ev.addr]
                (c2s if ev.direction == "c2s" else s2c).update(ev.data)
            elif isinstance(ev, nids.StreamEnd):
                c2s, s2c = open_.pop(ev.addr)
                (src, sport), (dst, dport) = ev.addr
                records.append({
                    "kind": "tcp", "src": src, "sport": sport, "dst": dst, "dport": dport,
                    "end": ev.reason,
                    "c2s_bytes": ev.c2s_bytes, "c2s_sha256": c2s.hexdigest(),
                    "s2c_bytes": ev.s2c_bytes, "s2c_sha256": s2c.hexdigest(),
                    "first_ts": round(ev.first_ts * 1e6), "last_ts": round(ev.ts * 1e6),
                })
    return records


def cluster_streams(split_dir, client):
    """Every shard of `split_dir` (written by `nids split`) as a task on
    `client`'s cluster; returns all their records."""
    split_dir = Path(split_dir)
    index = json.loads((split_dir / "split.json").read_text())
    paths = [str(split_dir / f) for f in index["files"]]
    futures = client.map(shard_streams, paths, end_ts=index["last_ts"], pure=False)
    return [r for records in client.gather(futures) for r in records]


def main():
    from dask.distributed import Client, LocalCluster

    split_dir = sys.argv[1]
    if len(sys.argv) > 2:
        client = Client(sys.argv[2])
        client.upload_file(__file__)
    else:
        client = Client(LocalCluster())
    with client:
        for r in cluster_streams(split_dir, client):
            # Times as `nids streams --json` prints them.
            for k in ("first_ts", "last_ts"):
                r[k] = f"{r[k] // 1000000}.{r[k] % 1000000:06d}"
            print(json.dumps(r, separators=(",", ":")).replace('"_ts', "_ts"))


if __name__ == "__main__":
    main()

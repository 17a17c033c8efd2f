"""nids.Capture takes the command's options (issue 23): `skip_gaps` is
`--skip-gaps`, `tunnels=False` is `--no-decap all`. Each gives the streams the
command gives with that option, on a capture where the option matters."""

import hashlib

import nids

from conftest import REPO, micros, nids_streams_json

GAP = REPO / "nids-host" / "tests" / "data" / "conn" / "gap.pcap"
TUNNELS = REPO / "tests" / "data" / "tunnels" / "gtpu-asym.pcap"


def capture_records(path, **kw):
    got, digests = [], {}
    with nids.Capture(path, **kw) as cap:
        for ev in cap:
            if isinstance(ev, nids.StreamStart):
                digests[ev.addr] = {"c2s": hashlib.sha256(), "s2c": hashlib.sha256()}
            elif isinstance(ev, nids.StreamData):
                digests[ev.addr][ev.direction].update(ev.data)
            elif isinstance(ev, nids.StreamEnd):
                d = digests.pop(ev.addr)
                ((src, sport), (dst, dport)) = ev.addr
                got.append((src, sport, dst, dport, ev.reason, ev.c2s_bytes,
                            d["c2s"].hexdigest(), ev.s2c_bytes, d["s2c"].hexdigest(),
                            micros(ev.first_ts), micros(ev.ts)))
    return got


def command_records(path, flags=()):
    return [(r["src"], r["sport"], r["dst"], r["dport"], r["end"], r["c2s_bytes"],
             r["c2s_sha256"], r["s2c_bytes"], r["s2c_sha256"], micros(r["first_ts"]),
             micros(r["last_ts"]))
            for r in nids_streams_json(path, flags=flags) if r["kind"] == "tcp"]


def test_skip_gaps_is_the_commands():
    skipped = capture_records(GAP, skip_gaps=True)
    assert skipped == command_records(GAP, ("--skip-gaps",))
    assert capture_records(GAP) == command_records(GAP)
    assert skipped != capture_records(GAP), "the capture has a gap to skip"


def test_tunnels_off_is_no_decap():
    off = capture_records(TUNNELS, tunnels=False)
    assert off == command_records(TUNNELS, ("--no-decap", "all"))
    assert capture_records(TUNNELS) == command_records(TUNNELS)
    assert off != capture_records(TUNNELS), "the capture's stream is inside a tunnel"

"""Shared fixtures: the bundled captures, the `nids` command for reference
results, and a clean module state for every test."""

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nids

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLES = REPO / "nids-py" / "examples"
CRAFTED = sorted((REPO / "tests" / "data" / "crafted").glob("*.pcap"))
REAL = sorted(
    p for p in (REPO / "tests" / "data" / "real").glob("*")
    if p.suffix in (".pcap", ".pcapng")
)
CAPTURES = CRAFTED + REAL

# libnids' defaults, restored before every test.
DEFAULTS = {
    "n_tcp_streams": 1040, "n_hosts": 256, "sk_buff_size": 168, "dev_addon": -1,
    "syslog_level": 1, "scan_num_hosts": 256, "scan_num_ports": 10,
    "scan_delay": 3000, "promisc": 1, "one_loop_less": 0, "pcap_timeout": 1024,
    "tcp_flow_timeout": 3600, "tcp_workarounds": 0, "multiproc": 0,
    "queue_limit": 20000, "device": None, "pcap_filter": None, "filename": None,
}


def capture_id(p):
    return f"{p.parent.name}/{p.name}"


@pytest.fixture(autouse=True)
def clean_module():
    """Each test starts with no callbacks, default parameters and no checksum rules."""
    def reset():
        for f in (nids.register_tcp, nids.register_udp, nids.register_ip,
                  nids.register_ip_frag):
            f(None)
        for k, v in DEFAULTS.items():
            nids.param(k, v)
        nids.chksum_ctl([])
        try:
            nids.exit()
        except nids.error:
            pass
    reset()
    yield
    reset()


@functools.lru_cache(maxsize=None)
def nids_bin():
    """The `nids` command: $NIDS_BIN, else the workspace's release build (built
    with cargo if missing)."""
    if os.environ.get("NIDS_BIN"):
        return os.environ["NIDS_BIN"]
    exe = REPO / "target" / "release" / "nids"
    if not exe.exists():
        cargo = shutil.which("cargo")
        if cargo is None:
            pytest.fail("no target/release/nids and no cargo to build it (set NIDS_BIN)")
        subprocess.run([cargo, "build", "-q", "--release", "-p", "nids-host"],
                       cwd=REPO, check=True)
    return str(exe)


@functools.lru_cache(maxsize=None)
def nids_streams_json(capture, udp=False, checksum="auto", flags=()):
    """`nids streams --json [--udp] --checksum CHECKSUM [FLAGS] CAPTURE`,
    parsed: one dict per line. The pynids-compatible API verifies every
    checksum, as libnids: compare it with `checksum="verify"`; `nids.Capture`
    and the command default to "auto"."""
    cmd = [nids_bin(), "streams", "--json", "--checksum", checksum] + (
        ["--udp"] if udp else []) + list(flags) + [str(capture)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return tuple(json.loads(line) for line in out.splitlines())


def run_example(name, *args):
    """Runs examples/NAME with this Python; returns its stdout."""
    r = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def micros(ts):
    """A timestamp (float seconds or the JSON's "s.micros" number) in µs."""
    return round(float(ts) * 1e6)


def command_records(capture, udp=False, checksum="auto", flags=()):
    """`nids streams --json` records as `capture_records` gives them: times in
    µs, and no tunnel path (the Python events carry none)."""
    out = []
    for r in nids_streams_json(capture, udp=udp, checksum=checksum, flags=tuple(flags)):
        r = {k: v for k, v in r.items() if k != "tunnel"}
        for k in ("first_ts", "last_ts", "ts"):
            if k in r:
                r[k] = micros(r[k])
        out.append(r)
    return out


def capture_records(capture, **kw):
    """What `nids.Capture(capture, **kw)` reports, one record per stream (at its
    end, with the SHA-256 of each direction) or datagram, in the keys of
    `nids streams --json` (times in µs)."""
    got, digests = [], {}
    with nids.Capture(capture, **kw) as cap:
        for ev in cap:
            if isinstance(ev, nids.StreamStart):
                digests[ev.addr] = {"c2s": hashlib.sha256(), "s2c": hashlib.sha256()}
            elif isinstance(ev, nids.StreamData):
                digests[ev.addr][ev.direction].update(ev.data)
            elif isinstance(ev, nids.StreamEnd):
                d = digests.pop(ev.addr)
                ((src, sport), (dst, dport)) = ev.addr
                got.append({
                    "kind": "tcp", "src": src, "sport": sport, "dst": dst, "dport": dport,
                    "end": ev.reason,
                    "c2s_bytes": ev.c2s_bytes, "c2s_sha256": d["c2s"].hexdigest(),
                    "s2c_bytes": ev.s2c_bytes, "s2c_sha256": d["s2c"].hexdigest(),
                    "first_ts": micros(ev.first_ts), "last_ts": micros(ev.ts),
                    "ts": micros(ev.first_ts),
                })
            elif isinstance(ev, nids.Datagram):
                ((src, sport), (dst, dport)) = ev.addr
                got.append({
                    "kind": "udp", "src": src, "sport": sport, "dst": dst, "dport": dport,
                    "bytes": len(ev.payload),
                    "sha256": hashlib.sha256(ev.payload).hexdigest(),
                    "ts": micros(ev.ts), "last_ts": micros(ev.ts),
                })
    assert not digests, "every stream ends"
    return got

"""Per-stream results of Python handlers over every bundled capture equal those
of `nids streams --json` (tuple, end event, bytes and SHA-256 each way, times)."""

import hashlib

import pytest

import nids
from conftest import (CAPTURES, capture_id, capture_records, command_records, micros,
                      nids_streams_json)

END = {nids.NIDS_CLOSE: "close", nids.NIDS_RESET: "reset",
       nids.NIDS_TIMED_OUT: "timeout", nids.NIDS_EXITING: "exiting"}


def reference(capture):
    return [r for r in nids_streams_json(capture, checksum="verify") if r["kind"] == "tcp"]


def pynids_records(capture, tunnels=False):
    """A pynids-style handler: collect both halves, hash the new bytes of each
    data callback, report at the end event (tunnels decoded only if asked, as
    `init(tunnels=True)` does)."""
    digests = {}
    out = []

    def tcp(s):
        if s.nids_state == nids.NIDS_JUST_EST:
            s.client.collect = 1
            s.server.collect = 1
            digests[s.addr] = (hashlib.sha256(), hashlib.sha256())
        elif s.nids_state == nids.NIDS_DATA:
            c2s, s2c = digests[s.addr]
            # Without discard() the available bytes are the new ones only.
            if s.server.count_new:
                assert len(s.server.data) > s.server.count_new
                c2s.update(s.server.data[:s.server.count_new])
            if s.client.count_new:
                assert len(s.client.data) > s.client.count_new
                s2c.update(s.client.data[:s.client.count_new])
        else:
            c2s, s2c = digests.pop(s.addr)
            ((src, sport), (dst, dport)) = s.addr
            out.append({
                "kind": "tcp", "src": src, "sport": sport, "dst": dst, "dport": dport,
                "end": END[s.nids_state],
                "c2s_bytes": s.server.count, "c2s_sha256": c2s.hexdigest(),
                "s2c_bytes": s.client.count, "s2c_sha256": s2c.hexdigest(),
                "last_ts": micros(nids.get_pkt_ts()),
            })

    nids.param("filename", str(capture))
    nids.init(tunnels=tunnels)
    nids.register_tcp(tcp)
    nids.run()
    return out


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_pynids_handler_equals_nids_streams(capture):
    want = [dict(r, last_ts=micros(r["last_ts"])) for r in reference(capture)]
    for r in want:
        # A pynids handler sees no start time (ts is first_ts's common name).
        del r["first_ts"], r["ts"]
    got = pynids_records(capture)
    assert got == want


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_capture_events_equal_nids_streams(capture):
    """The same through nids.Capture, UDP datagrams included."""
    assert capture_records(capture, udp=True) == command_records(capture, udp=True)


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_udp_callback_equals_nids_streams(capture):
    got = []

    def udp(addrs, payload, pkt):
        ((src, sport), (dst, dport)) = addrs
        assert isinstance(payload, bytes) and isinstance(pkt, bytes)
        assert pkt.endswith(payload)
        got.append({"kind": "udp", "src": src, "sport": sport, "dst": dst,
                    "dport": dport, "bytes": len(payload),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                    "ts": micros(nids.get_pkt_ts()), "last_ts": micros(nids.get_pkt_ts())})

    nids.param("filename", str(capture))
    nids.init()
    nids.register_udp(udp)
    nids.run()
    want = [dict(r, ts=micros(r["ts"]), last_ts=micros(r["last_ts"]))
            for r in nids_streams_json(capture, udp=True, checksum="verify") if r["kind"] == "udp"]
    assert got == want

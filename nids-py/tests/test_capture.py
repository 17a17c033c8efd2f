"""nids.Capture: the Pythonic layer."""

import sys

import pytest

import nids
import pcapgen
from conftest import CRAFTED

REORDER = next(c for c in CRAFTED if c.name == "reorder.pcap")
EARLY = next(c for c in CRAFTED if c.name == "early-data.pcap")


def test_events_and_context_manager():
    with nids.Capture(REORDER) as cap:
        assert not cap.closed
        assert cap.path == str(REORDER)
        events = list(cap)
    assert cap.closed
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("StreamStart") == 4 and kinds.count("StreamEnd") == 4
    first = events[0]
    assert isinstance(first, nids.StreamStart)
    assert first.addr == (("10.0.1.1", 41001), ("10.0.1.2", 80))
    data = [e for e in events if isinstance(e, nids.StreamData) and e.addr == first.addr]
    c2s = b"".join(e.data for e in data if e.direction == "c2s")
    s2c = b"".join(e.data for e in data if e.direction == "s2c")
    assert c2s == b"GET /reorder HTTP/1.0\r\nHost: x\r\n\r\n"
    assert s2c.endswith(b"hello world\n")
    end = next(e for e in events if isinstance(e, nids.StreamEnd) and e.addr == first.addr)
    assert (end.reason, end.c2s_bytes, end.s2c_bytes) == ("close", len(c2s), len(s2c))
    assert end.first_ts <= first.ts <= end.ts
    assert "StreamEnd(addr=" in repr(end) and "reason='close'" in repr(end)
    assert "data=<10 bytes>" in repr(data[0]) and "direction='c2s'" in repr(data[0])
    # Events are plain values: they stay usable after the capture is closed.
    assert data[0].data and data[0].direction in ("c2s", "s2c")


def test_events_are_immutable():
    ev = next(iter(nids.Capture(REORDER)))
    with pytest.raises(AttributeError):
        ev.addr = None


def test_exiting_at_end_and_stats(tmp_path):
    cap = pcapgen.conversation(tmp_path / "open.pcap", close=False)
    c = nids.Capture(cap)
    events = list(c)
    assert isinstance(events[-1], nids.StreamEnd) and events[-1].reason == "exiting"
    s = c.stats
    assert s["frames"] == 11 and s["tcp_streams"] == 1 and s["tcp_established"] == 1
    assert isinstance(s["warnings"], dict)
    assert list(c) == []  # exhausted


def test_ports_filter():
    with nids.Capture(EARLY, ports=[25]) as cap:
        ports = {e.addr[1][1] for e in cap}
    assert ports == {25}


def test_close_stops_iteration():
    cap = nids.Capture(REORDER)
    it = iter(cap)
    next(it)
    cap.close()
    assert list(it) == []
    assert "closed" in repr(cap)


def test_several_captures_at_once():
    a, b = nids.Capture(REORDER), nids.Capture(EARLY)
    ea, eb = [], []
    for x, y in zip(a, b):
        ea.append(x)
        eb.append(y)
    ea += list(a)
    eb += list(b)
    assert sum(isinstance(e, nids.StreamEnd) for e in ea) == 4
    assert sum(isinstance(e, nids.StreamEnd) for e in eb) == 5


def test_errors():
    with pytest.raises(nids.error, match="nonexistent"):
        nids.Capture("/nonexistent.pcap")
    with pytest.raises(TypeError):
        nids.Capture(42)
    with pytest.raises(ValueError):
        nids.Capture(REORDER, max_streams=0)
    with pytest.raises(TypeError):
        nids.Capture(REORDER, checksums=3)


def test_damaged_capture_raises_after_its_events(tmp_path):
    data = REORDER.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 30])
    seen = []
    with pytest.raises(nids.error, match="truncated"):
        for ev in nids.Capture(cut):
            seen.append(ev)
    assert isinstance(seen[-1], nids.StreamEnd) and seen[-1].reason == "exiting"


def test_checksums_option(tmp_path):
    cap = pcapgen.conversation(tmp_path / "bad.pcap", bad_checksum=True)
    assert list(nids.Capture(cap)) == []
    assert len(list(nids.Capture(cap, checksums=False))) > 0
    assert len(list(nids.Capture(cap, checksums=[("10.9.0.0/16", False)]))) > 0
    with pytest.raises(ValueError, match="checksums"):
        nids.Capture(cap, checksums="sometimes")


def test_checksums_auto_by_default(tmp_path):
    # The client's checksums left unfilled, as by transmit offload on its host.
    cap = pcapgen.conversation(tmp_path / "offload.pcap", bad_checksum="offload")
    ends = [e for e in nids.Capture(cap) if isinstance(e, nids.StreamEnd)]
    assert [e.reason for e in ends] == ["close"]
    assert [e.reason for e in nids.Capture(cap, checksums="auto") if isinstance(e, nids.StreamEnd)] == ["close"]
    # libnids' behaviour on request, and in the pynids-compatible API.
    assert list(nids.Capture(cap, checksums="verify")) == []
    assert list(nids.Capture(cap, checksums=True)) == []


def test_udp_and_ipv6(tmp_path):
    p = pcapgen.Pcap()
    p.add(pcapgen.ip_packet("fd00::1", "fd00::2", 17, pcapgen.udp_datagram(5353, 53, b"q")))
    path = p.write(tmp_path / "u.pcap")
    assert list(nids.Capture(path)) == []
    [d] = list(nids.Capture(path, udp=True))
    assert isinstance(d, nids.Datagram)
    assert (d.addr, d.payload) == ((("fd00::1", 5353), ("fd00::2", 53)), b"q")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_pattern_matching():
    code = '''
def classify(ev):
    match ev:
        case nids.StreamEnd(addr, "close"):
            return "closed"
        case nids.StreamData(_, "c2s", data):
            return "request"
        case nids.StreamStart():
            return "start"
    return "other"
'''
    ns = {"nids": nids}
    exec(code, ns)
    kinds = {ns["classify"](e) for e in nids.Capture(REORDER)}
    assert kinds == {"closed", "request", "start", "other"}

"""The pynids API surface, and the pynids defects that are fixed."""

import gc
import os
import pathlib
import sys
import threading
import traceback

import pytest

import nids
import pcapgen
from conftest import CRAFTED

REORDER = next(c for c in CRAFTED if c.name == "reorder.pcap")
CLOSE_VARIANTS = next(c for c in CRAFTED if c.name == "close-variants.pcap")


def start(path):
    nids.param("filename", str(path))
    assert nids.init() == 1


def collect_all(s):
    if s.nids_state == nids.NIDS_JUST_EST:
        s.client.collect = 1
        s.server.collect = 1


# --- module surface ---------------------------------------------------------

def test_constants():
    assert (nids.NIDS_JUST_EST, nids.NIDS_DATA, nids.NIDS_CLOSE, nids.NIDS_RESET,
            nids.NIDS_TIMED_OUT, nids.NIDS_EXITING) == (1, 2, 3, 4, 5, 6)
    assert nids.NIDS_TIMEOUT == nids.NIDS_TIMED_OUT
    assert issubclass(nids.error, Exception)
    assert isinstance(nids.__version__, str)
    for f in ("param", "init", "register_tcp", "register_udp", "register_ip",
              "register_ip_frag", "run", "next", "dispatch", "getfd", "chksum_ctl",
              "get_pkt_ts", "get_pcap_stats", "exit"):
        assert callable(getattr(nids, f)), f
    assert nids.TcpStream.__name__ == "TcpStream"
    assert nids.HalfStream.__name__ == "HalfStream"


# --- param() ----------------------------------------------------------------

def test_param_defaults_and_old_value():
    assert nids.param("n_tcp_streams") == 1040
    assert nids.param("scan_num_hosts") == 256
    assert nids.param("tcp_flow_timeout") == 3600
    assert nids.param("filename") is None
    assert nids.param("scan_num_hosts", 0) == 256
    assert nids.param("scan_num_hosts") == 0
    assert nids.param("filename", "x.pcap") is None
    assert nids.param("filename", None) == "x.pcap"


def test_param_unknown_name_warns_and_returns_none():
    # pynids returns None; a public script has this typo.
    with pytest.warns(UserWarning, match="san_num_hosts"):
        assert nids.param("san_num_hosts", 0) is None
    with pytest.warns(UserWarning):
        assert nids.param("no_such_thing") is None
    assert nids.param("scan_num_hosts") == 256


def test_param_wrong_type_raises():
    with pytest.raises(TypeError):
        nids.param("n_tcp_streams", "1040")
    with pytest.raises(TypeError):
        nids.param("scan_delay", 1.5)
    with pytest.raises(TypeError):
        nids.param("filename", 42)
    with pytest.raises(ValueError):
        nids.param("n_tcp_streams", -1)
    with pytest.raises(ValueError):
        nids.param("one_loop_less", 2)
    assert nids.param("n_tcp_streams") == 1040  # unchanged by the failures


def test_param_accepts_bool_bytes_and_paths():
    nids.param("one_loop_less", True)
    assert nids.param("one_loop_less") == 1
    nids.param("filename", b"/tmp/a.pcap")
    assert nids.param("filename") == "/tmp/a.pcap"
    nids.param("filename", pathlib.Path("/tmp/b.pcap"))
    assert nids.param("filename") == "/tmp/b.pcap"


# --- init() -----------------------------------------------------------------

def test_init_errors():
    # A live interface: refused by a build without libpcap, or not found.
    nids.param("device", "nids-no-such-if0")
    with pytest.raises(nids.error, match="nids-no-such-if0"):
        nids.init()
    nids.param("filename", "/nonexistent/x.pcap")
    with pytest.raises(nids.error, match="/nonexistent/x.pcap"):
        nids.init()
    nids.param("filename", __file__)
    with pytest.raises(nids.error, match="not a pcap"):
        nids.init()
    nids.param("filename", str(REORDER))
    nids.param("pcap_filter", "nonsense (((")
    with pytest.raises(nids.error, match="nonsense"):
        nids.init()


def test_pcap_filter():
    """With libpcap, a BPF filter applies to capture files too; without it,
    init() refuses the filter rather than ignore it."""
    early = next(c for c in CRAFTED if c.name == "early-data.pcap")
    ports = set()
    nids.register_tcp(lambda s: ports.add(s.addr[1][1]))
    nids.param("pcap_filter", "tcp port 25")
    nids.param("filename", str(early))
    try:
        nids.init()
    except nids.error as e:
        assert "libpcap" in str(e)
        return
    nids.run()
    assert ports == {25}


def test_calls_before_init_raise():
    for f in (nids.run, nids.next, nids.getfd, nids.get_pcap_stats, nids.exit):
        with pytest.raises(nids.error, match="init"):
            f()
    with pytest.raises(nids.error):
        nids.dispatch(1)
    with pytest.raises(nids.error):
        nids.get_pkt_ts()


def test_register_checks():
    with pytest.raises(TypeError):
        nids.register_tcp(42)
    seen = []
    nids.register_ip(seen.append)  # before init(): kept (pynids lost it)
    start(REORDER)
    nids.run()
    assert seen and all(isinstance(p, bytes) for p in seen)


def test_register_replaces_and_none_removes():
    a, b = [], []
    nids.register_ip(a.append)
    nids.register_ip(b.append)
    start(REORDER)
    nids.dispatch(3)
    nids.register_ip(None)
    nids.run()
    assert a == [] and len(b) == 3


# --- TcpStream and HalfStream -----------------------------------------------

def test_data_is_valid_bytes_only_and_discard_keeps(tmp_path):
    cap = pcapgen.conversation(tmp_path / "c.pcap", chunks=(b"abc", b"defg", b"hi"),
                               reply=(b"xyz",))
    seen = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_DATA:
            h = s.server if s.server.count_new else s.client
            assert isinstance(h.data, bytes)
            # pynids: the whole buffer (4096 bytes at first), the valid
            # bytes first.
            assert len(h.data) == 4096
            seen.append((h.data[:h.count - h.offset], h.count, h.offset, h.count_new))
            s.discard(0)
        elif s.nids_state == nids.NIDS_CLOSE:
            seen.append((s.server.data[:9], s.client.data[:3]))

    start(cap)
    nids.register_tcp(tcp)
    nids.run()
    assert seen == [
        (b"abc", 3, 0, 3),
        (b"abcdefg", 7, 0, 4),
        (b"abcdefghi", 9, 0, 2),
        (b"xyz", 3, 0, 3),
        (b"abcdefghi", b"xyz"),
    ]


def test_discard_n_and_without_discard(tmp_path):
    cap = pcapgen.conversation(tmp_path / "c.pcap", chunks=(b"abcd", b"efgh", b"ij"),
                               reply=())
    seen = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_DATA:
            h = s.server
            seen.append((h.data[:h.count - h.offset], h.offset, h.count_new))
            if h.data[:h.count - h.offset] == b"abcd":
                s.discard(1)  # consume "a", keep "bcd"
                s.discard(2)  # the smallest count wins
            # else: no discard, everything is consumed

    start(cap)
    nids.register_tcp(tcp)
    nids.run()
    assert seen == [(b"abcd", 0, 4), (b"bcdefgh", 1, 4), (b"ij", 8, 2)]


def test_one_loop_less(tmp_path):
    cap = pcapgen.conversation(tmp_path / "c.pcap", chunks=(b"abcdef",), reply=())
    seen = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_DATA:
            h = s.server
            seen.append((h.data[:h.count - h.offset], h.count_new))
            if h.count - h.offset == 6:
                s.discard(3)

    nids.param("one_loop_less", 1)
    start(cap)
    nids.register_tcp(tcp)
    nids.run()
    # Called again while it consumed some and new bytes were left.
    assert seen == [(b"abcdef", 6), (b"def", 3)]


def test_stream_used_after_callback_raises():
    kept = []

    def tcp(s):
        collect_all(s)
        kept.append((s, s.client))

    start(REORDER)
    nids.register_tcp(tcp)
    nids.run()
    s, half = kept[0]
    for attr in ("addr", "nids_state", "client", "server"):
        with pytest.raises(nids.error, match="after its callback"):
            getattr(s, attr)
    with pytest.raises(nids.error):
        s.discard(0)
    with pytest.raises(nids.error):
        s.kill()
    for attr in ("data", "count", "offset", "count_new", "state", "urgdata", "collect"):
        with pytest.raises(nids.error):
            getattr(half, attr)
    with pytest.raises(nids.error):
        half.collect = 1
    assert "stale" in repr(s) and "stale" in repr(half)
    del kept[:]
    gc.collect()


def test_halfstream_fields():
    seen = {}

    def tcp(s):
        collect_all(s)
        seen.setdefault(s.nids_state, []).append(s.client)
        c = s.client
        assert c.collect == 1 and c.collect_urg == 0
        assert isinstance(c.urgdata, bytes) and len(c.urgdata) == 1
        assert c.count_new_urg in (0, 1)
        if s.nids_state == nids.NIDS_JUST_EST:
            assert (c.state, s.server.state) == (1, 1)
            assert (c.count, c.offset, c.count_new, c.data) == (0, 0, 0, b"")
        if s.nids_state == nids.NIDS_CLOSE:
            assert c.state in (120, 121)

    start(REORDER)
    nids.register_tcp(tcp)
    nids.run()
    assert set(seen) == {nids.NIDS_JUST_EST, nids.NIDS_DATA, nids.NIDS_CLOSE}


def test_urgent_data():
    urgent = next(c for c in CRAFTED if c.name == "urgent.pcap")
    got = []

    def tcp(s):
        if s.nids_state == nids.NIDS_JUST_EST:
            s.server.collect = 1
            s.server.collect_urg = 1
        elif s.server.count_new_urg:
            got.append(s.server.urgdata)

    start(urgent)
    nids.register_tcp(tcp)
    nids.run()
    assert got and all(len(b) == 1 for b in got)


def test_uncollected_stream_gets_no_more_events():
    states = []

    def tcp(s):
        states.append(s.nids_state)  # never collects

    start(REORDER)
    nids.register_tcp(tcp)
    nids.run()
    assert states == [nids.NIDS_JUST_EST] * 4


def test_kill_is_accepted_offline():
    states = []

    def tcp(s):
        collect_all(s)
        states.append(s.nids_state)
        if s.nids_state == nids.NIDS_DATA:
            s.kill()

    start(REORDER)
    nids.register_tcp(tcp)
    nids.run()
    assert nids.NIDS_CLOSE in states  # reading a file, the RSTs go nowhere


def test_ipv6_addresses_are_text(tmp_path):
    cap = pcapgen.conversation(tmp_path / "v6.pcap", client="fd00::1", server="fd00::2",
                               port=8080)
    got = []
    nids.register_tcp(lambda s: (collect_all(s), got.append((s.addr, s.nids_state))))
    start(cap)
    nids.run()
    assert got[0] == ((("fd00::1", 40000), ("fd00::2", 8080)), nids.NIDS_JUST_EST)
    assert got[-1][1] == nids.NIDS_CLOSE


# --- run(), next(), dispatch(), exit() --------------------------------------

def test_run_ends_open_streams_with_exiting():
    ends = []

    def tcp(s):
        collect_all(s)
        if s.nids_state not in (nids.NIDS_JUST_EST, nids.NIDS_DATA):
            ends.append(s.nids_state)

    start(CLOSE_VARIANTS)
    nids.register_tcp(tcp)
    nids.run()
    assert ends.count(nids.NIDS_CLOSE) == 5
    assert ends.count(nids.NIDS_EXITING) == 3
    nids.run()  # nothing left: a no-op
    assert len(ends) == 8


def test_next_dispatch_and_exit(tmp_path):
    cap = pcapgen.conversation(tmp_path / "open.pcap", close=False)
    states = []
    nids.register_tcp(lambda s: (collect_all(s), states.append(s.nids_state)))
    start(cap)
    n = 0
    while nids.next():
        n += 1
    assert n == 11  # 3 handshake + 2*2 request + 2*2 reply packets
    assert nids.next() == 0 and nids.dispatch(10) == 0
    assert nids.NIDS_EXITING not in states  # next() never ends streams
    nids.exit()
    assert states[-1] == nids.NIDS_EXITING
    with pytest.raises(nids.error):
        nids.next()


def test_dispatch_counts():
    start(REORDER)
    assert nids.dispatch(5) == 5
    assert nids.get_pcap_stats() == (5, 0, 0)
    rest = nids.dispatch(0)  # 0 or less: all that is left
    assert rest > 0 and nids.dispatch(-1) == 0
    assert nids.get_pcap_stats() == (5 + rest, 0, 0)


def test_init_again_ends_previous_streams(tmp_path):
    cap = pcapgen.conversation(tmp_path / "open.pcap", close=False)
    states = []
    nids.register_tcp(lambda s: (collect_all(s), states.append(s.nids_state)))
    start(cap)
    nids.dispatch(0)
    start(cap)  # libnids' nids_init() starts with nids_exit()
    assert states[-1] == nids.NIDS_EXITING
    nids.run()
    assert states.count(nids.NIDS_EXITING) == 2


def test_get_pkt_ts_and_getfd():
    ts = []
    nids.register_ip(lambda p: ts.append(nids.get_pkt_ts()))
    start(REORDER)
    with pytest.raises(nids.error, match="no packet"):
        nids.get_pkt_ts()
    fd = nids.getfd()
    assert isinstance(fd, int) and os.fstat(fd)
    nids.run()
    assert ts and ts == sorted(ts) and all(1.7e9 <= t < 1.8e9 for t in ts)
    assert nids.get_pkt_ts() == ts[-1]


# --- exceptions in callbacks ------------------------------------------------

class Boom(Exception):
    pass


def test_callback_exception_propagates_with_traceback():
    calls = []

    def my_failing_callback(s):
        calls.append(s.nids_state)
        raise Boom("from the callback")

    start(REORDER)
    nids.register_tcp(my_failing_callback)
    with pytest.raises(Boom, match="from the callback") as info:
        nids.run()
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "my_failing_callback" in frames
    assert calls == [nids.NIDS_JUST_EST]  # processing stopped at the exception
    # The state survives: processing can go on.
    nids.register_tcp(None)
    nids.run()


def test_exception_from_next_and_dispatch():
    nids.register_ip(lambda p: 1 / 0)
    start(REORDER)
    with pytest.raises(ZeroDivisionError):
        nids.next()
    with pytest.raises(ZeroDivisionError):
        nids.dispatch(3)
    assert nids.get_pcap_stats() == (2, 0, 0)


def test_damaged_capture(tmp_path):
    """A capture cut inside a record: its streams are ended, then nids.error."""
    data = REORDER.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 30])
    states = []
    nids.register_tcp(lambda s: (collect_all(s), states.append(s.nids_state)))
    start(cut)
    with pytest.raises(nids.error, match="truncated"):
        nids.run()
    assert states[-1] == nids.NIDS_EXITING


def test_reentrant_loop_raises():
    def tcp(s):
        nids.run()

    start(REORDER)
    nids.register_tcp(tcp)
    with pytest.raises(nids.error, match="running"):
        nids.run()


def test_callbacks_may_call_module_functions():
    seen = []

    def tcp(s):
        collect_all(s)
        seen.append((nids.get_pkt_ts(), nids.param("n_tcp_streams"), nids.get_pcap_stats()))
        nids.register_udp(None)

    start(REORDER)
    nids.register_tcp(tcp)
    nids.run()
    assert len(seen) > 4


# --- checksums --------------------------------------------------------------

def test_chksum_ctl(tmp_path):
    cap = pcapgen.conversation(tmp_path / "bad.pcap", bad_checksum=True)
    counts = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_CLOSE:
            counts.append((s.server.count, s.client.count))

    nids.register_tcp(tcp)
    start(cap)
    nids.run()
    assert counts == []  # bad TCP checksums: dropped, as libnids does
    nids.chksum_ctl([("10.9.0.0/24", False)])
    start(cap)
    nids.run()
    assert counts == [(27, 24)]
    # After init(), before the first packet: applies at once (libnids does too).
    nids.chksum_ctl([("10.9.0.1", False), ("0.0.0.0/0", True)])
    start(cap)
    nids.chksum_ctl([("0.0.0.0/0", False)])
    nids.run()
    assert counts == [(27, 24), (27, 24)]


def test_chksum_ctl_checks_its_argument():
    with pytest.raises(TypeError):
        nids.chksum_ctl([("10.0.0.0/8",)])
    with pytest.raises(ValueError):
        nids.chksum_ctl([("10.0.0.0/40", False)])
    with pytest.raises(ValueError):
        nids.chksum_ctl([("not an address", False)])
    nids.chksum_ctl([("fd00::/8", False), ("192.0.2.1", True)])


def test_tcp_off_with_zero_streams():
    calls = []
    nids.register_tcp(calls.append)
    nids.param("n_tcp_streams", 0)
    start(REORDER)
    nids.run()
    assert calls == []


# --- threads ----------------------------------------------------------------

def test_gil_released_while_processing():
    """Another thread gets to run while run() processes packets without callbacks."""
    many = next(c for c in CRAFTED if c.name == "many.pcap")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.0005)

    start(many)
    t = threading.Thread(target=ticker)
    t.start()
    try:
        nids.run()
    finally:
        stop.set()
        t.join()
    assert ticks


def test_type_stub_matches_module():
    """The shipped nids.pyi names exactly the module's public names."""
    import ast
    from pathlib import Path

    pkg = Path(nids.__file__).parent
    stub = pkg / "__init__.pyi"
    if not stub.exists():
        stub = Path(__file__).resolve().parents[1] / "nids.pyi"
    assert (pkg / "py.typed").exists() or not (pkg / "__init__.pyi").exists()
    tree = ast.parse(stub.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    aliases = {"Endpoint", "Addr", "ParamValue", "Event"}
    # (`nids.nids` is the extension module inside the package.)
    public = {n for n in dir(nids) if not n.startswith("_") and n != "nids"}
    public |= {"__version__", "__nids_version__"}
    assert names - aliases == public


BEHIND_HOLE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "capi" / "behind-hole.pcap"


def test_segment_behind_hole_is_one_callback():
    # libnids gives a segment that waited behind a hole to one callback, with
    # count_new its whole length, however the engine stores it.
    seen = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_DATA:
            h = s.server if s.server.count_new else s.client
            seen.append(("S" if h is s.server else "C", h.count_new))

    start(BEHIND_HOLE)
    nids.register_tcp(tcp)
    nids.run()
    assert seen == [("S", 100), ("S", 2872), ("S", 4), ("C", 200), ("C", 3000), ("C", 5000)]


def test_kept_bytes_bound_warns(tmp_path):
    cap = pcapgen.conversation(tmp_path / "c.pcap", chunks=(b"abcd", b"efgh", b"ij"),
                               reply=())
    seen = []

    def tcp(s):
        collect_all(s)
        if s.nids_state == nids.NIDS_DATA:
            h = s.server
            seen.append((h.data[:h.count - h.offset], h.offset))
            s.discard(0)  # keep everything

    old = nids.param("max_kept", 5)
    try:
        start(cap)
        nids.register_tcp(tcp)
        with pytest.warns(RuntimeWarning, match="max_kept"):
            nids.run()
    finally:
        nids.param("max_kept", old)
    # At most 5 bytes kept: the oldest go, counted as read (offset).
    assert seen == [(b"abcd", 0), (b"abcdefgh", 0), (b"defghij", 3)]


def test_tunnels_only_with_init_keyword():
    # libnids decodes no tunnel; init(tunnels=True) opts in; nids.Capture
    # decodes them by default.
    cap = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "tunnels" / "vxlan-real.pcap"
    counts = []
    for kw in ({}, {"tunnels": True}):
        seen = []

        def tcp(s):
            if s.nids_state == nids.NIDS_JUST_EST:
                seen.append(s.addr)

        nids.param("filename", str(cap))
        assert nids.init(**kw) == 1
        nids.register_tcp(tcp)
        nids.run()
        counts.append(len(seen))
    assert counts[0] == 0 and counts[1] > 0
    assert any(isinstance(ev, nids.StreamStart) for ev in nids.Capture(str(cap)))

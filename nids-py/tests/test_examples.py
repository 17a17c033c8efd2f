"""The seed programs (examples/, ported to Python 3 with print/except changes
only) run against the bundled captures and print what they should: checked
against `nids streams --json` for every capture, and against stored output for
the crafted ones."""

import ast
import hashlib
import re

import pytest

from conftest import CAPTURES, CRAFTED, HERE, capture_id, nids_streams_json, run_example

EXPECTED = HERE / "expected"
ENDED = ("close", "reset", "timeout")  # the programs' end_states; not "exiting"


def tcp_records(capture):
    return [r for r in nids_streams_json(capture, checksum="verify") if r["kind"] == "tcp"]


def stored(program, capture):
    p = EXPECTED / program / (capture.name + ".txt")
    return p.read_text() if p.exists() else None


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_article_byte_counts(capture):
    out = run_example("nidstest.py", capture)
    want = "".join(
        "[+] %s:%s - %s:%s (CTS: %dB | STC: %dB)\n"
        % (r["src"], r["sport"], r["dst"], r["dport"], r["c2s_bytes"], r["s2c_bytes"])
        for r in tcp_records(capture) if r["end"] in ENDED
    )
    assert out == want
    s = stored("nidstest", capture)
    if s is not None:
        assert out == s


def test_article_stored_outputs_exist():
    """Every crafted capture but the 2000-stream one has its stored output."""
    for c in CRAFTED:
        if c.name != "many.pcap":
            assert stored("nidstest", c) is not None, c
            assert stored("talk_http", c) is not None, c


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_talk_http_dumps_both_halves(capture):
    out = run_example("talk_http.py", capture).splitlines()
    want = [r for r in tcp_records(capture)
            if r["end"] in ENDED and r["dport"] in (80, 8000, 8080)]
    assert len(out) == 3 * len(want)
    for i, r in enumerate(want):
        addr, to_server, to_client = out[3 * i: 3 * i + 3]
        assert addr == "addr ((%r, %d), (%r, %d))" % (r["src"], r["sport"], r["dst"], r["dport"])
        assert to_server.startswith("To server b") or to_server.startswith("To server ")
        c2s = ast.literal_eval(to_server[len("To server "):])
        s2c = ast.literal_eval(to_client[len("To client "):])
        assert isinstance(c2s, bytes) and isinstance(s2c, bytes)
        assert (len(c2s), hashlib.sha256(c2s).hexdigest()) == (r["c2s_bytes"], r["c2s_sha256"])
        assert (len(s2c), hashlib.sha256(s2c).hexdigest()) == (r["s2c_bytes"], r["s2c_sha256"])
    s = stored("talk_http", capture)
    if s is not None:
        assert "\n".join(out) + ("\n" if out else "") == s


def test_talk_http_ignores_other_ports():
    """early-data.pcap has streams to ports 25 and 21: not collected, not dumped."""
    capture = next(c for c in CRAFTED if c.name == "early-data.pcap")
    out = run_example("talk_http.py", capture)
    assert ", 25))" not in out and ", 21))" not in out
    assert ", 80))" in out


@pytest.mark.parametrize("capture", CAPTURES, ids=capture_id)
def test_readme_callback_shapes(capture):
    out = run_example("readme_callbacks.py", capture).splitlines()
    kinds = {"ip": 0, "frag": 0, "udp": 0, "tcp": 0}
    ended = 0
    for line in out:
        kind = line.split()[0]
        kinds[kind] += 1
        if kind in ("ip", "frag"):
            assert re.fullmatch(r"(ip|frag) bytes \d+", line), line
        elif kind == "udp":
            assert re.fullmatch(r"udp \S+ \d+ \S+ \d+ \d+ \d+", line), line
        else:
            m = re.fullmatch(r"tcp \S+ \d+ \S+ \d+ ([1-6]) \d+ \d+", line)
            assert m, line
            ended += m.group(1) in "3456"
    records = nids_streams_json(capture, udp=True, checksum="verify")
    assert ended == sum(r["kind"] == "tcp" for r in records)
    assert kinds["udp"] == sum(r["kind"] == "udp" for r in records)
    assert kinds["frag"] >= kinds["ip"] > 0
    s = stored("readme_callbacks", capture)
    if s is not None:
        assert "\n".join(out) + "\n" == s

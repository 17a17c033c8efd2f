"""`nids conn --format eve`: every record of every bundled capture validates
against Suricata's EVE schema (the parts a flow record uses, cut verbatim from
OISF/suricata's etc/schema.json: nids-host/tests/data/suricata/README.md)."""

import json
import os
import subprocess

import pytest

from conftest import CAPTURES, REPO, nids_bin

if os.environ.get("NIDS_REQUIRE_JSONSCHEMA"):
    import jsonschema
else:
    jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((REPO / "nids-host" / "tests" / "data" / "suricata" / "schema-flow.json").read_text())
CONN = sorted((REPO / "nids-host" / "tests" / "data" / "conn").glob("*.pcap"))


def eve(capture):
    out = subprocess.run([nids_bin(), "conn", "--format", "eve", "--community-id", str(capture)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("capture", CAPTURES + CONN, ids=lambda p: p.name)
def test_records_validate(capture):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    records = eve(capture)
    assert records, capture
    for r in records:
        errors = list(validator.iter_errors(r))
        assert not errors, (r, [e.message for e in errors])
        assert r["event_type"] == "flow"
        assert ("tcp" in r) == (r["proto"] == "TCP")
        f = r["flow"]
        assert f["pkts_toserver"] + f["pkts_toclient"] > 0
        assert f["age"] >= 0 and f["start"] <= f["end"]
        assert r["community_id"].startswith("1:")


def test_schema_is_strict():
    # A field Suricata's schema does not name fails: the check can fail.
    r = eve(REPO / "nids-host" / "tests" / "data" / "conn" / "sf.pcap")[0]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not list(validator.iter_errors(r))
    r["flow"]["bytes"] = 1
    assert list(validator.iter_errors(r))
    r = dict(r, timestamp="2023-11-14 22:13:20")
    del r["flow"]["bytes"]
    assert list(validator.iter_errors(r))


def test_sf_record():
    r = eve(REPO / "nids-host" / "tests" / "data" / "conn" / "sf.pcap")[0]
    assert (r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"]) == ("10.1.0.1", 40001, "10.1.0.2", 80)
    assert r["flow"]["pkts_toserver"] == 6 and r["flow"]["pkts_toclient"] == 4
    assert r["flow"]["bytes_toserver"] == 245 and r["flow"]["bytes_toclient"] == 170
    assert r["flow"]["state"] == "closed" and r["flow"]["reason"] == "shutdown"
    assert r["tcp"]["tcp_flags"] == "1b" and r["tcp"]["tcp_flags_ts"] == "1b"
    assert r["tcp"]["tcp_flags_tc"] == "1b"
    assert r["tcp"]["syn"] and r["tcp"]["fin"] and r["tcp"]["psh"] and r["tcp"]["ack"]
    assert r["timestamp"] == "2023-11-14T22:13:20.000000+0000"

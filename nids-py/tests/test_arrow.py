"""Capture.to_arrow() and Capture.record_batches(): one row per stream or
datagram, through the Arrow PyCapsule interface into pyarrow and polars
(optional dependencies: the tests skip without them, unless
NIDS_REQUIRE_ARROW is set, as CI sets it)."""

import datetime
import os

import pytest

import nids
from conftest import REPO, nids_streams_json

if os.environ.get("NIDS_REQUIRE_ARROW"):
    import pyarrow as pa
    import polars as pl
else:
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")

CAPTURES = [REPO / "tests" / "data" / "real" / n for n in ("http.pcap", "udp.pcap", "frag.pcap")] + [
    REPO / "tests" / "data" / "crafted" / "reorder.pcap"]
COLUMNS = ["kind", "src", "sport", "dst", "dport", "end", "c2s_bytes", "s2c_bytes", "ts",
           "last_ts", "community_id"]


def micros(dt):
    return round(dt.timestamp() * 1e6) if isinstance(dt, datetime.datetime) else round(dt * 1e6)


def from_json(capture):
    """What `nids streams --json --udp` says, as rows of the table."""
    rows = []
    for r in nids_streams_json(capture, udp=True):
        udp = r["kind"] == "udp"
        rows.append((r["kind"], r["src"], r["sport"], r["dst"], r["dport"],
                     None if udp else r["end"], r["bytes"] if udp else r["c2s_bytes"],
                     0 if udp else r["s2c_bytes"], micros(r["ts"]), micros(r["last_ts"])))
    return sorted(rows, key=repr)


def rows(table):
    return sorted(((r["kind"], r["src"], r["sport"], r["dst"], r["dport"], r["end"], r["c2s_bytes"],
                    r["s2c_bytes"], micros(r["ts"]), micros(r["last_ts"]))
                   for r in table.to_pylist()), key=repr)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_pyarrow_table_equals_the_json_records(capture):
    table = pa.table(nids.Capture(capture, udp=True).to_arrow())
    assert table.column_names == COLUMNS
    assert table.schema.field("c2s_bytes").type == pa.uint64()
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.num_rows > 0
    assert rows(table) == from_json(capture)
    proto = {"tcp": 6, "udp": 17}
    for r in table.to_pylist():
        want = nids.community_id(proto[r["kind"]], r["src"], r["sport"], r["dst"], r["dport"])
        assert r["community_id"] == want


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_polars_takes_it(capture):
    want = pa.table(nids.Capture(capture, udp=True).to_arrow())
    df = pl.DataFrame(nids.Capture(capture, udp=True).to_arrow())
    assert df.columns == COLUMNS
    # Integer byte columns stay integers, even with TCP and UDP rows mixed.
    assert df.schema["c2s_bytes"] == pl.UInt64 and df.schema["s2c_bytes"] == pl.UInt64
    assert df.schema["ts"] == pl.Datetime("us", "UTC")
    assert df.to_arrow().to_pylist() == want.to_pylist()
    # polars.from_arrow reads any PyCapsule stream as one struct Series.
    s = pl.from_arrow(nids.Capture(capture, udp=True).to_arrow())
    assert s.struct.unnest().equals(df)


def test_record_batches_stream_the_same_rows():
    capture = REPO / "tests" / "data" / "real" / "udp.pcap"
    batches = [pa.record_batch(b) for b in nids.Capture(capture, udp=True).record_batches(7)]
    assert [b.num_rows for b in batches[:-1]] == [7] * (len(batches) - 1)
    assert 0 < batches[-1].num_rows <= 7
    whole = pa.table(nids.Capture(capture, udp=True).to_arrow())
    assert pa.Table.from_batches(batches).to_pylist() == whole.to_pylist()
    with pytest.raises(ValueError):
        nids.Capture(capture).record_batches(0)


def test_seed_and_threads():
    capture = REPO / "tests" / "data" / "real" / "http.pcap"
    one = pa.table(nids.Capture(capture).to_arrow(community_id_seed=7))
    four = pa.table(nids.Capture(capture, threads=4).to_arrow(community_id_seed=7))
    assert sorted(one.to_pylist(), key=repr) == sorted(four.to_pylist(), key=repr)
    r = one.to_pylist()[0]
    assert r["community_id"] == nids.community_id(6, r["src"], r["sport"], r["dst"], r["dport"], seed=7)

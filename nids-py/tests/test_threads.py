"""nids.Capture(threads=N): the same events in the same order as threads=1,
and a capture split by `nids split` run on a Dask cluster (LocalCluster) gives
the streams of `nids streams --json` over the whole file."""

import json
import os
import subprocess
import sys

import pytest

import nids
from conftest import CAPTURES, EXAMPLES, REPO, capture_id, micros, nids_bin, nids_streams_json

MULTIFLOW = REPO / "nids-host" / "tests" / "data" / "multiflow.pcap"
ALL = CAPTURES + [MULTIFLOW]


def events(capture, **kw):
    """Every event of a Capture, as comparable tuples, and its counters."""
    out = []
    with nids.Capture(capture, udp=True, urgent=True, **kw) as cap:
        for ev in cap:
            fields = sorted(
                (k, getattr(ev, k)) for k in dir(ev)
                if not k.startswith("_") and not callable(getattr(ev, k)))
            out.append((type(ev).__name__, tuple(fields)))
        stats = cap.stats
    return out, stats


@pytest.mark.parametrize("capture", ALL, ids=capture_id)
def test_threads_same_events_same_order(capture):
    # many.pcap holds 2000 streams at once: more than one engine's default
    # table, and limits hold per engine, so it gets a table for them all.
    kw = {"max_streams": 4096} if capture.name == "many.pcap" else {}
    one, one_stats = events(capture, **kw)
    assert one or capture.name.startswith("nmap-")  # scans only: no stream
    for n in (2, 3):
        many, many_stats = events(capture, threads=n, **kw)
        assert many == one, f"threads={n}"
        assert many_stats == one_stats, f"threads={n}"


def test_threads_close_early_and_bad_values():
    with nids.Capture(MULTIFLOW, threads=4) as cap:
        first = next(iter(cap))
    assert isinstance(first, nids.StreamStart) and cap.closed
    assert list(cap) == []
    for bad in (0, 1025):
        with pytest.raises(ValueError):
            nids.Capture(MULTIFLOW, threads=bad)
    with pytest.raises(nids.error):
        nids.Capture(REPO / "README.md", threads=2)


def normal(r):
    """A `nids streams --json` record with integer µs times (less `ts`, the
    common name of `first_ts`, which the example's records do not repeat)."""
    r = {k: v for k, v in r.items() if k != "ts"}
    return json.dumps({**r, "first_ts": micros(r["first_ts"]), "last_ts": micros(r["last_ts"])},
                      sort_keys=True)


def test_split_on_a_dask_cluster(tmp_path):
    if os.environ.get("NIDS_REQUIRE_DASK"):
        import distributed  # noqa: F401  (CI installs it: fail, not skip)
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    sys.path.insert(0, str(EXAMPLES))
    import cluster_streams
    # The workers are other processes: send them the function, not its name.
    cloudpickle.register_pickle_by_value(cluster_streams)

    for capture in (MULTIFLOW, REPO / "tests" / "data" / "real" / "http.pcap"):
        out = tmp_path / capture.stem
        subprocess.run([nids_bin(), "split", "--shards", "4", str(capture), "-o", str(out)],
                       check=True)
        index = json.loads((out / "split.json").read_text())
        assert index["shards"] == 4 and sum(index["frames"]) > 0
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            got = cluster_streams.cluster_streams(out, client)
        want = [r for r in nids_streams_json(capture) if r["kind"] == "tcp"]
        assert len(want) >= 10
        assert sorted(json.dumps(r, sort_keys=True) for r in got) == sorted(map(normal, want))
        # Not a vacuous comparison: several shards carried streams.
        per_shard = [len(cluster_streams.shard_streams(out / f, index["last_ts"]))
                     for f in index["files"]]
        assert sum(1 for n in per_shard if n) >= 2, per_shard

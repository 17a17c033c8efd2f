"""Community ID: the spec's baseline vectors through nids.community_id, and
the events' community_id() against it (corelight/community-id-spec; the
vectors are kept in nids-host/tests/data/community-id with their origin)."""

import json

import pytest

import nids
from conftest import REPO

BASELINE = REPO / "nids-host" / "tests" / "data" / "community-id"


@pytest.mark.parametrize("name,seed", [("baseline_deflt.json", 0), ("baseline_seed1.json", 1)])
def test_spec_baseline(name, seed):
    rows = json.loads((BASELINE / name).read_text())
    assert len(rows) == 23
    for r in rows:
        got = nids.community_id(
            r["proto"], r["saddr"], r["sport"] or 0, r["daddr"], r["dport"] or 0, seed=seed
        )
        assert got == r["communityid"], r


def test_refuses_mixed_families():
    with pytest.raises(ValueError):
        nids.community_id(6, "1.2.3.4", 1, "::1", 2)
    with pytest.raises(ValueError):
        nids.community_id(6, "nonsense", 1, "::1", 2)


def test_events_carry_it():
    path = REPO / "tests" / "data" / "crafted" / "reorder.pcap"
    seen = 0
    with nids.Capture(path, udp=True) as cap:
        for ev in cap:
            (src, sport), (dst, dport) = ev.addr
            proto = 17 if isinstance(ev, nids.Datagram) else 6
            want = nids.community_id(proto, src, sport, dst, dport, seed=3)
            assert ev.community_id(3) == want
            # Both directions of the flow share it.
            assert nids.community_id(proto, dst, dport, src, sport, seed=3) == want
            assert ev.community_id() != want
            seen += 1
    assert seen > 0

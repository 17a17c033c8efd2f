"""nids.Capture takes the command's options (issue 23): `skip_gaps` is
`--skip-gaps`, `tunnels=False` is `--no-decap all`. Each gives the streams the
command gives with that option, on a capture where the option matters."""

from conftest import REPO, capture_records, command_records

GAP = REPO / "nids-host" / "tests" / "data" / "conn" / "gap.pcap"
TUNNELS = REPO / "tests" / "data" / "tunnels" / "gtpu-asym.pcap"


def test_skip_gaps_is_the_commands():
    skipped = capture_records(GAP, skip_gaps=True)
    assert skipped == command_records(GAP, flags=("--skip-gaps",))
    assert capture_records(GAP) == command_records(GAP)
    assert skipped != capture_records(GAP), "the capture has a gap to skip"


def test_tunnels_off_is_no_decap():
    off = capture_records(TUNNELS, tunnels=False)
    assert off == command_records(TUNNELS, flags=("--no-decap", "all"))
    assert capture_records(TUNNELS) == command_records(TUNNELS)
    assert off != capture_records(TUNNELS), "the capture's stream is inside a tunnel"

#!/usr/bin/env bash
# Out-of-order floods (issue 13): nids-rs's cost per segment for N = 1,000,
# 20,000 and 100,000 one-byte segments each behind its own hole, then `nids
# stats` against libnids on the 20,000 case (see bench/README.md).
#
#   bench/flood.sh            (RUNS=7, BENCH_DIR=/tmp/nids-bench)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/nids-bench}
RUNS=${RUNS:-7}
mkdir -p "$WORK"
if [ ! -e /usr/include/nids.h ] || [ ! -e /usr/include/pcap.h ]; then
  apt-get install -y --no-install-recommends libnids-dev libpcap-dev >&2
fi
echo "== engine alone: cost per segment (nids-core/benches/ooo_flood.rs)"
(cd "$ROOT" && cargo bench -q -p nids-core --features test-util --bench ooo_flood)
echo
echo "== nids stats vs libnids, N = 20,000 (2N + 4 frames, holes filled in reverse)"
(cd "$ROOT" && cargo build --release -q -p nids-host --bin nids)
${CC:-gcc} -O2 -Wall -Wextra -o "$WORK/libnids_stats" "$ROOT/bench/libnids_stats.c" -lnids -lpcap
python3 "$ROOT/bench/flood-pcap.py" 20000 "$WORK/flood-20000.pcap"
python3 "$ROOT/bench/run.py" --runs "$RUNS" --nids "$ROOT/target/release/nids" \
  --libnids "$WORK/libnids_stats" "$WORK/flood-20000.pcap"

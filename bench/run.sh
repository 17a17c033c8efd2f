#!/usr/bin/env bash
# The nids-rs vs libnids benchmark (see bench/README.md).
#
#   bench/run.sh            build, make the capture if missing, run both, compare
#
# Environment (all optional):
#   BENCH_DIR=/tmp/nids-bench  where the seed, the capture and the C harness go
#                              (nothing of it is committed)
#   RUNS=7                     timed runs of each tool, alternating
#   COPIES=5                   copies of the seed in the capture (about 66 MB each)
#   REORDER=0.003              fraction of data segments reordered per copy
#   HOSTS=64                   address pairs per copy (the seed has one client and
#                              one server; --threads shards by address pair)
#   STREAMS=                   --streams N for nids (libnids gets the matching
#                              n_tcp_streams); default: both at libnids' 1040 / 781
#   BENCH_CPU=                 pin both tools to this CPU (taskset)
#   THREADS=1,2                the nids --threads values measured, in turn with libnids
#   REGEN=1                    remake the seed and the capture
#   BENCH_NETNS=nidsb          name prefix of the seed's network namespaces
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/nids-bench}
RUNS=${RUNS:-7} COPIES=${COPIES:-5} REORDER=${REORDER:-0.003} HOSTS=${HOSTS:-64}
mkdir -p "$WORK"

if [ ! -e /usr/include/nids.h ] || [ ! -e /usr/include/pcap.h ]; then
  echo "== installing libnids-dev libpcap-dev" >&2
  apt-get install -y --no-install-recommends libnids-dev libpcap-dev >&2
fi

echo "== building" >&2
(cd "$ROOT" && cargo build --release -q -p nids-host --bin nids)
cargo build --release -q --manifest-path "$ROOT/bench/gen/Cargo.toml"
${CC:-gcc} -O2 -Wall -Wextra -o "$WORK/libnids_stats" "$ROOT/bench/libnids_stats.c" -lnids -lpcap
NIDS="$ROOT/target/release/nids"
GEN="$ROOT/bench/gen/target/release/nids-bench-gen"

SEED="$WORK/seed.pcap"
CAP="$WORK/bench-c$COPIES-r$REORDER-h$HOSTS.pcap"
if [ "${REGEN:-0}" = 1 ]; then rm -f "$SEED" "$WORK"/bench-*.pcap; fi
if [ ! -s "$SEED" ]; then
  echo "== seed capture (network namespaces)" >&2
  SEED_PAR=${SEED_PAR:-64} "$ROOT/bench/make-seed.sh" "$SEED.tmp" && mv "$SEED.tmp" "$SEED"
fi
if [ ! -s "$CAP" ]; then
  echo "== benchmark capture" >&2
  "$GEN" "$SEED" "$CAP.tmp" --copies "$COPIES" --hosts "$HOSTS" --reorder "$REORDER" && mv "$CAP.tmp" "$CAP"
fi

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB;" \
     "kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: compare ratios within one run)"
echo "tools: $(rustc --version), $(${CC:-gcc} --version | head -1), libnids $(dpkg-query -W -f='${Version}' libnids-dev 2>/dev/null || echo '?'), libpcap $(dpkg-query -W -f='${Version}' libpcap0.8 2>/dev/null || echo '?')"
echo "nids-rs: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- nids-core nids-host || echo ' + uncommitted changes')"
args=(--runs "$RUNS" --threads "${THREADS:-1,2}" --nids "$NIDS" --libnids "$WORK/libnids_stats")
[ -n "${STREAMS:-}" ] && args+=(--streams "$STREAMS")
[ -n "${BENCH_CPU:-}" ] && args+=(--cpu "$BENCH_CPU")
exec python3 "$ROOT/bench/run.py" "${args[@]}" "$CAP"

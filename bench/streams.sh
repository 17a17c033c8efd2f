#!/usr/bin/env bash
# What a stream table of N slots costs before and while packets flow: peak RSS
# and wall time of `nids stats --streams N` on a small capture, for three N, and
# of libnids with n_tcp_streams = 65536 on the same capture (issue 14).
#
#   bench/streams.sh [CAPTURE]     default: tests/data/real/http.pcap
#
# Prints, per N: the median peak RSS (ru_maxrss, /usr/bin/time's "%M") and wall
# time over RUNS runs (default 5) and the resident bytes per slot above the
# 65,536-slot run; then nids-rs/libnids ratios at 65,536. (The bytes per slot
# a table reserves, virtual, are printed by `cargo test -p nids-host --test
# memory -- --nocapture`.)
# Needs a release `nids` (built here) and libnids-dev + libpcap-dev.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/nids-bench}
RUNS=${RUNS:-5}
CAP=${1:-$ROOT/tests/data/real/http.pcap}
mkdir -p "$WORK"
if [ -z "${NIDS:-}" ]; then   # NIDS=path: measure that binary instead
  (cd "$ROOT" && cargo build --release -q -p nids-host --bin nids)
  NIDS="$ROOT/target/release/nids"
fi
${CC:-gcc} -O2 -Wall -Wextra -o "$WORK/libnids_stats" "$ROOT/bench/libnids_stats.c" -lnids -lpcap

# median of "maxrss_kb wall_s" over RUNS runs of the command
measure() {
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$WORK/time.txt" "$@" > /dev/null 2>&1
    t1=$(date +%s%N)
    echo "$(cat "$WORK/time.txt") $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')"
  done > "$WORK/runs.txt"
  local m=$(( (RUNS + 1) / 2 ))
  echo "$(cut -d' ' -f1 "$WORK/runs.txt" | sort -n | sed -n "${m}p")" \
       "$(cut -d' ' -f2 "$WORK/runs.txt" | sort -n | sed -n "${m}p")"
}

echo "capture: $CAP ($(stat -c %s "$CAP") bytes); $RUNS runs each, medians"
read -r base_rss base_wall < <(measure "$NIDS" stats --streams 65536 "$CAP")
for n in 65536 1048576 4194304; do
  read -r rss wall < <(measure "$NIDS" stats --streams "$n" "$CAP")
  per=$(awk -v a="$rss" -v b="$base_rss" -v n="$n" 'BEGIN { if (n == 65536) print "-"; else printf "%.2f", (a - b) * 1024 / (n - 65536) }')
  printf "nids-rs --streams %8d: peak RSS %7.1f MiB, wall %6.4f s, resident bytes/slot above 65536: %s\n" \
    "$n" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$wall" "$per"
  [ "$n" = 65536 ] && { nids_rss=$rss; nids_wall=$wall; }
done
read -r lrss lwall < <(measure "$WORK/libnids_stats" --streams 65536 "$CAP")
printf "libnids n_tcp_streams=65536: peak RSS %7.1f MiB, wall %6.4f s\n" "$(awk -v r="$lrss" 'BEGIN { print r / 1024 }')" "$lwall"
awk -v a="$nids_rss" -v b="$lrss" -v c="$nids_wall" -v d="$lwall" \
  'BEGIN { printf "ratio nids-rs/libnids at 65536 slots: peak RSS %.2f, wall %.2f\n", a / b, (d > 0 ? c / d : 0) }'

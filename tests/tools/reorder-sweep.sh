#!/usr/bin/env bash
# Issue 22's sweep over real traffic: fresh reordering captures (gen_reorder.sh) for
# SEEDS settings spread over hold probabilities 0.01-0.1 and hold times 5-80 ms; every
# TCP stream of `nids streams --json` (and with --skip-gaps) must equal the unbounded
# reassembler over tshark (ideal.py): bytes, SHA-256, end.
#
#   sudo tests/tools/reorder-sweep.sh [SEEDS] [FIRST_SEED]     (default 20, random)
#
# Needs root, tshark, python3, curl, tcpdump, ethtool, and target/release/nids
# (NIDS_BIN). A capture that differs is kept in $SWEEP_DIR (default
# /tmp/nids-sweep); the others are deleted. Exit status 1 on any difference.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=${1:-20}
FIRST=${2:-$((RANDOM * 32768 + RANDOM))}
NIDS=${NIDS_BIN:-$ROOT/target/release/nids}
DIR=${SWEEP_DIR:-/tmp/nids-sweep}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
for t in tshark python3 curl tcpdump ethtool; do
    command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
[ -x "$NIDS" ] || { echo "no $NIDS: cargo build --release -p nids-host" >&2; exit 2; }
mkdir -p "$DIR"
fail=0
printf '%-10s %-6s %-6s %-8s %-8s %s\n' seed hold ms streams frames result
for i in $(seq 0 $((N - 1))); do
    seed=$((FIRST + i))
    # spread: probability rises with i, hold time walks the range in another order
    prob=$(python3 -c "print(round(0.01 + 0.09 * $i / max(1, $N - 1), 3))")
    ms=$(python3 -c "print(5 + (75 * (($i * 7) % $N)) // max(1, $N - 1))")
    cap="$DIR/reorder-$seed-$prob-$ms.pcap"
    bash "$HERE/gen_reorder.sh" "$cap" "$seed" "$prob" "$ms" >/dev/null 2>&1
    frames=$(tshark -r "$cap" 2>/dev/null | wc -l)
    result=ok
    for mode in "" --skip-gaps; do
        python3 "$HERE/ideal.py" "$cap" $mode >"$cap.want$mode.jsonl"
        "$NIDS" streams --json $mode "$cap" >"$cap.got$mode.jsonl"
        if ! python3 "$HERE/compare.py" "$cap.want$mode.jsonl" "$cap.got$mode.jsonl" \
            --kinds tcp >"$cap.cmp$mode.txt" 2>&1; then
            result="DIFFERS${mode:+ ($mode)}: $(tail -n 1 "$cap.cmp$mode.txt")"
        fi
    done
    streams=$(grep -c '"kind":"tcp"' "$cap.got.jsonl" || true)
    printf '%-10s %-6s %-6s %-8s %-8s %s\n' "$seed" "$prob" "$ms" "$streams" "$frames" "$result"
    if [ "$streams" -lt 5 ]; then
        result="too few streams"
        echo "  $seed: $streams streams, 5 downloads expected: the capture went wrong" >&2
    fi
    if [ "$result" = ok ]; then
        rm -f "$cap" "$cap".*
    else
        fail=1
        echo "  kept $cap" >&2
    fi
done
[ $fail = 0 ] && echo "sweep: $N captures, every stream equals the unbounded reassembler"
exit $fail

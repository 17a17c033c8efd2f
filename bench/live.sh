#!/usr/bin/env bash
# Live benchmark (root): real HTTP downloads between two network namespaces
# joined by a veth pair, as fast as the pair goes, for SECS seconds, captured
# by `nids stats -i VETH --capture af-packet --threads N` for each N; prints
# the rate the downloads reached, what nids reassembled and the kernel's drops.
#
#   sudo bench/live.sh
#
# Environment (all optional):
#   THREADS=1,2        engines (af-packet rings) measured, in turn
#   SECS=5             seconds of downloads per run
#   CLIENTS=4          parallel curl loops
#   FILE_MB=64         size of the file downloaded (kept in memory, tmpfs)
#   RING_MB=64         --ring-mb (per engine)
#   BENCH_NETNS=nidsl  name prefix of the namespaces
#   NIDS=target/release/nids (built when missing)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THREADS=${THREADS:-1,2} SECS=${SECS:-5} CLIENTS=${CLIENTS:-4} FILE_MB=${FILE_MB:-64}
RING_MB=${RING_MB:-64} P=${BENCH_NETNS:-nidsl}
NIDS=${NIDS:-$ROOT/target/release/nids}
[ -x "$NIDS" ] || (cd "$ROOT" && cargo build --release -q -p nids-host --bin nids)
A=${P}A B=${P}B VA=${P}va VB=${P}vb
WWW=$(mktemp -d /dev/shm/nids-live.XXXXXX)
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$WWW"
}
trap cleanup EXIT
cleanup
WWW=$(mktemp -d /dev/shm/nids-live.XXXXXX)
ip netns add "$A"; ip netns add "$B"
ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B"
ip -n "$A" addr add 10.227.0.1/24 dev "$VA"; ip -n "$B" addr add 10.227.0.2/24 dev "$VB"
for x in "$A $VA" "$B $VB"; do set -- $x; ip -n "$1" link set "$2" up; ip -n "$1" link set lo up; done
head -c "$((FILE_MB << 20))" /dev/zero > "$WWW/f.bin"
(cd "$WWW" && exec ip netns exec "$B" python3 -m http.server --bind 10.227.0.2 8027 >/dev/null 2>&1) &
SERVER=$!
for _ in $(seq 50); do
  ip netns exec "$A" curl -s -o /dev/null http://10.227.0.2:8027/ && break
  sleep 0.1
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; kernel $(uname -r);" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
echo "nids-rs: $(cd "$ROOT" && git rev-parse --short HEAD); $CLIENTS curl loops over a $FILE_MB MiB file for $SECS s; rings $RING_MB MiB per engine"
printf '%-8s %12s %12s %14s %12s %12s %10s\n' engines 'sent MB' 'Gbit/s' 'tcp bytes MB' 'kernel pkts' 'drops' 'drop %'
for n in ${THREADS//,/ }; do
  OUT=$(mktemp) ERR=$(mktemp)
  ip netns exec "$A" "$NIDS" stats -i "$VA" --capture af-packet --threads "$n" \
     --ring-mb "$RING_MB" --checksum auto >"$OUT" 2>"$ERR" &
  NP=$!
  sleep 1
  SENT=$(mktemp)
  end=$(( $(date +%s%N) + SECS * 1000000000 ))
  for c in $(seq "$CLIENTS"); do
    ( while [ "$(date +%s%N)" -lt "$end" ]; do
        ip netns exec "$A" curl -s -o /dev/null -w '%{size_download}\n' \
          --max-time "$SECS" http://10.227.0.2:8027/f.bin || true
      done >> "$SENT.$c" ) &
  done
  start=$(date +%s%N)
  wait $(jobs -p | grep -v "^$SERVER\$" | grep -v "^$NP\$") 2>/dev/null || true
  secs=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 1
  kill -INT "$NP"; wait "$NP" || true
  sent=$(cat "$SENT".* | awk '{s+=$1} END {print s+0}')
  tcp=$(awk '/^tcp bytes/ {print $3}' "$OUT")
  read -r drops pkts < <(awk '/^kernel drops/ {print $3, $5}' "$OUT")
  awk -v n="$n" -v s="$sent" -v ms="$secs" -v t="${tcp:-0}" -v p="${pkts:-0}" -v d="${drops:-0}" 'BEGIN {
    printf "%-8s %12.0f %12.2f %14.0f %12d %12d %9.2f%%\n", n, s/1e6, s*8/ms/1e6, t/1e6, p, d, (p ? 100*d/p : 0) }'
  rm -f "$OUT" "$ERR" "$SENT" "$SENT".*
done

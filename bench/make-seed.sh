#!/usr/bin/env bash
# Make the seed capture for the benchmark: real HTTP/1.1 traffic between two
# network namespaces, captured with tcpdump (Ethernet, IPv4, valid checksums).
#
#   bench/make-seed.sh OUT.pcap            (root; iproute2, ethtool, tcpdump, curl, python3)
#
# Topology: nidsbA (10.78.1.2, vA) <-veth-> nidsbB (10.78.1.3, vB); capture on vB.
# Offloads (checksum, TSO, GSO, GRO) are off on both ends, so every checksum in
# the capture is right and no segment is larger than the MTU (1500).
#
# Traffic (deterministic plan, SEED_REQS requests, about 40 MB): B runs
# `python3 -m http.server --protocol HTTP/1.1` over files with a web-like size
# mix (60 % 1-10 KB, 30 % 10-100 KB, 8 % 100 KB-1 MB, 2 % 1-4 MB); A runs
# SEED_PAR curl workers in parallel, each connection fetching 1 to 6 objects
# (keep-alive), then closing.  Nothing here is committed: bench/run.sh makes it
# under its work directory and multiplies it (bench/gen).
set -euo pipefail
OUT=${1:?usage: make-seed.sh OUT.pcap}
PY=${PY:-/usr/bin/python3}
PAR=${SEED_PAR:-8}
REQS=${SEED_REQS:-900}
# BENCH_NETNS: the namespaces' name prefix (several runs may share a machine).
A=${BENCH_NETNS:-nidsb}A B=${BENCH_NETNS:-nidsb}B A4=10.78.1.2 B4=10.78.1.3

[ "$(id -u)" = 0 ] || { echo "make-seed.sh needs root (network namespaces)" >&2; exit 1; }
for t in ip ethtool tcpdump curl; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install -y iproute2 ethtool tcpdump curl)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nids-bench-seed.XXXXXX)
SRV= CAP=
cleanup() {
  [ -n "$CAP" ] && kill -TERM "$CAP" 2>/dev/null || true
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
ip netns add $A; ip netns add $B
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link add name vA address 02:78:00:01:00:02 type veth peer name vB netns $B address 02:78:00:01:00:03
for x in "$A vA" "$B vB"; do
  set -- $x
  ip netns exec $1 ethtool -K $2 tx off rx off tso off gso off gro off >/dev/null
  ip -n $1 link set $2 up
done
ip -n $A addr add $A4/24 dev vA
ip -n $B addr add $B4/24 dev vB
for i in $(seq 1 20); do ip netns exec $A ping -c1 -W1 $B4 >/dev/null 2>&1 && break; sleep 0.2; done

# Files and the request plan (one line per connection: its URLs).
mkdir -p "$WORK/www"
$PY - "$WORK/www" "$WORK/plan" "$REQS" "$B4" <<'PYEOF'
import os, random, sys
www, plan, reqs, host = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = random.Random(20240901)
def size():
    x = r.random()
    if x < 0.60: return r.randint(1000, 10000)
    if x < 0.90: return r.randint(10000, 100000)
    if x < 0.98: return r.randint(100000, 1000000)
    return r.randint(1000000, 4000000)
names = []
for i in range(400):
    n = "o%03d" % i
    with open(os.path.join(www, n), "wb") as f:
        f.write(r.randbytes(size()))
    names.append(n)
with open(plan, "w") as f:
    left = reqs
    while left > 0:
        k = min(left, r.randint(1, 6))
        left -= k
        f.write(" ".join("http://%s:8000/%s" % (host, r.choice(names)) for _ in range(k)) + "\n")
PYEOF

ip netns exec $B sh -c "cd '$WORK/www' && exec $PY -m http.server 8000 --bind $B4 --protocol HTTP/1.1" \
  >"$WORK/httpd.log" 2>&1 &
SRV=$!
for i in $(seq 1 50); do ip netns exec $B ss -ltn | grep -q ":8000 " && break; sleep 0.1; done

ip netns exec $B tcpdump -i vB -w "$WORK/seed.pcap" -U -n -s 0 -B 65536 -Z root "tcp" \
  >"$WORK/tcpdump.log" 2>&1 &
CAP=$!
for i in $(seq 1 100); do grep -qs "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
sleep 0.3

# shellcheck disable=SC2016
xargs -P "$PAR" -L 1 ip netns exec $A curl -sS --max-time 60 -o /dev/null -o /dev/null \
  -o /dev/null -o /dev/null -o /dev/null -o /dev/null <"$WORK/plan"

sleep 1
kill -TERM "$CAP"; wait "$CAP" || true; CAP=
grep -E "packets (captured|dropped by kernel)" "$WORK/tcpdump.log" | sed 's/^/seed: /' >&2
if grep -qE "^[1-9][0-9]* packets dropped by kernel" "$WORK/tcpdump.log"; then
  echo "seed: tcpdump dropped packets; rerun" >&2; exit 1
fi
cp "$WORK/seed.pcap" "$OUT"
echo "seed: $OUT ($(stat -c %s "$OUT") bytes)" >&2

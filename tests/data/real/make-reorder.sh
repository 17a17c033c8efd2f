#!/usr/bin/env bash
# Make reorder-ahead.pcap: one TCP transfer through a path that holds back some data
# segments, so the receiver sees data far ahead of its next expected byte and
# both Linux stacks react (SACK, duplicate ACKs, retransmissions).
#
#   sudo tests/data/real/make-reorder.sh
#
# Needs root, iproute2, ethtool, tcpdump, python3. Namespaces
#   qA (client, vA 10.78.0.2) --(vA|rA)-- qR (relay.py) --(rB|vB)-- qB (server, 10.78.0.3)
# B sends NOUT bytes to A. B's first flight is large (initcwnd 320 on B's route,
# A's receive window opened with initrwnd and tcp_rmem), and the user-space
# bridge in R (relay.py) holds every EVERY-th data frame towards A back for 25 ms,
# so later segments overtake it (the kernel here has no netem). Captured on A's
# interface: what the receiver got, in the order it got it. Namespaces are
# deleted on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
PY=${PY:-/usr/bin/python3}
TOOL="$PY $HERE/nettool.py"
NOUT=${NOUT:-300000}
EVERY=${EVERY:-40}
A=qA R=qR B=qB

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
for t in ip ethtool tcpdump; do
  command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/nids-reorder.XXXXXX)
CAP_PID= SRV_PID= RELAY_PID=
teardown() { for ns in $A $R $B; do ip netns del $ns 2>/dev/null || true; done; }
cleanup() {
  [ -n "$CAP_PID" ] && kill -TERM "$CAP_PID" 2>/dev/null || true
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null || true
  [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null || true
  teardown; rm -rf "$WORK"
}
trap cleanup EXIT

teardown
for ns in $A $R $B; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n $A link add name vA address 02:78:00:01:00:02 type veth peer name rA netns $R address 02:78:00:01:00:01
ip -n $B link add name vB address 02:78:00:02:00:02 type veth peer name rB netns $R address 02:78:00:02:00:01
for x in "$A vA" "$R rA" "$R rB" "$B vB"; do
  set -- $x
  ip netns exec $1 ethtool -K $2 tx off rx off tso off gso off gro off >/dev/null
  ip -n $1 link set $2 up
done
ip -n $A addr add 10.78.0.2/24 dev vA
ip -n $B addr add 10.78.0.3/24 dev vB
ip -n $A route replace 10.78.0.0/24 dev vA proto kernel scope link src 10.78.0.2 initrwnd 400
ip -n $B route replace 10.78.0.0/24 dev vB proto kernel scope link src 10.78.0.3 initcwnd 320
ip netns exec $A sysctl -qw net.ipv4.tcp_rmem="4096 1048576 8388608"
ip netns exec $B sysctl -qw net.ipv4.tcp_wmem="4096 1048576 8388608"
ip netns exec $R $PY "$HERE/relay.py" rA rB "$EVERY" 25 >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
for i in $(seq 50); do grep -q "relay ready" "$WORK/relay.log" && break; sleep 0.1; done
ip netns exec $A $PY -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('10.78.0.3', 9))"
sleep 0.5  # neighbours resolved before the capture

ip netns exec $B $TOOL tcp-bulk-server 8000 100 "$NOUT" >"$WORK/srv.log" 2>&1 &
SRV_PID=$!
sleep 0.5
ip netns exec $A tcpdump -i vA -w "$WORK/reorder.pcap" -U -n -s 0 -Z root >"$WORK/tcpdump.log" 2>&1 &
CAP_PID=$!
for i in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
sleep 0.3
ip netns exec $A $TOOL tcp-bulk-client 10.78.0.3 8000 100 "$NOUT"
wait "$SRV_PID"; SRV_PID=
sleep 0.5
kill -TERM "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=
cp "$WORK/reorder.pcap" "$OUT/reorder-ahead.pcap"
ls -l "$OUT/reorder-ahead.pcap"

#!/usr/bin/env bash
# Make the real-traffic captures in this folder (see README.md).
#
#   sudo tests/data/real/make-captures.sh [udp|http|frag|nmap|offload ...]   (default: all)
#
# Needs root, iproute2, ethtool, tcpdump, python3, curl, nmap. Builds three network
# namespaces  nidsA --(vA|rA)-- nidsR --(rB|vB)-- nidsB  (nidsR routes between them),
# sends traffic only between them, captures on the router's B-side veth (rB) and
# deletes the namespaces on exit (NS_PREFIX=x names them xA, xR, xB instead, so that
# runs at the same time do not collide). Rerunning overwrites the captures (contents are
# deterministic apart from timestamps, ports, IP ids and sequence numbers).
#
#   A: vA 10.77.1.2/24 fd77:1::2/64          B: vB 10.77.2.2/24 fd77:2::2/64
#   R: rA 10.77.1.1/24 fd77:1::1/64             rB 10.77.2.1/24 fd77:2::1/64
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
PY=${PY:-/usr/bin/python3}
TOOL="$PY $HERE/nettool.py"
P=${NS_PREFIX:-nids}
A=${P}A R=${P}R B=${P}B
A4=10.77.1.2 B4=10.77.2.2 A6=fd77:1::2 B6=fd77:2::2

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
need="ip ethtool tcpdump curl ss"
case " ${*:-nmap} " in *" nmap "*) need="$need nmap" ;; esac
for t in $need; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install -y iproute2 ethtool tcpdump curl nmap)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nids-captures.XXXXXX)
PIDS=()
CAP_PID=

inA() { ip netns exec $A "$@"; }
inB() { ip netns exec $B "$@"; }
inR() { ip netns exec $R "$@"; }

bg() {  # bg NS LOGNAME CMD... : run in the background inside NS, remember the pid
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

stop_bg() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

teardown() {
  local ns
  for ns in $A $R $B; do ip netns del $ns 2>/dev/null || true; done
}

cleanup() {
  [ -n "$CAP_PID" ] && kill -TERM "$CAP_PID" 2>/dev/null || true
  exec 7>&- 2>/dev/null || true
  stop_bg
  teardown
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# setup MODE: MODE=plain (all MTU 1500) or frag (A--R MTU 9000, A without PMTU discovery,
# B advertises a 8960-byte MSS so A sends jumbo TCP segments that R must fragment).
setup() {
  local mode=$1 mtuA=1500 ns
  [ "$mode" = frag ] && mtuA=9000
  teardown
  for ns in $A $R $B; do
    ip netns add $ns
    ip netns exec $ns sysctl -qw net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.all.accept_ra=0
    ip -n $ns link set lo up
  done
  ip -n $A link add name vA address 02:77:00:01:00:02 mtu $mtuA type veth \
     peer name rA netns $R address 02:77:00:01:00:01 mtu $mtuA
  ip -n $B link add name vB address 02:77:00:02:00:02 type veth \
     peer name rB netns $R address 02:77:00:02:00:01
  for x in "$A vA" "$R rA" "$R rB" "$B vB"; do
    set -- $x
    # OFFLOAD=on leaves the veths as Linux makes them: transmit checksum offload on
    if [ "${OFFLOAD:-off}" != on ]; then
      ip netns exec $1 ethtool -K $2 tx off rx off tso off gso off gro off >/dev/null 2>&1 \
        || ip netns exec $1 ethtool -K $2 tx off rx off tso off gso off gro off
    fi
    ip -n $1 link set $2 up
  done
  ip -n $A addr add $A4/24 dev vA;  ip -n $A addr add $A6/64 dev vA nodad
  ip -n $R addr add 10.77.1.1/24 dev rA; ip -n $R addr add fd77:1::1/64 dev rA nodad
  ip -n $R addr add 10.77.2.1/24 dev rB; ip -n $R addr add fd77:2::1/64 dev rB nodad
  ip -n $B addr add $B4/24 dev vB;  ip -n $B addr add $B6/64 dev vB nodad
  inR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n $A route add default via 10.77.1.1
  if [ "$mode" = frag ]; then
    inA sysctl -qw net.ipv4.ip_no_pmtu_disc=1
    ip -n $A -6 route add default via fd77:1::1 mtu 1500
    ip -n $B route add default via 10.77.2.1 advmss 8960
  else
    ip -n $A -6 route add default via fd77:1::1
    ip -n $B route add default via 10.77.2.1
  fi
  ip -n $B -6 route add default via fd77:2::1
  # resolve neighbours before capturing, so captures are not mostly ARP/ND
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    inA ping -c1 -W1 $B4 >/dev/null 2>&1 && inA ping -6 -c1 -W1 $B6 >/dev/null 2>&1 && break
    sleep 0.5
  done
  inA ping -c1 -W1 $B4 >/dev/null && inA ping -6 -c1 -W1 $B6 >/dev/null
  sleep 1
}

wait_port() {  # wait_port NS tcp|udp PORT
  local i flag=-ltn
  [ "$2" = udp ] && flag=-lun
  for i in $(seq 1 50); do
    ip netns exec "$1" ss $flag "sport = :$3" | grep -q ":$3 " && return 0
    sleep 0.1
  done
  echo "port $3 not listening in $1" >&2; return 1
}

wait_log() {  # wait_log FILE TEXT
  local i
  for i in $(seq 1 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for '$2' in $1" >&2; tail -n 5 "$WORK"/*.log >&2; return 1
}

cap_start() {  # cap_start NAME [NS IFACE]: capture on R's B-side veth (or IFACE) into $WORK/NAME
  CAP_FILE=$1
  local ns=${2:-$R} iface=${3:-rB}
  # a simple command (no function/subshell), so $! is tcpdump itself
  ip netns exec $ns tcpdump -i $iface -w "$WORK/$CAP_FILE" -U -n -s 0 -Z root \
    >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  wait_log "$WORK/tcpdump.log" "listening on"
  sleep 0.3
}

cap_stop() {  # let the last packets arrive, stop tcpdump cleanly, install the file
  sleep 1
  kill -TERM "$CAP_PID"    # (background jobs ignore SIGINT); tcpdump flushes on TERM
  wait "$CAP_PID" || true
  CAP_PID=
  grep -E "packets (captured|dropped by kernel)" "$WORK/tcpdump.log" | sed "s/^/  $CAP_FILE: /"
  cp "$WORK/$CAP_FILE" "$OUT/$CAP_FILE"
}

# ---------------------------------------------------------------------------------------
do_udp() {
  echo "== udp.pcap"
  setup plain
  bg $B udpecho  $TOOL udp-echo 7 9999
  bg $B dns      $TOOL dns-server 53
  bg $B sink     $TOOL udp-sink 5140
  bg $A udpechoA $TOOL udp-echo 6000
  wait_port $B udp 7; wait_port $B udp 9999; wait_port $B udp 53
  wait_port $B udp 5140; wait_port $A udp 6000
  cap_start udp.pcap
  local v4="0 1 100 512 1400 1472" v6="0 1 100 512 1400 1452"
  inA $TOOL udp-client $B4 7 $v4
  inA $TOOL udp-client $B6 7 $v6
  inA $TOOL udp-client $B4 9999 $v4
  inA $TOOL udp-client $B6 9999 $v6
  inB $TOOL udp-client $A4 6000 $v4      # B initiates, A echoes
  inB $TOOL udp-client $A6 6000 $v6
  inA $TOOL dns-client $B4 53 host1.example.test:A host1.example.test:AAAA \
      www.nids.test:A missing.nids.test:TXT
  inA $TOOL dns-client $B6 53 host2.example.test:AAAA www.nids.test:A \
      host3.example.test:AAAA nothing.example.test:TXT
  inA $TOOL udp-oneway $B4 5140 10 200    # one-way, no reply (syslog-like)
  inA $TOOL udp-oneway $B6 5140 10 200
  cap_stop
  stop_bg
}

do_http() {
  echo "== http.pcap"
  setup plain
  $TOOL make-files "$WORK/www" empty:0 one:1 k1:1000 k100:100000 m1:1000000
  bg $B httpd    sh -c "cd '$WORK/www' && exec $PY -m http.server 8000 --bind ::"
  bg $B rstsrv   $TOOL tcp-rst-server 8081 20000
  bg $B holdsrv  $TOOL tcp-hold-server 7000
  wait_port $B tcp 8000; wait_port $B tcp 8081; wait_port $B tcp 7000
  mkfifo "$WORK/hold.in"
  cap_start http.pcap
  # a connection that stays open until after the capture ends
  exec 7<>"$WORK/hold.in"   # read-write open: does not block, keeps the fifo open
  # (not via bg: an explicit stdin redirect is needed, else '&' gives /dev/null)
  ip netns exec $A $TOOL tcp-hold-client $B4 7000 <"$WORK/hold.in" >"$WORK/holdcli.log" 2>&1 &
  PIDS+=($!)
  echo "hello from A" >&7
  wait_log "$WORK/holdcli.log" "reply B got: hello from A"
  local f
  for f in empty one k1 k100 m1; do
    inA curl -sS -o /dev/null "http://$B4:8000/$f"
  done
  inA curl -sS -o /dev/null "http://[$B6]:8000/k1"
  inA curl -sS -o /dev/null "http://[$B6]:8000/k100"
  inA $TOOL tcp-rst-client $B4 8000 /k100 10000          # client resets mid-transfer
  inA $TOOL tcp-rst-server-client $B4 8081               # server resets mid-response
  echo "still here" >&7
  wait_log "$WORK/holdcli.log" "reply B got: still here"
  cap_stop                 # tcpdump has stopped: the hold connection is still open
  exec 7>&-
  stop_bg
}

do_frag() {
  echo "== frag.pcap"
  setup frag
  bg $A sinkA $TOOL udp-sink 5001
  bg $B sinkB $TOOL udp-sink 5001
  bg $B bulk  $TOOL tcp-bulk-server 5002 20000 6000
  wait_port $A udp 5001; wait_port $B udp 5001; wait_port $B tcp 5002
  cap_start frag.pcap
  # B fragments at MTU 1500 itself
  inB $TOOL udp-oneway $A4 5001 1500 3000 9000 30000 65000 65507
  inB $TOOL udp-oneway $A6 5001 1500 3000 9000 30000 65000 65527
  # A (MTU 9000, DF clear): R fragments (or refragments A's 9000-byte fragments)
  inA $TOOL udp-oneway $B4 5001 1500 3000 9000 30000 65000
  # A over IPv6: the route MTU is 1500, so A fragments
  inA $TOOL udp-oneway $B6 5001 3000 30000
  # TCP: A sends 8948-byte segments with DF clear, R fragments them; B answers
  inA $TOOL tcp-bulk-client $B4 5002 20000 6000
  cap_stop
  stop_bg
}

do_nmap() {
  echo "== nmap-*.pcap"
  setup plain
  bg $B listen $TOOL tcp-listen 21 22 80 111
  wait_port $B tcp 22
  local kind opts
  for kind in syn fin null xmas; do
    case $kind in
      syn)  opts="-sS -p 1-200" ;;
      fin)  opts="-sF -p 1-30" ;;
      null) opts="-sN -p 1-30" ;;
      xmas) opts="-sX -p 1-30" ;;
    esac
    cap_start nmap-$kind.pcap
    inA nmap -n -Pn $opts --max-rate 300 --max-retries 1 $B4 >"$WORK/nmap-$kind.txt"
    grep -E "^[0-9]+/tcp" "$WORK/nmap-$kind.txt" | sed "s/^/  nmap-$kind: /" || true
    cap_stop
  done
  stop_bg
}

do_offload() {
  echo "== offload.pcap"
  OFFLOAD=on setup plain
  $TOOL make-files "$WORK/www" k1:1000 k20:20000
  bg $B httpd sh -c "cd '$WORK/www' && exec $PY -m http.server 8000 --bind ::"
  wait_port $B tcp 8000
  # on the client host itself, as a capture taken on a Linux host would be
  cap_start offload.pcap $A vA
  inA curl -sS -o /dev/null "http://$B4:8000/k1"
  inA curl -sS -o /dev/null "http://$B4:8000/k20"
  inA curl -sS -o /dev/null "http://[$B6]:8000/k1"
  cap_stop
  stop_bg
}

what=${*:-udp http frag nmap offload}
for w in $what; do do_$w; done
echo "done; now run: $HERE/make-expected.py"

#!/usr/bin/env bash
# Make the captures of the libnids drop-in tests (see README.md).
#
#   sudo tests/data/capi/make-captures.sh
#
# Needs root, iproute2, ethtool, tcpdump and python3. Builds two network
# namespaces joined by a veth pair (checksum offload off, so the captured
# checksums are the real ones), runs the scripted dialogues of dialogue.py
# between them over real kernel TCP, captures on the server side and deletes
# the namespaces on exit. The bytes are deterministic; times, ports and
# sequence numbers are not.
#
#   acapA: acA 10.78.1.1/24 (clients)      acapB: acB 10.78.1.2/24 (servers)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
PY=${PY:-/usr/bin/python3}
A=acapA B=acapB
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }

teardown() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
CAP=
cleanup() { [ -n "$CAP" ] && kill "$CAP" 2>/dev/null; teardown; }
trap cleanup EXIT

teardown
ip netns add $A
ip netns add $B
ip -n $A link add acA address 02:78:00:00:00:01 type veth peer name acB netns $B address 02:78:00:00:00:02
ip -n $A addr add 10.78.1.1/24 dev acA
ip -n $B addr add 10.78.1.2/24 dev acB
for ns in $A $B; do
  ip -n $ns link set lo up
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n $A link set acA up
ip -n $B link set acB up
ip netns exec $A ethtool -K acA tx off rx off >/dev/null 2>&1 || true
ip netns exec $B ethtool -K acB tx off rx off >/dev/null 2>&1 || true
# Fixed neighbours: no ARP in the captures.
ip -n $A neigh replace 10.78.1.2 lladdr 02:78:00:00:00:02 dev acA nud permanent
ip -n $B neigh replace 10.78.1.1 lladdr 02:78:00:00:00:01 dev acB nud permanent

# capture FILE NAME:PORT...: the dialogues in order, into one capture.
capture() {
  local file=$1 spec name port; shift
  ip netns exec $B tcpdump -q -i acB -w "$OUT/$file" -U 'tcp' 2>/dev/null &
  CAP=$!
  sleep 1
  for spec in "$@"; do
    name=${spec%%:*} port=${spec##*:}
    ip netns exec $B $PY "$HERE/dialogue.py" server "$name" "$port" >/dev/null &
    local srv=$!
    sleep 0.3
    ip netns exec $A $PY "$HERE/dialogue.py" client "$name" 10.78.1.2 "$port"
    wait $srv
    sleep 0.3
  done
  sleep 0.5
  kill $CAP; wait $CAP 2>/dev/null || true
  CAP=
  echo "$file: $(stat -c %s "$OUT/$file") bytes"
}

capture http.pcap http:80 http2:8080
capture mail.pcap smtp:25 pop3:110
capture irc.pcap irc:6667
capture login.pcap ftp:21 telnet:23 imap:143

#!/usr/bin/env bash
# Captures of real Linux traffic for tests/data/links and tests/data/tunnels:
#
#   sudo tests/data/make-netns.sh        (root, iproute2, ethtool, tcpdump, python3)
#
#   links/any-sll.pcap, links/any-sll2.pcap   tcpdump -i any (-y LINUX_SLL / LINUX_SLL2)
#   tunnels/vxlan-real.pcap                   a kernel VXLAN tunnel (VNI 42, port 4789),
#                                             inner TCP and UDP, inner and outer fragments
#   tunnels/vxlan-8472.pcap                   the same on Linux's old port 8472 (VNI 7)
#
# Two namespaces lnsA, lnsB joined by a veth pair (lA0 10.99.0.1, lB0 10.99.0.2,
# fd99::1, fd99::2); the tunnel lvx gets 10.100.0.1 / 10.100.0.2. Every interface
# name starts with "l". The namespaces are deleted on exit. Payloads are fixed, so a
# rerun changes only timestamps, ports, ids and sequence numbers. (This kernel has no
# GRE, Geneve, IP-in-IP or MPLS modules: those captures come from tunnels/make.py.)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
A=lnsA B=lnsB
WORK=$(mktemp -d /tmp/nids-netns.XXXXXX)
CAP=
cleanup() {
  [ -n "$CAP" ] && kill -TERM "$CAP" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add $A; ip netns add $B
for ns in $A $B; do
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n $ns link set lo up
done
ip -n $A link add lA0 type veth peer name lB0 netns $B
ip -n $A addr add 10.99.0.1/24 dev lA0; ip -n $A addr add fd99::1/64 dev lA0 nodad
ip -n $B addr add 10.99.0.2/24 dev lB0; ip -n $B addr add fd99::2/64 dev lB0 nodad
for x in "$A lA0" "$B lB0"; do
  set -- $x
  ip netns exec $1 ethtool -K $2 tx off rx off tso off gso off gro off >/dev/null
  ip -n $1 link set $2 up
done

# the server: answers each TCP connection's request with a fixed reply; echoes UDP
cat > "$WORK/srv.py" <<'PYEOF'
import socket, sys, threading
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 8080)); s.listen(8)
    while True:
        c, _ = s.accept(); n = int(c.recv(100).split()[1]); c.sendall(bytes(i % 251 for i in range(n))); c.close()
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 8081))
    while True:
        d, a = s.recvfrom(65535); s.sendto(d[::-1], a)
for fam, addr in [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")]:
    for f in (tcp, udp):
        threading.Thread(target=f, args=(fam, addr), daemon=True).start()
threading.Event().wait()
PYEOF
# the client: three TCP requests of different reply sizes and two UDP datagrams per address
cat > "$WORK/cli.py" <<'PYEOF'
import socket, sys
for host in sys.argv[1:]:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for n in (10, 5000):
        c = socket.create_connection((host, 8080)); c.sendall(b"GET %d\n" % n)
        while c.recv(65536): pass
        c.close()
    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(2)
    for n in (100, 4000):
        u.sendto(bytes(i % 13 for i in range(n)), (host, 8081)); u.recvfrom(65535)
PYEOF
ip netns exec $B $PY "$WORK/srv.py" & SRV=$!
trap 'kill $SRV 2>/dev/null || true; cleanup' EXIT
sleep 0.5

capture() {  # capture FILE IFACE [tcpdump options] -- HOSTS...
  local file=$1 iface=$2; shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
  ip netns exec $A tcpdump -i "$iface" "${opts[@]}" -w "$WORK/cap" -U -n -s 0 -Z root \
    >"$WORK/tcpdump.log" 2>&1 &
  CAP=$!
  for i in $(seq 50); do grep -q listening "$WORK/tcpdump.log" && break; sleep 0.1; done
  sleep 0.3
  ip netns exec $A $PY "$WORK/cli.py" "$@"
  sleep 1; kill -TERM $CAP; wait $CAP || true; CAP=
  cp "$WORK/cap" "$HERE/$file"; echo "wrote $file"
}

capture links/any-sll.pcap any -y LINUX_SLL -- 10.99.0.2 fd99::2
capture links/any-sll2.pcap any -y LINUX_SLL2 -- 10.99.0.2 fd99::2

vxlan() {  # vxlan VNI PORT FILE
  for x in "$A 10.99.0.2 10.99.0.1 10.100.0.1" "$B 10.99.0.1 10.99.0.2 10.100.0.2"; do
    set -- $x
    ip -n $1 link add lvx type vxlan id $VNI remote $2 local $3 dstport $PORT
    ip netns exec $1 ethtool -K lvx tx off rx off tso off gso off gro off >/dev/null
    ip -n $1 addr add $4/24 dev lvx; ip -n $1 link set lvx up
  done
  # lvx keeps MTU 1500 over a 1500-byte underlay: full-size inner packets make
  # outer packets that the kernel fragments (VXLAN does not set DF by default)
  ip -n $A link set lvx mtu 1500; ip -n $B link set lvx mtu 1500
  capture "$FILE" lA0 -- 10.100.0.2
  ip -n $A link del lvx; ip -n $B link del lvx
}
VNI=42 PORT=4789 FILE=tunnels/vxlan-real.pcap vxlan
VNI=7 PORT=8472 FILE=tunnels/vxlan-8472.pcap vxlan

#!/bin/sh
# tshark's view of every tunnel capture in this folder (see README.md):
#
#   tests/data/tunnels/make-expected.sh        (needs tshark)
#
# writes <capture>.tshark.jsonl (../tshark_view.py). Special cases:
# * vxlan-8472.pcap: tshark is told the port (-d udp.port==8472,vxlan), as nids is;
# * gtpu-port.pcap: tshark is told the port (-d udp.port==12152,gtp); nids finds
#   the G-PDUs by their header alone;
# * vxlan-tenants.pcap: tshark's conversations ignore the VNI, so it would merge the
#   two tenants' identical TCP tuples into one stream; its view is the union of
#   its views of each VNI's packets (tshark -Y vxlan.vni==N);
# * ip4in4-deep.pcap has none: nids stops at 4 levels by design (tshark goes on);
# * gre-two-tunnels.pcap has none: tshark merges one inner tuple in two tunnels
#   (tests/tests/tunnels.rs checks it is two flows).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PY:-/usr/bin/python3}
view="$py $here/../tshark_view.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for cap in "$here"/*.pcap; do
    name=$(basename "$cap" .pcap)
    out="$cap.tshark.jsonl"
    case $name in
    ip4in4-deep | gre-two-tunnels) continue ;;
    vxlan-8472) $view "$cap" "$out" -d udp.port==8472,vxlan ;;
    gtpu-port) $view "$cap" "$out" -d udp.port==12152,gtp ;;
    vxlan-tenants)
        : > "$out"
        for vni in 100 200; do
            tshark -r "$cap" -Y "vxlan.vni==$vni" -w "$tmp/$vni.pcap" 2>/dev/null
            $view "$tmp/$vni.pcap" - >> "$out"
        done ;;
    *) $view "$cap" "$out" ;;
    esac
    echo "$name: $(wc -l < "$out") lines"
done

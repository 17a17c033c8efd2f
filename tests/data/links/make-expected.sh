#!/bin/sh
# Expected outputs of the link-type captures in this folder (see README.md):
#
#   tests/data/links/make-expected.sh     (needs tshark; libnids-dev for libnids' answers)
#
# <capture>.tshark.jsonl   tshark's TCP streams and UDP datagrams (../tshark_view.py)
# <capture>.libnids.jsonl  libnids 1.26's TCP streams (tests/libnids/streams), for the
#                          link types libnids reads
# tshark 4.0 cannot read LINKTYPE_SLIP: its view of slip.pcap is taken after editcap
# strips the 16-byte BSD/OS SLIP header (editcap -C 16 -T rawip); slip-bare.pcap
# (SLIP as libnids reads it, no header) is checked against libnids only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
py=${PY:-/usr/bin/python3}
"$root/tests/libnids/build.sh" >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for cap in "$here"/*.pcap; do
    name=$(basename "$cap" .pcap)
    case $name in
    slip-bare) ;;
    slip) editcap -C 16 -T rawip "$cap" "$tmp/slip.pcap"
          "$py" "$here/../tshark_view.py" "$tmp/slip.pcap" "$cap.tshark.jsonl" ;;
    *) "$py" "$here/../tshark_view.py" "$cap" "$cap.tshark.jsonl" ;;
    esac
    # libnids refuses the link types it does not read: no file for those
    if "$root/tests/libnids/streams" "$cap" > "$tmp/out" 2>/dev/null; then
        mv "$tmp/out" "$cap.libnids.jsonl"
    fi
    echo "$name: $(cat "$cap".*.jsonl 2>/dev/null | wc -l) lines"
done

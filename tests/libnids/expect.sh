#!/bin/sh
# Record libnids 1.26's view of every capture: for each *.pcap / *.pcapng under
# tests/data/real and tests/data/crafted, run the harness and write
# <capture>.libnids.jsonl beside it (an empty file when libnids reports no TCP
# stream).  many.pcap is also recorded with a bigger stream table:
# many.pcap.libnids-4096.jsonl (--streams 4096).
# Builds tests/libnids/streams first if it is missing or older than streams.c.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$here/streams"
if [ ! -x "$bin" ] || [ "$here/streams.c" -nt "$bin" ]; then
    "$here/build.sh" || exit 1
fi
status=0
for dir in "$root/tests/data/real" "$root/tests/data/crafted"; do
    [ -d "$dir" ] || continue
    find "$dir" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort |
    {
        fail=0
        while IFS= read -r cap; do
            out="$cap.libnids.jsonl"
            if "$bin" "$cap" > "$out.tmp"; then
                mv "$out.tmp" "$out"
                echo "$(wc -l < "$out") streams  ${cap#$root/}"
            else
                rm -f "$out.tmp"
                echo "FAILED: ${cap#$root/}" >&2
                fail=1
            fi
        done
        exit $fail
    } || status=1
done
many="$root/tests/data/crafted/many.pcap"
if [ -f "$many" ]; then
    if "$bin" --streams 4096 "$many" > "$many.libnids-4096.jsonl.tmp"; then
        mv "$many.libnids-4096.jsonl.tmp" "$many.libnids-4096.jsonl"
        echo "$(wc -l < "$many.libnids-4096.jsonl") streams  tests/data/crafted/many.pcap (--streams 4096)"
    else
        rm -f "$many.libnids-4096.jsonl.tmp"
        status=1
    fi
fi
exit $status

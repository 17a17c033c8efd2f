#!/usr/bin/env bash
# libnids programs under valgrind on nids-rs' libnids.so.1.21, against
# Debian's libnids 1.26 (packages libnids-dev, libpcap-dev, valgrind).
#
#   nids-capi/tests/valgrind.sh
#
# Each program in nids-capi/tests/c/ is built twice from one source: against
# our nids.h and library, and against Debian's. Over the bundled TCP
# captures (tests/data/capi, real, crafted) it runs on ours under valgrind
# (any invalid read or write, or a leak of a definitely lost block, fails
# it: --error-exitcode) and on Debian's natively; the outputs must be equal
# (streams compared in order of their lines, as libnids ends the streams
# left at exit in hash order), except on the captures where the README
# ("Where nids-rs differs") documents a libnids defect: there only the
# valgrind check applies (dropin.sh checks the documented differences).
#
# terminate.c writes `data[count_new] = 0` (and `data[count - offset] = 0`
# while keeping bytes), the idiom libnids' buffer contract allows, and
# prints one line per callback: a segment split into several callbacks
# shows as a difference.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
for need in /usr/include/nids.h /usr/include/pcap/pcap.h /usr/bin/valgrind; do
    [ -e "$need" ] || { echo "valgrind.sh: missing $need (apt-get install libnids-dev libpcap-dev valgrind)" >&2; exit 1; }
done

echo "== build: cargo build -p nids-capi"
cargo build -q -p nids-capi
WORK=$(mktemp -d /tmp/nids-capi-valgrind.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LIB=$WORK/lib
mkdir -p "$LIB"
cp "$TARGET/debug/libnids.so" "$LIB/libnids.so.1.21"
ln -s libnids.so.1.21 "$LIB/libnids.so"

FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
pass() { echo "ok: $*"; }

# Captures where nids-rs delivers what libnids loses (README, "Where nids-rs
# differs"): outputs may differ, memory errors may not.
documented() {
    case $(basename "$1") in
    reorder-ahead.pcap | early-data.pcap | portreuse.pcap | data-after-fin.pcap | split-handshake.pcap) return 0 ;;
    *) return 1 ;;
    esac
}

# run NAME BIN-OURS BIN-DEBIAN ARGS... -- CAPTURE
check() {
    local name=$1 ours=$2 debian=$3 f=$4; shift 4
    local o=$WORK/out rc=0
    valgrind -q --error-exitcode=99 --errors-for-leak-kinds=definite --leak-check=full \
        --log-file="$o.vg" "$ours" "$@" "$f" > "$o.ours" 2>&1 || rc=$?
    "$debian" "$@" "$f" > "$o.debian" 2>&1 || echo "exit $?" >> "$o.debian"
    [ $rc = 0 ] || [ $rc = 99 ] || echo "exit $rc" >> "$o.ours"
    if [ $rc = 99 ] || grep -q "Invalid \(read\|write\)" "$o.vg"; then
        fail "$name $* $f: valgrind reports errors on nids-rs"
        head -20 "$o.vg"
        return
    fi
    sort -s -t' ' -k1,1 "$o.ours" > "$o.ours.s"
    sort -s -t' ' -k1,1 "$o.debian" > "$o.debian.s"
    if cmp -s "$o.ours.s" "$o.debian.s"; then
        pass "$name $* $f: valgrind clean, $(wc -l < "$o.ours") lines as on Debian's libnids"
    elif documented "$f"; then
        pass "$name $* $f: valgrind clean (output: a documented libnids defect)"
    else
        fail "$name $* $f: output differs from Debian's libnids"
        diff -a "$o.debian.s" "$o.ours.s" | head -10 || true
    fi
}

gcc -Wall -Wextra -Werror -g -I nids-capi/include -o "$WORK/terminate-ours" \
    nids-capi/tests/c/terminate.c -L"$LIB" -Wl,-rpath,"$LIB" -lnids
gcc -Wall -Wextra -o "$WORK/terminate-debian" nids-capi/tests/c/terminate.c -lnids

echo "== terminate: data[count_new] = 0 on every capture"
for f in tests/data/capi/*.pcap tests/data/real/*.pcap tests/data/crafted/*.pcap; do
    for mode in new keep; do
        check terminate "$WORK/terminate-ours" "$WORK/terminate-debian" "$f" "$mode"
    done
done
# The capture must exercise what the check is about: a 2,872-byte segment
# that waited behind a hole reaches the callback whole.
"$WORK/terminate-ours" new tests/data/capi/behind-hole.pcap | grep -q " S new 2872 " \
    || fail "terminate: the 2,872-byte segment behind the hole is not one callback"

if [ $FAILED = 0 ]; then
    echo "valgrind.sh: all checks passed"
else
    echo "valgrind.sh: FAILED" >&2
    exit 1
fi

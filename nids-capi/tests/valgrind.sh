#!/usr/bin/env bash
# libnids programs under valgrind on nids-rs' libnids.so.1.21, against
# Debian's libnids 1.26 (packages libnids-dev, libpcap-dev, valgrind).
#
#   nids-capi/tests/valgrind.sh
#
# Each program in nids-capi/tests/c/ (and in the directories NIDS_CORPUS
# names) is built twice from one source: against our nids.h and library, and
# against Debian's. Over the bundled TCP
# captures (tests/data/capi, real, crafted) it runs on ours under valgrind
# (any invalid read or write, or a leak of a definitely lost block, fails
# it: --error-exitcode) and on Debian's natively; the outputs must be equal
# (streams compared in order of their lines, as libnids ends the streams
# left at exit in hash order), except on the captures where the README
# ("Where nids-rs differs") documents a libnids defect: there only the
# valgrind check applies (dropin.sh checks the documented differences).
#
# The programs, written for these checks after idioms of public libnids
# programs:
# - terminate.c writes `data[count_new] = 0` (and `data[count - offset] = 0`
#   while keeping bytes), the idiom libnids' buffer contract allows, and
#   prints one line per callback: a segment split into several callbacks
#   shows as a difference;
# - logger.c keeps whole streams with nids_discard(t, 0) and a malloc'd
#   record in *param, terminates the buffers at the end, checks
#   nids_find_tcp_stream, and runs on nids_next() and nids_exit();
# - scanwatch.c copies scan reports (libnids' struct host) in its syslog
#   hook and counts ip_frag, ip and udp callbacks, on nids_dispatch().
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
    reorder-ahead.pcap | early-data.pcap | portreuse.pcap | data-after-fin.pcap | split-handshake.pcap | resets.pcap) return 0 ;;
    *) return 1 ;;
    esac
}

# check NAME BIN-OURS BIN-DEBIAN CAPTURE ARGS...: both programs with ARGS
# (which name the capture), ours under valgrind.
check() {
    local name=$1 ours=$2 debian=$3 f=$4; shift 4
    local o=$WORK/out rc=0
    valgrind -q --error-exitcode=99 --errors-for-leak-kinds=definite --leak-check=full \
        --log-file="$o.vg" "$ours" "$@" > "$o.ours" 2>&1 || rc=$?
    "$debian" "$@" > "$o.debian" 2>&1 || echo "exit $?" >> "$o.debian"
    [ $rc = 0 ] || [ $rc = 99 ] || echo "exit $rc" >> "$o.ours"
    if [ $rc = 99 ] || grep -q "Invalid \(read\|write\)" "$o.vg"; then
        fail "$name $*: valgrind reports errors on nids-rs"
        head -20 "$o.vg"
        return
    fi
    sort -s -t' ' -k1,1 "$o.ours" > "$o.ours.s"
    sort -s -t' ' -k1,1 "$o.debian" > "$o.debian.s"
    if cmp -s "$o.ours.s" "$o.debian.s"; then
        pass "$name $*: valgrind clean, $(wc -l < "$o.ours") lines as on Debian's libnids"
    elif documented "$f"; then
        pass "$name $*: valgrind clean (output: a documented libnids defect)"
    else
        fail "$name $*: output differs from Debian's libnids"
        diff -a "$o.debian.s" "$o.ours.s" | head -10 || true
    fi
}

# Every program of the corpus: PROG.c, with PROG.run beside it (one run per
# line, "{}" standing for the capture; default: the capture alone) and
# optionally PROG.ldflags (more libraries to link). NIDS_CORPUS names more
# directories (space-separated) of programs laid out so, e.g. held-out
# third-party libnids programs with their portability patches applied.
CORPUS="nids-capi/tests/c ${NIDS_CORPUS:-}"
CAPTURES=$(ls tests/data/capi/*.pcap tests/data/real/*.pcap tests/data/crafted/*.pcap)
for dir in $CORPUS; do
    for src in "$dir"/*.c; do
        name=$(basename "$src" .c)
        ld=$(cat "$dir/$name.ldflags" 2>/dev/null || true)
        # shellcheck disable=SC2086
        gcc -w -g -I nids-capi/include -o "$WORK/$name-ours" "$src" \
            -L"$LIB" -Wl,-rpath,"$LIB" -lnids $ld -lpcap
        # shellcheck disable=SC2086
        gcc -w -o "$WORK/$name-debian" "$src" -lnids $ld -lpcap
        runs=$(cat "$dir/$name.run" 2>/dev/null || echo "{}")
        echo "== $name ($src): ${runs//$'\n'/ | } on every capture"
        for f in $CAPTURES; do
            while read -r run; do
                [ -n "$run" ] || continue
                # shellcheck disable=SC2086
                check "$name" "$WORK/$name-ours" "$WORK/$name-debian" "$f" ${run//\{\}/$f}
            done <<< "$runs"
        done
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

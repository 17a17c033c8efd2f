#!/usr/bin/env bash
# Builds and installs the libnids drop-in: libnids.so.1.21 (+ the libnids.so
# link), libnids.a, nids.h and libnids.pc (see the README, "libnids drop-in").
#
#   nids-capi/install.sh                      # into /usr/local
#   PREFIX=/opt/nids nids-capi/install.sh     # elsewhere
#   DESTDIR=/tmp/stage nids-capi/install.sh   # staged (packaging)
#
# Variables: PREFIX (/usr/local), LIBDIR ($PREFIX/lib), INCLUDEDIR
# ($PREFIX/include), DESTDIR (empty), PROFILE (release; `dev` builds faster),
# FEATURES (libpcap: live capture, pcap_filter and pcap_desc need it and
# libpcap-dev; empty for a library that reads capture files only).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DESTDIR=${DESTDIR:-}
PROFILE=${PROFILE:-release}
FEATURES=${FEATURES-libpcap}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUTDIR=$TARGET/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")

(cd "$ROOT" && cargo build -q -p nids-capi --profile "$PROFILE" ${FEATURES:+--features "$FEATURES"})

PRIVATE=
case ",$FEATURES," in *,libpcap,*) PRIVATE=-lpcap ;; esac

install -d "$DESTDIR$LIBDIR/pkgconfig" "$DESTDIR$INCLUDEDIR"
install -m 755 "$OUTDIR/libnids.so" "$DESTDIR$LIBDIR/libnids.so.1.21"
ln -sf libnids.so.1.21 "$DESTDIR$LIBDIR/libnids.so"
install -m 644 "$OUTDIR/libnids.a" "$DESTDIR$LIBDIR/libnids.a"
install -m 644 "$ROOT/nids-capi/include/nids.h" "$DESTDIR$INCLUDEDIR/nids.h"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$LIBDIR|" -e "s|@INCLUDEDIR@|$INCLUDEDIR|" \
    -e "s|@PRIVATE@|$PRIVATE|" "$ROOT/nids-capi/libnids.pc.in" > "$DESTDIR$LIBDIR/pkgconfig/libnids.pc"
chmod 644 "$DESTDIR$LIBDIR/pkgconfig/libnids.pc"
if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then
    ldconfig
fi
echo "installed libnids.so.1.21, libnids.a, nids.h and libnids.pc under $DESTDIR$PREFIX"

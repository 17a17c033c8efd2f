#!/bin/sh
# Build the libnids reference harness tests/libnids/streams (binary not committed).
# Needs the Debian/Ubuntu packages libnids-dev (libnids 1.26) and libpcap-dev:
#   apt-get install -y --no-install-recommends gcc libc6-dev libnids-dev libpcap-dev
# The shared libnids.so already depends on libnet1, libglib and libgthread, so
# only -lnids -lpcap are needed.  Set STATIC=1 to link libnids.a instead (then
# libnet-dev and libglib2.0-dev are needed too).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-gcc}
if [ "${STATIC:-0}" = 1 ]; then
    libs="-Wl,-Bstatic -lnids -Wl,-Bdynamic -lpcap -lnet $(pkg-config --libs gthread-2.0)"
else
    libs="-lnids -lpcap"
fi
$CC -O2 -Wall -Wextra -o "$here/streams" "$here/streams.c" $libs
echo "built $here/streams"

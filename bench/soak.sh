#!/usr/bin/env bash
# The TCP model soak: simulated connections checked against nids-core for a set
# time on every core (bench/soak/src/main.rs). Arguments go to the binary:
#   bench/soak.sh --seconds 600 [--threads N] [--max-bytes 20000] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/soak"
cargo build -q --release
exec target/release/nids-soak "$@"

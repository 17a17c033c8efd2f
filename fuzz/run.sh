#!/usr/bin/env bash
# Run every fuzz target (or those named) for SECONDS each, one after the other.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz (installed here if missing) and the nightly toolchain
# (`cargo +nightly`); without nightly, the stable toolchain is used with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Z flags for the sanitizer). The seed
# corpus is built from the test captures first (make-corpus.py); new inputs
# found are kept in fuzz/corpus/TARGET. Each run's libFuzzer output goes to
# fuzz/artifacts/logs/TARGET.log and its last status line (cov, ft, exec/s) is
# printed. A crash, leak or timeout stops the script with the input saved
# under fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"

secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
if cargo +nightly --version >/dev/null 2>&1; then
    fuzz() { cargo +nightly fuzz "$@"; }
else
    echo "no nightly toolchain: using $(rustc --version) with RUSTC_BOOTSTRAP=1" >&2
    export RUSTC_BOOTSTRAP=1
    fuzz() { cargo fuzz "$@"; }
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if command -v python3 >/dev/null; then
    python3 make-corpus.py corpus
else
    echo "python3 not found: no seed corpus" >&2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(fuzz list)
fi
fuzz build
mkdir -p artifacts/logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${secs}s"
    # -timeout: one input taking longer than 10 s counts as a hang.
    if ! fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"artifacts/logs/$t.log" 2>&1; then
        tail -n 60 "artifacts/logs/$t.log" >&2
        echo "fuzz target $t failed (log: fuzz/artifacts/logs/$t.log)" >&2
        exit 1
    fi
    grep -E '^#[0-9]+' "artifacts/logs/$t.log" | tail -n 1
    grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "artifacts/logs/$t.log" || true
done

#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) at the lowest CPU priority, on its corpus with
# its dictionary, and prints libFuzzer's final stats. Crashes land in fuzz/artifacts/TARGET/.
# Usage: fuzz/run.sh TARGET [SECONDS]    (needs cargo-fuzz; see docs/fuzzing.md)
set -euo pipefail
t=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
secs=${2:-600}
cd "$(dirname "$0")"
case $t in
    pin | pin_multi) dict=dict/pin.dict ;;
    index | sources) dict=dict/deb822.dict ;;
    *) dict= ;;
esac
mkdir -p logs "corpus/$t"
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-fuzz}
nice -n 19 cargo fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    ${dict:+-dict=$dict} 2>&1 | tee "logs/$t.log" | grep -E '^(Done|stat::|==|SUMMARY|artifact_prefix|Test unit written)|panicked'

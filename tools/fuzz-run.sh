#!/bin/sh
# Runs each libFuzzer harness named as an argument for $FUZZ_SECONDS
# seconds from its checked-in seed corpus (tests/fuzz/corpus/NAME; new
# inputs go to $BUILD/fuzz/corpus/NAME, not into the tree), then prints
# one line per harness: executions and crashes. Exits 1 if any crashed;
# the crashing input is kept as $BUILD/fuzz/crash-NAME-*.
# Usage: tools/fuzz-run.sh BUILD NAME...
set -u
build=$1
shift
seconds=${FUZZ_SECONDS:-60}
failed=0
summary=""
for name in "$@"; do
    work=$build/fuzz/corpus/$name
    log=$build/fuzz/$name.log
    mkdir -p "$work"
    echo "fuzzing $name for ${seconds}s (log: $log)"
    "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
        -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$build/fuzz/crash-$name-" \
        "$work" "tests/fuzz/corpus/$name" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    crashes=0
    [ $rc -ne 0 ] && crashes=1 && failed=1
    summary="$summary
fuzz_$name: ${execs:-?} executions, $crashes crashes"
    if [ $rc -ne 0 ]; then
        grep -m 1 -E 'ERROR: |runtime error:|SUMMARY:' "$log"
        summary="$summary ($(ls "$build"/fuzz/crash-"$name"-* 2>/dev/null | head -n 1))"
    fi
done
echo "$summary"
exit $failed

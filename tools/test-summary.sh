#!/bin/sh
# test-summary.sh LOG...: adds up the Criterion "Synthesis" lines and node
# --test's "# pass N" / "# fail N" lines of the logs into one closing line,
# "tests: N passed, N failed".
set -eu
awk '/Synthesis:/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "Passing:") p += $(i + 1)
            if ($i == "Failing:") f += $(i + 1)
            if ($i == "Crashing:") f += $(i + 1)
        }
    }
    /^# pass [0-9]+$/ { p += $3 }
    /^# fail [0-9]+$/ { f += $3 }
    END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0) }' "$@"

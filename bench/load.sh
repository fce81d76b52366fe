#!/bin/sh
# load.sh — predict requests/s and p99 latency under wrk, first with the
# server idle, then while two training jobs run. neurond is started on a
# free loopback port with a temporary database and stopped at the end;
# wrk talks to 127.0.0.1 only, for $LOAD_SECONDS (10) each run.
# Usage: bench/load.sh build/neurond
set -eu
bin=${1:-build/neurond}
seconds=${LOAD_SECONDS:-10}
threads=${LOAD_THREADS:-2}
conns=${LOAD_CONNECTIONS:-16}
dir=$(mktemp -d /tmp/neurond-load-XXXXXX)
pid=""
# Stops neurond (SIGTERM, then SIGKILL after 10 s) and removes the folder.
cleanup() {
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$bin" --bind 127.0.0.1 --port 0 --db "$dir/neurond.db" --workers 2 \
    > "$dir/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$dir/log"; echo "neurond did not start" >&2; exit 1; }
base=http://127.0.0.1:$port

# The id of a JSON reply.
post_id() {
    curl -sf -m 30 -H 'Content-Type: application/json' -d "$2" "$base$1" |
        sed -n 's/^{"id":"\([^"]*\)".*/\1/p'
}
net='{"name":"load","inputs":2,"layers":[{"units":8,"activation":"tanh"},{"units":1,"activation":"sigmoid"}],"seed":1}'
ds=$(post_id /v1/datasets '{"name":"xor","generator":"xor"}')
model=$(post_id /v1/models "$net")
[ -n "$ds" ] && [ -n "$model" ] || { echo "setup failed" >&2; exit 1; }

# One wrk run: prints "<req/s> <p99>".
measure() {
    timeout $((seconds + 30)) wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency \
        -s bench/predict.lua "$base/v1/models/$model/predict" > "$dir/wrk.out"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.out")
    errors=$(awk '/Non-2xx|Socket errors/' "$dir/wrk.out")
    [ -z "$errors" ] || echo "wrk: $errors" >&2
    echo "$rps $p99"
}

echo "predict, idle: ${seconds}s, $threads threads, $conns connections"
idle=$(measure)
jobs=""
for i in 1 2; do
    m=$(post_id /v1/models "$net")
    j=$(post_id /v1/jobs "{\"model_id\":\"$m\",\"dataset_id\":\"$ds\",\"epochs\":1000000,\"batch_size\":1}")
    jobs="$jobs $j"
done
sleep 0.5
running=$(for j in $jobs; do curl -sf -m 10 "$base/v1/jobs/$j"; echo; done | grep -c "\"status\":\"running\"" || true)
echo "predict, while $running training jobs run"
busy=$(measure)
for j in $jobs; do curl -sf -m 10 -X POST "$base/v1/jobs/$j/cancel" > /dev/null || true; done

echo
printf '%-24s %12s %10s\n' "" "requests/s" "p99"
printf '%-24s %12s %10s\n' "idle" $idle
printf '%-24s %12s %10s\n' "two jobs training" $busy

# bench/neurond-server.sh — sourced by the API benchmarks (api-vs-core.sh,
# fmnist-evaluate.sh): starts "$BIN/neurond" on a free loopback port with a
# database in a fresh temporary folder, sets WORK (the folder), PID and URL,
# stops that PID and removes the folder on exit, and defines json.
# Call: SERVER_PREFIX=NAME (the folder name's start), then . bench/neurond-server.sh
WORK=$(mktemp -d "/tmp/$SERVER_PREFIX-XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

json() { # json EXPRESSION-OF-d < document
    /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

"$BIN/neurond" --port 0 --db "$WORK/db" > "$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/log" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\)\/ .*/\1/p' "$WORK/log")

#!/bin/sh
# make bench (last part): the same training through the HTTP API and through
# libnn directly (build/bench-train), on the same data and settings, in one
# run: iris (200 epochs) and Fashion-MNIST from CSV (1 epoch, 784-256-128-10).
# Reports training time (the job's history, summed) against bench-train's,
# the median epoch of each (a sum is moved by one epoch descheduled on a
# busy machine, a median is not), and the job's whole wall time (loading
# its dataset from SQLite and the server's per-epoch work — history rows,
# progress, events — included: the epoch times exclude it).
set -eu
BIN=${BIN:-build}
DATA=${NEUROND_SHARED_DATA:-../shared/data}
TOOL=${FASHION_CSV_TOOL:-../shared/tools/fashion-mnist-csv}
SERVER_PREFIX=neurond-bench
. bench/neurond-server.sh

median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# one_job DATASET MODEL_JSON JOB_FIELDS: trains a fresh model; sets api_ms
# (the history's epoch times summed), api_epoch (their median), wall_ms
# and st.
one_job() {
    md=$(curl -sf --json "$2" "$URL/v1/models" | json "d['id']")
    jb=$(curl -sf --json "{\"model_id\":\"$md\",\"dataset_id\":\"$1\",$3}" "$URL/v1/jobs" | json "d['id']")
    # Poll lightly (no interpreter per poll): the cores are the job's.
    while :; do
        sleep 0.2
        st=$(curl -sf "$URL/v1/jobs/$jb" | sed 's/.*"status":"\([a-z]*\)".*/\1/')
        [ "$st" = queued ] || [ "$st" = running ] || break
    done
    hist=$(curl -sf "$URL/v1/jobs/$jb/history?limit=1000")
    api_ms=$(echo "$hist" | json "sum(p['elapsed_ms'] for p in d['items'])")
    api_epoch=$(echo "$hist" | json "__import__('statistics').median(p['elapsed_ms'] for p in d['items'])")
    wall_ms=$(curl -sf "$URL/v1/jobs/$jb" | /usr/bin/python3 -c "
import json,sys,datetime as t
d=json.load(sys.stdin); f=lambda s: t.datetime.fromisoformat(s.replace('Z','+00:00'))
print((f(d['finished_at'])-f(d['started_at'])).total_seconds()*1e3)")
}

# train NAME CSV TARGET MODEL_JSON JOB_FIELDS BENCH_FLAGS REPS: medians of
# REPS jobs and REPS bench-train runs on the same uploaded data.
train() {
    ds=$(curl -sf -X POST -T "$2" -H 'Content-Type: text/csv' "$URL/v1/datasets?name=$1&target=$3" | json "d['id']")
    apis="" walls="" cores="" api_epochs="" core_epochs=""
    for _ in $(seq "$7"); do
        one_job "$ds" "$4" "$5"
        apis="$apis $api_ms" walls="$walls $wall_ms" api_epochs="$api_epochs $api_epoch"
        out=$("$BIN/bench-train" --train-csv "$2" $6)
        cores="$cores $(echo "$out" | sed -n 's/.*parameters, \([0-9.]*\) ms training/\1/p')"
        core_epochs="$core_epochs $(echo "$out" | sed -n 's/^median epoch \([0-9.]*\) ms.*/\1/p')"
    done
    # shellcheck disable=SC2086
    awk -v n="$1" -v a="$(median $apis)" -v w="$(median $walls)" -v c="$(median $cores)" -v s="$st" -v r="$7" 'BEGIN {
        printf "%-8s (median of %d, last job %s): training %8.2f ms through the API, %8.2f ms in bench-train (%+.1f%%); job wall time %.1f ms\n",
               n, r, s, a, c, 100 * (a - c) / c, w }'
    # shellcheck disable=SC2086
    awk -v n="$1" -v a="$(median $api_epochs)" -v c="$(median $core_epochs)" 'BEGIN {
        printf "%-8s median epoch %.4f ms through the API, %.4f ms in bench-train (%+.1f%%)\n", n, a, c, 100 * (a - c) / c }'
}

train iris "$DATA/iris.csv" species \
    '{"name":"iris","inputs":4,"layers":[{"units":16,"activation":"relu"},{"units":3,"activation":"softmax"}],"loss":"cross_entropy","init":"he","seed":1}' \
    '"epochs":200,"batch_size":16,"shuffle":true,"seed":1,"optimizer":{"name":"adam","learning_rate":0.01}' \
    "--layers 16 --batch 16 --epochs 200 --optimizer adam --lr 0.01 --seed 1 --quiet" 5

if [ -d /usr/share/datasets/fashion-mnist ]; then
    /usr/bin/python3 "$TOOL" "$WORK" > /dev/null
    train fashion "$WORK/fashion-mnist-train.csv" label \
        '{"name":"fmnist","inputs":784,"layers":[{"units":256,"activation":"relu"},{"units":128,"activation":"relu"},{"units":10,"activation":"softmax"}],"loss":"cross_entropy","init":"he","seed":1}' \
        '"epochs":1,"batch_size":128,"seed":1,"optimizer":{"name":"sgd","learning_rate":0.05,"momentum":0.9}' \
        "--layers 256,128 --batch 128 --epochs 1 --lr 0.05 --momentum 0.9 --seed 1 --quiet" 3
fi

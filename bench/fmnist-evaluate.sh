#!/bin/sh
# make bench-fmnist: Fashion-MNIST end to end through the API, as a student
# would run it. Uploads Debian's IDX files (dataset-fashion-mnist), timing
# each upload and reading the server's peak RSS (VmHWM) after it; trains a
# dense 784-256-128-10 network (relu, softmax, cross-entropy, Adam 1e-3,
# batch 64, minmax normalisation, seed 1) for EPOCHS (10) epochs on the
# 60000 training images; evaluates it on the 10000 test images through
# POST /v1/models/{id}/evaluate and prints the test accuracy, loss and
# per-class recall: the dense baseline a CNN should beat.
# MODEL=FILE trains that definition instead (bench/models/cnn-fmnist.json:
# the reference CNN). PER_EPOCH=1 trains in 1-epoch jobs (each from the
# weights the last one stored, seed = the epoch; Adam's moments restart
# each job) and evaluates on the test set after every epoch. LR_DECAY=D
# (default 1) multiplies the learning rate by D after each epoch.
set -eu
BIN=${BIN:-build}
EPOCHS=${EPOCHS:-10}
MODEL=${MODEL:-}
PER_EPOCH=${PER_EPOCH:-0}
LR_DECAY=${LR_DECAY:-1}
IDX=${FASHION_IDX:-/usr/share/datasets/fashion-mnist}
CLASSES='T-shirt%2Ftop,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle%20boot'
SERVER_PREFIX=neurond-fmnist
. bench/neurond-server.sh
peak() { sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$PID/status"; }

# upload KIND (train | t10k): the dataset's id into ds
upload() {
    ds=$(curl -sf -o "$WORK/up.json" -w '%{time_total}' \
        -F "labels=@$IDX/$1-labels-idx1-ubyte.gz" \
        -F "images=@$IDX/$1-images-idx3-ubyte.gz" \
        "$URL/v1/datasets?name=fashion-$1&classes=$CLASSES")
    echo "upload $1: $(json "d['rows']" < "$WORK/up.json") images in ${ds} s, peak RSS $(peak)"
    ds=$(json "d['id']" < "$WORK/up.json")
}
echo "server peak RSS before: $(peak)"
upload train
train=$ds
upload t10k
test=$ds

DENSE='{"name":"fashion-dense","inputs":784,"layers":[{"units":256,"activation":"relu"},{"units":128,"activation":"relu"},{"units":10,"activation":"softmax"}],"loss":"cross_entropy","init":"he","seed":1}'
if [ -n "$MODEL" ]; then
    md=$(curl -sf --json "@$MODEL" "$URL/v1/models" | json "d['id']")
else
    md=$(curl -sf --json "$DENSE" "$URL/v1/models" | json "d['id']")
fi

# run_job N SEED: a job of N epochs; waits for it to end, prints its line
run_job() {
    jb=$(curl -sf --json "{\"model_id\":\"$md\",\"dataset_id\":\"$train\",\"epochs\":$1,\"batch_size\":64,\"optimizer\":{\"name\":\"adam\",\"learning_rate\":0.001,\"lr_decay\":$LR_DECAY},\"normalize\":\"minmax\",\"seed\":$2}" "$URL/v1/jobs" | json "d['id']")
    start=$(date +%s)
    while :; do
        sleep 2
        st=$(curl -sf "$URL/v1/jobs/$jb" | sed 's/.*"status":"\([a-z]*\)".*/\1/')
        case "$st" in queued|running) ;; *) break ;; esac
    done
    curl -sf "$URL/v1/jobs/$jb" | json "'job %s: %d epochs in %d s, training loss %.4f, accuracy %.4f' % (d['status'], d['epoch'], $(date +%s) - $start, d['loss'], d['accuracy'])"
}
evaluate() {
    curl -sf --json "{\"dataset_id\":\"$test\"}" "$URL/v1/models/$md/evaluate" > "$WORK/eval.json"
    json "'test set: accuracy %.4f, loss %.4f\nrecall per class: %s' % (d['accuracy'], d['loss'], ', '.join('%s %.3f' % (c, r) for c, r in zip(d['classes'], d['recall'])))" < "$WORK/eval.json"
}
if [ "$PER_EPOCH" = 1 ]; then
    for e in $(seq "$EPOCHS"); do
        echo "epoch $e: $(run_job 1 "$e")"
        evaluate
    done
else
    run_job "$EPOCHS" 1
    evaluate
fi

#!/bin/sh
# make bench: bench-train beside the PyTorch reference (bench/torch_ref.py),
# in the same run on the same machine, for several network shapes: the MLP
# presets and the reference CNN (bench/models/cnn-fmnist.json, the JSON
# POST /v1/models takes, which both programs build the network from).
#
# Each shape runs REPS times; every repetition runs ours, then PyTorch with 1
# and with 2 threads (its best counts). Reported: medians of samples/s and
# their ratio. Then one longer run of each checks test accuracy after 20 epochs
# (SGD with momentum and a learning rate decaying 0.9× per epoch).
# Environment: REPS (default 3), EPOCHS (throughput epochs, default 2),
# ACC_EPOCHS (default 20; 0 skips the accuracy run), LIMIT (rows, 0 = all).
#
# Then a character LSTM on a text (TEXT, default ../shared/data/
# tinyshakespeare.txt from the repository root; skipped when absent):
# embedding 64 → lstm 256 → dense softmax, context 64, batch 32, Adam
# 2e-3, clip 1.0, TEXT_STEPS steps (default 200) of uniformly drawn
# windows, the last 10% scored whole after training. TEXT_REPS runs
# (default 3), each ours then PyTorch's nn.LSTM with 1 and with 2 threads
# (its best counts); medians of tokens/s (wall, and per CPU-second of all
# threads, which a loaded machine disturbs less) and of the validation
# loss after the same token budget.
set -eu
BIN=${1:-build/bench-train}
REPS=${REPS:-3}
EPOCHS=${EPOCHS:-2}
ACC_EPOCHS=${ACC_EPOCHS:-20}
LIMIT=${LIMIT:-0}
PY=/usr/bin/python3
REF="$(dirname "$0")/torch_ref.py"

field() { # field NAME < RESULT-line
    sed -n "s/.*$1=\([0-9.]*\).*/\1/p"
}

median() { # median of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# shape NAME ARGS...: throughput of ours and PyTorch's at one shape.
shape() {
    name=$1; shift
    ours="" theirs="" gf=""
    i=0
    while [ $i -lt "$REPS" ]; do
        line=$("$BIN" --quiet --epochs "$EPOCHS" --limit "$LIMIT" "$@" | tail -n 1)
        ours="$ours $(echo "$line" | field samples_per_s)"
        gf="$gf $(echo "$line" | field gflops)"
        best=0
        for t in 1 2; do
            s=$($PY "$REF" --epochs "$EPOCHS" --limit "$LIMIT" --threads $t "$@" | tail -n 1 | field samples_per_s)
            best=$(awk -v a="$best" -v b="$s" 'BEGIN {print (b > a) ? b : a}')
        done
        theirs="$theirs $best"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    o=$(median $ours); p=$(median $theirs); g=$(median $gf)
    ratio=$(awk -v a="$o" -v b="$p" 'BEGIN {printf "%.2f", a / b}')
    printf '%-34s neurond %8.0f samples/s (%5.1f GFLOP/s)  pytorch %8.0f  ratio %sx\n' \
        "$name" "$o" "$g" "$p" "$ratio"
}

echo "# make bench: median of $REPS runs, $EPOCHS epoch(s) each; pytorch = best of 1 and 2 threads"
"$BIN" --quiet --epochs 1 --limit "$LIMIT" --sgemm-rate | grep SGEMM | sed 's/^/# 784-256-128-10 batch 128: /'
shape "784-256-128-10 b128 sgd+momentum" --layers 256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
shape "784-1024-512-10 b128 sgd+momentum" --layers 1024,512 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
shape "784-256x3-128-10 b128 sgd+momentum" --layers 256,256,256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
shape "784-256-128-10 b32 sgd+momentum" --layers 256,128 --batch 32 --optimizer sgd --lr 0.02 --momentum 0.9
shape "784-256-128-10 b128 adam" --layers 256,128 --batch 128 --optimizer adam --lr 0.001
CNN="$(dirname "$0")/models/cnn-fmnist.json"
shape "cnn-fmnist b64 adam" --model "$CNN" --batch 64 --optimizer adam --lr 0.001
shape "cnn-fmnist b128 adam" --model "$CNN" --batch 128 --optimizer adam --lr 0.001

if [ "$ACC_EPOCHS" -gt 0 ]; then
    acc="--layers 256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9 --lr-decay 0.9 --seed 1"
    echo "# accuracy after $ACC_EPOCHS epochs: $acc"
    # shellcheck disable=SC2086
    "$BIN" --quiet --epochs "$ACC_EPOCHS" --limit "$LIMIT" $acc | tail -n 1 | sed 's/^/neurond: /'
    # shellcheck disable=SC2086
    $PY "$REF" --epochs "$ACC_EPOCHS" --limit "$LIMIT" --threads 1 $acc | tail -n 1 | sed 's/^/pytorch: /'
fi

TEXT=${TEXT:-../shared/data/tinyshakespeare.txt}
TEXT_STEPS=${TEXT_STEPS:-200}
TEXT_REPS=${TEXT_REPS:-3}
if [ ! -r "$TEXT" ]; then
    echo "# char-lstm: $TEXT not found (set TEXT): skipped"
    exit 0
fi
LM="--text $TEXT --context 64 --embed 64 --units 256 --batch 32 --lr 0.002 --clip 1.0 --steps $TEXT_STEPS --every $((TEXT_STEPS / 4)) --seed 1"
echo "# char-lstm on $(basename "$TEXT"): $LM; median of $TEXT_REPS runs"
ours="" ocpu="" oval="" theirs="" tcpu="" tval=""
i=0
while [ $i -lt "$TEXT_REPS" ]; do
    # shellcheck disable=SC2086
    line=$("$BIN" --quiet $LM | tail -n 1)
    ours="$ours $(echo "$line" | field tokens_per_s)"
    ocpu="$ocpu $(echo "$line" | field tokens_per_cpu_s)"
    oval="$oval $(echo "$line" | field val_loss)"
    best=0 bestcpu=0
    for t in 1 2; do
        # shellcheck disable=SC2086
        line=$($PY "$REF" --threads $t $LM | tail -n 1)
        s=$(echo "$line" | field tokens_per_s)
        c=$(echo "$line" | field tokens_per_cpu_s)
        best=$(awk -v a="$best" -v b="$s" 'BEGIN {print (b > a) ? b : a}')
        bestcpu=$(awk -v a="$bestcpu" -v b="$c" 'BEGIN {print (b > a) ? b : a}')
        tval="$tval $(echo "$line" | field val_loss)"
    done
    theirs="$theirs $best"
    tcpu="$tcpu $bestcpu"
    i=$((i + 1))
done
# shellcheck disable=SC2086
o=$(median $ours); p=$(median $theirs); oc=$(median $ocpu); pc=$(median $tcpu)
# shellcheck disable=SC2086
ov=$(median $oval); pv=$(median $tval)
printf 'char-lstm 64-256 T64 b32 adam+clip  neurond %7.0f tokens/s (%7.0f per CPU-s)  pytorch %7.0f (%7.0f)  ratio %sx (%sx per CPU-s)\n' \
    "$o" "$oc" "$p" "$pc" "$(awk -v a="$o" -v b="$p" 'BEGIN {printf "%.2f", a / b}')" \
    "$(awk -v a="$oc" -v b="$pc" 'BEGIN {printf "%.2f", a / b}')"
printf 'char-lstm val loss after %s steps (%s tokens): neurond %s nats, pytorch %s nats\n' \
    "$TEXT_STEPS" "$((TEXT_STEPS * 32 * 64))" "$ov" "$pv"

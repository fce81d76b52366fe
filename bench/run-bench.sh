#!/bin/sh
# make bench: bench-train beside the PyTorch reference (bench/torch_ref.py),
# in the same run on the same machine, for several network shapes: the MLP
# presets and the reference CNN (bench/models/cnn-fmnist.json, the JSON
# POST /v1/models takes, which both programs build the network from).
#
# Each shape runs REPS times; every repetition runs ours, then PyTorch with 1
# and with 2 threads (its best counts). Reported: medians of samples/s and
# their ratio, and ours as GFLOP/s of its matrix products (the SGEMM lines
# above each block: the rate of BLAS alone at the same shapes). Then one
# longer run of each checks test accuracy after 20 epochs (SGD with
# momentum and a learning rate decaying 0.9× per epoch).
# Environment: REPS (default 3), EPOCHS (throughput epochs, default 2),
# ACC_EPOCHS (default 20; 0 skips the accuracy run), LIMIT (rows of the MLP
# rows and the accuracy run, 0 = all), CNN_LIMIT (rows of the CNN rows,
# default 6400: a CNN epoch costs about 60 times an MLP's, and the full
# 60000 rows did not finish in 9 minutes on 2 shared cores; 0 = all),
# ROWS (all, mlp, cnn, text or gpt: which rows run).
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
#
# Then nanoGPT's baby GPT on the same text (GPT_STEPS, GPT_REPS; see
# its section below).
set -eu
BIN=${1:-build/bench-train}
REPS=${REPS:-3}
EPOCHS=${EPOCHS:-2}
ACC_EPOCHS=${ACC_EPOCHS:-20}
LIMIT=${LIMIT:-0}
CNN_LIMIT=${CNN_LIMIT:-6400}
ROWS=${ROWS:-all}
PY=/usr/bin/python3
REF="$(dirname "$0")/torch_ref.py"

field() { # field NAME < RESULT-line
    sed -n "s/.*$1=\([0-9.]*\).*/\1/p"
}

median() { # median of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# shape NAME ROW-LIMIT ARGS...: throughput of ours and PyTorch's at one
# shape, on the first ROW-LIMIT rows.
shape() {
    name=$1; limit=$2; shift 2
    ours="" theirs="" gf=""
    i=0
    while [ $i -lt "$REPS" ]; do
        line=$("$BIN" --quiet --epochs "$EPOCHS" --limit "$limit" "$@" | tail -n 1)
        ours="$ours $(echo "$line" | field samples_per_s)"
        gf="$gf $(echo "$line" | field gflops)"
        best=0
        for t in 1 2; do
            s=$($PY "$REF" --epochs "$EPOCHS" --limit "$limit" --threads $t "$@" | tail -n 1 | field samples_per_s)
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

# Whether the rows of kind $1 (mlp, cnn, text, gpt) run.
want() { [ "$ROWS" = all ] || [ "$ROWS" = "$1" ]; }

echo "# make bench: median of $REPS runs, $EPOCHS epoch(s) each; pytorch = best of 1 and 2 threads"
if want mlp; then
    echo "# MLP rows: limit $LIMIT rows (0 = all)"
    "$BIN" --quiet --epochs 1 --limit "$LIMIT" --sgemm-rate | grep SGEMM | sed 's/^/# 784-256-128-10 batch 128: /'
    shape "784-256-128-10 b128 sgd+momentum" "$LIMIT" --layers 256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
    shape "784-1024-512-10 b128 sgd+momentum" "$LIMIT" --layers 1024,512 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
    shape "784-256x3-128-10 b128 sgd+momentum" "$LIMIT" --layers 256,256,256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9
    shape "784-256-128-10 b32 sgd+momentum" "$LIMIT" --layers 256,128 --batch 32 --optimizer sgd --lr 0.02 --momentum 0.9
    shape "784-256-128-10 b128 adam" "$LIMIT" --layers 256,128 --batch 128 --optimizer adam --lr 0.001
fi
if want cnn; then
    CNN="$(dirname "$0")/models/cnn-fmnist.json"
    echo "# CNN rows: limit $CNN_LIMIT rows (0 = all)"
    for b in 64 128; do
        "$BIN" --quiet --epochs 1 --limit 1000 --model "$CNN" --batch $b --sgemm-rate | grep SGEMM | sed "s/^/# cnn-fmnist batch $b: /"
        shape "cnn-fmnist b$b adam" "$CNN_LIMIT" --model "$CNN" --batch $b --optimizer adam --lr 0.001
    done
fi
if want mlp && [ "$ACC_EPOCHS" -gt 0 ]; then
    acc="--layers 256,128 --batch 128 --optimizer sgd --lr 0.05 --momentum 0.9 --lr-decay 0.9 --seed 1"
    echo "# accuracy after $ACC_EPOCHS epochs: $acc"
    # shellcheck disable=SC2086
    "$BIN" --quiet --epochs "$ACC_EPOCHS" --limit "$LIMIT" $acc | tail -n 1 | sed 's/^/neurond: /'
    # shellcheck disable=SC2086
    $PY "$REF" --epochs "$ACC_EPOCHS" --limit "$LIMIT" --threads 1 $acc | tail -n 1 | sed 's/^/pytorch: /'
fi

TEXT=${TEXT:-../shared/data/tinyshakespeare.txt}
if { want text || want gpt; } && [ ! -r "$TEXT" ]; then
    echo "# char-lstm, gpt: $TEXT not found (set TEXT): skipped"
    exit 0
fi

# best A B: the larger of two numbers.
best() { awk -v a="$1" -v b="$2" 'BEGIN {print (b > a) ? b : a}'; }

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

if want text; then
    TEXT_STEPS=${TEXT_STEPS:-200} # a multiple of 50: a loss line every 50
    TEXT_REPS=${TEXT_REPS:-3}
    LM="--text $TEXT --context 64 --embed 64 --units 256 --batch 32 --lr 0.002 --clip 1.0 --steps $TEXT_STEPS --every 50 --seed 1"
    echo "# char-lstm on $(basename "$TEXT"): $LM; median of $TEXT_REPS runs"
    ours="" ocpu="" oval="" theirs="" tcpu="" tval=""
    i=0
    while [ $i -lt "$TEXT_REPS" ]; do
        # shellcheck disable=SC2086
        line=$("$BIN" --quiet $LM | tail -n 1)
        ours="$ours $(echo "$line" | field tokens_per_s)"
        ocpu="$ocpu $(echo "$line" | field tokens_per_cpu_s)"
        oval="$oval $(echo "$line" | field val_loss)"
        b=0 bcpu=0
        for t in 1 2; do
            # shellcheck disable=SC2086
            line=$($PY "$REF" --threads $t $LM | tail -n 1)
            b=$(best "$b" "$(echo "$line" | field tokens_per_s)")
            bcpu=$(best "$bcpu" "$(echo "$line" | field tokens_per_cpu_s)")
            tval="$tval $(echo "$line" | field val_loss)"
        done
        theirs="$theirs $b"
        tcpu="$tcpu $bcpu"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    o=$(median $ours); p=$(median $theirs); oc=$(median $ocpu); pc=$(median $tcpu)
    # shellcheck disable=SC2086
    ov=$(median $oval); pv=$(median $tval)
    printf 'char-lstm 64-256 T64 b32 adam+clip  neurond %7.0f tokens/s (%7.0f per CPU-s)  pytorch %7.0f (%7.0f)  ratio %sx (%sx per CPU-s)\n' \
        "$o" "$oc" "$p" "$pc" "$(ratio "$o" "$p")" "$(ratio "$oc" "$pc")"
    printf 'char-lstm val loss after %s steps (%s tokens): neurond %s nats, pytorch %s nats\n' \
        "$TEXT_STEPS" "$((TEXT_STEPS * 32 * 64))" "$ov" "$pv"
fi

want gpt || exit 0
# nanoGPT's baby GPT (bench-train --gpt, bench/gpt_bench.c, against
# bench/torch_gpt.py): GPT_STEPS timed steps (default 250) of the whole
# configuration, warm-up and cosine over those steps; GPT_REPS runs
# (default 3), each ours on 1 and on 2 threads, then PyTorch on 1 thread
# and on 2 (the latter GPT_TORCH2_STEPS steps, default 20, for its rate
# only: on 2 cores its OpenMP threads and OpenBLAS's oversubscribe them and
# 250 steps took over 6 minutes). Medians of training tokens/s (wall and
# per CPU-second), the ratio of each side's best, the validation loss after
# the timed steps and generation tokens/s (200 characters after ROMEO:).
GPT_STEPS=${GPT_STEPS:-250} # a multiple of 50: a loss line every 50
GPT_REPS=${GPT_REPS:-3}
GPT_TORCH2_STEPS=${GPT_TORCH2_STEPS:-20}
GPT="--gpt $TEXT --context 64 --width 128 --blocks 4 --heads 4 --batch 12 --lr 0.001 --min-lr 0.0001 --warmup 100 --beta2 0.99 --weight-decay 0.1 --clip 1.0 --every 50 --seed 1"
GREF="$(dirname "$0")/torch_gpt.py"
echo "# baby gpt on $(basename "$TEXT"): $GPT --steps $GPT_STEPS; median of $GPT_REPS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
o1="" o2="" ocpu="" oval="" ogen="" p1="" p2="" pcpu="" pval="" pgen=""
i=0
while [ $i -lt "$GPT_REPS" ]; do
    # shellcheck disable=SC2086
    one=$("$BIN" --quiet $GPT --steps "$GPT_STEPS" --threads 1 | tail -n 1)
    # shellcheck disable=SC2086
    two=$("$BIN" --quiet $GPT --steps "$GPT_STEPS" --threads 2 | tail -n 1)
    o1="$o1 $(echo "$one" | field tokens_per_s)"
    o2="$o2 $(echo "$two" | field tokens_per_s)"
    ocpu="$ocpu $(best "$(echo "$one" | field tokens_per_cpu_s)" "$(echo "$two" | field tokens_per_cpu_s)")"
    oval="$oval $(echo "$two" | field val_loss)"
    ogen="$ogen $(echo "$two" | field generated_per_s)"
    # shellcheck disable=SC2086
    one=$($PY "$GREF" $GPT --steps "$GPT_STEPS" --threads 1 | tail -n 1)
    # shellcheck disable=SC2086
    two=$($PY "$GREF" $GPT --steps "$GPT_TORCH2_STEPS" --warmup 10 --sample 20 --threads 2 | tail -n 1)
    p1="$p1 $(echo "$one" | field tokens_per_s)"
    p2="$p2 $(echo "$two" | field tokens_per_s)"
    pcpu="$pcpu $(best "$(echo "$one" | field tokens_per_cpu_s)" "$(echo "$two" | field tokens_per_cpu_s)")"
    pval="$pval $(echo "$one" | field val_loss)"
    pgen="$pgen $(echo "$one" | field generated_per_s)"
    i=$((i + 1))
done
# shellcheck disable=SC2086
{
    a1=$(median $o1) a2=$(median $o2) b1=$(median $p1) b2=$(median $p2)
    oc=$(median $ocpu) pc=$(median $pcpu)
    ov=$(median $oval) pv=$(median $pval) og=$(median $ogen) pg=$(median $pgen)
}
o=$(best "$a1" "$a2"); p=$(best "$b1" "$b2")
printf 'baby-gpt 4x4 w128 T64 b12 adamw    neurond %6.0f tokens/s (1 thread %6.0f, 2 threads %6.0f; %6.0f per CPU-s)  pytorch %6.0f (1 thread %6.0f, 2 threads %6.0f; %6.0f per CPU-s)  ratio %sx (%sx per CPU-s)\n' \
    "$o" "$a1" "$a2" "$oc" "$p" "$b1" "$b2" "$pc" "$(ratio "$o" "$p")" "$(ratio "$oc" "$pc")"
printf 'baby-gpt val loss after %s steps (%s tokens): neurond %s nats (2 threads), pytorch %s nats (1 thread); generation tokens/s: neurond %s (key/value cache), pytorch %s (window re-run)\n' \
    "$GPT_STEPS" "$((GPT_STEPS * 12 * 64))" "$ov" "$pv" "$og" "$pg"

#!/bin/sh
# bench/gpt-api.sh: nanoGPT's baby GPT trained through the HTTP API on a
# text (TEXT, default ../shared/data/tinyshakespeare.txt), as README's
# session shows it: upload the text, create the model (4 transformer
# blocks of 4 heads, width 128, context 64), one job with nanoGPT's
# configuration (batch 12, AdamW 1e-3 β2 0.99 weight decay 0.1, 100
# warm-up steps then cosine to 1e-4, clip 1.0, the last 10% held out)
# for EPOCHS × STEPS steps (default 8 × 250 = 2000: a val_loss over the
# whole held-out block every 250 steps, nanoGPT's eval_interval), seed
# SEED (1); then 500 characters generated after "ROMEO:". Prints each
# request and its reply (trimmed), the history, the job's time (wall
# and the epochs' sum) and the text. Needs build/neurond (BIN=build).
set -eu
BIN=${BIN:-build}
TEXT=${TEXT:-../shared/data/tinyshakespeare.txt}
EPOCHS=${EPOCHS:-8}
STEPS=${STEPS:-250}
SEED=${SEED:-1}
SERVER_PREFIX=neurond-gpt
. bench/neurond-server.sh

say() { printf '$ %s\n' "$*"; }

say "curl -s -X POST -T $TEXT -H 'Content-Type: text/plain; charset=utf-8' 'localhost:8080/v1/datasets?name=shakespeare'"
ds=$(curl -sf -X POST -T "$TEXT" -H 'Content-Type: text/plain; charset=utf-8' "$URL/v1/datasets?name=shakespeare")
printf "%s\n" "$ds" | cut -c1-160
ds=$(printf "%s" "$ds" | json "d['id']")

block='{"type":"transformer_block","heads":4}'
model="{\"name\":\"baby-gpt\",\"vocab_size\":65,\"context\":64,\"seed\":$SEED,\"layers\":[{\"type\":\"embedding\",\"dim\":128,\"positions\":\"learned\"},$block,$block,$block,$block,{\"type\":\"layernorm\"},{\"units\":65,\"activation\":\"softmax\"}]}"
say "curl -s --json '$model' localhost:8080/v1/models"
md=$(curl -sf --json "$model" "$URL/v1/models")
printf "%s" "$md" | json "'{\"id\":\"%s\",\"parameters\":%d,…}' % (d['id'], d['parameters'])"
md=$(printf "%s" "$md" | json "d['id']")

job="{\"model_id\":\"$md\",\"dataset_id\":\"$ds\",\"epochs\":$EPOCHS,\"epoch_steps\":$STEPS,\"batch_size\":12,\"validation_split\":0.1,\"optimizer\":{\"name\":\"adamw\",\"learning_rate\":0.001,\"beta2\":0.99,\"weight_decay\":0.1},\"lr_schedule\":{\"warmup_steps\":100,\"decay\":\"cosine\",\"min_learning_rate\":0.0001},\"clip_grad_norm\":1.0,\"seed\":$SEED}"
say "curl -s --json '$job' localhost:8080/v1/jobs"
jb=$(curl -sf --json "$job" "$URL/v1/jobs" | json "d['id']")
echo "{\"id\":\"$jb\",…}"
while :; do
    sleep 2
    st=$(curl -sf "$URL/v1/jobs/$jb" | json "d['status']")
    [ "$st" = queued ] || [ "$st" = running ] || break
done
say "curl -s localhost:8080/v1/jobs/$jb/history"
curl -sf "$URL/v1/jobs/$jb/history?limit=1000" | json "'\n'.join('{\"epoch\":%d,\"loss\":%.4f,\"val_loss\":%.4f,\"val_accuracy\":%.4f,\"elapsed_ms\":%.0f}' % (p['epoch'], p['loss'], p['val_loss'], p['val_accuracy'], p['elapsed_ms']) for p in d['items'])"
curl -sf "$URL/v1/jobs/$jb" | json "'# job %s: %s; wall %.1f s (started to finished)' % (d['id'], d['status'], (__import__('datetime').datetime.fromisoformat(d['finished_at'].replace('Z','+00:00')) - __import__('datetime').datetime.fromisoformat(d['started_at'].replace('Z','+00:00'))).total_seconds())"
curl -sf "$URL/v1/jobs/$jb/history?limit=1000" | json "'# epochs summed: %.1f s' % (sum(p['elapsed_ms'] for p in d['items']) / 1e3)"
gen='{"prompt":"ROMEO:","max_tokens":500,"temperature":0.8,"top_k":40,"seed":1}'
say "curl -s --json '$gen' localhost:8080/v1/models/$md/generate | jq -r .text"
curl -sf --json "$gen" "$URL/v1/models/$md/generate" | json "d['text']"

#!/usr/bin/env bash
# A few steps of the whole pipeline on a tiny corpus: corpus, tokenizer, training (and resuming),
# export, then checks of the exported model (PyTorch) and of the contract (the engine loads it).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export LD_PRELOAD=${LD_PRELOAD:-libtcmalloc_minimal.so.4}
$PY corpus.py --out "$T/data" --max-bytes-per-source 300000 --report "$T/CORPUS.md" >/dev/null
$PY bpe.py --corpus "$T/data/corpus_train.txt" --out "$T/data/tokenizer.json" --vocab-size 400 >/dev/null
ARGS=(--run "$T/run" --tokenizer "$T/data/tokenizer.json" --data "$T/data" --d-model 32 --n-heads 4 --d-head 8
      --seq 128 --short-seq 32 --long-from 12 --batch 8 --eval-every 10 --warmup 5 --pool-start 16 --pool-grow-from 5 --pool-full-at 15 --early-until 8)
$PY train.py "${ARGS[@]}" --steps 10 >/dev/null
$PY train.py "${ARGS[@]}" --steps 20 | grep "resumed at step 10" >/dev/null
$PY export.py --checkpoint "$T/run/latest.pt" --tokenizer "$T/data/tokenizer.json" --out "$T/model" --id smoke 2>/dev/null | grep -v -i warn
$PY test_pipeline.py "$T/run/latest.pt" "$T/model"
node ../dist/cli.js heads --model "$T/model" --json > "$T/heads.json"
node -e "const j=require('$T/heads.json'); if (j.heads.length !== 8 || j.model.id !== 'smoke') { console.error('contract check failed'); process.exit(1); } console.log('training smoke: engine loads the exported model, ' + j.heads.length + ' heads scored');"

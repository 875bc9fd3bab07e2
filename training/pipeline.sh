#!/usr/bin/env bash
# Reproduces the bundled model end to end: corpus, tokenizer, training (resumable: run it again
# after an interruption), export to media/models/attn-only-2l, test fixtures and the report.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
export LD_PRELOAD=${LD_PRELOAD:-libtcmalloc_minimal.so.4}
RUN=${RUN:-runs/main}
[ -f data/corpus_train.txt ] || $PY corpus.py
[ -f data/tokenizer.json ] || $PY bpe.py --corpus data/corpus_train.txt --out data/tokenizer.json --vocab-size 2048
# The configuration of the shipped model (see REPORT.md); seeds are fixed, data per step is
# derived from (seed, step), so an interrupted run resumes exactly.
$PY train.py --run "$RUN" --threads 2 --steps "${STEPS:-8000}" --long-from 6000 --seed 4 --lr 5e-3 --warmup 100 \
  --pos-init sinusoidal --early-until 2500 --alternating-share 0.3 \
  --pool-start 32 --pool-grow-from 800 --pool-full-at 4000
$PY export.py --checkpoint "$RUN/latest.pt" --tokenizer data/tokenizer.json --out ../media/models/attn-only-2l
$PY make_fixtures.py
$PY report.py --run "$RUN"

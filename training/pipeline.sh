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
$PY train.py --run "$RUN" --threads 2 --steps "${STEPS:-9000}" --pos-init sinusoidal \
  --pool-start 256 --pool-grow-from 1000 --pool-full-at 3000
$PY export.py --checkpoint "$RUN/latest.pt" --tokenizer data/tokenizer.json --out ../media/models/attn-only-2l
$PY make_fixtures.py
$PY report.py --run "$RUN"

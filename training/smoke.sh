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

# Hugging Face test models: two steps of each architecture saved in the HF layout, loaded through
# the engine's ONNX graph builder; and the committed reference outputs recomputed from the
# committed weights with this machine's PyTorch.
$PY make_hf_models.py --steps 2 --out "$T/hf" >/dev/null
for m in tiny-gpt2 tiny-pythia tiny-llama tiny-qwen2; do node ../dist/cli.js heads --model "$T/hf/hf-models/$m" --json > "$T/$m.json"; done
node -e "for (const m of ['tiny-gpt2', 'tiny-pythia', 'tiny-llama', 'tiny-qwen2']) { const j = require('$T/' + m + '.json'); if (j.heads.length !== 8 || j.model.id !== m) { console.error('HF contract check failed for ' + m); process.exit(1); } } console.log('training smoke: the engine builds and runs the HF test models of every architecture');"
mkdir -p "$T/fx" && cp -r ../test/fixtures/hf-models "$T/fx/"
$PY make_hf_models.py --fixtures-only --out "$T/fx" >/dev/null
$PY - "$T/fx" <<'PY'
import sys, numpy as np
for m in ["tiny-gpt2", "tiny-pythia", "tiny-llama", "tiny-qwen2"]:
    for f in ["parity_logits", "parity_attentions", "parity_masked_logits"]:
        a = np.fromfile(f"{sys.argv[1]}/{m}/{f}.f32", "<f4")
        b = np.fromfile(f"../test/fixtures/{m}/{f}.f32", "<f4")
        d = float(np.abs(a - b).max())
        if d > 1e-5:
            sys.exit(f"{m}/{f}: the committed fixture differs from a recomputation by {d}")
print("training smoke: committed HF reference outputs reproduce from the committed weights (1e-5)")
PY

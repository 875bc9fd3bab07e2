"""A random Llama-style model whose float32 weights exceed 2 GB (2^31 bytes, the protobuf limit the
ONNX graph once had), yet cheap to run: 2 layers, hidden size 1,024 and Gemma 3's vocabulary of
262,144 tokens, with untied embedding and lm_head (555.8 M parameters, 2.22 GB as float32; the
file holds them as BF16, 1.1 GB). Written at test time by test/unit/bigModel.test.ts, with the
reference logits of one 64-token sequence from the PyTorch forward of hf_reference.py.

  /usr/bin/python3 training/make_big_model.py OUTDIR [--seed 0]

OUTDIR gets config.json, model.safetensors, tokenizer.json (the tiny-llama fixture's: its 2,048
ids all lie inside the vocabulary), reference.json (ids, logits shape, sizes, timings, peak memory)
and reference.f32 (logits [1, 64, vocab], float32 little-endian), computed from the BF16 weights
read back as float32, which is exactly what the engine reads.
"""
import argparse
import json
import os
import resource
import shutil
import time

import torch

from hf_reference import FORWARDS
from make_hf_models import param_shapes
from safetensors_io import read_safetensors, write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(os.path.dirname(HERE), "test", "fixtures", "hf-models", "tiny-llama", "tokenizer.json")
SEQ = 64

CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 262144,
          "hidden_size": 1024, "num_hidden_layers": 2, "num_attention_heads": 16, "num_key_value_heads": 8,
          "intermediate_size": 2048, "max_position_embeddings": 2048, "rope_theta": 10000.0,
          "rms_norm_eps": 1e-5, "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
          "bos_token_id": 0, "eos_token_id": 0, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: kilobytes


def random_params(c, seed):
    """BF16 tensors, made one at a time (the float32 draw of each is freed at once): normal 0.02
    as HF initialises, and norm weights near 1 (1 + normal 0.1) so that they count."""
    g = torch.Generator().manual_seed(seed)
    p = {}
    for name, shape in param_shapes(c).items():
        t = torch.randn(shape, generator=g)
        t = t.mul_(0.1).add_(1.0) if name.endswith("norm.weight") else t.mul_(0.02)
        p[name] = t.bfloat16()
        del t
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder to write (created if missing)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    c = CONFIG
    os.makedirs(args.out, exist_ok=True)
    times = {}

    t = time.time()
    params = random_params(c, args.seed)
    count = sum(v.numel() for v in params.values())
    assert count * 4 > 2 ** 31, f"{count} parameters are not past 2 GB as float32"
    weights = os.path.join(args.out, "model.safetensors")
    write_safetensors(weights, params, "BF16")
    del params
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    shutil.copy(TOKENIZER, os.path.join(args.out, "tokenizer.json"))
    times["write_s"] = time.time() - t

    t = time.time()
    g = torch.Generator().manual_seed(args.seed + 1)
    ids = torch.cat([torch.tensor([c["bos_token_id"]]), torch.randint(1, c["vocab_size"], (SEQ - 1,), generator=g)])[None]
    p = read_safetensors(weights)
    times["read_s"] = time.time() - t
    t = time.time()
    with torch.no_grad():
        logits = FORWARDS[c["model_type"]](p, c, ids)                    # [1, SEQ, vocab]
    del p
    times["forward_s"] = time.time() - t
    logits.numpy().astype("<f4").tofile(os.path.join(args.out, "reference.f32"))
    ref = {"ids": ids[0].tolist(), "logitsShape": list(logits.shape), "parameterCount": count,
           "float32Bytes": count * 4, "fileBytes": os.path.getsize(weights), "seed": args.seed,
           "logitsStd": logits.std().item(), "times": {k: round(v, 2) for k, v in times.items()},
           "peakMemoryMB": round(peak_mb())}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f)
    print(json.dumps({k: v for k, v in ref.items() if k != "ids"}))


if __name__ == "__main__":
    main()

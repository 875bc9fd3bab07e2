"""Rotary inverse frequencies and attention factors, in PyTorch float32, for the rope types of
`transformers` (modeling_rope_utils): default, linear, dynamic (unchanged within the trained
context), llama3, yarn and longrope (short factors: sequences within the original context).
Written from those definitions; the TypeScript builder (src/engine/hf/ropeScaling.ts) is checked
against it (test/fixtures/rope/inv_freq.json, written by `--write`).

  /usr/bin/python3 training/rope_reference.py --write
"""
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def rope_settings(cfg, layer_type="full_attention"):
    """(rope type, merged parameters dict, theta, rotary dims) of a config.json dict."""
    params = cfg.get("rope_parameters") or {}
    if isinstance(params.get(layer_type), dict):
        params = params[layer_type]
    scaling = {**params, **(cfg.get("rope_scaling") or {})}
    rtype = scaling.get("rope_type", scaling.get("type", "default"))
    theta = params.get("rope_theta", cfg.get("rope_theta", cfg.get("rotary_emb_base", 10000.0)))
    hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    partial = cfg.get("partial_rotary_factor", params.get("partial_rotary_factor", cfg.get("rotary_pct", 1.0)))
    return rtype, scaling, theta, int(hd * partial)


def inv_freq(cfg, layer_type="full_attention"):
    """inv_freq [dims/2] float32 and the attention factor."""
    rtype, s, base, dim = rope_settings(cfg, layer_type)
    if layer_type == "sliding_attention" and "rope_local_base_freq" in cfg:
        rtype, base = "default", cfg["rope_local_base_freq"]
    exponent = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    plain = 1.0 / (base ** exponent)
    if rtype in ("default", "dynamic"):
        return plain, 1.0
    if rtype == "linear":
        return plain / s["factor"], 1.0
    if rtype == "llama3":
        factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / plain
        scaled = torch.where(wavelen > low_wavelen, plain / factor, plain)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, scaled), 1.0
    if rtype == "yarn":
        factor = s["factor"]
        original = s.get("original_max_position_embeddings") or cfg["max_position_embeddings"]

        def mscale(scale, m=1.0):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        att = s.get("attention_factor")
        if att is None:
            att = mscale(factor, s["mscale"]) / mscale(factor, s["mscale_all_dim"]) if s.get("mscale") and s.get("mscale_all_dim") else mscale(factor)
        beta_fast, beta_slow = s.get("beta_fast") or 32, s.get("beta_slow") or 1

        def correction_dim(rot):
            return (dim * math.log(original / (rot * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if s.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        extrapolation = 1 - ramp
        pos = base ** exponent
        return (1.0 / (factor * pos)) * (1 - extrapolation) + (1.0 / pos) * extrapolation, att
    if rtype == "longrope":
        original = cfg.get("original_max_position_embeddings") or s.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / original if "original_max_position_embeddings" in cfg else s.get("factor", 1.0)
        att = s.get("attention_factor")
        if att is None:
            att = 1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(original))
        ext = torch.tensor(s["short_factor"], dtype=torch.float32)
        return 1.0 / (ext * base ** exponent), att
    raise ValueError(f"rope type {rtype}")


# Real configs (test/fixtures/configs) and scaled variants of them, each with the rope type it exercises.
CASES = [
    ("llama-3.2-1b.json", None),
    ("llama-3.2-3b.json", None),
    ("phi-3.5-mini-instruct.json", None),
    ("qwen3-0.6b.json", {"rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}),
    ("tinyllama-1.1b.json", {"rope_scaling": {"type": "linear", "factor": 4.0}}),
    ("tinyllama-1.1b.json", {"rope_scaling": {"type": "dynamic", "factor": 2.0}}),
    ("gemma-3-1b.json", None),
]


def main():
    if "--write" not in sys.argv:
        print(__doc__)
        return
    out = []
    for name, patch in CASES:
        path = os.path.join(REPO, "test", "fixtures", "configs", name)
        if not os.path.exists(path):
            print(f"skipping {name}: not in test/fixtures/configs")
            continue
        cfg = json.load(open(path))
        cfg.update(patch or {})
        for layer_type in ("full_attention", "sliding_attention") if "rope_local_base_freq" in cfg else ("full_attention",):
            inv, att = inv_freq(cfg, layer_type)
            out.append({"config": name, "patch": patch, "layerType": layer_type, "type": rope_settings(cfg, layer_type)[0],
                        "invFreq": inv.tolist(), "attentionFactor": att})
            print(f"{name} {layer_type}: {out[-1]['type']}, {len(inv)} frequencies, attention factor {att:.6f}")
    os.makedirs(os.path.join(REPO, "test", "fixtures", "rope"), exist_ok=True)
    with open(os.path.join(REPO, "test", "fixtures", "rope", "inv_freq.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()

"""Direct logit attribution, written from its definition, as the reference for the engine's
`dla` output: each head's output at a position (z_h W_O[h], no bias) through the final norm taken
as linear with the scale (and for LayerNorm the mean) of the whole residual stream there, times
the unembedding row of a token. Writes test/fixtures/dla/<model>.json for test/unit/dla.test.ts.

  /usr/bin/python3 training/dla_reference.py
"""
import json
import os

import torch

import hf_reference as ref
from safetensors_io import read_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODELS = ["tiny-pythia", "tiny-qwen3", "tiny-gemma2", "tiny-olmo2"]


def head_outputs_weight(p, cfg, l):
    """W_O of layer l as [heads, d_head, d_model]."""
    t = cfg["model_type"]
    H = cfg["num_attention_heads"]
    w = p[f"gpt_neox.layers.{l}.attention.dense.weight"] if t == "gpt_neox" else p[f"model.layers.{l}.self_attn.o_proj.weight"]
    d = w.shape[0]
    return w.T.reshape(H, -1, d)


def final_norm(p, cfg):
    """(kind, weight, eps) of the final norm."""
    t = cfg["model_type"]
    if t == "gpt_neox":
        return "layer", p["gpt_neox.final_layer_norm.weight"], cfg.get("layer_norm_eps", 1e-5)
    w = p["model.norm.weight"]
    return "rms", (1.0 + w) if t.startswith("gemma") else w, cfg.get("rms_norm_eps", 1e-6)


@torch.no_grad()
def dla(name, ids, pairs):
    d = os.path.join(REPO, "test", "fixtures", "hf-models", name)
    cfg = json.load(open(os.path.join(d, "config.json")))
    p = read_safetensors(os.path.join(d, "model.safetensors"))
    ref.CAPTURE = {"z": []}
    logits = ref.FORWARDS[cfg["model_type"]](p, cfg, torch.tensor([ids]))
    z, h = ref.CAPTURE["z"], ref.CAPTURE["h"][0]
    ref.CAPTURE = None
    kind, w, eps = final_norm(p, cfg)
    U = p.get("lm_head.weight", p.get("embed_out.weight", p.get("model.embed_tokens.weight")))
    out = []
    for q, tok in pairs:
        x = h[q]
        sigma = torch.sqrt(((x - x.mean()) ** 2).mean() + eps) if kind == "layer" else torch.sqrt((x * x).mean() + eps)
        row = []
        for l, zl in enumerate(z):
            c = torch.einsum("hd,hde->he", zl[0, :, q], head_outputs_weight(p, cfg, l))   # [heads, d_model]
            if kind == "layer":
                c = c - c.mean(-1, keepdim=True)
            row += ((c / sigma * w) @ U[tok]).tolist()
        out.append(row)
    return {"ids": ids, "pairs": pairs, "dla": out, "logits": [logits[0, q, tok].item() for q, tok in pairs]}


def main():
    g = torch.Generator().manual_seed(5)
    base = torch.randint(1, 2000, (30,), generator=g).tolist()
    ids = base + base[:20]                         # repeats: rows 30.. have induction successors
    pairs = [[q, ids[q - 29]] for q in range(31, 50, 3)] + [[45, 7], [49, 1999]]
    os.makedirs(os.path.join(REPO, "test", "fixtures", "dla"), exist_ok=True)
    for name in MODELS:
        r = dla(name, ids, pairs)
        with open(os.path.join(REPO, "test", "fixtures", "dla", f"{name}.json"), "w") as f:
            json.dump(r, f)
        print(name, len(pairs), "pairs")


if __name__ == "__main__":
    main()

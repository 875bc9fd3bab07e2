"""Path ablation written from its definition (docs/definitions.md, "Path ablation"), as the
reference for the graphs' path ablation: the bundled attention-only model, Pythia (GPT-NeoX,
LayerNorm, parallel residual) and Qwen3 (RMSNorm, per-head q/k norms, grouped-query attention).
Receiver R's chosen input (q, k or v) is computed from the residual stream entering its layer
minus sender S's output z_S W_O[S] (zero) or minus its difference from its mean over the
positions (mean); the norm before attention recomputed on that stream (recompute) or taken as
linear with the unablated scale (frozen). Everything else sees the unchanged stream.
Writes test/fixtures/path/<model>.json for test/unit/pathAblation.test.ts.

  /usr/bin/python3 training/path_reference.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

import hf_reference as ref
from hf_decoders import rope_cos_sin
from safetensors_io import read_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SPECS = [("k", "zero", "recompute"), ("q", "mean", "frozen"), ("v", "zero", "frozen"), ("k", "mean", "recompute"), ("q", "zero", "recompute")]


def delta_of(s_out, mode):
    """What R's input loses: S's output [b, t, d], or its difference from its mean over positions."""
    return s_out if mode == "zero" else s_out - s_out.mean(dim=1, keepdim=True)


def swap(x, alt, head):
    """x with query head `head` taken from alt ([b, heads, t, d_head] both)."""
    out = x.clone()
    out[:, head] = alt[:, head]
    return out


def attn_only(ids, spec):
    d = os.path.join(REPO, "media", "models", "attn-only-2l")
    w = read_safetensors(os.path.join(d, "weights.safetensors"))
    cfg = json.load(open(os.path.join(d, "model.json")))["architecture"]
    H, D = cfg["n_heads"], cfg["d_head"]
    T = ids.shape[1]
    h = w["embed.W_E"][ids]
    pos = w["pos_embed.W_pos"][:T]
    pats, s_out = [], None
    for l in range(cfg["n_layers"]):
        def project(x):
            qk = x + pos                                 # Shortformer: positions only in q and k
            return (torch.einsum("btd,hde->bhte", qk, w[f"blocks.{l}.attn.W_Q"]),
                    torch.einsum("btd,hde->bhte", qk, w[f"blocks.{l}.attn.W_K"]),
                    torch.einsum("btd,hde->bhte", x, w[f"blocks.{l}.attn.W_V"]))
        q, k, v = project(h)
        if spec and l == spec["receiver"][0]:
            alt = project(h - delta_of(s_out, spec["mode"]))   # no norm: recompute = frozen
            i = "qkv".index(spec["path"])
            q, k, v = [swap(t, alt[j], spec["receiver"][1]) if j == i else t for j, t in enumerate((q, k, v))]
        z, pat = ref.attend(q, k, v, None, D ** -0.5, None)
        pats.append(pat)
        if spec and l == spec["sender"][0]:
            s_out = z[:, spec["sender"][1]] @ w[f"blocks.{l}.attn.W_O"][spec["sender"][1]]
        h = h + torch.einsum("bhte,hed->btd", z, w[f"blocks.{l}.attn.W_O"])
    return h @ w["unembed.W_U"], torch.stack(pats, 1)


def frozen(x_normed_fn_kind, h, delta, weight, eps):
    """The norm of the unablated stream h applied to delta as a linear map."""
    if x_normed_fn_kind == "layer":
        sigma = torch.sqrt(((h - h.mean(-1, keepdim=True)) ** 2).mean(-1, keepdim=True) + eps)
        return weight * (delta - delta.mean(-1, keepdim=True)) / sigma
    sigma = torch.sqrt((h * h).mean(-1, keepdim=True) + eps)
    return weight * delta / sigma


def hf(name, ids, spec):
    d = os.path.join(REPO, "test", "fixtures", "hf-models", name)
    cfg = json.load(open(os.path.join(d, "config.json")))
    p = read_safetensors(os.path.join(d, "model.safetensors"))
    t = cfg["model_type"]
    dm, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or dm // H
    T = ids.shape[1]
    if t == "gpt_neox":
        eps = cfg.get("layer_norm_eps", 1e-5)
        rot = int(hd * cfg.get("rotary_pct", 1.0))
        cos, sin = ref.rope_tables(rot, cfg.get("rotary_emb_base", 10000), T)
        h = p["gpt_neox.embed_in.weight"][ids]
        kind = "layer"
    else:
        eps = cfg.get("rms_norm_eps", 1e-6)
        cos, sin = rope_cos_sin(cfg, "full_attention", T, ids.device)
        h = p["model.embed_tokens.weight"][ids]
        kind = "rms"
    pats, s_out = [], None
    for l in range(cfg["num_hidden_layers"]):
        if t == "gpt_neox":
            W = lambda n: p[f"gpt_neox.layers.{l}.{n}"]
            lin = lambda x, n: F.linear(x, W(n + ".weight"), p.get(f"gpt_neox.layers.{l}.{n}.bias"))
            norm = lambda x: F.layer_norm(x, (dm,), W("input_layernorm.weight"), W("input_layernorm.bias"), eps)
            nweight = W("input_layernorm.weight")

            def project(x):
                qkv = lin(x, "attention.query_key_value")
                qkv = qkv.view(*qkv.shape[:2], H, 3 * hd).transpose(1, 2)
                q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
                return ref.apply_rope(q, cos, sin), ref.apply_rope(k, cos, sin), v
            wo = W("attention.dense.weight")
        else:
            W = lambda n: p[f"model.layers.{l}.{n}"]
            lin = lambda x, n: F.linear(x, W(n + ".weight"), p.get(f"model.layers.{l}.{n}.bias"))
            norm = lambda x: ref.rms_norm(x, W("input_layernorm.weight"), eps)
            nweight = W("input_layernorm.weight")

            def project(x):
                q = ref.split_heads(lin(x, "self_attn.q_proj"), H)
                k = ref.split_heads(lin(x, "self_attn.k_proj"), Hkv)
                v = ref.split_heads(lin(x, "self_attn.v_proj"), Hkv)
                q, k = ref.rms_norm(q, W("self_attn.q_norm.weight"), eps), ref.rms_norm(k, W("self_attn.k_norm.weight"), eps)
                q, k = ref.apply_rope(q, cos, sin), ref.apply_rope(k, cos, sin)
                return q, k.repeat_interleave(H // Hkv, dim=1), v.repeat_interleave(H // Hkv, dim=1)
            wo = W("self_attn.o_proj.weight")
        x = norm(h)
        q, k, v = project(x)
        if spec and l == spec["receiver"][0]:
            delta = delta_of(s_out, spec["mode"])
            xa = norm(h - delta) if spec["norm"] == "recompute" else x - frozen(kind, h, delta, nweight, eps)
            alt = project(xa)
            i = "qkv".index(spec["path"])
            q, k, v = [swap(t_, alt[j], spec["receiver"][1]) if j == i else t_ for j, t_ in enumerate((q, k, v))]
        z, pat = ref.attend(q, k, v, None, hd ** -0.5, None)
        pats.append(pat)
        if spec and l == spec["sender"][0]:
            hs = spec["sender"][1]
            s_out = z[:, hs] @ wo[:, hs * hd:(hs + 1) * hd].T
        attn = F.linear(ref.merge_heads(z), wo, p.get(f"gpt_neox.layers.{l}.attention.dense.bias") if t == "gpt_neox" else None)
        if t == "gpt_neox":
            mlp = lambda y: lin(ref.ACTIVATIONS[cfg.get("hidden_act", "gelu")](lin(y, "mlp.dense_h_to_4h")), "mlp.dense_4h_to_h")
            ln2 = F.layer_norm(h, (dm,), W("post_attention_layernorm.weight"), W("post_attention_layernorm.bias"), eps)
            h = mlp(ln2) + attn + h
        else:
            h = h + attn
            y = ref.rms_norm(h, W("post_attention_layernorm.weight"), eps)
            h = h + lin(F.silu(lin(y, "mlp.gate_proj")) * lin(y, "mlp.up_proj"), "mlp.down_proj")
    if t == "gpt_neox":
        h = F.layer_norm(h, (dm,), p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], eps)
        logits = h @ p["embed_out.weight"].T
    else:
        h = ref.rms_norm(h, p["model.norm.weight"], eps)
        logits = h @ p.get("lm_head.weight", p["model.embed_tokens.weight"]).T
    return logits, torch.stack(pats, 1)


@torch.no_grad()
def main():
    g = torch.Generator().manual_seed(11)
    base = torch.randint(1, 2000, (24,), generator=g)
    ids = torch.cat([base, base])[None, :]              # [1, 48]: a repeated segment
    models = {"attn-only-2l": (lambda s: attn_only(torch.cat([torch.zeros(1, 1, dtype=torch.long), ids], 1), s), (0, 2), (1, 5), 1),
              "tiny-pythia": (lambda s: hf("tiny-pythia", ids, s), (0, 1), (1, 3), 0),
              "tiny-qwen3": (lambda s: hf("tiny-qwen3", ids, s), (0, 2), (1, 1), 0)}
    os.makedirs(os.path.join(REPO, "test", "fixtures", "path"), exist_ok=True)
    for name, (fwd, sender, receiver, bos) in models.items():
        plain_logits, _ = fwd(None)
        cases = []
        for path, mode, norm in SPECS:
            spec = {"sender": sender, "receiver": receiver, "path": path, "mode": mode, "norm": norm}
            logits, att = fwd(spec)
            # Kept small: every position's logits of the first 64 ids, and R's whole pattern.
            r7 = lambda xs: [float(f"{x:.7g}") for x in xs]
            cases.append({"path": path, "mode": mode, "norm": norm, "logits64": r7(logits[0, :, :64].flatten().tolist()),
                          "receiverAttention": r7(att[0, receiver[0], receiver[1]].flatten().tolist()),
                          "changed": (logits - plain_logits).abs().max().item()})
            print(name, path, mode, norm, "max logit change", round(cases[-1]["changed"], 4))
        ids_used = ([0] if bos else []) + ids[0].tolist()
        with open(os.path.join(REPO, "test", "fixtures", "path", f"{name}.json"), "w") as f:
            json.dump({"ids": ids_used, "sender": {"layer": sender[0], "head": sender[1]}, "receiver": {"layer": receiver[0], "head": receiver[1]}, "cases": cases}, f)


if __name__ == "__main__":
    main()

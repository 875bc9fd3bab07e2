"""Reference forward passes, in PyTorch, for Hugging Face folders, written from the maths of
`transformers` (eager attention, fp32): GPT-2, GPT-NeoX (Pythia), Llama (Mistral, Qwen2), Qwen3,
Gemma 1/2/3, Phi-3 and OLMo 2 (rotary scaling from rope_reference.py).
They read the HF tensor names straight from a dict, so the same functions train the test models
(make_hf_models.py) and check the TypeScript ONNX builder (src/engine/hf/).

forward(params, cfg, ids, head_mask=None, need_attn=False):
  ids [batch, seq] int64; head_mask [n_layers, n_heads] multiplies each head's output (not its
  pattern, which is reported unmasked); returns logits [batch, seq, vocab] and, when need_attn,
  attentions [batch, n_layers, n_heads, seq, seq].
"""
import math

import torch
import torch.nn.functional as F

# When a dict: attend() appends each layer's head outputs z [batch, heads, seq, d_head] (head mask
# applied) to CAPTURE["z"], and each forward stores the residual stream entering the final norm in
# CAPTURE["h"] (for direct logit attribution, training/dla_reference.py).
CAPTURE = None

ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),
    "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0)))),
    "relu": F.relu,
    "silu": F.silu,
}


def attend(q, k, v, scale_div, scale_mul, mask_row, softcap=None, window=None):
    """q, k, v [batch, heads, seq, d_head] -> z [batch, heads, seq, d_head], pattern [b, h, s, s].
    softcap: scores -> tanh(s / c) * c before the mask; window: key j seen from query i only when
    i - j < window."""
    s = torch.matmul(q, k.transpose(-1, -2))
    if scale_div is not None:
        s = s / scale_div
    if scale_mul is not None:
        s = s * scale_mul
    if softcap is not None:
        s = torch.tanh(s / softcap) * softcap
    T = q.shape[2]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=q.device))
    if window is not None:
        i = torch.arange(T, device=q.device)
        causal = causal & ((i[:, None] - i[None, :]) < window)
    s = torch.where(causal, s, s.new_full((), torch.finfo(s.dtype).min))
    p = torch.softmax(s, dim=-1)
    z = torch.matmul(p, v)
    if mask_row is not None:
        z = z * mask_row[None, :, None, None]
    if CAPTURE is not None:
        CAPTURE["z"].append(z)
    return z, p


def split_heads(x, n):
    """[batch, seq, n * d] -> [batch, n, seq, d]"""
    b, t, _ = x.shape
    return x.view(b, t, n, -1).transpose(1, 2)


def merge_heads(z):
    """[batch, n, seq, d] -> [batch, seq, n * d]"""
    b, n, t, d = z.shape
    return z.transpose(1, 2).reshape(b, t, n * d)


def rope_tables(dim, base, T, device="cpu"):
    """cos, sin [seq, dim] as transformers' default rotary embedding computes them in fp32."""
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = torch.arange(T, device=device).float()[:, None] * inv_freq.to(device)[None, :]       # [seq, dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, cos, sin):
    """x [batch, heads, seq, d_head]; rotates the first cos.shape[-1] dims, passes the rest."""
    r = cos.shape[-1]
    xr, xp = x[..., :r], x[..., r:]
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def gpt2(p, cfg, ids, head_mask=None, need_attn=False):
    pre = "transformer." if "transformer.wte.weight" in p else ""
    d, H, eps = cfg["n_embd"], cfg["n_head"], cfg.get("layer_norm_epsilon", 1e-5)
    act = ACTIVATIONS[cfg.get("activation_function", "gelu_new")]
    T = ids.shape[1]
    h = p[pre + "wte.weight"][ids] + p[pre + "wpe.weight"][torch.arange(T, device=ids.device)]
    pats = []
    for l in range(cfg["n_layer"]):
        w = lambda n: p[f"{pre}h.{l}.{n}"]
        a = F.layer_norm(h, (d,), w("ln_1.weight"), w("ln_1.bias"), eps)
        qkv = a @ w("attn.c_attn.weight") + w("attn.c_attn.bias")      # Conv1D: x @ W + b
        q, k, v = (split_heads(t, H) for t in qkv.split(d, dim=2))
        div = (v.shape[-1] ** 0.5) if cfg.get("scale_attn_weights", True) else None
        if cfg.get("scale_attn_by_inverse_layer_idx", False):
            div = (div or 1.0) * float(l + 1)
        z, pat = attend(q, k, v, div, None, None if head_mask is None else head_mask[l])
        pats.append(pat)
        h = h + (merge_heads(z) @ w("attn.c_proj.weight") + w("attn.c_proj.bias"))
        m = F.layer_norm(h, (d,), w("ln_2.weight"), w("ln_2.bias"), eps)
        m = act(m @ w("mlp.c_fc.weight") + w("mlp.c_fc.bias")) @ w("mlp.c_proj.weight") + w("mlp.c_proj.bias")
        h = h + m
    if CAPTURE is not None:
        CAPTURE["h"] = h
    h = F.layer_norm(h, (d,), p[pre + "ln_f.weight"], p[pre + "ln_f.bias"], eps)
    logits = h @ p.get("lm_head.weight", p[pre + "wte.weight"]).T
    return (logits, torch.stack(pats, 1)) if need_attn else logits


def gpt_neox(p, cfg, ids, head_mask=None, need_attn=False):
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = d // H
    eps = cfg.get("layer_norm_eps", 1e-5)
    act = ACTIVATIONS[cfg.get("hidden_act", "gelu")]
    T = ids.shape[1]
    rot = int(hd * cfg.get("rotary_pct", 1.0))
    cos, sin = rope_tables(rot, cfg.get("rotary_emb_base", cfg.get("rope_theta", 10000)), T, ids.device)
    h = p["gpt_neox.embed_in.weight"][ids]
    pats = []
    for l in range(cfg["num_hidden_layers"]):
        w = lambda n: p[f"gpt_neox.layers.{l}.{n}"]
        b = lambda n: p.get(f"gpt_neox.layers.{l}.{n}")
        ln = lambda x, n: F.layer_norm(x, (d,), w(n + ".weight"), w(n + ".bias"), eps)
        lin = lambda x, n: F.linear(x, w(n + ".weight"), b(n + ".bias"))
        qkv = lin(ln(h, "input_layernorm"), "attention.query_key_value")   # [b, s, H * 3 * hd]
        qkv = qkv.view(*qkv.shape[:2], H, 3 * hd).transpose(1, 2)           # [b, H, s, 3 * hd]
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        z, pat = attend(q, k, v, None, hd ** -0.5, None if head_mask is None else head_mask[l])
        pats.append(pat)
        attn = lin(merge_heads(z), "attention.dense")
        mlp = lambda x: lin(act(lin(x, "mlp.dense_h_to_4h")), "mlp.dense_4h_to_h")
        if cfg.get("use_parallel_residual", True):
            h = mlp(ln(h, "post_attention_layernorm")) + attn + h
        else:
            a = attn + h
            h = mlp(ln(a, "post_attention_layernorm")) + a
    if CAPTURE is not None:
        CAPTURE["h"] = h
    h = F.layer_norm(h, (d,), p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], eps)
    logits = h @ p.get("embed_out.weight", p["gpt_neox.embed_in.weight"]).T
    return (logits, torch.stack(pats, 1)) if need_attn else logits


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def llama(p, cfg, ids, head_mask=None, need_attn=False):
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or d // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    act = ACTIVATIONS[cfg.get("hidden_act", "silu")]
    T = ids.shape[1]
    cos, sin = rope_tables(hd, cfg.get("rope_theta", 10000.0), T, ids.device)
    h = p["model.embed_tokens.weight"][ids]
    pats = []
    for l in range(cfg["num_hidden_layers"]):
        w = lambda n: p[f"model.layers.{l}.{n}"]
        lin = lambda x, n: F.linear(x, w(n + ".weight"), p.get(f"model.layers.{l}.{n}.bias"))
        x = rms_norm(h, w("input_layernorm.weight"), eps)
        q = split_heads(lin(x, "self_attn.q_proj"), H)
        k = split_heads(lin(x, "self_attn.k_proj"), Hkv)
        v = split_heads(lin(x, "self_attn.v_proj"), Hkv)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = (t.repeat_interleave(H // Hkv, dim=1) for t in (k, v))     # repeat_kv
        z, pat = attend(q, k, v, None, hd ** -0.5, None if head_mask is None else head_mask[l])
        pats.append(pat)
        h = h + lin(merge_heads(z), "self_attn.o_proj")
        x = rms_norm(h, w("post_attention_layernorm.weight"), eps)
        h = h + lin(act(lin(x, "mlp.gate_proj")) * lin(x, "mlp.up_proj"), "mlp.down_proj")
    if CAPTURE is not None:
        CAPTURE["h"] = h
    h = rms_norm(h, p["model.norm.weight"], eps)
    logits = h @ p.get("lm_head.weight", p["model.embed_tokens.weight"]).T
    return (logits, torch.stack(pats, 1)) if need_attn else logits


from hf_decoders import decoder  # noqa: E402  (uses the helpers above)

FORWARDS = {"gpt2": gpt2, "gpt_neox": gpt_neox, "llama": llama, "qwen2": llama,
            **{t: decoder for t in ("mistral", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3", "olmo2")}}

"""Reference forward of the newer decoder families, in PyTorch fp32, written from the eager
attention code of `transformers`: Mistral (sliding window), Qwen3 (per-head q/k RMSNorm), Gemma
1/2/3 (scaled embeddings, (1 + w) RMSNorm, GeGLU, query_pre_attn_scalar, sandwich norms,
soft-capping, local/global layers with their own rotary base), Phi-3 (fused qkv and gate_up,
LongRoPE) and OLMo 2 (norms after attention and MLP, q/k RMSNorm over the whole projection).
Same signature as hf_reference.forward."""
import math

import torch
import torch.nn.functional as F

import hf_reference as ref
from rope_reference import inv_freq


def layer_types(cfg, n):
    """'sliding_attention' or 'full_attention' per layer, as each config class derives them."""
    if cfg.get("layer_types"):
        return list(cfg["layer_types"])
    t = cfg["model_type"]
    window = cfg.get("sliding_window")
    full = ["full_attention"] * n
    if window is None or t == "gemma":
        return full
    if t == "gemma2":
        return ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)]
    if t == "gemma3_text":
        pattern = cfg.get("sliding_window_pattern", 6)
        return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
    if "use_sliding_window" in cfg:
        if not cfg["use_sliding_window"]:
            return full
        first = cfg.get("max_window_layers", 28)
        return ["sliding_attention" if i >= first else "full_attention" for i in range(n)]
    return ["sliding_attention"] * n


def rope_cos_sin(cfg, layer_type, T, device):
    inv, att = inv_freq(cfg, layer_type)
    freqs = torch.arange(T, device=device).float()[:, None] * inv.to(device)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * att, emb.sin() * att


def decoder(p, cfg, ids, head_mask=None, need_attn=False):
    t = cfg["model_type"]
    gemma = t in ("gemma", "gemma2", "gemma3_text")
    sandwich = t in ("gemma2", "gemma3_text")
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or d // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    n = cfg["num_hidden_layers"]
    act = ref.ACTIVATIONS["gelu_new" if gemma else cfg.get("hidden_act", "silu")]
    scale = (cfg.get("query_pre_attn_scalar") or hd) ** -0.5 if t in ("gemma2", "gemma3_text") else hd ** -0.5
    softcap = cfg.get("attn_logit_softcapping") if sandwich else None
    T = ids.shape[1]
    types = layer_types(cfg, n)
    tables = {lt: rope_cos_sin(cfg, lt, T, ids.device) for lt in set(types)}

    def norm(x, w):
        if gemma:  # Gemma: x * rsqrt(mean(x^2) + eps) * (1 + w), in float32
            return (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * (1.0 + w)
        return ref.rms_norm(x, w, eps)

    h = p["model.embed_tokens.weight"][ids]
    if gemma:
        h = h * torch.tensor(d ** 0.5, dtype=h.dtype)
    pats = []
    for l in range(n):
        w = lambda k: p[f"model.layers.{l}.{k}"]
        lin = lambda x, k: F.linear(x, w(k + ".weight"), p.get(f"model.layers.{l}.{k}.bias"))
        x = h if t == "olmo2" else norm(h, w("input_layernorm.weight"))
        if t == "phi3":
            q, k, v = lin(x, "self_attn.qkv_proj").split([H * hd, Hkv * hd, Hkv * hd], dim=-1)
        else:
            q, k, v = lin(x, "self_attn.q_proj"), lin(x, "self_attn.k_proj"), lin(x, "self_attn.v_proj")
        if t == "olmo2":  # over the whole projection, before the heads are split
            q, k = norm(q, w("self_attn.q_norm.weight")), norm(k, w("self_attn.k_norm.weight"))
        q, k, v = ref.split_heads(q, H), ref.split_heads(k, Hkv), ref.split_heads(v, Hkv)
        if t in ("qwen3", "gemma3_text"):  # over each head's d_head, before rotary
            q, k = norm(q, w("self_attn.q_norm.weight")), norm(k, w("self_attn.k_norm.weight"))
        cos, sin = tables[types[l]]
        q, k = ref.apply_rope(q, cos, sin), ref.apply_rope(k, cos, sin)
        k, v = (x_.repeat_interleave(H // Hkv, dim=1) for x_ in (k, v))
        window = cfg["sliding_window"] if types[l] == "sliding_attention" else None
        z, pat = ref.attend(q, k, v, None, scale, None if head_mask is None else head_mask[l], softcap, window)
        pats.append(pat)
        a = lin(ref.merge_heads(z), "self_attn.o_proj")
        if sandwich or t == "olmo2":
            a = norm(a, w("post_attention_layernorm.weight"))
        h = h + a
        if t == "olmo2":
            x = h
        elif sandwich:
            x = norm(h, w("pre_feedforward_layernorm.weight"))
        else:
            x = norm(h, w("post_attention_layernorm.weight"))
        if t == "phi3":
            gate, up = lin(x, "mlp.gate_up_proj").chunk(2, dim=-1)
        else:
            gate, up = lin(x, "mlp.gate_proj"), lin(x, "mlp.up_proj")
        m = lin(act(gate) * up, "mlp.down_proj")
        if sandwich or t == "olmo2":
            m = norm(m, w("post_feedforward_layernorm.weight"))
        h = h + m
    if ref.CAPTURE is not None:
        ref.CAPTURE["h"] = h
    h = norm(h, p["model.norm.weight"])
    logits = h @ p.get("lm_head.weight", p["model.embed_tokens.weight"]).T
    if sandwich and cfg.get("final_logit_softcapping"):
        c = cfg["final_logit_softcapping"]
        logits = torch.tanh(logits / c) * c
    return (logits, torch.stack(pats, 1)) if need_attn else logits

"""The article's toy model: attention-only transformer, no MLPs, no LayerNorm, no biases,
untied embedding and unembedding. Weight names and shapes follow TransformerLens."""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn


@dataclass
class Config:
    n_layers: int = 2
    n_heads: int = 8
    d_model: int = 128
    d_head: int = 16
    n_ctx: int = 512
    d_vocab: int = 2048
    positional: str = "shortformer"  # or "learned"
    pos_init: str = "normal"  # or "sinusoidal": W_pos starts as scaled sinusoids (still trained)

    def to_dict(self):
        return asdict(self)


class AttnOnly(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        L, H, D, E = cfg.n_layers, cfg.n_heads, cfg.d_model, cfg.d_head
        # Unit-scale embeddings and positions: with the usual 0.02 init the query-key products
        # start near zero and their gradients vanish (with 0.02 init and no LayerNorm the query/key gradients fell below AdamW's epsilon).
        self.W_E = nn.Parameter(torch.randn(cfg.d_vocab, D))          # [d_vocab, d_model]
        self.W_pos = nn.Parameter(torch.randn(cfg.n_ctx, D))          # [n_ctx, d_model]
        if cfg.pos_init == "sinusoidal":
            # Sinusoids make "attend to the previous position" one shared rotation for every
            # position, so the previous-token head can form without learning 512 separate pairs.
            pos = torch.arange(cfg.n_ctx, dtype=torch.float32)[:, None]
            freq = torch.exp(-math.log(10000.0) * torch.arange(0, D, 2, dtype=torch.float32) / D)
            pe = torch.zeros(cfg.n_ctx, D)
            pe[:, 0::2] = torch.sin(pos * freq)
            pe[:, 1::2] = torch.cos(pos * freq)
            with torch.no_grad():
                self.W_pos.copy_(pe * math.sqrt(2.0))
        self.W_Q = nn.Parameter(torch.randn(L, H, D, E) / math.sqrt(D))  # [layer, head, d_model, d_head]
        self.W_K = nn.Parameter(torch.randn(L, H, D, E) / math.sqrt(D))  # [layer, head, d_model, d_head]
        self.W_V = nn.Parameter(torch.randn(L, H, D, E) / math.sqrt(D))  # [layer, head, d_model, d_head]
        self.W_O = nn.Parameter(torch.randn(L, H, E, D) / math.sqrt(H * E))  # [layer, head, d_head, d_model]
        self.W_U = nn.Parameter(torch.randn(D, cfg.d_vocab) / D)       # [d_model, d_vocab]

    def forward(self, input_ids, head_mask=None, need_attn=False):
        """input_ids [batch, seq] int64; head_mask [n_layers, n_heads] float (1 on, 0 ablated).
        Returns logits [batch, seq, d_vocab] and, if asked, attentions
        [batch, n_layers, n_heads, seq, seq]."""
        cfg = self.cfg
        T = input_ids.shape[1]
        x = self.W_E[input_ids]                                        # [batch, seq, d_model]
        pos = self.W_pos[:T]                                           # [seq, d_model]
        if cfg.positional == "learned":
            x = x + pos
        idx = torch.arange(T, device=input_ids.device)
        # Additive causal mask [query, key]: 0 on and below the diagonal, -1e9 above (exp gives
        # exactly 0). An Add is cheaper in onnxruntime than a Where over [batch, head, q, k].
        future = (idx[None, :] > idx[:, None]).to(torch.float32) * -1e9
        scale = 1.0 / math.sqrt(cfg.d_head)
        patterns = []
        for l in range(cfg.n_layers):
            # Shortformer: positions enter only the inputs of queries and keys, never values.
            qk_in = x + pos if cfg.positional == "shortformer" else x  # [batch, seq, d_model]
            B = x.shape[0]
            H, E = cfg.n_heads, cfg.d_head
            # One GEMM per projection ([d_model, head*d_head]) is far faster on CPU than a per-head einsum.
            q = (qk_in @ self.W_Q[l].permute(1, 0, 2).reshape(cfg.d_model, H * E))  # [batch, seq, head*d_head]
            k = (qk_in @ self.W_K[l].permute(1, 0, 2).reshape(cfg.d_model, H * E))  # [batch, seq, head*d_head]
            v = (x @ self.W_V[l].permute(1, 0, 2).reshape(cfg.d_model, H * E))      # [batch, seq, head*d_head]
            q = q.view(B, T, H, E).transpose(1, 2)                     # [batch, head, query, d_head]
            k = k.view(B, T, H, E).transpose(1, 2)                     # [batch, head, key, d_head]
            v = v.view(B, T, H, E).transpose(1, 2)                     # [batch, head, key, d_head]
            scores = torch.matmul(q, k.transpose(-1, -2)) * scale      # [batch, head, query, key]
            scores = scores + future
            pattern = torch.softmax(scores, dim=-1)                    # [batch, head, query, key]
            z = torch.matmul(pattern, v)                               # [batch, head, query, d_head]
            if head_mask is not None:
                z = z * head_mask[l][None, :, None, None]
            z = z.transpose(1, 2).reshape(B, T, H * E)                 # [batch, seq, head*d_head]
            x = x + z @ self.W_O[l].reshape(H * E, cfg.d_model)        # [batch, seq, d_model]
            if need_attn:
                patterns.append(pattern)
        logits = x @ self.W_U                                          # [batch, seq, d_vocab]
        if need_attn:
            return logits, torch.stack(patterns, dim=1)               # [batch, layer, head, q, k]
        return logits

    def tl_state(self):
        """Weights under TransformerLens names, as float32 CPU tensors."""
        out = {"embed.W_E": self.W_E, "pos_embed.W_pos": self.W_pos, "unembed.W_U": self.W_U}
        for l in range(self.cfg.n_layers):
            out[f"blocks.{l}.attn.W_Q"] = self.W_Q[l]
            out[f"blocks.{l}.attn.W_K"] = self.W_K[l]
            out[f"blocks.{l}.attn.W_V"] = self.W_V[l]
            out[f"blocks.{l}.attn.W_O"] = self.W_O[l]
        return {k: v.detach().float().cpu().contiguous() for k, v in out.items()}

"""Reference values for the TypeScript tests, computed independently of the engine: a PyTorch
forward pass built from weights.safetensors (not from the ONNX file), the Python BPE encoder, and
numpy for the circuit maths. Writes test/fixtures/<model id>/.

  /usr/bin/python3 training/make_fixtures.py [--model media/models/attn-only-2l]
"""
import argparse
import hashlib
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from bpe import Encoder
from model import AttnOnly, Config
from safetensors_io import read_safetensors
from probe import PROBE_LEN, mulberry32, probe_metrics, probe_prefix, probe_tokens, in_context_losses

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def model_from_folder(folder):
    man = json.load(open(os.path.join(folder, "model.json")))
    a = man["architecture"]
    cfg = Config(n_layers=a["n_layers"], n_heads=a["n_heads"], d_model=a["d_model"], d_head=a["d_head"],
                 n_ctx=a["n_ctx"], d_vocab=a["d_vocab"], positional=a["positional"])
    m = AttnOnly(cfg)
    w = read_safetensors(os.path.join(folder, man["weights"]))
    with torch.no_grad():
        m.W_E.copy_(w["embed.W_E"])
        m.W_pos.copy_(w["pos_embed.W_pos"])
        m.W_U.copy_(w["unembed.W_U"])
        for l in range(cfg.n_layers):
            for k in "QKVO":
                getattr(m, f"W_{k}")[l].copy_(w[f"blocks.{l}.attn.W_{k}"])
    m.eval()
    return m, man, w


def sample_text(tok, seed=3):
    """Random single-token words written twice, then code with repeated identifiers."""
    vocab = tok["model"]["vocab"]
    words = sorted(t for t in vocab if t.startswith("Ġ") and t[1:].isascii() and t[1:].isalpha() and t[1:].islower() and len(t) > 3)
    rng = mulberry32(seed)
    picked = []
    while len(picked) < 24:
        w = words[next(rng) % len(words)]
        if w not in picked:
            picked.append(w)
    phrase = "".join(w.replace("Ġ", " ") for w in picked)
    code = ("\n\ndef total_weight(items):\n    total = 0\n    for item in items:\n"
            "        total = total + item.weight\n    return total\n\n"
            "def total_weight_squared(items):\n    total = 0\n    for item in items:\n"
            "        total = total + item.weight * item.weight\n    return total\n")
    return phrase.strip() + "\n" + phrase.strip() + code


def nll_rows(logits, ids, p=1):
    """logits [seq, vocab] for BOS + ids (p = 1) or ids alone (p = 0); returns loss[q] predicting
    ids[q+1] from model position q+p."""
    logp = F.log_softmax(logits.double(), dim=-1)
    n = len(ids)
    return [(-logp[q + p, ids[q + 1]].item() if q + 1 < n else None) for q in range(n)]


@torch.no_grad()
def probe_and_analysis(model, n_layers, n_heads, d_vocab, bos, tok, threshold):
    """The probe and the analysis of sample_text, from a forward function
    model(ids, head_mask=None, need_attn=False). `bos` None: a model without BOS, whose probe rows
    and analysis window start directly with the tokens (token q at model position q + p, p = 1
    with BOS, 0 without). Returns the reference.json fields and the probe's induction scores
    [layer, head]."""
    p = probe_prefix(bos)
    # 1. Probe.
    ptoks = probe_tokens(d_vocab, bos)
    logits, attn = model(ptoks, need_attn=True)
    ind, prev, dup = probe_metrics(logits, attn)
    first, second = in_context_losses(logits, ptoks)
    heads = [{"layer": l, "head": h, "induction": ind[l, h].item(), "previousToken": prev[l, h].item(),
              "duplicateToken": dup[l, h].item()} for l in range(n_layers) for h in range(n_heads)]
    induction_heads = [(x["layer"], x["head"]) for x in heads if x["induction"] >= threshold]

    # 2. Analysis of a sample text (one window).
    text = sample_text(tok)
    ids = Encoder(tok).encode(text)
    x = torch.tensor([([] if bos is None else [bos]) + ids])
    lg, at = model(x, need_attn=True)
    lg, at = lg[0], at[0]                                   # [seq, vocab], [layer, head, seq, seq]
    loss = nll_rows(lg, ids, p)
    probs = torch.softmax(lg.double(), dim=-1)
    top5 = [[{"id": int(i), "prob": probs[q + p, i].item()} for i in torch.topk(lg[q + p], 5).indices]
            for q in range(len(ids))]
    events = []
    for q in range(len(ids)):
        best = None
        for j in range(q - 1):
            if ids[j] != ids[q]:
                continue
            for (l, h) in induction_heads:
                v = at[l, h, q + p, j + 1 + p].item()
                if best is None or v > best[0]:
                    best = (v, j + 1, l, h)
        if best is None:
            continue
        v, src, l, h = best
        succ = ids[src]
        row = lg[q + p]
        events.append({"query": q, "source": src, "successorId": succ, "attention": v,
                       "head": {"layer": l, "head": h}, "prob": probs[q + p, succ].item(),
                       "rank": int((row > row[succ]).sum().item()) + 1,
                       "hit": q + 1 < len(ids) and ids[q + 1] == succ})
    mask = torch.ones(n_layers, n_heads)
    for (l, h) in induction_heads:
        mask[l, h] = 0
    ablated = nll_rows(model(x, head_mask=mask)[0], ids, p)
    gain = [None if a is None else a - b for a, b in zip(ablated, loss)]

    return {
        "probe": {"tokens": ptoks.tolist(), "heads": heads, "lossFirstCopy": first, "lossSecondCopy": second},
        "inductionThreshold": threshold,
        "text": text,
        "analysis": {"ids": ids, "loss": loss, "top5": top5, "events": events, "ablationGain": gain,
                     "inductionHeads": [{"layer": l, "head": h} for l, h in induction_heads]},
    }, ind


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=os.path.join(REPO, "media", "models", "attn-only-2l"))
    ap.add_argument("--threshold", type=float, default=0.4)
    args = ap.parse_args()
    model, man, w = model_from_folder(args.model)
    cfg = model.cfg
    out_dir = os.path.join(REPO, "test", "fixtures", man["id"])
    os.makedirs(out_dir, exist_ok=True)
    onnx_hash = hashlib.sha256(open(os.path.join(args.model, man["onnx"]), "rb").read()).hexdigest()
    tok = json.load(open(os.path.join(args.model, man["tokenizer"]), encoding="utf-8"))
    bos = man["bos_token_id"]

    base, ind = probe_and_analysis(model, cfg.n_layers, cfg.n_heads, cfg.d_vocab, bos, tok, args.threshold)
    # The same probe and analysis without BOS (as for a model whose tokenizer adds none): the
    # engine's bos = null path against PyTorch.
    no_bos, _ = probe_and_analysis(model, cfg.n_layers, cfg.n_heads, cfg.d_vocab, None, tok, args.threshold)

    # 3. Parity inputs for ONNX vs PyTorch, and a head removed by zeroing its W_O (not the mask).
    par = torch.tensor([probe_tokens(cfg.d_vocab, bos, length=32, batch=1, seed=99)[0, :64].tolist()])
    plg, pat = model(par, need_attn=True)
    removed = (1, max(range(cfg.n_heads), key=lambda h: ind[1, h].item()))
    saved = model.W_O.data[removed].clone()
    model.W_O.data[removed] = 0
    plg_removed = model(par)
    model.W_O.data[removed] = saved
    plg.numpy().astype("<f4").tofile(os.path.join(out_dir, "parity_logits.f32"))
    pat.numpy().astype("<f4").tofile(os.path.join(out_dir, "parity_attentions.f32"))
    plg_removed.numpy().astype("<f4").tofile(os.path.join(out_dir, "parity_logits_head_removed.f32"))

    # 4. Circuits with numpy, straight from the definitions (full d_vocab x d_vocab OV matrices).
    def npw(name):
        return w[name].double().numpy()
    WE, Wpos, WU = npw("embed.W_E"), npw("pos_embed.W_pos"), npw("unembed.W_U")
    copying = []
    for h in range(cfg.n_heads):
        full = WE @ npw("blocks.1.attn.W_V")[h] @ npw("blocks.1.attn.W_O")[h] @ WU   # [vocab, vocab]
        lam = np.linalg.eigvals(full)
        copying.append({"layer": 1, "head": h, "eigenCopyingScore": float(lam.real.sum() / np.abs(lam).sum()),
                        "top1Accuracy": float((full.argmax(1) == np.arange(cfg.d_vocab)).mean())})
    kcomp = []
    for p in range(cfg.n_heads):
        W_OV = npw("blocks.0.attn.W_V")[p] @ npw("blocks.0.attn.W_O")[p]
        row = []
        for h in range(cfg.n_heads):
            W_QK = npw("blocks.1.attn.W_Q")[h] @ npw("blocks.1.attn.W_K")[h].T
            row.append(float(np.linalg.norm(W_OV @ W_QK.T) / (np.linalg.norm(W_OV) * np.linalg.norm(W_QK))))
        kcomp.append(row)
    sub = []
    for h in range(cfg.n_heads):
        s = Wpos @ npw("blocks.0.attn.W_Q")[h] @ npw("blocks.0.attn.W_K")[h].T @ Wpos.T / math.sqrt(cfg.d_head)
        s = np.where(np.tril(np.ones_like(s)) > 0, s, -np.inf)
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        sub.append(float(np.mean([p[i, i - 1] for i in range(1, cfg.n_ctx)])))

    ref = {
        "modelHash": onnx_hash,
        **base,
        "parity": {"ids": par[0].tolist(), "removedHead": {"layer": removed[0], "head": removed[1]},
                   "logitsShape": list(plg.shape), "attentionsShape": list(pat.shape)},
        "circuits": {"copying": copying, "kComposition": kcomp, "subDiagonalMassPerHead": sub},
    }
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)
    with open(os.path.join(out_dir, "reference_nobos.json"), "w") as f:
        json.dump({"modelHash": onnx_hash, **no_bos}, f)
    print(f"fixtures -> {out_dir}: {len(base['analysis']['ids'])} tokens, {len(base['analysis']['events'])} events, "
          f"induction heads {base['analysis']['inductionHeads']}")


if __name__ == "__main__":
    main()

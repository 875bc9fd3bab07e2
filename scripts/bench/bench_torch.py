"""The same work in PyTorch eager mode, the way researchers do it today: load the weights, run the
forward pass with attentions, then the analysis (loss, top-k, induction events) and the probe.

bench_torch.py --serve: a server for bench.mjs, which alternates engine calls and PyTorch calls
(so that the machine's noise hits both sides). One JSON command per line on stdin, one JSON reply
per line on stdout; a timed command runs once and replies {"ms": ...} (its own wall time, without
the pipe). Commands:
  {"op": "bundled", "dir": MODEL_DIR}            load a bundled-format model (model.json)
  {"op": "ids", "key": K, "ids": [...]}          remember token ids (BOS included) under K
  {"op": "analysis", "key": K, "heads": [[l, h], ...]}
        the fair analysis: loss, top-5, and the induction events through the given heads (the
        engine's), vectorized in torch
  {"op": "analysisOld", "key": K}                the earlier analysis: all layer-1 heads, a
        Python loop over events with one .item() per (event, head)
  {"op": "forward", "key": K}                    the bundled model's forward with attentions
  {"op": "probe"}                                the probe of the bundled model
  {"op": "hf", "dir": FOLDER}                    load a Hugging Face folder (config.json,
        model.safetensors) for training/hf_reference.py
  {"op": "hfForward", "key": K}                  its forward with attentions (output_attentions)
  {"op": "check", "key": K, "heads": [...]}      the fair analysis' outputs, for comparison
  {"op": "quit"}
Without --serve (bench_torch.py MODEL_DIR TOKENS_JSON) it prints medians of 10 runs per size of
the earlier analysis and the forward pass, and of the probe, as JSON."""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from make_fixtures import model_from_folder  # noqa: E402
from probe import probe_tokens, probe_metrics, in_context_losses  # noqa: E402


def analysis_old(model, ids, induction_heads):
    """The earlier PyTorch side: ids without BOS; events through a Python loop (last occurrence)."""
    x = torch.tensor([[0] + ids])
    logits, attn = model(x, need_attn=True)
    logp = F.log_softmax(logits[0], dim=-1)
    loss = -logp[1:-1].gather(-1, x[0, 2:, None])
    top = torch.topk(logits[0], 5, dim=-1)
    events = []
    last = {}
    for q, t in enumerate(ids):
        if t in last and last[t] + 1 < q:
            j = last[t]
            best = max(((attn[0, l, h, q + 1, j + 2].item(), l, h) for l, h in induction_heads), default=None)
            events.append((q, j + 1, best))
        last[t] = q
    return loss, top, events


def events_of(x, logits, attn, heads, prefix):
    """Induction events as the engine finds them (src/engine/windowScores.ts findEvents), in
    tensor ops: for every query position Q, the candidate sources are the positions K = J + 1 after
    an earlier occurrence J of the same token with K < Q; the event is the largest attention from
    Q to a candidate over the induction heads, with the successor's probability and rank at Q.
    x [T] ids (BOS first when prefix = 1), logits [T, V], attn [L, H, T, T]; heads [(l, h)]."""
    T = x.shape[0]
    pos = torch.arange(T)
    # C[Q, K]: token at K - 1 equals token at Q, K - 1 is a text token (not BOS), K < Q.
    same = torch.zeros(T, T, dtype=torch.bool)
    same[:, 1:] = x[:, None] == x[None, :-1]
    C = same & (pos[None, :] < pos[:, None]) & (pos[None, :] >= 1 + prefix)
    li = torch.tensor([l for l, _ in heads])
    hi = torch.tensor([h for _, h in heads])
    a = attn[li, hi].permute(1, 2, 0)                                 # [T, T, nH], (K, head) order
    a = torch.where(C[:, :, None], a, a.new_full((), -1.0)).reshape(T, -1)
    best, arg = a.max(dim=1)                                           # first maximum, as the engine
    q = C.any(dim=1).nonzero()[:, 0]
    src_pos = arg[q] // len(heads)
    head = arg[q] % len(heads)
    succ = x[src_pos]
    lq = logits[q]
    ls = lq.gather(1, succ[:, None])[:, 0]
    prob = torch.exp(ls - torch.logsumexp(lq, dim=1))
    rank = 1 + (lq > ls[:, None]).sum(dim=1)
    nxt = torch.cat([x[1:], x.new_full((1,), -1)])
    hit = nxt[q] == succ
    return {"query": q - prefix, "source": src_pos - prefix, "successor": succ, "attention": best[q],
            "head": torch.stack([li[head], hi[head]], 1), "prob": prob, "rank": rank, "hit": hit}


def analysis_fair(model, x, heads, k=5):
    """The whole analysis as a researcher would write it: one forward pass with attentions, loss
    and top-k of every position, induction events vectorized. x [T] ids with BOS first."""
    logits, attn = model(x[None], need_attn=True)
    logits, attn = logits[0], attn[0]
    lse = torch.logsumexp(logits, dim=-1)
    loss = lse[:-1] - logits[:-1].gather(1, x[1:, None])[:, 0]
    top = torch.topk(logits, k, dim=-1)
    top_p = torch.exp(top.values - lse[:, None])
    ev = events_of(x, logits, attn, heads, 1) if heads else None
    return loss, top.indices, top_p, ev


def timed(f, reps):
    for _ in range(2):
        f()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), min(out), max(out)


def once(f):
    t0 = time.perf_counter()
    f()
    return (time.perf_counter() - t0) * 1000


def load_hf(folder):
    from hf_reference import FORWARDS
    from safetensors_io import read_safetensors
    cfg = json.load(open(os.path.join(folder, "config.json")))
    params = read_safetensors(os.path.join(folder, "model.safetensors"))
    return FORWARDS[cfg["model_type"]], params, cfg


@torch.no_grad()
def serve():
    torch.set_num_threads(2)
    model = man = hf = None
    ids = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        op = cmd["op"]
        try:
            if op == "quit":
                break
            if op == "bundled":
                model, man, _ = model_from_folder(cmd["dir"])
                reply = {"ok": True, "nHeads": model.cfg.n_heads}
            elif op == "ids":
                ids[cmd["key"]] = torch.tensor(cmd["ids"], dtype=torch.int64)
                reply = {"ok": True}
            elif op == "analysis":
                x, heads = ids[cmd["key"]], [tuple(h) for h in cmd["heads"]]
                reply = {"ms": once(lambda: analysis_fair(model, x, heads))}
            elif op == "analysisOld":
                x = ids[cmd["key"]].tolist()[1:]
                heads = [(1, h) for h in range(model.cfg.n_heads)]
                reply = {"ms": once(lambda: analysis_old(model, x, heads))}
            elif op == "forward":
                x = ids[cmd["key"]]
                reply = {"ms": once(lambda: model(x[None], need_attn=True))}
            elif op == "probe":
                toks = probe_tokens(model.cfg.d_vocab, man["bos_token_id"])

                def probe():
                    logits, attn = model(toks, need_attn=True)
                    probe_metrics(logits, attn)
                    in_context_losses(logits, toks)
                reply = {"ms": once(probe)}
            elif op == "hf":
                hf = load_hf(cmd["dir"])
                reply = {"ok": True}
            elif op == "hfForward":
                fwd, params, cfg = hf
                x = ids[cmd["key"]]
                reply = {"ms": once(lambda: fwd(params, cfg, x[None], need_attn=True))}
            elif op == "check":
                x, heads = ids[cmd["key"]], [tuple(h) for h in cmd["heads"]]
                loss, top_ids, top_p, ev = analysis_fair(model, x, heads)
                reply = {"loss": loss.tolist(), "top": top_ids[:, 0].tolist(),
                         "events": None if ev is None else {k: v.tolist() for k, v in ev.items()}}
            else:
                reply = {"error": f"unknown op {op}"}
        except Exception as e:  # noqa: BLE001 - reported to the caller
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


@torch.no_grad()
def main():
    torch.set_num_threads(2)
    model, man, _ = model_from_folder(sys.argv[1])
    sizes = json.load(open(sys.argv[2]))
    heads = [(1, h) for h in range(model.cfg.n_heads)]
    res = {}
    for n, ids in sizes.items():
        med, lo, hi = timed(lambda: analysis_old(model, ids, heads), 10)
        fmed, flo, fhi = timed(lambda: model(torch.tensor([[0] + ids]), need_attn=True), 10)
        res[n] = {"analysisMs": {"median": med, "min": lo, "max": hi}, "forwardMs": {"median": fmed, "min": flo, "max": fhi}}
    toks = probe_tokens(model.cfg.d_vocab, man["bos_token_id"])

    def probe():
        logits, attn = model(toks, need_attn=True)
        probe_metrics(logits, attn)
        in_context_losses(logits, toks)
    med, lo, hi = timed(probe, 10)
    res["probeMs"] = {"median": med, "min": lo, "max": hi}
    print(json.dumps(res))


if __name__ == "__main__":
    serve() if sys.argv[1:2] == ["--serve"] else main()

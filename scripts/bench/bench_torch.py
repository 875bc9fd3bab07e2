"""The same work in PyTorch eager mode, the way researchers do it today: load the weights, run the
forward pass with attentions, then the analysis (loss, top-k, induction events) and the probe.
Prints JSON with medians in milliseconds. Usage: bench_torch.py MODEL_DIR TOKENS_JSON"""
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


def analysis(model, ids, induction_heads):
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


def timed(f, reps):
    for _ in range(2):
        f()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), min(out), max(out)


@torch.no_grad()
def main():
    torch.set_num_threads(2)
    model, man, _ = model_from_folder(sys.argv[1])
    sizes = json.load(open(sys.argv[2]))
    heads = [(1, h) for h in range(model.cfg.n_heads)]
    res = {}
    for n, ids in sizes.items():
        med, lo, hi = timed(lambda: analysis(model, ids, heads), 10)
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
    main()

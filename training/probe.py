"""The repeated-random-token probe (docs/definitions.md), with the same PRNG as the TypeScript engine
(mulberry32), so both draw exactly the same probe tokens from the same seed."""
import torch
import torch.nn.functional as F

PROBE_SEED = 20261125
PROBE_LEN = 50
PROBE_BATCH = 8


def mulberry32(seed):
    a = seed & 0xFFFFFFFF
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (1 | a)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        yield (t ^ (t >> 14)) & 0xFFFFFFFF


def probe_prefix(bos_id):
    """Positions before the first random token of a probe row: 1 (BOS) or 0 (no BOS)."""
    return 0 if bos_id is None else 1


def probe_tokens(d_vocab, bos_id=None, length=PROBE_LEN, batch=PROBE_BATCH, seed=PROBE_SEED):
    """[batch, prefix + 2*length] int64. With a BOS id: BOS, then R, then R again, R uniform over
    ids != bos_id. With bos_id None (a model whose tokenizer adds no BOS): R, R with R uniform over
    all ids < d_vocab. The same draws as probeTokens in src/engine/probe.ts."""
    rng = mulberry32(seed)
    rows = []
    for _ in range(batch):
        r = []
        for _ in range(length):
            if bos_id is None:
                r.append(next(rng) % d_vocab)
            else:
                x = next(rng) % (d_vocab - 1)
                r.append(x + 1 if x >= bos_id else x)
        rows.append(([] if bos_id is None else [bos_id]) + r + r)
    return torch.tensor(rows, dtype=torch.int64)


def _prefix_of(seq, length):
    p = seq - 2 * length
    if p not in (0, 1):
        raise ValueError(f"probe rows of {seq} tokens are not [BOS,] R, R with |R| = {length}")
    return p


def probe_metrics(logits, attn, length=PROBE_LEN):
    """logits [batch, seq, vocab], attn [batch, layer, head, seq, seq] on probe_tokens, seq = p + 2L
    (p = probe_prefix: 1 with BOS, 0 without). Query positions of the second copy are q in
    [p+L, p+2L-1]; induction target q-L+1, previous q-1, duplicate q-L. In-context loss
    (in_context_losses): mean next-token cross-entropy at q in [p, p+L-2] (first copy) and q in
    [p+L, p+2L-2] (second copy), the positions whose next token is in the same copy."""
    L = length
    p = _prefix_of(attn.shape[-1], L)
    q = torch.arange(p + L, p + 2 * L)
    a = attn.mean(0)                                        # [layer, head, seq, seq]
    induction = a[:, :, q, q - L + 1].mean(-1)              # [layer, head]
    previous = a[:, :, q, q - 1].mean(-1)
    duplicate = a[:, :, q, q - L].mean(-1)
    return induction, previous, duplicate


def in_context_losses(logits, tokens, length=PROBE_LEN):
    L = length
    p = _prefix_of(tokens.shape[1], L)
    logp = F.log_softmax(logits.float(), dim=-1)            # [batch, seq, vocab]
    nll = -logp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]  # [batch, seq-1], nll[:, q] predicts q+1
    first = nll[:, p:p + L - 1].mean().item()
    second = nll[:, p + L:p + 2 * L - 1].mean().item()
    return first, second


@torch.no_grad()
def run_probe(model, bos_id=0):
    """bos_id None: the probe without BOS (R, R)."""
    toks = probe_tokens(model.cfg.d_vocab, bos_id)
    logits, attn = model(toks, need_attn=True)
    ind, prev, dup = probe_metrics(logits, attn)
    first, second = in_context_losses(logits, toks)
    return {"induction": ind.tolist(), "previousToken": prev.tolist(),
            "duplicateToken": dup.tolist(), "lossFirstCopy": first, "lossSecondCopy": second}

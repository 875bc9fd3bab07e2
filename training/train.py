"""Train the attention-only model; resumable from the latest checkpoint.

Each training sequence is, with probability --synthetic-share, a synthetic one: BOS then blocks that
are either a random-token segment R written twice (|R| in [4, 64], uniform over the vocabulary) or a
chunk of corpus text; otherwise a window of corpus text. Data for step s come from an RNG seeded by
(seed, s), so a resumed run sees exactly the batches an uninterrupted one would.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from bpe import Encoder
from model import AttnOnly, Config
from probe import run_probe

HERE = os.path.dirname(os.path.abspath(__file__))


def encode_file(tok, path, cache):
    if os.path.exists(cache) and os.path.getmtime(cache) > max(os.path.getmtime(path),
                                                               os.path.getmtime(tok)):
        return np.load(cache)
    with open(tok, encoding="utf-8") as f:
        enc = Encoder(json.load(f))
    with open(path, encoding="utf-8") as f:
        ids = np.array(enc.encode(f.read()), dtype=np.int16)
    np.save(cache, ids)
    return ids


def pool_size(step, args, vocab):
    """Curriculum: random segments use a pool of --pool-start token ids until --pool-grow-from,
    growing geometrically to the whole vocabulary by --pool-full-at (a small alphabet first
    shortens the plateau before induction heads form)."""
    if args.pool_start <= 0 or args.pool_start >= vocab:
        return vocab - 1
    if step < args.pool_grow_from:
        return args.pool_start
    f = min(1.0, (step - args.pool_grow_from) / max(1, args.pool_full_at - args.pool_grow_from))
    return int(round(args.pool_start * ((vocab - 1) / args.pool_start) ** f))


def make_batch(rng, text, batch, seq, vocab, synthetic_share, bos=0, pool=None, text_block_prob=0.4,
               alternating_prob=0.0):
    out = np.empty((batch, seq), dtype=np.int64)
    for b in range(batch):
        row = [bos]
        if rng.random() < synthetic_share:
            while len(row) < seq:
                u = rng.random()
                if u < alternating_prob:
                    # "x y x y ...": predicting it needs attention to the previous token and a
                    # copying OV circuit, the two parts a previous-token head gives induction.
                    xy = (pool[rng.integers(0, len(pool), size=2)] if pool is not None
                          else rng.integers(1, vocab, size=2)).tolist()
                    row += xy * int(rng.integers(4, 13))
                elif u >= text_block_prob:
                    n = int(rng.integers(4, 65))
                    if pool is None:
                        r = rng.integers(1, vocab, size=n).tolist()
                    else:
                        r = pool[rng.integers(0, len(pool), size=n)].tolist()
                    row += r + r
                else:
                    n = int(rng.integers(8, 65))
                    s = int(rng.integers(0, len(text) - n))
                    row += text[s:s + n].tolist()
        else:
            s = int(rng.integers(0, len(text) - seq))
            row += text[s:s + seq - 1].tolist()
        out[b] = row[:seq]
    return torch.from_numpy(out)


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    frac = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


@torch.no_grad()
def val_loss(model, val, seq, n=16):
    rng = np.random.default_rng(12345)
    x = make_batch(rng, val, n, seq, model.cfg.d_vocab, 0.0)
    logits = model(x)
    return F.cross_entropy(logits[:, 1:-1].reshape(-1, logits.shape[-1]),
                           x[:, 2:].reshape(-1)).item()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", default=os.path.join(HERE, "runs", "main"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "data", "tokenizer.json"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=512, help="context length of the model (n_ctx)")
    ap.add_argument("--short-seq", type=int, default=256,
                    help="sequence length before --long-from (attention cost is quadratic)")
    ap.add_argument("--long-from", type=int, default=7000,
                    help="step from which sequences are --seq long and the batch is halved")
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--n-heads", type=int, default=8)
    ap.add_argument("--d-head", type=int, default=16)
    ap.add_argument("--positional", default="shortformer", choices=["shortformer", "learned"])
    ap.add_argument("--pos-init", default="sinusoidal", choices=["sinusoidal", "normal"])
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--synthetic-share", type=float, default=0.6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pool-start", type=int, default=0, help="0 = no vocabulary curriculum")
    ap.add_argument("--alternating-share", type=float, default=0.0,
                    help="share of synthetic blocks before --early-until that alternate two tokens")
    ap.add_argument("--early-until", type=int, default=0,
                    help="before this step every sequence is repeated random segments only (no text)")
    ap.add_argument("--pool-grow-from", type=int, default=1500)
    ap.add_argument("--pool-full-at", type=int, default=4500)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--ckpt-secs", type=float, default=180)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)  # torch sees 1 thread by default on these 2-core machines
    os.makedirs(args.run, exist_ok=True)

    tok = json.load(open(args.tokenizer, encoding="utf-8"))
    vocab = len(tok["model"]["vocab"])
    train_ids = encode_file(args.tokenizer, os.path.join(args.data, "corpus_train.txt"),
                            os.path.join(args.data, "train_ids.npy"))
    val_ids = encode_file(args.tokenizer, os.path.join(args.data, "corpus_val.txt"),
                          os.path.join(args.data, "val_ids.npy"))
    print(f"train tokens {len(train_ids):,}, val tokens {len(val_ids):,}, vocab {vocab}", flush=True)

    cfg = Config(d_model=args.d_model, n_heads=args.n_heads, d_head=args.d_head, n_ctx=args.seq,
                 d_vocab=vocab, positional=args.positional, pos_init=args.pos_init)
    torch.manual_seed(args.seed)
    model = AttnOnly(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.0)
    ckpt_path = os.path.join(args.run, "latest.pt")
    step = 0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        print(f"resumed at step {step}", flush=True)
    with open(os.path.join(args.run, "config.json"), "w") as f:
        json.dump({"model": cfg.to_dict(), "train": vars(args)}, f, indent=1)

    def save(step):
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "config": cfg.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    perm = np.random.default_rng(args.seed + 1).permutation(np.arange(1, vocab))
    log = open(os.path.join(args.run, "log.jsonl"), "a")
    last_ckpt = time.time()
    t0 = time.time()
    recent = []
    while step < args.steps:
        rng = np.random.default_rng([args.seed, step])
        long = step >= args.long_from
        seq, batch = (args.seq, args.batch // 2) if long else (args.short_seq, args.batch)
        k = pool_size(step, args, vocab)
        pool = None if k >= vocab - 1 else perm[:k]
        early = step < args.early_until
        x = make_batch(rng, train_ids, batch, seq, vocab, 1.0 if early else args.synthetic_share, pool=pool,
                       text_block_prob=0.0 if early else 0.4,
                       alternating_prob=args.alternating_share if early else 0.0)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        logits = model(x)                                            # [batch, seq, vocab]
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        recent.append(loss.item())
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            p = run_probe(model)
            rec = {"step": step, "trainLoss": sum(recent) / len(recent),
                   "valLoss": val_loss(model, val_ids, args.short_seq), "lr": lr_at(step - 1, args), "pool": pool_size(step - 1, args, vocab),
                   "secs": round(time.time() - t0, 1), **p}
            model.train()
            recent = []
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(f"step {step} train {rec['trainLoss']:.3f} val {rec['valLoss']:.3f} "
                  f"ind {max(max(r) for r in p['induction'][1:]):.3f} "
                  f"prev {max(p['previousToken'][0]):.3f} "
                  f"icl {p['lossFirstCopy']:.2f}/{p['lossSecondCopy']:.2f} "
                  f"({rec['secs']}s)", flush=True)
        if time.time() - last_ckpt > args.ckpt_secs:
            save(step)
            last_ckpt = time.time()
    save(step)
    print("done", flush=True)


if __name__ == "__main__":
    main()

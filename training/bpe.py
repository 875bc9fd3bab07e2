"""Byte-level BPE (GPT-2 byte mapping and pre-tokenization) that writes a Hugging Face tokenizer.json.

Id 0 is the BOS token `<|bos|>`, ids 1..256 are the 256 bytes, merges follow in the order learned.
"""
import argparse
import heapq
import json
import os
from collections import Counter

import regex

# GPT-2's pre-tokenization pattern (the one Hugging Face's ByteLevel pre-tokenizer uses).
GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
BOS = "<|bos|>"


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_TO_CHAR = bytes_to_unicode()


def pretokenize(text):
    return GPT2_PATTERN.findall(text)


def train(text, vocab_size):
    """Returns (vocab: dict str->id, merges: list[(str, str)])."""
    vocab = {BOS: 0}
    for b in range(256):
        vocab[BYTE_TO_CHAR[b]] = 1 + b
    word_counts = Counter(pretokenize(text))
    words = []  # [symbols(list[str]), count]
    for w, c in word_counts.items():
        words.append([[BYTE_TO_CHAR[b] for b in w.encode("utf-8")], c])
    pair_counts = Counter()
    pair_where = {}
    for wi, (syms, c) in enumerate(words):
        for p in zip(syms, syms[1:]):
            pair_counts[p] += c
            pair_where.setdefault(p, set()).add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc or negc == 0:
            continue  # stale heap entry
        a, b = pair
        new = a + b
        merges.append(pair)
        if new not in vocab:  # the same string can arise from two different splits
            vocab[new] = len(vocab)
        touched = Counter()
        for wi in list(pair_where.get(pair, ())):
            syms, c = words[wi]
            for p in zip(syms, syms[1:]):
                pair_counts[p] -= c
                touched[p] += 1
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[wi][0] = out
            for p in zip(out, out[1:]):
                pair_counts[p] += c
                pair_where.setdefault(p, set()).add(wi)
                touched[p] += 1
        del pair_counts[pair]
        pair_where.pop(pair, None)
        for p in touched:
            if p != pair and pair_counts.get(p, 0) > 0:
                heapq.heappush(heap, (-pair_counts[p], p))
    return vocab, merges


def tokenizer_json(vocab, merges):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 0, "content": BOS, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


class Encoder:
    """Encodes text with a trained vocabulary and merges (GPT-2's rank-ordered merge loop)."""

    def __init__(self, tok):
        m = tok["model"]
        self.vocab = m["vocab"]
        self.ranks = {tuple(s.split(" ")): i for i, s in enumerate(m["merges"])}
        self.cache = {}

    def _bpe(self, piece):
        syms = [BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]
        while len(syms) > 1:
            best, best_rank = None, None
            for i, p in enumerate(zip(syms, syms[1:])):
                r = self.ranks.get(p)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            syms = syms[:best] + [syms[best] + syms[best + 1]] + syms[best + 2:]
        return [self.vocab[s] for s in syms]

    def encode(self, text):
        out = []
        for piece in pretokenize(text):
            ids = self.cache.get(piece)
            if ids is None:
                ids = self._bpe(piece)
                if len(self.cache) < 500_000:
                    self.cache[piece] = ids
            out.extend(ids)
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True, help="tokenizer.json to write")
    ap.add_argument("--vocab-size", type=int, default=2048)
    ap.add_argument("--sample-bytes", type=int, default=5_000_000)
    args = ap.parse_args()
    with open(args.corpus, encoding="utf-8") as f:
        text = f.read(args.sample_bytes)
    vocab, merges = train(text, args.vocab_size)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges), f, ensure_ascii=False)
    print(f"bpe: vocab {len(vocab)}, merges {len(merges)} -> {args.out}")


if __name__ == "__main__":
    main()

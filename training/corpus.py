"""Build the training corpus from openly licensed text already on this machine.

Writes data/corpus_train.txt and data/corpus_val.txt (not committed) and CORPUS.md (committed),
which lists every source with its licence and size. Files are split into train/validation by a
hash of their path, so the held-out text is whole files never seen in training.
"""
import argparse
import glob
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# (name, licence, glob patterns, exclude substrings, kind)
SOURCES = [
    ("Python 3.11 standard library sources (Debian's /usr/lib/python3.11)",
     "PSF-2.0 (/usr/lib/python3.11/LICENSE.txt)",
     ["/usr/lib/python3.11/*.py", "/usr/lib/python3.11/*/*.py", "/usr/lib/python3.11/*/*/*.py"],
     ["/test/", "/tests/", "site-packages", "dist-packages", "/idle_test/", "/lib2to3/tests"],
     "code"),
    ("TypeScript compiler's lib*.d.ts (npm package typescript@5, node_modules/typescript/lib)",
     "Apache-2.0",
     [os.path.join(REPO, "node_modules/typescript/lib/lib.*.d.ts")],
     [],
     "code"),
    ("npm CLI documentation (Node.js's bundled npm, /usr/lib/node_modules/npm/docs/content)",
     "Artistic-2.0",
     ["/usr/lib/node_modules/npm/docs/content/*/*.md"],
     [],
     "prose"),
]


def collect(max_bytes_per_source):
    """Returns [(source_index, path, text)] in a fixed order."""
    out = []
    for i, (_, _, patterns, excludes, _) in enumerate(SOURCES):
        paths = sorted({p for pat in patterns for p in glob.glob(pat)})
        paths = [p for p in paths if not any(x in p for x in excludes)]
        used = 0
        for p in paths:
            try:
                with open(p, "rb") as f:
                    raw = f.read()
                text = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if used + len(raw) > max_bytes_per_source:
                break
            used += len(raw)
            out.append((i, p, text))
    return out


def is_validation(path, share):
    h = int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)
    return (h % 10000) < share * 10000


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    ap.add_argument("--max-bytes-per-source", type=int, default=40_000_000)
    ap.add_argument("--val-share", type=float, default=0.03)
    ap.add_argument("--report", default=os.path.join(HERE, "CORPUS.md"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    files = collect(args.max_bytes_per_source)
    if not files:
        sys.exit("corpus: no source files found")
    sizes = [[0, 0, 0] for _ in SOURCES]  # files, train bytes, val bytes
    sep = "\n\n"
    with open(os.path.join(args.out, "corpus_train.txt"), "w", encoding="utf-8") as tr, \
         open(os.path.join(args.out, "corpus_val.txt"), "w", encoding="utf-8") as va:
        for i, path, text in files:
            n = len(text.encode("utf-8"))
            sizes[i][0] += 1
            if is_validation(path, args.val_share):
                va.write(text + sep)
                sizes[i][2] += n
            else:
                tr.write(text + sep)
                sizes[i][1] += n
    lines = ["# Training corpus", "",
             "Built by `training/corpus.py` from text already on the machine; the corpus itself is",
             "not committed. Validation = whole files chosen by a hash of their path.", "",
             "| source | kind | licence | files | train bytes | validation bytes |",
             "|---|---|---|---:|---:|---:|"]
    for (name, lic, _, _, kind), (nf, ntr, nva) in zip(SOURCES, sizes):
        lines.append(f"| {name} | {kind} | {lic} | {nf} | {ntr:,} | {nva:,} |")
    tot = [sum(s[k] for s in sizes) for k in range(3)]
    lines.append(f"| **total** | | | {tot[0]} | {tot[1]:,} | {tot[2]:,} |")
    with open(args.report, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"corpus: {tot[0]} files, train {tot[1]:,} bytes, val {tot[2]:,} bytes")


if __name__ == "__main__":
    main()

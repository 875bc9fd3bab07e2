"""Cross-checks this project's PyTorch references against `transformers` itself, where it is
installed (not in CI: Debian has no transformers package; run on a machine that has it):

  python3 training/check_transformers.py [--out results.json]

1. Each new-family test model (test/fixtures/hf-models/tiny-*) loaded by transformers'
   AutoModelForCausalLM (eager attention, fp32) against hf_reference.FORWARDS on the parity ids of
   its reference.json: max |logits diff| and max |attentions diff|.
2. Rotary inverse frequencies and attention factors of rope_reference.CASES against transformers'
   ROPE_INIT_FUNCTIONS.
3. Token ids of the `tokenizers` library (Rust) for every test/fixtures/tokenizers/*.json on the
   texts of test/fixtures/tokenizers/texts.json, with and without special tokens.
"""
import argparse
import glob
import json
import os
import sys
import tempfile
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from hf_reference import FORWARDS  # noqa: E402
from rope_reference import CASES, inv_freq, rope_settings  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

DEFAULT_TEXTS = [
    "def total(items):\n    s = 0\n    for item in items:\n        s += item.weight\n    return s\n",
    "const x: number = 1;\r\n\tif (x) {\r\n\t\treturn  x;\r\n\t}\r\n",
    "  two leading spaces, trailing  ", "\nstarts with a newline", " starts with a space",
    "café 本日は晴れ 한국어 😀 👩‍💻 a\u200bb", "a literal ▁ marker ▁▁ and ▁x", "ǅ ẞ ﬁ ℌ ⅷ 𝔘 control\x07chars",
    "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog.",
]
# Not installed by scripts/setup.sh (Debian packages neither); main() says so when they are missing.
OPTIONAL_IMPORTS = ("transformers", "tokenizers")
NEW = ["tiny-mistral", "tiny-qwen3", "tiny-gemma", "tiny-gemma2", "tiny-gemma3", "tiny-phi3", "tiny-olmo2"]


def check_models(out):
    from transformers import AutoModelForCausalLM
    for name in NEW:
        d = os.path.join(REPO, "test", "fixtures", "hf-models", name)
        try:
            ref = json.load(open(os.path.join(REPO, "test", "fixtures", name, "reference.json")))
            cfg = json.load(open(os.path.join(d, "config.json")))
            ids = torch.tensor(ref["parity"]["ids"])
            m = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
            with torch.no_grad():
                o = m(ids, output_attentions=True)
                lg, at = FORWARDS[cfg["model_type"]](read_safetensors(os.path.join(d, "model.safetensors")), cfg, ids, need_attn=True)
            hf_at = torch.stack(o.attentions, 1)
            r = {"logits": (o.logits - lg).abs().max().item(), "attentions": (hf_at - at).abs().max().item(), "seq": ids.shape[1]}
        except Exception as e:  # one model's failure must not hide the others
            r = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-1500:]}
        out["models"][name] = r
        print(name, r if "error" not in r else r["error"], flush=True)


def check_rope(out):
    from transformers import AutoConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    for name, patch in CASES:
        path = os.path.join(REPO, "test", "fixtures", "configs", name)
        if not os.path.exists(path):
            continue
        raw = json.load(open(path))
        raw.update(patch or {})
        key = f"{name} {json.dumps(patch)}"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                json.dump(raw, open(os.path.join(tmp, "config.json"), "w"))
                config = AutoConfig.from_pretrained(tmp)
            config = getattr(config, "text_config", config)
            rtype = rope_settings(raw)[0]
            args = (config, "cpu") if rtype == "default" else (config, "cpu")
            fn = ROPE_INIT_FUNCTIONS.get(rtype) if rtype != "default" else None
            if fn is None:
                from transformers import AutoModelForCausalLM  # default: the model's own rotary class
                hf_inv, hf_att = None, None
            else:
                try:
                    hf_inv, hf_att = fn(*args)
                except TypeError:
                    hf_inv, hf_att = fn(config, "cpu", layer_type="full_attention")
            mine, att = inv_freq(raw)
            out["rope"][key] = {"type": rtype, "maxDiff": None if hf_inv is None else (hf_inv.float() - mine).abs().max().item(),
                                "attentionFactor": att, "hfAttentionFactor": hf_att}
        except Exception as e:
            out["rope"][key] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-1500:]}
        print(key, out["rope"][key] if "error" not in out["rope"][key] else out["rope"][key]["error"], flush=True)


def check_tokenizers(out):
    from tokenizers import Tokenizer
    texts_file = os.path.join(REPO, "test", "fixtures", "tokenizers", "texts.json")
    texts = json.load(open(texts_file)) if os.path.exists(texts_file) else DEFAULT_TEXTS
    if isinstance(texts, dict):
        texts = list(texts.values())
    for f in sorted(glob.glob(os.path.join(REPO, "test", "fixtures", "tokenizers", "*.json"))):
        if f == texts_file or os.path.basename(f) == "rust-ids.json":
            continue
        try:
            t = Tokenizer.from_file(f)
            out["tokenizers"][os.path.basename(f)] = {
                "plain": [t.encode(x, add_special_tokens=False).ids for x in texts],
                "special": [t.encode(x, add_special_tokens=True).ids[:3] for x in texts[:3]],
            }
        except Exception as e:
            out["tokenizers"][os.path.basename(f)] = {"error": f"{type(e).__name__}: {e}"}
        print(os.path.basename(f), "ok" if "error" not in out["tokenizers"][os.path.basename(f)] else out["tokenizers"][os.path.basename(f)]["error"], flush=True)
    out["texts"] = texts


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="transformers-check.json")
    args = ap.parse_args()
    try:
        import transformers
    except ImportError:
        sys.exit("check_transformers.py needs the transformers and tokenizers packages (pip), which this project does not install")
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "models": {}, "rope": {}, "tokenizers": {}}
    for step in (check_models, check_rope, check_tokenizers):
        try:
            step(out)
        except Exception as e:
            out[step.__name__] = f"{type(e).__name__}: {e}"
            print(step.__name__, "failed:", e, flush=True)
    json.dump(out, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()

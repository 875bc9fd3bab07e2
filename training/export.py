"""Export a checkpoint to the model contract (docs/definitions.md, "Model folders"): model.onnx, weights.safetensors,
tokenizer.json and model.json in one folder."""
import argparse
import json
import os
import shutil

import torch
import torch.nn as nn

from model import AttnOnly, Config
from safetensors_io import write_safetensors


TOP_K = 5


class OnnxWrapper(nn.Module):
    """forward(input_ids, head_mask) -> the contract's logits and attentions, plus two small
    optional outputs that spare the engine a pass over the logits: logsumexp [batch, seq] and
    the top-k logits and ids [batch, seq, k]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, head_mask):
        logits, attentions = self.model(input_ids, head_mask=head_mask, need_attn=True)
        lse = torch.logsumexp(logits, dim=-1)                           # [batch, seq]
        top_values, top_ids = torch.topk(logits, TOP_K, dim=-1)        # [batch, seq, k]
        return logits, attentions, lse, top_values, top_ids


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    model = AttnOnly(Config(**{"pos_init": "normal", **ck["config"]}))
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck.get("step", 0)


def export(model, tokenizer_path, out_dir, model_id):
    cfg = model.cfg
    os.makedirs(out_dir, exist_ok=True)
    ids = torch.zeros((1, 8), dtype=torch.int64)
    mask = torch.ones((cfg.n_layers, cfg.n_heads), dtype=torch.float32)
    torch.onnx.export(
        OnnxWrapper(model), (ids, mask), os.path.join(out_dir, "model.onnx"),
        input_names=["input_ids", "head_mask"],
        output_names=["logits", "attentions", "logsumexp", "top_k_values", "top_k_indices"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"},
                      "attentions": {0: "batch", 3: "seq_q", 4: "seq_k"},
                      "logsumexp": {0: "batch", 1: "seq"}, "top_k_values": {0: "batch", 1: "seq"},
                      "top_k_indices": {0: "batch", 1: "seq"}},
        opset_version=14, do_constant_folding=True)
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), model.tl_state(), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_path, os.path.join(out_dir, "tokenizer.json"))
    manifest = {
        "format": "induction-lens-model/1",
        "id": model_id,
        "onnx": "model.onnx",
        "tokenizer": "tokenizer.json",
        "weights": "weights.safetensors",
        "architecture": {"n_layers": cfg.n_layers, "n_heads": cfg.n_heads, "d_model": cfg.d_model,
                         "d_head": cfg.d_head, "n_ctx": cfg.n_ctx, "d_vocab": cfg.d_vocab,
                         "attn_only": True, "layer_norm": False, "positional": cfg.positional},
        "bos_token_id": 0,
        "io": {"input_ids": "input_ids", "head_mask": "head_mask", "logits": "logits",
               "attentions": "attentions", "logsumexp": "logsumexp",
               "top_k": {"values": "top_k_values", "indices": "top_k_indices", "k": TOP_K}},
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", default="attn-only-2l")
    args = ap.parse_args()
    model, step = load_checkpoint(args.checkpoint)
    export(model, args.tokenizer, args.out, args.id)
    print(f"exported step {step} -> {args.out}")


if __name__ == "__main__":
    main()

"""Checks of an exported model against its checkpoint: the weights file reproduces the PyTorch
forward exactly, the head mask removes a head's contribution, and the manifest and ONNX graph
follow the contract. Usage: test_pipeline.py CHECKPOINT MODEL_DIR"""
import json
import os
import sys

import onnx
import torch

from export import load_checkpoint
from make_fixtures import model_from_folder


def main(ckpt, folder):
    results = []

    def check(name, cond, detail=""):
        results.append(cond)
        print(f"{'ok  ' if cond else 'FAIL'} {name} {detail}")

    model, _ = load_checkpoint(ckpt)
    rebuilt, man, _ = model_from_folder(folder)
    cfg = model.cfg
    x = torch.randint(1, cfg.d_vocab, (2, 40))
    with torch.no_grad():
        a, at = model(x, need_attn=True)
        b, bt = rebuilt(x, need_attn=True)
        diff = (a - b).abs().max().item()
        check("weights.safetensors reproduces the checkpoint's forward", diff == 0.0, f"(max diff {diff})")
        check("attentions reproduced", (at - bt).abs().max().item() == 0.0)
        mask = torch.ones(cfg.n_layers, cfg.n_heads)
        mask[1, 0] = 0
        masked = model(x, head_mask=mask)
        saved = model.W_O.data[1, 0].clone()
        model.W_O.data[1, 0] = 0
        zeroed = model(x)
        model.W_O.data[1, 0] = saved
        check("head_mask 0 equals removing the head's W_O", (masked - zeroed).abs().max().item() < 1e-5)
        check("...and the head mattered", (masked - a).abs().max().item() > 1e-6)
    g = onnx.load(os.path.join(folder, man["onnx"])).graph
    ins = {i.name: i for i in g.input}
    outs = {o.name: o for o in g.output}
    check("ONNX inputs are input_ids and head_mask (both required)", set(ins) == {"input_ids", "head_mask"}
          and not any(init.name in ins for init in g.initializer))
    check("ONNX outputs are logits and attentions (+ optional logsumexp, top-k)",
          {"logits", "attentions"} <= set(outs) <= {"logits", "attentions", "logsumexp", "top_k_values", "top_k_indices"})
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    check("dynamic batch and sequence axes", dims(ins["input_ids"]) == ["batch", "seq"] and dims(outs["logits"])[:2] == ["batch", "seq"],
          str(dims(ins["input_ids"])))
    check("manifest format", man["format"] == "induction-lens-model/1" and man["architecture"]["d_vocab"] == cfg.d_vocab)
    tok = json.load(open(os.path.join(folder, man["tokenizer"])))
    check("tokenizer has the BOS token at bos_token_id", tok["added_tokens"][0]["id"] == man["bos_token_id"])
    passed = sum(results)
    print(f"training: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

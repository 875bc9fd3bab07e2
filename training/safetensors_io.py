"""The safetensors format (u64 little-endian header length, JSON header, raw data), read and
written without the safetensors package, which Debian does not ship."""
import json
import struct

import numpy as np
import torch


def read_safetensors(path):
    """name -> float32 tensor, for F32, F16 and BF16 data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        raw = np.frombuffer(blob[s:e], dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[info["dtype"]])
        if info["dtype"] == "BF16":
            raw = (raw.astype("<u4") << 16).view("<f4")
        out[name] = torch.from_numpy(raw.astype("<f4")).reshape(info["shape"])
    return out


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """Writes tensors rounded to dtype (F32, F16 or BF16), names sorted, data aligned to 8 bytes."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().float().contiguous()
        if dtype == "F32":
            data = t.numpy().astype("<f4").tobytes()
        elif dtype == "F16":
            data = t.half().numpy().astype("<f2").tobytes()
        else:
            data = t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

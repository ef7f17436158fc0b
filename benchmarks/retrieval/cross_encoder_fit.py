"""Fine-tune the cross-encoder on CPU and export it as the int8 ONNX file the product runs.

Used by fit_cross_encoder.py (the one refit command); torch is needed here only.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.retrieval.cross_encoder_data import Pair
from benchmarks.retrieval.cross_encoder_torch import (
    CrossEncoder,
    load_pretrained,
    read_safetensors,
    weights_dir,
)

BATCH = 32
LR = 1e-4
HEAD_LR = 2e-3  # the fresh linear head learns faster than the pretrained layers under it
WARMUP = 0.1  # share of the steps with a rising learning rate
# The embeddings and the lowest layers stay as MiniLM has them: the 2 shared cores cannot
# afford their backward pass, and with this little data they would only drift.
FROZEN_LAYERS = 3


def tokenizer(max_tokens: int) -> Any:
    from retrieval.cross_encoder import load_tokenizer

    return load_tokenizer(max_tokens)


def batches(pairs: Sequence[Pair], tok: Any, seed: int) -> Iterator[tuple[Any, Any, Any, Any]]:
    """Batches of similar length (less padding), in a seeded random order."""
    rng = random.Random(seed)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    enc = tok.encode_batch([(pairs[i].question, pairs[i].text) for i in order])
    chunks = []
    for lo in range(0, len(order), BATCH * 50):
        block = sorted(range(lo, min(lo + BATCH * 50, len(order))), key=lambda i: len(enc[i].ids))
        chunks += [block[j : j + BATCH] for j in range(0, len(block), BATCH)]
    rng.shuffle(chunks)
    for chunk in chunks:
        width = max(len(enc[i].ids) for i in chunk)
        ids = np.zeros((len(chunk), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for r, i in enumerate(chunk):
            e = enc[i]
            n = len(e.ids)
            ids[r, :n], types[r, :n], mask[r, :n] = e.ids, e.type_ids, 1
        labels = np.array([pairs[order[i]].label for i in chunk], dtype=np.float32)
        yield (
            torch.from_numpy(ids),
            torch.from_numpy(mask),
            torch.from_numpy(types),
            torch.from_numpy(labels),
        )


def train(
    pairs: Sequence[Pair],
    *,
    epochs: float,
    max_tokens: int,
    seed: int,
    threads: int,
    checkpoint: Path,
    frozen_layers: int = FROZEN_LAYERS,
    max_steps: int | None = None,
    log_every: int = 20,
) -> dict[str, float]:
    """Fine-tune from MiniLM's weights; the state is saved to `checkpoint` as it goes."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    model = CrossEncoder()
    load_pretrained(model, read_safetensors(weights_dir() / "model.safetensors"))
    model.freeze(frozen_layers)
    positives = sum(p.label for p in pairs)
    # Positives are rarer than negatives: weigh them up so the logit's zero sits near the middle.
    pos_weight = torch.tensor((len(pairs) - positives) / max(positives, 1.0))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    per_epoch = math.ceil(len(pairs) / BATCH)
    total = int(per_epoch * epochs) if max_steps is None else max_steps
    trained = [p for p in model.parameters() if p.requires_grad]
    head = list(model.head.parameters())
    body = [p for p in trained if all(p is not h for h in head)]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": LR}, {"params": head, "lr": HEAD_LR}], weight_decay=0.01
    )
    warm = max(1, int(WARMUP * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    tok = tokenizer(max_tokens)
    model.train()
    step, started, running = 0, time.perf_counter(), 0.0
    epoch = 0
    while step < total:
        for ids, mask, types, labels in batches(pairs, tok, seed + epoch):
            logits = model(ids, mask, types)
            loss = loss_fn(logits, labels)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            opt.step()
            sched.step()
            step += 1
            running += loss.item()
            if step % log_every == 0:
                took = time.perf_counter() - started
                print(
                    f"step {step}/{total} loss {running / log_every:.4f} "
                    f"{took / step:.2f} s/step, {took / 60:.1f} min",
                    file=sys.stderr,
                    flush=True,
                )
                running = 0.0
            if step % 50 == 0 or step == total:
                torch.save({"state": model.state_dict(), "step": step}, checkpoint)
            if step >= total:
                break
        epoch += 1
    return {
        "steps": step,
        "seconds": round(time.perf_counter() - started, 1),
        "pairs": len(pairs),
        "positives": int(positives),
    }


def export(checkpoint: Path, out: Path, max_tokens: int) -> int:
    """The checkpoint as ONNX, quantised to int8 weights; returns the file's size."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    state = torch.load(checkpoint, map_location="cpu")["state"]
    model = CrossEncoder()
    model.load_state_dict(state)
    model.eval()
    ids = torch.ones((2, 16), dtype=torch.int64)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(plain),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(plain), str(out), weight_type=QuantType.QInt8)
    return out.stat().st_size

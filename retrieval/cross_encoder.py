"""The joint-reading sentence scorer: a small cross-encoder run by onnxruntime.

It reads the question and a candidate quote as one input ("[CLS] question [SEP] quote [SEP]")
and gives the probability that the quote answers the question. Fine-tuned by the project from
all-MiniLM-L6-v2 on public data (`python -m benchmarks.retrieval.fit_cross_encoder`, which
writes model_files/cross_encoder/ with PROVENANCE.md only when it beats the logistic scorer on
the validation articles: so far it has not, so no model ships and this path is opt-in,
`retrieval.sentence_scorer = "cross_encoder"`). Exported to ONNX with int8 weights; it uses the
embedding model's tokenizer (the same vocabulary). The product never needs torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from common.errors import ChorusError
from retrieval.embeddings import TOKENIZER_DIR

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_DIR: Final = Path(__file__).parent / "model_files" / "cross_encoder"
MODEL_FILE: Final = MODEL_DIR / "model.onnx"
META_FILE: Final = MODEL_DIR / "model.json"  # sha256 of the model, its threshold, its inputs
FORMAT: Final = "chorus-cross-encoder/1"
REBUILD: Final = (
    "rebuild it with `python -m benchmarks.retrieval.fit_cross_encoder` "
    "(needs `bash scripts/setup_train.sh` and the SQuAD data, see the README)"
)
BATCH: Final = 16


class CrossEncoderFileError(ChorusError):
    """The shipped cross-encoder file (or its description) is missing or damaged."""


def load_tokenizer(max_tokens: int) -> Tokenizer:
    """The MiniLM tokenizer for (question, quote) pairs, cut to `max_tokens`, unpadded."""
    from tokenizers import Tokenizer  # noqa: PLC0415 - heavy; loaded on first use

    tok = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_tokens, strategy="longest_first")
    return tok


@dataclass(frozen=True)
class Meta:
    sha256: str
    max_tokens: int
    threshold: float


def _meta(path: Path) -> Meta:
    shown = f"cross-encoder description {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CrossEncoderFileError(f"{shown} is missing; {REBUILD}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CrossEncoderFileError(f"{shown} is damaged ({exc}); {REBUILD}") from None
    try:
        if data["format"] != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        meta = Meta(str(data["sha256"]), int(data["max_tokens"]), float(data["threshold"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CrossEncoderFileError(f"{shown} is damaged ({exc}); {REBUILD}") from None
    if not (8 <= meta.max_tokens <= 512):
        raise CrossEncoderFileError(f"{shown} is damaged (max_tokens); {REBUILD}")
    return meta


class CrossEncoder:
    """Probabilities for (question, quote) pairs; loads once, thread-safe."""

    def __init__(self, model_file: Path = MODEL_FILE, threads: int | None = None) -> None:
        self.model_file = model_file
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self.meta = _meta(model_file.with_name(META_FILE.name))

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
                import onnxruntime as ort  # noqa: PLC0415 - heavy; loaded on first use

                shown = f"cross-encoder model file {self.model_file}"
                try:
                    raw = self.model_file.read_bytes()
                except FileNotFoundError:
                    raise CrossEncoderFileError(f"{shown} is missing; {REBUILD}") from None
                except OSError as exc:
                    raise CrossEncoderFileError(
                        f"{shown} cannot be read ({exc}); {REBUILD}"
                    ) from None
                if hashlib.sha256(raw).hexdigest() != self.meta.sha256:
                    raise CrossEncoderFileError(
                        f"{shown} is damaged (not the sha256 in {META_FILE.name}); {REBUILD}"
                    )
                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads or min(4, os.cpu_count() or 1)
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    raw, sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._tokenizer = load_tokenizer(self.meta.max_tokens)
            return self._session, self._tokenizer

    def check(self) -> None:
        """Load now (a missing or damaged file raises CrossEncoderFileError here)."""
        self._load()

    def logits(self, question: str, quotes: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(quotes), dtype=np.float64)
        if not quotes:
            return out
        session, tok = self._load()
        # Similar lengths share a batch, so padding stays small; order restored at the end.
        order = sorted(range(len(quotes)), key=lambda i: len(quotes[i]))
        for lo in range(0, len(order), BATCH):
            idx = order[lo : lo + BATCH]
            enc = tok.encode_batch([(question, quotes[i]) for i in idx])
            width = max(len(e.ids) for e in enc)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for r, e in enumerate(enc):
                n = len(e.ids)
                ids[r, :n], types[r, :n], mask[r, :n] = e.ids, e.type_ids, 1
            got = session.run(
                ["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )[0]
            out[idx] = np.asarray(got, dtype=np.float64).reshape(-1)
        return out

    def probabilities(self, question: str, quotes: Sequence[str]) -> np.ndarray:
        z = np.clip(self.logits(question, quotes), -30.0, 30.0)
        probs: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return probs


_loaded: dict[Path, CrossEncoder] = {}
_loaded_lock = threading.Lock()


def load_cross_encoder(path: Path = MODEL_FILE) -> CrossEncoder:
    """The cross-encoder in `path` (one per process); CrossEncoderFileError if unusable."""
    with _loaded_lock:
        if path not in _loaded:
            _loaded[path] = CrossEncoder(path)
        return _loaded[path]

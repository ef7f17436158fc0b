from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.embeddings import DIMENSIONS, MiniLMEmbeddings, ModelFileError


def test_vectors_are_unit_length_and_meaningful(embeddings: Any) -> None:
    vecs = embeddings.embed_array(
        [
            "Twitter suspended 70 accounts for platform manipulation.",
            "How many accounts did Twitter suspend?",
            "A recipe for lemon cake with butter and sugar.",
        ]
    )
    assert vecs.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3


def test_padding_to_the_batch_does_not_change_a_vector(embeddings: Any) -> None:
    short = "Seventy accounts."
    alone = embeddings.embed_array([short])[0]
    batched = embeddings.embed_array([short, "a much longer sentence " * 20])[0]
    assert np.allclose(alone, batched, atol=1e-4)


def test_order_is_preserved_when_batches_are_sorted_by_length(embeddings: Any) -> None:
    texts = [f"{'word ' * (i % 7 + 1)}number {i}" for i in range(70)]
    together = embeddings.embed_array(texts)
    one_by_one = np.stack([embeddings.embed_array([t])[0] for t in texts[::10]])
    assert np.allclose(together[::10], one_by_one, atol=1e-4)


def test_a_model_file_with_the_wrong_sha256_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelFileError, match="expected sha256"):
        MiniLMEmbeddings(model_path=fake).embed_query("x")
    with pytest.raises(ModelFileError, match="not found"):
        MiniLMEmbeddings(model_path=tmp_path / "missing.onnx").embed_query("x")

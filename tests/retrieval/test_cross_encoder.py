"""The cross-encoder path (opt-in: `retrieval.sentence_scorer = "cross_encoder"`, with a model
written by `python -m benchmarks.retrieval.fit_cross_encoder`; none ships, see the README):
its scores decide which sentence answers and whether any does, and a missing or damaged
model file stops in one line that names it and the refit command."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from retrieval.config import RetrievalConfig
from retrieval.cross_encoder import FORMAT, CrossEncoder, CrossEncoderFileError
from retrieval.extractive import extractive_answer, joint_scores
from retrieval.library import Library
from tests.retrieval.conftest import CAMPAIGN, GARDEN, doc


class Reader:
    """A stand-in cross-encoder: a fixed probability per quote that holds a marker."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.seen: list[tuple[str, list[str]]] = []

    def probabilities(self, question: str, quotes: Sequence[str]) -> np.ndarray:
        self.seen.append((question, list(quotes)))
        return np.array(
            [max([p for k, p in self.scores.items() if k in q] or [0.01]) for q in quotes]
        )


def _write(tmp_path: Path, model: bytes, sha: str | None = None) -> Path:
    path = tmp_path / "model.onnx"
    path.write_bytes(model)
    meta = {
        "format": FORMAT,
        "sha256": sha or hashlib.sha256(model).hexdigest(),
        "max_tokens": 128,
        "threshold": 0.5,
    }
    (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def test_the_joint_scores_decide_which_sentence_answers(library: Library) -> None:
    library.add(doc(CAMPAIGN, "campaign"), scope="s", added_by="t")
    library.add(doc(GARDEN, "garden"), scope="s", added_by="t")
    question = "What were the organizers paid?"
    hits, sims = library.retrieve(question, ["s"])
    from retrieval.extractive import prepare

    pre = prepare(question, hits, sims, library.catalog).candidates
    reader = Reader({"$2,500": 0.9, "suspended": 0.3})
    ranked = joint_scores(question, pre, reader)  # type: ignore[arg-type]
    assert reader.seen == [(question, [c.text for c in pre])]  # question and quote together
    assert "$2,500" in ranked[0].text and ranked[0].score == pytest.approx(0.9)
    answer = extractive_answer(question, ranked, min_evidence=0.5, max_sentences=3)
    assert not answer.refused and [c.quote for c in answer.citations] == [ranked[0].text]
    refused = extractive_answer(question, ranked, min_evidence=0.95, max_sentences=3)
    assert refused.refused and refused.citations == []


def test_a_missing_description_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CrossEncoderFileError) as err:
        CrossEncoder(tmp_path / "model.onnx")
    message = str(err.value)
    assert str(tmp_path / "model.json") in message and "fit_cross_encoder" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text", ["{not json", '{"format": "other"}', json.dumps({"format": FORMAT, "sha256": "x"})]
)
def test_a_damaged_description_stops_with_one_line(tmp_path: Path, text: str) -> None:
    (tmp_path / "model.json").write_text(text, encoding="utf-8")
    with pytest.raises(CrossEncoderFileError, match="damaged") as err:
        CrossEncoder(tmp_path / "model.onnx")
    assert "fit_cross_encoder" in str(err.value) and "\n" not in str(err.value)


def test_a_missing_model_file_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    model = _write(tmp_path, b"bytes")
    model.unlink()
    with pytest.raises(CrossEncoderFileError, match="missing") as err:
        CrossEncoder(model).check()
    assert str(model) in str(err.value) and "\n" not in str(err.value)


def test_a_model_file_that_is_not_the_one_described_is_not_loaded(tmp_path: Path) -> None:
    model = _write(tmp_path, b"changed bytes", sha="0" * 64)
    with pytest.raises(CrossEncoderFileError, match="damaged") as err:
        CrossEncoder(model).check()
    assert str(model) in str(err.value) and "fit_cross_encoder" in str(err.value)


def test_the_library_stops_before_answering_without_the_model(
    tmp_path: Path, embeddings: object
) -> None:
    config = RetrievalConfig(
        sentence_scorer="cross_encoder", cross_encoder_file=str(tmp_path / "none.onnx")
    )
    lib = Library(tmp_path / "data", config, embeddings=embeddings)  # type: ignore[arg-type]
    with pytest.raises(CrossEncoderFileError, match="rebuild it"):
        lib.ask("How many accounts?", ["s"])


def test_the_default_scorer_needs_no_cross_encoder(library: Library) -> None:
    assert RetrievalConfig().sentence_scorer == "features"
    library.add(doc(CAMPAIGN, "campaign"), scope="s", added_by="t")
    assert library.candidates("How many accounts did Twitter suspend?", ["s"])

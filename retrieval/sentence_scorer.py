"""The sentence scorer: how likely a candidate quote answers the question, 0..1.

A logistic model over `answer_features.FEATURES` (and, for the "probe" kind, the question and
quote vectors read jointly). Its parameters are fitted by the project on public data
(`python -m benchmarks.retrieval.fit_scorer`) and shipped in
model_files/sentence_scorer/scorer.json, with their provenance in PROVENANCE.md beside it.
Plain numpy at answer time: one matrix product per question.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from common.errors import ChorusError
from retrieval.answer_features import FEATURES, joint_rows

SCORER_FILE: Final = Path(__file__).parent / "model_files" / "sentence_scorer" / "scorer.json"
REBUILD: Final = (
    "rebuild it with `python -m benchmarks.retrieval.fit_scorer` (needs the SQuAD data, README)"
)
FORMAT: Final = "chorus-sentence-scorer/1"
ROLE_MISSING_FACTOR: Final = 0.25  # the probability kept by a quote without the role asked
# ... and by a quote without the kind of thing the question asks for (no name for "who", no
# date for "when"): fitted weights leave such a quote at 0.64 when it shares the question's
# words; halving it helped both the validation articles and the calibration questions.
TYPE_MISSING_FACTOR: Final = 0.5
_ROLE_UNMET: Final = FEATURES.index("focus_unmet")
_TYPE_UNMET: Final = FEATURES.index("type_unmet")


class ScorerFileError(ChorusError):
    """The shipped parameters file is missing or damaged."""


@dataclass(frozen=True)
class SentenceScorer:
    kind: str  # "features" | "probe"
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float  # the calibrated default refusal threshold (also in RetrievalConfig)

    @property
    def joint(self) -> bool:
        return self.kind == "probe"

    def design(self, features: np.ndarray, q: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """The model's input rows: the features, then the joint vector columns for a probe."""
        if self.joint:
            return np.hstack([features, joint_rows(q, vectors)])
        return features

    def probabilities(self, features: np.ndarray, q: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        x = (self.design(features, q, vectors) - self.mean) / self.scale
        z = np.clip(x @ self.weights + self.bias, -30.0, 30.0)
        probs: np.ndarray = 1.0 / (1.0 + np.exp(-z.astype(np.float64)))
        # A quote that never names the role a "who is the X of Y" question asks about does not
        # answer it, whatever names it holds (too rare in SQuAD for the fit to learn): a rule.
        unmet = features[:, _ROLE_UNMET] > 0.5
        probs = np.where(unmet, ROLE_MISSING_FACTOR * probs, probs)
        return np.where(features[:, _TYPE_UNMET] > 0.5, TYPE_MISSING_FACTOR * probs, probs)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "features": list(FEATURES),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "weights": [float(v) for v in self.weights],
            "bias": float(self.bias),
            "threshold": float(self.threshold),
        }


def _parse(data: Any, shown: str) -> SentenceScorer:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScorerFileError(f"{shown} is not a sentence scorer file ({FORMAT}); {REBUILD}")
    if list(data.get("features", [])) != list(FEATURES):
        raise ScorerFileError(
            f"{shown} was fitted on other features than this version's; {REBUILD}"
        )
    try:
        kind = str(data["kind"])
        mean = np.asarray(data["mean"], dtype=np.float32)
        scale = np.asarray(data["scale"], dtype=np.float32)
        weights = np.asarray(data["weights"], dtype=np.float32)
        bias = float(data["bias"])
        threshold = float(data["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ScorerFileError(
            f"{shown} is damaged ({type(exc).__name__}: {exc}); {REBUILD}"
        ) from None
    width = len(FEATURES) + (2 * 384 if kind == "probe" else 0)
    if kind not in ("features", "probe") or not (
        mean.shape == scale.shape == weights.shape == (width,)
    ):
        raise ScorerFileError(f"{shown} is damaged (wrong kind or sizes); {REBUILD}")
    if not (np.isfinite(mean).all() and np.isfinite(weights).all() and (scale > 0).all()):
        raise ScorerFileError(f"{shown} is damaged (non-finite numbers); {REBUILD}")
    return SentenceScorer(kind, mean, scale, weights, bias, threshold)


_lock = threading.Lock()
_loaded: dict[Path, SentenceScorer] = {}


def load_scorer(path: Path = SCORER_FILE) -> SentenceScorer:
    """The scorer in `path` (read once per process); ScorerFileError in one line if unusable."""
    with _lock:
        if path in _loaded:
            return _loaded[path]
        shown = f"sentence scorer file {path}"
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScorerFileError(f"{shown} is missing; {REBUILD}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScorerFileError(f"{shown} cannot be read ({exc}); {REBUILD}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ScorerFileError(f"{shown} is damaged (not JSON: {exc.msg}); {REBUILD}") from None
        scorer = _parse(data, shown)
        _loaded[path] = scorer
        return scorer

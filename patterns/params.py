"""The parameters of one analysis: settings defaults plus per-run overrides, validated once."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any, Literal

from common.errors import InputError
from patterns.config import ALL_SIGNALS, AnalysisConfig

TextMode = Literal["chorus", "toolkit"]
TEXT_MODES: tuple[str, ...] = ("chorus", "toolkit")
Weighting = Literal["discounted", "count"]
WEIGHTINGS: tuple[str, ...] = ("discounted", "count")
MAX_IMAGE_DISTANCE = 12  # of 64 bits; past it unrelated pictures match, and search slows


@dataclass(frozen=True)
class AnalysisParams:
    """Everything that decides an analysis' output. Two runs with equal params on equal data
    give equal clusters with equal ids.

    window_s: |dt| <= window_s seconds for two posts to co-occur, or "auto" (estimated).
    min_shared: an edge needs this much (down-weighted) shared items.
    weighting: "discounted" (popular items weigh less, below) or "count" (every distinct
        shared item counts 1: coordination-network-toolkit's edge weight).
    popular_share / popular_min_accounts: items used by more than
        max(popular_share * accounts, popular_min_accounts) accounts weigh less
        (docs/coordination.md, "Down-weighting popular items"); popular_share=1 turns it off.
    normalisation: "chorus" (case, whitespace, URLs, @mentions, a leading RT; URLs
        canonicalised) or "toolkit" (coordination-network-toolkit's: lowercase, @mentions
        removed, whitespace collapsed; URLs compared as written).
    auto_p / auto_q: the --window auto estimate (CooRnet's p and q).
    image_distance: two perceptual image hashes at most this many bits apart (of 64) are
        the same image item (docs/coordination.md, "Near-identical images").
    """

    window_s: float | Literal["auto"] = 60.0
    min_shared: float = 2.0
    min_accounts: int = 3
    signals: tuple[str, ...] = tuple(s for s in ALL_SIGNALS if s != "domain")
    new_account_days: int = 60
    near_text_threshold: float = 0.8
    image_distance: int = 4
    seed: int = 42
    normalisation: TextMode = "chorus"
    popular_share: float = 0.01
    popular_min_accounts: int = 10
    auto_p: float = 0.5
    auto_q: float = 0.1
    weighting: Weighting = "discounted"

    def __post_init__(self) -> None:
        w = self.window_s
        if w != "auto" and (
            isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0
        ):
            raise InputError(f"window must be a number of seconds >= 0 or 'auto' (got {w!r})")
        if not math.isfinite(self.min_shared) or self.min_shared <= 0:
            raise InputError(f"min-shared must be above 0 (got {self.min_shared!r})")
        if self.min_accounts < 2:
            raise InputError(f"min-accounts must be at least 2 (got {self.min_accounts!r})")
        if not self.signals:
            raise InputError(f"choose at least one signal from {', '.join(ALL_SIGNALS)}")
        unknown = [s for s in self.signals if s not in ALL_SIGNALS]
        if unknown:
            raise InputError(f"unknown signal {unknown[0]!r}; signals are {', '.join(ALL_SIGNALS)}")
        if self.new_account_days < 0:
            raise InputError("new-account-days must be 0 or more")
        if not 0 < self.near_text_threshold <= 1:
            raise InputError("near-text threshold must be in (0, 1]")
        d = self.image_distance
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= MAX_IMAGE_DISTANCE:
            raise InputError(f"image-distance must be 0 to {MAX_IMAGE_DISTANCE} bits (got {d!r})")
        if self.normalisation not in TEXT_MODES:
            raise InputError(f"normalisation must be one of {', '.join(TEXT_MODES)}")
        self._check_weighting()
        if not 0 < self.auto_p < 1 or not 0 < self.auto_q <= 1:
            raise InputError("auto window p must be in (0, 1) and q in (0, 1]")
        # A canonical order, so signal order never changes a fingerprint or an id.
        ordered = tuple(s for s in ALL_SIGNALS if s in set(self.signals))
        object.__setattr__(self, "signals", ordered)
        if w != "auto":
            object.__setattr__(self, "window_s", float(w))
        object.__setattr__(self, "min_shared", float(self.min_shared))

    def _check_weighting(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise InputError(f"weighting must be one of {', '.join(WEIGHTINGS)}")
        if not 0 < self.popular_share <= 1 or self.popular_min_accounts < 1:
            raise InputError("popular-share must be in (0, 1] and popular-min-accounts >= 1")

    @classmethod
    def from_config(cls, config: AnalysisConfig, **overrides: Any) -> AnalysisParams:
        """Settings defaults, then any override that is not None. Signals may be given as a
        comma-separated string ("text,url")."""
        base = cls(
            window_s=config.window_s,
            min_shared=float(config.min_shared),
            min_accounts=config.min_accounts,
            signals=tuple(config.signals),
            new_account_days=config.new_account_days,
            near_text_threshold=config.near_text_threshold,
            image_distance=config.image_distance,
            seed=config.seed,
            weighting=config.weighting,
            popular_share=config.popular_share,
        )
        return base.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> AnalysisParams:
        known = {f.name for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, given in overrides.items():
            if key not in known:
                raise InputError(f"unknown analysis parameter {key!r}")
            if given is not None:
                clean[key] = _coerce(key, given)
        return replace(self, **clean)

    def resolved(self, window: float) -> AnalysisParams:
        """These parameters with the window that was used: the same effective window gives
        the same fingerprint (and cluster ids), whether given or estimated (`auto`)."""
        if self.window_s != "auto":
            return self
        return replace(
            self, window_s=float(window), auto_p=type(self).auto_p, auto_q=type(self).auto_q
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) if f.name != "signals" else list(self.signals)
            for f in fields(self)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalysisParams:
        data = dict(data)
        data["signals"] = tuple(data["signals"])
        return cls(**data)

    def fingerprint(self) -> str:
        """A short stable digest of everything that changes the output."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        data = self.to_json()
        if data["weighting"] == "discounted":
            del data["weighting"]  # the rule before it was a choice: earlier ids stay valid
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _coerce(key: str, value: Any) -> Any:
    """Command-line shapes: "text,url" for signals, "60" or "auto" for the window."""
    if key == "signals":
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return tuple(value)
    if key == "window_s" and isinstance(value, str) and value != "auto":
        try:
            return float(value)
        except ValueError:
            raise InputError(f"window must be seconds or 'auto' (got {value!r})") from None
    return value


@dataclass(frozen=True)
class EngineChoice:
    """Where pairing runs; never changes the output, so it is not part of AnalysisParams.

    name: "duckdb" (this process) or "dask" (patterns.distributed).
    scheduler: a Dask scheduler address (tcp://host:8786); empty: a local cluster of
        `workers` worker processes for the length of the analysis.
    shared_dir: where shards are written for the workers to read (a path or fsspec URL
        every worker can see); empty: a folder in the system's temporary directory, which
        only a local cluster sees.
    partitions / hot_rows: shards, and the occurrences past which an item is split by
        time; 0 picks them from the data and the cluster (tests set them).
    """

    name: Literal["duckdb", "dask"] = "duckdb"
    scheduler: str = ""
    workers: int = 2
    shared_dir: str = ""
    partitions: int = 0
    hot_rows: int = 0

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InputError(f"engine must be one of {', '.join(ENGINES)} (got {self.name!r})")
        if self.workers < 1 or self.partitions < 0 or self.hot_rows < 0:
            raise InputError("workers must be at least 1")


ENGINES: tuple[str, ...] = ("duckdb", "dask")

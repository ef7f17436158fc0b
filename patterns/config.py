"""Default analysis parameters (settings group `analysis`); CLI flags override them per run."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode

ALL_SIGNALS = (
    "text",  # identical text after normalisation
    "near_text",  # near-identical text (MinHash-LSH)
    "url",  # same normalised URL
    "domain",  # same domain (off by default)
    "hashtags",  # same hashtag set
    "image",  # same image hash
    "repost",  # same repost target
    "reply",  # same reply target
)
DEFAULT_SIGNALS = tuple(s for s in ALL_SIGNALS if s != "domain")


def _list_setting(value: object) -> object:
    """A list setting written as JSON (["a", "b"]) or, as people write it, a,b."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError('not a list: write a,b or ["a", "b"]') from None
    return tuple(part.strip() for part in text.split(",") if part.strip())


# NoDecode: the settings source hands the raw string over instead of failing on non-JSON.
ListSetting = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_list_setting)]


class AnalysisConfig(BaseModel):
    """Defaults for `chorus analyze`; every field has a matching command-line flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_s: float = Field(
        60.0, gt=0, description="co-occurrence window, seconds (|dt| <= window)"
    )
    min_shared: int = Field(2, ge=1, description="distinct shared items for an edge")
    min_accounts: int = Field(3, ge=2, description="smallest cluster reported")
    new_account_days: int = Field(60, ge=0, description="'new account' age at first post, days")
    near_text_threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard threshold")
    image_distance: int = Field(
        4, ge=0, le=12, description="perceptual image hashes this many bits apart still match"
    )
    signals: ListSetting = Field(DEFAULT_SIGNALS, description="signals used when none given")
    seed: int = Field(42, description="Leiden seed, for stable clusters")
    weighting: Literal["discounted", "count"] = Field(
        "discounted",
        description="edge weight: 'discounted' (popular items weigh less) or 'count' (every "
        "distinct shared item counts 1, as coordination-network-toolkit does)",
    )
    popular_share: float = Field(
        0.01, gt=0, le=1, description="share of all accounts past which an item is discounted"
    )
    engine: Literal["duckdb", "dask"] = Field(
        "duckdb", description="where pairing runs: this process, or a Dask cluster"
    )
    dask_scheduler: str = Field(
        "", description="Dask scheduler address; empty: a local cluster of dask_workers"
    )
    dask_workers: int = Field(2, ge=1, description="worker processes of a local Dask cluster")
    dask_shared_dir: str = Field(
        "",
        description="where the Dask engine writes shards for its workers to read: a path or "
        "fsspec URL (s3://...) every worker can see; empty: <data dir>/dask-shards",
    )

    @field_validator("signals")
    @classmethod
    def _known_signals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in ALL_SIGNALS]
        if unknown:  # at start-up, naming the setting, not later as if a flag were wrong
            raise ValueError(f"unknown signal {unknown[0]!r} (known: {', '.join(ALL_SIGNALS)})")
        if not value:
            raise ValueError("no signals given")
        return value

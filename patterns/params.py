"""The parameters of an analysis, in one model: their defaults, their checks, their JSON.

`AnalysisParams` is everything that decides an analysis' output. The settings group
`analysis` (`AnalysisConfig`) is the same model plus where pairing runs, so a default or a
check is written once, here, whether it comes from the environment or from a flag.
`EngineChoice` is where pairing runs for one run; it never changes the output.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import NoDecode

from common.errors import Hint, InputError, word

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
TextMode = Literal["chorus", "toolkit"]
TEXT_MODES: tuple[str, ...] = ("chorus", "toolkit")
Weighting = Literal["discounted", "count"]
WEIGHTINGS: tuple[str, ...] = ("discounted", "count")
MAX_IMAGE_DISTANCE = 12  # of 64 bits; past it unrelated pictures match, and search slows
ENGINES: tuple[str, ...] = ("duckdb", "dask")


def list_setting(value: object) -> object:
    """A list written as JSON (["a", "b"]) or, as people write it, a,b."""
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
ListSetting = Annotated[tuple[str, ...], NoDecode, BeforeValidator(list_setting)]


MAX_WINDOW_S = 30 * 86_400.0  # past a month every post of an item co-occurs: no longer a burst
WINDOW_RANGE = "seconds above 0, at most 2592000 (30 days), or 'auto'"


class ParamError(ValueError):
    """A parameter's check failed: its message names the option as each front end does
    (`--window` on the command line), and words it neutrally ("window") for a setting."""

    def __init__(self, *parts: str | Hint) -> None:
        super().__init__(word(parts, lambda hint: hint.name.replace("_", "-")))
        self.parts = parts


def _window(value: object, info: ValidationInfo) -> object:
    """Seconds (a number, or a number written as text) above 0 and at most MAX_WINDOW_S,
    or "auto". A stored analysis is read back with the window it ran at."""
    if value == "auto":
        return value
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    stored = bool(info.context and info.context.get("stored"))
    if (
        isinstance(number, bool)
        or not isinstance(number, int | float)
        or not (stored or (math.isfinite(number) and 0 < number <= MAX_WINDOW_S))
    ):
        raise ParamError(Hint.option("window"), f" must be {WINDOW_RANGE} (got {value!r})")
    return float(number)


def _image_distance(value: object) -> object:
    if isinstance(value, str) and value.strip().isdigit():  # a setting's text
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_IMAGE_DISTANCE
    ):
        raise ParamError(
            Hint.option("image_distance"),
            f" must be 0 to {MAX_IMAGE_DISTANCE} bits (got {value!r})",
        )
    return value


def _one_of(name: str, choices: tuple[str, ...]) -> BeforeValidator:
    def check(value: object) -> object:
        if value not in choices:
            raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
        return value

    return BeforeValidator(check)


class AnalysisParams(BaseModel):
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

    Checks raise ValueError inside the model (a setting names itself around it); `build`
    and `with_overrides` turn them into InputError for a run's own parameters.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_s: Annotated[float | Literal["auto"], BeforeValidator(_window)] = Field(
        60.0, description="co-occurrence window, seconds (|dt| <= window), or auto"
    )
    min_shared: float = Field(2.0, description="(down-weighted) shared items for an edge")
    min_accounts: int = Field(3, description="smallest cluster reported")
    signals: ListSetting = Field(DEFAULT_SIGNALS, description="signals used when none given")
    new_account_days: int = Field(60, description="'new account' age at first post, days")
    near_text_threshold: float = Field(0.8, description="MinHash Jaccard threshold")
    image_distance: Annotated[int, BeforeValidator(_image_distance)] = Field(
        4, description="perceptual image hashes this many bits apart still match"
    )
    seed: int = Field(42, description="Leiden seed, for stable clusters")
    normalisation: Annotated[TextMode, _one_of("normalisation", TEXT_MODES)] = Field(
        "chorus", description="text normalisation for identical text"
    )
    popular_share: float = Field(
        0.01, description="share of all accounts past which an item is discounted"
    )
    popular_min_accounts: int = Field(
        10, description="accounts past which an item is discounted, at the least"
    )
    auto_p: float = Field(0.5, description="--window auto: CooRnet's p")
    auto_q: float = Field(0.1, description="--window auto: CooRnet's q")
    weighting: Annotated[Weighting, _one_of("weighting", WEIGHTINGS)] = Field(
        "discounted",
        description="edge weight: 'discounted' (popular items weigh less) or 'count' (every "
        "distinct shared item counts 1, as coordination-network-toolkit does)",
    )

    @field_validator("signals")
    @classmethod
    def _known_signals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"no signals given: choose at least one of {', '.join(ALL_SIGNALS)}")
        unknown = [s for s in value if s not in ALL_SIGNALS]
        if unknown:
            raise ValueError(f"unknown signal {unknown[0]!r}; signals are {', '.join(ALL_SIGNALS)}")
        # A canonical order, so signal order never changes a fingerprint or an id.
        return tuple(s for s in ALL_SIGNALS if s in set(value))

    @field_validator("min_shared")
    @classmethod
    def _min_shared(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ParamError(
                Hint.option("min_shared"), f" must be a finite number above 0 (got {value!r})"
            )
        return value

    @field_validator("min_accounts")
    @classmethod
    def _min_accounts(cls, value: int) -> int:
        if value < 2:
            raise ParamError(Hint.option("min_accounts"), f" must be at least 2 (got {value!r})")
        return value

    @field_validator("new_account_days")
    @classmethod
    def _new_account_days(cls, value: int) -> int:
        if value < 0:
            raise ParamError(Hint.option("new_account_days"), f" must be 0 or more (got {value!r})")
        return value

    @field_validator("near_text_threshold")
    @classmethod
    def _near_text_threshold(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError(f"near-text threshold must be above 0 and at most 1 (got {value!r})")
        return value

    @field_validator("popular_share", "popular_min_accounts")
    @classmethod
    def _popular(cls, value: float, info: ValidationInfo) -> float:
        if info.field_name == "popular_min_accounts":
            if not value >= 1:
                raise ValueError(f"popular-min-accounts must be at least 1 (got {value!r})")
        elif not 0 < value <= 1:  # also refuses nan: every comparison with it is false
            raise ParamError(
                Hint.option("popular_share"), f" must be above 0 and at most 1 (got {value!r})"
            )
        return value

    @field_validator("auto_p", "auto_q")
    @classmethod
    def _auto(cls, value: float, info: ValidationInfo) -> float:
        if info.field_name == "auto_p" and not 0 < value < 1:
            raise ValueError(f"auto window p must be above 0 and below 1 (got {value!r})")
        if info.field_name == "auto_q" and not 0 < value <= 1:
            raise ValueError(f"auto window q must be above 0 and at most 1 (got {value!r})")
        return value

    @classmethod
    def build(cls, **values: Any) -> AnalysisParams:
        """These parameters (the defaults for any not given), or InputError naming the
        first bad one as its check words it."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _input_error(exc) from None

    @classmethod
    def from_config(cls, config: AnalysisParams, **overrides: Any) -> AnalysisParams:
        """Settings defaults (an AnalysisConfig), then any override that is not None.
        Signals may be given as a comma-separated string ("text,url")."""
        return cls.build(**config.model_dump(include=set(cls.model_fields))).with_overrides(
            **overrides
        )

    def with_overrides(self, **overrides: Any) -> AnalysisParams:
        unknown = [key for key in overrides if key not in type(self).model_fields]
        if unknown:
            raise InputError(f"unknown analysis parameter {unknown[0]!r}")
        given = {key: value for key, value in overrides.items() if value is not None}
        if not given:
            return self
        return self.build(**(self.to_json() | given))

    def resolved(self, window: float) -> AnalysisParams:
        """These parameters with the window that was used: the same effective window gives
        the same fingerprint (and cluster ids), whether given or estimated (`auto`)."""
        if self.window_s != "auto":
            return self
        fields = type(self).model_fields
        return self.build(
            **self.to_json()
            | {
                "window_s": float(window),
                "auto_p": fields["auto_p"].default,
                "auto_q": fields["auto_q"].default,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=set(AnalysisParams.model_fields))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalysisParams:
        """Stored parameters: read back as they ran, also a window the checks now refuse
        (0 was accepted before), so an older analysis still opens."""
        try:
            return cls.model_validate(data, context={"stored": True})
        except ValidationError as exc:
            raise _input_error(exc) from None

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


def _input_error(exc: ValidationError) -> InputError:
    """A check's own sentence ("min-accounts must be at least 2 (got 1)"), or pydantic's
    with the parameter named."""
    first = exc.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ParamError):
        return InputError(*cause.parts)
    if isinstance(cause, ValueError):
        return InputError(str(cause))
    where = ".".join(str(part) for part in first["loc"]) or "analysis parameters"
    if first["type"] == "extra_forbidden":
        return InputError(f"unknown analysis parameter {where!r}")
    return InputError(f"{where}: {first['msg']}")


class AnalysisConfig(AnalysisParams):
    """The settings group `analysis`: the defaults of `chorus analyze` (each parameter
    above, with its check), and where pairing runs."""

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
            raise InputError(f"unknown engine {self.name!r}; choose one of {', '.join(ENGINES)}")
        if self.workers < 1:
            raise InputError(Hint.option("workers"), f" must be at least 1 (got {self.workers})")
        if self.partitions < 0 or self.hot_rows < 0:
            raise InputError("partitions and hot rows must be 0 (chosen from the data) or more")

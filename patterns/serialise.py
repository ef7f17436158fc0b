"""The one JSON form of typed results: pydantic dumps and reads the dataclasses of
`patterns.results` (and anything else typed the same way), field for field.

Times are epoch seconds in memory and ISO 8601 UTC in JSON ("2021-06-16T22:04:51Z"): a field
annotated `IsoTime` (or `OptionalIsoTime`) is written and read that way, everywhere, here.
Only the edges call `to_json` / `from_json`: `--json`, storage and Discord's uploads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter

T = TypeVar("T")

_FOUR_DIGIT_YEARS = (-30_610_224_000, 253_402_300_800)  # 1000-01-01 to 10000-01-01, UTC


def iso(t: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC ("2021-06-16T22:04:51Z"); None outside years 1-9999."""
    if t is None:
        return None
    if float(t).is_integer() and _FOUR_DIGIT_YEARS[0] <= t < _FOUR_DIGIT_YEARS[1]:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # common case, 2x faster
    try:  # isoformat pads years below 1000 (strftime does not, and fromisoformat needs it)
        stamp = datetime.fromtimestamp(t, UTC)
    except (OverflowError, OSError, ValueError):  # outside years 1-9999: nothing to show
        return None
    return stamp.isoformat().replace("+00:00", "Z")


def seconds_of(stamp: str) -> float:
    """An ISO 8601 time ("...Z" or with an offset), as iso() writes it, in epoch seconds."""
    return datetime.fromisoformat(stamp).timestamp()


def epoch(value: object) -> object:
    """A time read from JSON: ISO 8601 text in epoch seconds; other values as given."""
    return seconds_of(value) if isinstance(value, str) else value


def _zero_if_missing(value: object) -> object:
    return 0.0 if value is None else value


_AS_ISO = PlainSerializer(iso, return_type=str | None)
IsoTime = Annotated[float, BeforeValidator(epoch), _AS_ISO]
"""Epoch seconds, ISO 8601 in JSON."""
OptionalIsoTime = Annotated[float | None, BeforeValidator(epoch), _AS_ISO]
"""Epoch seconds or unknown (null)."""
IsoTimeOrZero = Annotated[float, BeforeValidator(epoch), BeforeValidator(_zero_if_missing), _AS_ISO]
"""Epoch seconds; a time stored as null (outside years 1-9999) reads back as 0."""


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(cls)
    if found is None:  # built once per type (a few ms each): the first dump pays it
        found = _ADAPTERS[cls] = TypeAdapter(cls)
    return found


def to_json(
    obj: object, *, include: set[str] | None = None, exclude: set[str] | None = None
) -> dict[str, Any]:
    """`obj` (a typed result) as plain JSON values, its keys in field order."""
    data: dict[str, Any] = _adapter(type(obj)).dump_python(
        obj, mode="json", include=include, exclude=exclude
    )
    return data


def to_json_text(
    obj: object, *, include: set[str] | None = None, exclude: set[str] | None = None
) -> str:
    """to_json(obj) written compactly, in one step (what storage keeps: twice json's speed)."""
    return _adapter(type(obj)).dump_json(obj, include=include, exclude=exclude).decode()


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """A typed result of `cls` from its JSON form (unknown keys are ignored)."""
    result: T = _adapter(cls).validate_python(data)
    return result

"""Post-dataset limits and the load report (what a load read, kept and dropped)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.wording import plural
from corpus.posts.formats import ALL_FIELDS, MAPPED_BY_NAME


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


@dataclass(frozen=True)
class PostLimits:
    """Bounds on one dataset file; each refusal names the limit it hit."""

    max_rows: int
    max_bytes: int
    max_field_chars: int
    max_columns: int
    # Links, hashtags or image hashes in one post: every one becomes an occurrence to pair,
    # so a post with 10,000 hashtags is refused when read, not when memory runs out.
    max_items_per_post: int = 1_000
    # A compressed file may unpack to at most this many times its size (corpus/posts/unpack.py).
    max_unpack_ratio: int = 100

    @property
    def max_record_bytes(self) -> int:
        # One CSV line or JSON record: room for several fields at the limit (4 bytes a
        # character at worst), never less than 8 MiB so ordinary Twitter pages fit.
        return max(8 << 20, 8 * self.max_field_chars)


@dataclass(frozen=True)
class LoadReport:
    """What a load read, kept, dropped and why: shown to the user and stored with the data."""

    source: str
    format: str
    layout: str
    columns_found: tuple[str, ...]
    mapping: dict[str, str]
    rows: int
    posts: int
    duplicate_rows: int = 0
    merged_rows: int = 0
    bad_timestamps: int = 0
    bad_timestamp_examples: tuple[str, ...] = ()
    missing_account: int = 0
    generated_ids: bool = False
    image_notes: tuple[str, ...] = ()  # what hashing the posts' images found and skipped
    # Fields read from the post text for want of a column ("urls", "hashtags"), and how
    # many posts got at least one.
    from_text: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Plain sentences about anything dropped or assumed."""
        out = [] if (used := self.columns_used()) is None else [used]
        if self.duplicate_rows:
            dropped = self.duplicate_rows - self.merged_rows
            parts = []
            if self.merged_rows:
                parts.append(
                    f"{self.merged_rows:,} merged into the first (one post over several rows)"
                )
            if dropped:
                parts.append(f"{dropped:,} dropped")
            out.append(
                f"{plural(self.duplicate_rows, 'row')} repeated an earlier post id: "
                f"{', '.join(parts)}"
            )
        if self.bad_timestamps:
            shown = "; ".join(self.bad_timestamp_examples)
            had = (
                "an unparseable timestamp" if self.bad_timestamps == 1 else "unparseable timestamps"
            )
            out.append(
                f"{plural(self.bad_timestamps, 'row')} had {had} and {_was(self.bad_timestamps)} "
                f"skipped ({shown})"
            )
        if self.missing_account:
            out.append(
                f"{plural(self.missing_account, 'row')} had no account id and "
                f"{_was(self.missing_account)} skipped"
            )
        if self.generated_ids:
            out.append("no post id column: posts are numbered by row (row-1, row-2, ...)")
        for name, what in (("urls", "links"), ("hashtags", "hashtags")):
            if self.from_text.get(name):
                out.append(
                    f"{what} read from the text (no {name} column), found in "
                    f"{plural(self.from_text[name], 'post')}"
                )
        out.extend(self.image_notes)
        return out

    def columns_used(self) -> str | None:
        """Which column fed which field, where names were matched to fields (a guess, so
        said): "columns used: account_id=user, created_at=time, ..."; None for canonical
        columns or a known export."""
        if not self.layout.startswith(MAPPED_BY_NAME):
            return None
        order = {f: i for i, f in enumerate(ALL_FIELDS)}
        ordered = sorted(self.mapping.items(), key=lambda fc: order.get(fc[0], len(order)))
        renamed = [f"{f}={c}" for f, c in ordered if c.strip().lower() != f]
        same = len(ordered) - len(renamed)
        own = "its own name" if same == 1 else "their own names"
        rest = f"; {plural(same, 'other field')} by {own}" if same else ""
        return f"columns used: {', '.join(renamed)}{rest}"

    def to_json(self) -> dict[str, Any]:
        # "from_text" only when there is one: analyses stored before it read back the same.
        extra = {"from_text": dict(self.from_text)} if self.from_text else {}
        return extra | {
            "source": self.source,
            "format": self.format,
            "layout": self.layout,
            "columns_found": list(self.columns_found),
            "mapping": dict(self.mapping),
            "rows": self.rows,
            "posts": self.posts,
            "duplicate_rows": self.duplicate_rows,
            "merged_rows": self.merged_rows,
            "bad_timestamps": self.bad_timestamps,
            "bad_timestamp_examples": list(self.bad_timestamp_examples),
            "missing_account": self.missing_account,
            "generated_ids": self.generated_ids,
            "image_notes": list(self.image_notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadReport:
        return cls(
            source=str(data["source"]),
            format=str(data["format"]),
            layout=str(data["layout"]),
            columns_found=tuple(data["columns_found"]),
            mapping=dict(data["mapping"]),
            rows=int(data["rows"]),
            posts=int(data["posts"]),
            duplicate_rows=int(data["duplicate_rows"]),
            merged_rows=int(data["merged_rows"]),
            bad_timestamps=int(data["bad_timestamps"]),
            bad_timestamp_examples=tuple(data["bad_timestamp_examples"]),
            missing_account=int(data["missing_account"]),
            generated_ids=bool(data["generated_ids"]),
            image_notes=tuple(data.get("image_notes", ())),
            from_text={str(k): int(v) for k, v in data.get("from_text", {}).items()},
        )

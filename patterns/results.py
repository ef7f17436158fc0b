"""What an analysis returns: results, clusters, members, evidence; their JSON and text.

`AnalysisResult.to_json()` is the DESIGN.md contract for `chorus analyze/clusters --json`;
everything else (parameters, the window used, what the load dropped) rides along as
attributes for human output. `ClusterDetail.summary_text()` is the citable document about
one cluster.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from corpus.posts.load import LoadReport
from patterns.params import AnalysisParams

SIGNAL_LABELS: dict[str, str] = {
    "text": "identical text",
    "near_text": "near-identical text",
    "url": "same link",
    "domain": "same link domain",
    "hashtags": "same hashtag set",
    "image": "same image",
    "repost": "reposted the same post",
    "reply": "replied to the same post",
}


_FOUR_DIGIT_YEARS = (-30_610_224_000, 253_402_300_800)  # 1000-01-01 to 10000-01-01, UTC


def iso(t: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC ("2021-06-16T22:04:51Z")."""
    if t is None:
        return None
    if float(t).is_integer() and _FOUR_DIGIT_YEARS[0] <= t < _FOUR_DIGIT_YEARS[1]:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # common case, 2x faster
    try:  # isoformat pads years below 1000 (strftime does not, and fromisoformat needs it)
        stamp = datetime.fromtimestamp(t, UTC)
    except (OverflowError, OSError, ValueError):  # outside years 1-9999: nothing to show
        return None
    return stamp.isoformat().replace("+00:00", "Z")


def _short_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(x: float) -> str:
    if x < 120:
        return f"{x:.0f} s" if x >= 10 or x.is_integer() else f"{x:.1f} s"
    if x < 7200:
        return f"{x / 60:.1f} min"
    return f"{x / 3600:.1f} h"


def _clip(text: str | None, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@dataclass(frozen=True)
class Example:
    post_id: str
    account_id: str
    time: float
    text: str | None
    signal: str = ""
    item: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "account_id": self.account_id,
            "time": iso(self.time),
            "text": self.text,
        }

    def detail_json(self) -> dict[str, Any]:
        return {**self.to_json(), "signal": self.signal, "item": self.item}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Example:
        return cls(
            post_id=str(d["post_id"]),
            account_id=str(d["account_id"]),
            time=datetime.fromisoformat(str(d["time"]).replace("Z", "+00:00")).timestamp(),
            text=d.get("text"),
            signal=str(d.get("signal", "")),
            item=str(d.get("item", "")),
        )


def distinct_posts(examples: Sequence[Example]) -> list[Example]:
    """One example per post: a post that carried several shared items is shown once."""
    seen: set[str] = set()
    out = []
    for e in examples:
        if e.post_id not in seen:
            seen.add(e.post_id)
            out.append(e)
    return out


@dataclass(frozen=True)
class ClusterSummary:
    """One row of the cluster table (and of the --json output)."""

    id: str
    size: int
    accounts: tuple[str, ...]
    signals: dict[str, int]
    first_seen: float
    last_seen: float
    score: float
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "accounts": list(self.accounts),
            "signals": dict(self.signals),
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "score": self.score,
            "examples": [e.to_json() for e in self.examples],
        }


@dataclass(frozen=True)
class TopItem:
    """A shared item inside a cluster: how many member accounts posted it, in how many posts."""

    signal: str
    value: str
    accounts: int
    posts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "value": self.value,
            "accounts": self.accounts,
            "posts": self.posts,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TopItem:
        return cls(str(d["signal"]), str(d["value"]), int(d["accounts"]), int(d["posts"]))


@dataclass(frozen=True)
class ImageMatch:
    """Two posts of a cluster that share a near-identical image: both perceptual hashes and
    how many bits (of 64) their closest windows differ by (0: the same picture)."""

    post_a: str
    post_b: str
    hash_a: str
    hash_b: str
    distance: int

    def to_json(self) -> dict[str, Any]:
        return {
            "post_a": self.post_a,
            "post_b": self.post_b,
            "hash_a": self.hash_a,
            "hash_b": self.hash_b,
            "distance": self.distance,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ImageMatch:
        return cls(
            str(d["post_a"]),
            str(d["post_b"]),
            str(d["hash_a"]),
            str(d["hash_b"]),
            int(d["distance"]),
        )


@dataclass(frozen=True)
class Member:
    account_id: str
    name: str | None
    created_at: float | None
    first_post: float
    posts_in_cluster: int
    partners: int
    new: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "first_post": iso(self.first_post),
            "posts_in_cluster": self.posts_in_cluster,
            "partners": self.partners,
            "new": self.new,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Member:
        def t(v: Any) -> float | None:
            return (
                None
                if v is None
                else datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()
            )

        first = t(d["first_post"])
        return cls(
            account_id=str(d["account_id"]),
            name=d.get("name"),
            created_at=t(d.get("created_at")),
            first_post=first if first is not None else 0.0,
            posts_in_cluster=int(d["posts_in_cluster"]),
            partners=int(d["partners"]),
            new=d.get("new"),
        )


@dataclass(frozen=True)
class ClusterDetail:
    """Everything known about one cluster, with the evidence to check it."""

    summary: ClusterSummary
    dataset: str
    analysis_id: str
    params: AnalysisParams
    window_s: float
    members: tuple[Member, ...]
    edges: int
    density: float
    total_weight: float
    co_posts: int
    median_lag_s: float
    new_accounts: int
    accounts_with_creation_date: int
    top_items: dict[str, tuple[TopItem, ...]]
    examples: tuple[Example, ...]
    analysed_at: float = 0.0
    image_matches: tuple[ImageMatch, ...] = ()  # read from the dataset with the cluster

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def new_account_share(self) -> float | None:
        if not self.accounts_with_creation_date:
            return None
        return self.new_accounts / self.accounts_with_creation_date

    def top(self, *signals: str) -> list[TopItem]:
        out = [t for s in signals for t in self.top_items.get(s, ())]
        return sorted(out, key=lambda t: (-t.accounts, -t.posts, t.value))

    def stored_json(self) -> dict[str, Any]:
        """to_json() without what is stored once beside it: the members (rows of their
        own), the account list (the members' ids) and the parameters (the analysis')."""
        data = self.to_json()
        for key in ("members", "accounts", "params", "image_matches"):
            del data[key]
        return data

    @classmethod
    def from_stored(
        cls, data: Mapping[str, Any], *, params: AnalysisParams, members: tuple[Member, ...]
    ) -> ClusterDetail:
        full = {
            **data,
            "accounts": sorted(m.account_id for m in members),
            "params": params.to_json(),
            "members": [],
        }
        return replace(cls.from_json(full), members=members)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary.to_json(),
            "dataset": self.dataset,
            "analysis_id": self.analysis_id,
            "params": self.params.to_json(),
            "window_s": self.window_s,
            "members": [m.to_json() for m in self.members],
            "edges": self.edges,
            "density": self.density,
            "total_weight": self.total_weight,
            "co_posts": self.co_posts,
            "median_lag_s": self.median_lag_s,
            "new_accounts": self.new_accounts,
            "accounts_with_creation_date": self.accounts_with_creation_date,
            "new_account_share": self.new_account_share,
            "top_items": {k: [t.to_json() for t in v] for k, v in self.top_items.items()},
            "image_matches": [m.to_json() for m in self.image_matches],
            "evidence_examples": [e.detail_json() for e in self.examples],
            "analysed_at": iso(self.analysed_at),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ClusterDetail:
        summary = ClusterSummary(
            id=str(d["id"]),
            size=int(d["size"]),
            accounts=tuple(d["accounts"]),
            signals={str(k): int(v) for k, v in d["signals"].items()},
            first_seen=datetime.fromisoformat(
                str(d["first_seen"]).replace("Z", "+00:00")
            ).timestamp(),
            last_seen=datetime.fromisoformat(
                str(d["last_seen"]).replace("Z", "+00:00")
            ).timestamp(),
            score=float(d["score"]),
            examples=tuple(Example.from_json(e) for e in d["examples"]),
        )
        analysed = d.get("analysed_at")
        return cls(
            summary=summary,
            dataset=str(d["dataset"]),
            analysis_id=str(d["analysis_id"]),
            params=AnalysisParams.from_json(d["params"]),
            window_s=float(d["window_s"]),
            members=tuple(Member.from_json(m) for m in d.get("members", ())),
            edges=int(d["edges"]),
            density=float(d["density"]),
            total_weight=float(d["total_weight"]),
            co_posts=int(d["co_posts"]),
            median_lag_s=float(d["median_lag_s"]),
            new_accounts=int(d["new_accounts"]),
            accounts_with_creation_date=int(d["accounts_with_creation_date"]),
            top_items={
                str(k): tuple(TopItem.from_json(t) for t in v) for k, v in d["top_items"].items()
            },
            examples=tuple(Example.from_json(e) for e in d["evidence_examples"]),
            image_matches=tuple(ImageMatch.from_json(m) for m in d.get("image_matches", ())),
            analysed_at=(
                datetime.fromisoformat(str(analysed).replace("Z", "+00:00")).timestamp()
                if analysed
                else 0.0
            ),
        )

    # --- text -------------------------------------------------------------------------

    def _names(self, limit: int) -> str:
        shown = [
            m.account_id if not m.name or m.name == m.account_id else f"{m.name} ({m.account_id})"
            for m in self.members[:limit]
        ]
        more = len(self.members) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def _signal_phrase(self) -> str:
        parts = [
            f"{SIGNAL_LABELS.get(s, s)} ({n} distinct item{'s' if n != 1 else ''})"
            for s, n in sorted(self.summary.signals.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return "; ".join(parts) if parts else "none"

    def _settings(self) -> str:
        p = self.params
        auto = "window estimated from the data, " if p.window_s == "auto" else ""
        return (
            f"{auto}min-shared {p.min_shared:g}, min-accounts {p.min_accounts}"
            f"{image_distance(p)}, signals {', '.join(p.signals)}"
        )

    def summary_text(self) -> str:
        """A self-contained, citable description of the cluster, in plain sentences."""
        s = self.summary
        lines = [
            f'Coordination cluster {s.id} in dataset "{self.dataset}": {s.size} accounts '
            f"posted the same content within {_seconds(self.window_s)} of each other "
            f"({self._settings()}).",
            f"Signals shared inside the cluster: {self._signal_phrase()}.",
        ]
        for label, sigs in (
            ("Most shared texts", ("text", "near_text")),
            ("Most shared links", ("url",)),
            ("Most shared link domains", ("domain",)),
            ("Most shared hashtag sets", ("hashtags",)),
            ("Most shared images", ("image",)),
            ("Most reposted posts", ("repost",)),
            ("Most replied-to posts", ("reply",)),
        ):
            top = self.top(*sigs)[:3]
            if top:
                items = "; ".join(
                    f'"{_clip(t.value, 160)}" ({t.accounts} of {s.size} accounts, {t.posts} posts)'
                    for t in top
                )
                lines.append(f"{label}: {items}.")
        lines.append(
            f"Active from {_short_time(s.first_seen)} to {_short_time(s.last_seen)}; "
            f"{self.co_posts} co-posts, median lag between co-posts {_seconds(self.median_lag_s)}; "
            f"{self.edges} account pairs linked (density {self.density:.2f})."
        )
        share = self.new_account_share
        if share is None:
            lines.append("Account creation dates are not in the dataset.")
        else:
            lines.append(
                f"{self.new_accounts} of {self.accounts_with_creation_date} accounts with a known "
                f"creation date ({share:.0%}) were created within {self.params.new_account_days} "
                "days of their first post in the dataset."
            )
        lines.append(f"Cluster score {s.score:g} (ranks clusters; see docs/coordination.md).")
        lines.append(f"Member accounts: {self._names(25)}.")
        if self.examples:
            ex = "; ".join(
                f"post {e.post_id} by {e.account_id} at {iso(e.time)}"
                + (f': "{_clip(e.text, 140)}"' if e.text else "")
                for e in distinct_posts(self.examples)[:5]
            )
            lines.append(f"Example posts: {ex}.")
        return "\n".join(lines)

    def render_text(self) -> str:
        """The terminal view of `chorus cluster ID`."""
        s = self.summary
        out = [
            f"Cluster {s.id}  ·  dataset {self.dataset}  ·  {s.size} accounts  ·  "
            f"score {s.score:g}",
            f"  window {_seconds(self.window_s)}; {self._settings()}",
            f"  active {_short_time(s.first_seen)} → {_short_time(s.last_seen)}",
            f"  {self.co_posts} co-posts, median lag {_seconds(self.median_lag_s)}, "
            f"{self.edges} linked pairs, density {self.density:.2f}",
        ]
        share = self.new_account_share
        out.append(
            "  new accounts: unknown (no creation dates)"
            if share is None
            else f"  new accounts: {self.new_accounts}/{self.accounts_with_creation_date} "
            f"({share:.0%}) created within {self.params.new_account_days} days of their first post"
        )
        out.append("Signals (distinct items):")
        for sig, n in sorted(s.signals.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {SIGNAL_LABELS.get(sig, sig):<26} {n:>6}")
        for sig, tops in self.top_items.items():
            if not tops:
                continue
            out.append(f"Top {SIGNAL_LABELS.get(sig, sig)}:")
            for t in tops[:5]:
                out.append(f"  {t.accounts:>4} accounts {t.posts:>5} posts  {_clip(t.value, 90)}")
        out.append("Members:")
        for m in self.members[:40]:
            new = "" if m.new is None else (" new" if m.new else "")
            name = f" ({m.name})" if m.name and m.name != m.account_id else ""
            out.append(
                f"  {m.account_id}{name}: {m.posts_in_cluster} posts, {m.partners} partners{new}"
            )
        if len(self.members) > 40:
            out.append(f"  … and {len(self.members) - 40} more")
        out.append("Evidence (examples):")
        for e in self.examples[:10]:
            what = _clip(e.text or e.item, 80)
            out.append(f"  {iso(e.time)}  {e.account_id}  post {e.post_id}  [{e.signal}]  {what}")
        if self.image_matches:
            limit = self.params.image_distance
            out.append(
                "Near-identical images (post and its whole-picture hash; bits apart of 64 "
                "between the closest of the two pictures' crop windows, which is why two "
                f"hashes shown can differ by more; past {limit}: same picture through "
                "others of its group):"
            )
            for im in self.image_matches[:10]:
                via = "" if im.distance <= limit else ", joined through the group"
                out.append(
                    f"  post {im.post_a} {im.hash_a} ~ post {im.post_b} {im.hash_b}: "
                    f"{im.distance} bits{via}"
                )
        return "\n".join(out)


def image_distance(p: AnalysisParams) -> str:
    """', image-distance N' where images were compared: which distance the stored clusters
    used is otherwise not visible after runs at several."""
    return f", image-distance {p.image_distance}" if "image" in p.signals else ""


@dataclass(frozen=True)
class AnalysisResult:
    """One analysis of one dataset."""

    dataset: str
    posts: int
    accounts: int
    clusters: tuple[ClusterSummary, ...]
    analysis_id: str
    params: AnalysisParams
    window_s: float
    created_at: float
    edges: int
    linked_accounts: int
    load: LoadReport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Exactly the DESIGN.md shape."""
        return {
            "dataset": self.dataset,
            "posts": self.posts,
            "accounts": self.accounts,
            "clusters": [c.to_json() for c in self.clusters],
        }

    def meta_json(self) -> dict[str, Any]:
        """Everything else, for storage and exports."""
        return {
            "analysis_id": self.analysis_id,
            "params": self.params.to_json(),
            "window_s": self.window_s,
            "created_at": self.created_at,
            "edges": self.edges,
            "linked_accounts": self.linked_accounts,
            "load": None if self.load is None else self.load.to_json(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_parts(cls, body: Mapping[str, Any], meta: Mapping[str, Any]) -> AnalysisResult:
        clusters = []
        for c in body["clusters"]:
            clusters.append(
                ClusterSummary(
                    id=str(c["id"]),
                    size=int(c["size"]),
                    accounts=tuple(c["accounts"]),
                    signals={str(k): int(v) for k, v in c["signals"].items()},
                    first_seen=datetime.fromisoformat(
                        c["first_seen"].replace("Z", "+00:00")
                    ).timestamp(),
                    last_seen=datetime.fromisoformat(
                        c["last_seen"].replace("Z", "+00:00")
                    ).timestamp(),
                    score=float(c["score"]),
                    examples=tuple(Example.from_json(e) for e in c["examples"]),
                )
            )
        load = meta.get("load")
        return cls(
            dataset=str(body["dataset"]),
            posts=int(body["posts"]),
            accounts=int(body["accounts"]),
            clusters=tuple(clusters),
            analysis_id=str(meta["analysis_id"]),
            params=AnalysisParams.from_json(meta["params"]),
            window_s=float(meta["window_s"]),
            created_at=float(meta["created_at"]),
            edges=int(meta["edges"]),
            linked_accounts=int(meta["linked_accounts"]),
            load=None if load is None else LoadReport.from_json(load),
            notes=tuple(meta.get("notes", ())),
        )

    @property
    def window_label(self) -> str:
        auto = " (auto)" if self.params.window_s == "auto" else ""
        return f"{_seconds(self.window_s)}{auto}"

    def empty_message(self) -> str:
        """The plain sentence shown when nothing was found."""
        return nothing_found_message(self)

    def render_text(self, limit: int = 20, sort: str = "score") -> str:
        """A ranked table for the terminal (clusters in the order given, `sort` named)."""
        head = (
            f"{self.dataset}: {self.posts:,} posts, {self.accounts:,} accounts; "
            f"window {self.window_label}, min-shared {self.params.min_shared:g}, "
            f"min-accounts {self.params.min_accounts}{image_distance(self.params)}; "
            f"{self.edges:,} linked pairs"
        )
        lines = [head]
        lines.extend(f"note: {n}" for n in self.notes)
        if not self.clusters:
            lines.append(self.empty_message())
            return "\n".join(lines)
        lines.append(f"{'cluster':<14}{'size':>6}{'score':>10}  {'first seen':<21}signals")
        for c in self.clusters[:limit]:
            sig = ", ".join(f"{k} {v}" for k, v in sorted(c.signals.items(), key=lambda kv: -kv[1]))
            lines.append(
                f"{c.id:<14}{c.size:>6}{c.score:>10g}  {_short_time(c.first_seen)[:19]:<21}{sig}"
            )
        if len(self.clusters) > limit:
            lines.append(
                f"… and {len(self.clusters) - limit} more clusters (by {sort}; "
                "--limit N shows more)"
            )
        return "\n".join(lines)


def nothing_found_message(result: AnalysisResult) -> str:
    """ "no clusters at window 60 s, min-shared 2; try a larger window"."""
    p = result.params
    window = _seconds(result.window_s) + (" (auto)" if p.window_s == "auto" else "")
    hint = "try a larger window"
    if result.edges and result.linked_accounts < p.min_accounts:
        hint = f"try --min-accounts {max(2, result.linked_accounts)} or a larger window"
    return f"no clusters at window {window}, min-shared {p.min_shared:g}; {hint}"


@dataclass(frozen=True)
class DatasetInfo:
    """A stored dataset, as `datasets()` lists it."""

    name: str
    source: str
    sha256: str
    format: str
    layout: str
    posts: int
    accounts: int
    loaded_at: float
    load: LoadReport
    mapping: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "format": self.format,
            "layout": self.layout,
            "posts": self.posts,
            "accounts": self.accounts,
            "loaded_at": iso(self.loaded_at),
            "notes": self.load.notes(),
        }

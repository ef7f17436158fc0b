"""What an analysis returns: results, clusters, members, evidence; typed, field for field
their JSON form.

`AnalysisResult.to_json()` is the DESIGN.md contract for `chorus analyze/clusters --json`;
everything else (parameters, the window used, what the load dropped) rides along as
attributes for human output and storage (`meta_json`). `ClusterDetail` is a cluster's
summary row with everything else known about it. The JSON is written and read in one place,
`patterns.serialise` (times there become ISO 8601); the words in `patterns.result_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator

from common.errors import Wording, neutral_wording
from corpus.posts.load import LoadReport
from patterns import result_text
from patterns.params import AnalysisParams
from patterns.serialise import (
    IsoTime,
    IsoTimeOrZero,
    OptionalIsoTime,
    from_json,
    to_json,
    to_json_text,
)


@dataclass(frozen=True)
class Example:
    """A post shown as an example: who posted what, when."""

    post_id: str
    account_id: str
    time: IsoTime
    text: str | None


@dataclass(frozen=True)
class EvidencePost(Example):
    """An example post of a cluster's evidence: and the shared item it carried."""

    signal: str = ""
    item: str = ""


@dataclass(frozen=True, kw_only=True)
class ClusterSummary:
    """One row of the cluster table (and of the --json output)."""

    id: str
    size: int
    accounts: tuple[str, ...]
    signals: dict[str, int]
    first_seen: IsoTime
    last_seen: IsoTime
    score: float
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True, kw_only=True)
class DatasetCluster(ClusterSummary):
    """A cluster in a list of several datasets' clusters: which dataset it belongs to."""

    dataset: str


@dataclass(frozen=True)
class TopItem:
    """A shared item inside a cluster: how many member accounts posted it, in how many posts."""

    signal: str
    value: str
    accounts: int
    posts: int


@dataclass(frozen=True)
class ImageMatch:
    """Two posts of a cluster that share a near-identical image: both perceptual hashes and
    how many bits (of 64) their closest windows differ by (0: the same picture)."""

    post_a: str
    post_b: str
    hash_a: str
    hash_b: str
    distance: int


@dataclass(frozen=True)
class Member:
    account_id: str
    name: str | None
    created_at: OptionalIsoTime
    first_post: IsoTimeOrZero
    posts_in_cluster: int
    partners: int
    new: bool | None


_SUMMARY_FIELDS = tuple(f.name for f in fields(ClusterSummary))


@dataclass(frozen=True, kw_only=True)
class ClusterDetail(ClusterSummary):
    """Everything known about one cluster, with the evidence to check it."""

    dataset: str
    analysis_id: str
    params: AnalysisParams
    window_s: float
    members: tuple[Member, ...] = ()
    edges: int
    density: float
    total_weight: float
    co_posts: int
    median_lag_s: float
    new_accounts: int
    accounts_with_creation_date: int
    # Derived from the two counts above (whatever is given); a field so that the JSON has it.
    new_account_share: float | None = None
    top_items: dict[str, tuple[TopItem, ...]]
    image_matches: tuple[ImageMatch, ...] = ()  # read from the dataset with the cluster
    evidence_examples: tuple[EvidencePost, ...]
    analysed_at: IsoTimeOrZero = 0.0

    def __post_init__(self) -> None:
        known = self.accounts_with_creation_date
        share = self.new_accounts / known if known else None
        object.__setattr__(self, "new_account_share", share)

    @property
    def summary(self) -> ClusterSummary:
        """The cluster's row of the cluster table."""
        return ClusterSummary(**{name: getattr(self, name) for name in _SUMMARY_FIELDS})

    def top(self, *signals: str) -> list[TopItem]:
        out = [t for s in signals for t in self.top_items.get(s, ())]
        return sorted(out, key=lambda t: (-t.accounts, -t.posts, t.value))

    def to_json(self) -> dict[str, Any]:
        """`chorus cluster ID --json`."""
        return to_json(self)

    def stored_text(self) -> str:
        """to_json(), as JSON text, without what is stored once beside it: the members
        (rows of their own), the account list (the members' ids), the parameters (the
        analysis') and the image matches (read from the dataset)."""
        return to_json_text(self, exclude={"members", "accounts", "params", "image_matches"})

    @classmethod
    def from_stored(
        cls, data: Mapping[str, Any], *, params: AnalysisParams, members: tuple[Member, ...]
    ) -> ClusterDetail:
        full = {
            **data,
            "accounts": sorted(m.account_id for m in members),
            "params": params,
            "members": members,
        }
        return from_json(cls, full)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClusterDetail:
        return from_json(cls, data)

    def summary_text(self) -> str:
        """A self-contained, citable description of the cluster, in plain sentences."""
        return result_text.cluster_summary(self)

    def render_text(self) -> str:
        """The terminal view of `chorus cluster ID`."""
        return result_text.cluster_view(self)


def _load_report(value: object) -> LoadReport | None:
    if value is None or isinstance(value, LoadReport):
        return value
    if isinstance(value, Mapping):
        return LoadReport.from_json(value)
    raise ValueError(f"not a load report: {type(value).__name__}")


# The load report is the loader's type (corpus), with its own stored form.
StoredLoadReport = Annotated[
    LoadReport | None,
    PlainValidator(_load_report),
    PlainSerializer(lambda r: None if r is None else r.to_json()),
]
_BODY = {"dataset", "posts", "accounts", "clusters"}


@dataclass(frozen=True)
class PopularDiscount:
    """Set where no cluster was found but counting popular items in full would give one:
    the largest group that would link, and the most shared discounted item among its links
    (accounts posting it, those linked through it, its weight). group 0: not the cause."""

    group: int = 0
    item_accounts: int = 0
    item_linked: int = 0
    item_weight: float = 0.0


@dataclass(frozen=True, kw_only=True)
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
    largest_group: int = 0  # accounts in the largest linked group of any size (0: not stored)
    # Account pairs below min-shared that co-posted one item several times (0: none, or
    # not stored): the no-cluster advice says that repeats of an item count once.
    repeated_pairs: int = 0
    popular: PopularDiscount = field(default_factory=PopularDiscount)
    load: StoredLoadReport = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Per cluster id, (new accounts, accounts with a creation date): set only where the
    # clusters were ranked by that share (`--sort new`), so the table can show it. Read
    # from the stored clusters, never stored with the analysis.
    new_shares: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Exactly the DESIGN.md shape."""
        return to_json(self, include=_BODY)

    @property
    def _meta_fields(self) -> set[str]:
        # An analysis stored before largest_group (or repeated_pairs) was kept reads back (0)
        # and writes the same.
        unset = {k for k in ("largest_group", "repeated_pairs") if not getattr(self, k)}
        if not self.popular.group:
            unset.add("popular")
        return _BODY | unset | {"new_shares"}

    def meta_json(self) -> dict[str, Any]:
        """Everything else, for storage and exports."""
        return to_json(self, exclude=self._meta_fields)

    def stored_text(self) -> tuple[str, str]:
        """to_json() and meta_json() as JSON text, as an analysis is stored."""
        return to_json_text(self, include=_BODY), to_json_text(self, exclude=self._meta_fields)

    @classmethod
    def from_parts(cls, body: Mapping[str, Any], meta: Mapping[str, Any]) -> AnalysisResult:
        return from_json(cls, {**body, **meta})

    @property
    def window_label(self) -> str:
        return result_text.window_label(self.window_s, self.params)

    def empty_message(self, wording: Wording = neutral_wording) -> str:
        """The plain sentence shown when nothing was found, its hint in `wording`'s terms."""
        return result_text.nothing_found_message(self, wording)

    def render_text(
        self, limit: int = 20, sort: str = "score", wording: Wording = neutral_wording
    ) -> str:
        """A ranked table for the terminal (clusters in the order given, `sort` named)."""
        return result_text.cluster_table(self, limit=limit, sort=sort, wording=wording)


@dataclass(frozen=True, kw_only=True)
class ClusterListing:
    """Clusters found so far (`chorus clusters`, /clusters): one dataset's latest analysis,
    or several datasets' together (dataset None, totals, each a DatasetCluster)."""

    dataset: str | None
    posts: int
    accounts: int
    clusters: tuple[ClusterSummary, ...]

    @classmethod
    def of(cls, result: AnalysisResult, limit: int | None = None) -> ClusterListing:
        """One analysis' clusters (at most `limit`)."""
        return cls(
            dataset=result.dataset,
            posts=result.posts,
            accounts=result.accounts,
            clusters=result.clusters[:limit],
        )

    @classmethod
    def of_analyses(
        cls, results: Sequence[AnalysisResult], *, sort: str, limit: int | None = None
    ) -> ClusterListing:
        """The clusters of one analysis, or of several (each its clusters already ordered
        by `sort`) in one list, at most `limit` of each dataset (as the terminal's table
        shows them). Several datasets' clusters go by the measure where a summary carries
        it, else (the new-account share) by rank within each dataset; each names its
        dataset, and posts and accounts are the sums over the datasets (an account in two
        datasets counts in each)."""
        if len(results) == 1:
            return cls.of(results[0], limit)

        def key(entry: tuple[DatasetCluster, int]) -> tuple[float, int, str]:
            c, rank = entry
            if sort == "size":
                return (-float(c.size), rank, c.id)
            if sort == "score":
                return (-float(c.score), rank, c.id)
            if sort == "new":
                return (float(rank), 0, c.id)
            return (-float(c.signals.get(sort, 0)), rank, c.id)

        listed = [
            (DatasetCluster(**vars(c), dataset=r.dataset), rank)
            for r in results
            for rank, c in enumerate(r.clusters[:limit])
        ]
        return cls(
            dataset=None,
            posts=sum(r.posts for r in results),
            accounts=sum(r.accounts for r in results),
            clusters=tuple(c for c, _ in sorted(listed, key=key)),
        )

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md `clusters` shape; listed with others, a cluster names its dataset."""
        data = to_json(self, exclude={"clusters"})
        data["clusters"] = [c.to_json() for c in self.clusters]
        return data


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

"""An analysis in words: the terminal table of clusters, one cluster's terminal view, its
citable summary (the document answers quote), and the nothing-found sentence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from common.errors import Hint, Part, Wording, neutral_wording, word
from common.wording import plural, window_text
from patterns.params import AnalysisParams
from patterns.serialise import iso

if TYPE_CHECKING:
    from patterns.results import AnalysisResult, ClusterDetail, Example

E = TypeVar("E", bound="Example")

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


TEXT_SIGNALS = ("text", "near_text")


def own_label(signal: str, label: str, text: str | None) -> str:
    """What a post shared, in its own words: under a text signal, the post's own text (an
    item of near-identical texts is named by its first post's, which another post of the
    item need not hold); any other item, its label."""
    return text if signal in TEXT_SIGNALS and text else label


def distinct_posts(examples: Sequence[E]) -> list[E]:
    """One example per post: a post that carried several shared items is shown once."""
    seen: set[str] = set()
    out = []
    for e in examples:
        if e.post_id not in seen:
            seen.add(e.post_id)
            out.append(e)
    return out


def short_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(x: float) -> str:
    if x < 120:
        return f"{x:.0f} s" if x >= 10 or x.is_integer() else f"{x:.1f} s"
    if x < 7200:
        return f"{x / 60:.1f} min"
    return f"{x / 3600:.1f} h"


def clip(text: str | None, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def image_distance(p: AnalysisParams) -> str:
    """', image-distance N' where images were compared: which distance the stored clusters
    used is otherwise not visible after runs at several."""
    return f", image-distance {p.image_distance}" if "image" in p.signals else ""


def window_label(window_s: float, params: AnalysisParams) -> str:
    auto = " (auto)" if params.window_s == "auto" else ""
    return f"{window_text(window_s)}{auto}"


def _names(detail: ClusterDetail, limit: int) -> str:
    shown = [
        m.account_id if not m.name or m.name == m.account_id else f"{m.name} ({m.account_id})"
        for m in detail.members[:limit]
    ]
    more = len(detail.members) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _signal_phrase(detail: ClusterDetail) -> str:
    parts = [
        f"{SIGNAL_LABELS.get(s, s)} ({n} distinct item{'s' if n != 1 else ''})"
        for s, n in sorted(detail.signals.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "; ".join(parts) if parts else "none"


def _settings(p: AnalysisParams) -> str:
    auto = "window estimated from the data, " if p.window_s == "auto" else ""
    return (
        f"{auto}min-shared {p.min_shared:g}, min-accounts {p.min_accounts}"
        f"{image_distance(p)}, signals {', '.join(p.signals)}"
    )


_TOP_LINES = (
    ("Most shared texts", ("text", "near_text")),
    ("Most shared links", ("url",)),
    ("Most shared link domains", ("domain",)),
    ("Most shared hashtag sets", ("hashtags",)),
    ("Most shared images", ("image",)),
    ("Most reposted posts", ("repost",)),
    ("Most replied-to posts", ("reply",)),
)


def cluster_summary(d: ClusterDetail) -> str:
    """A self-contained, citable description of the cluster, in plain sentences."""
    lines = [
        f'Coordination cluster {d.id} in dataset "{d.dataset}": {d.size} accounts '
        f"posted the same content within {window_text(d.window_s)} of each other "
        f"({_settings(d.params)}).",
        f"Signals shared inside the cluster: {_signal_phrase(d)}.",
    ]
    for label, sigs in _TOP_LINES:
        top = d.top(*sigs)[:3]
        if top:
            items = "; ".join(
                f'"{clip(t.value, 160)}" ({t.accounts} of {d.size} accounts, {t.posts} posts)'
                for t in top
            )
            lines.append(f"{label}: {items}.")
    lines.append(
        f"Active from {short_time(d.first_seen)} to {short_time(d.last_seen)}; "
        f"{d.co_posts} co-posts, median lag between co-posts {seconds(d.median_lag_s)}; "
        f"{d.edges} account pairs linked (density {d.density:.2f})."
    )
    share = d.new_account_share
    if share is None:
        lines.append("Account creation dates are not in the dataset.")
    else:
        lines.append(
            f"{d.new_accounts} of {d.accounts_with_creation_date} accounts with a known "
            f"creation date ({share:.0%}) were created within {d.params.new_account_days} "
            "days of their first post in the dataset."
        )
    lines.append(f"Cluster score {d.score:g} (ranks clusters; see docs/coordination.md).")
    lines.append(f"Member accounts: {_names(d, 25)}.")
    if d.evidence_examples:
        ex = "; ".join(
            f"post {e.post_id} by {e.account_id} at {iso(e.time)}"
            + (f': "{clip(e.text, 140)}"' if e.text else "")
            for e in distinct_posts(d.evidence_examples)[:5]
        )
        lines.append(f"Example posts: {ex}.")
    return "\n".join(lines)


def cluster_view(d: ClusterDetail) -> str:
    """The terminal view of `chorus cluster ID`."""
    out = [
        f"Cluster {d.id}  ·  dataset {d.dataset}  ·  {d.size} accounts  ·  score {d.score:g}",
        f"  window {window_text(d.window_s)}; {_settings(d.params)}",
        f"  active {short_time(d.first_seen)} → {short_time(d.last_seen)}",
        f"  {d.co_posts} co-posts, median lag {seconds(d.median_lag_s)}, "
        f"{d.edges} linked pairs, density {d.density:.2f}",
    ]
    share = d.new_account_share
    out.append(
        "  new accounts: unknown (no creation dates)"
        if share is None
        else f"  new accounts: {d.new_accounts}/{d.accounts_with_creation_date} "
        f"({share:.0%}) created within {d.params.new_account_days} days of their first post"
    )
    out.append("Signals (distinct items):")
    for sig, n in sorted(d.signals.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"  {SIGNAL_LABELS.get(sig, sig):<26} {n:>6}")
    for sig, tops in d.top_items.items():
        if not tops:
            continue
        out.append(f"Top {SIGNAL_LABELS.get(sig, sig)}:")
        for t in tops[:5]:
            out.append(f"  {t.accounts:>4} accounts {t.posts:>5} posts  {clip(t.value, 90)}")
    out.append("Members:")
    for m in d.members[:40]:
        # "new account" as the line "new accounts: ..." above defines it.
        new = ", new account" if m.new else ""
        name = f" ({m.name})" if m.name and m.name != m.account_id else ""
        out.append(
            f"  {m.account_id}{name}: {plural(m.posts_in_cluster, 'post')}, linked to "
            f"{plural(m.partners, 'other member')}{new}"
        )
    if len(d.members) > 40:
        out.append(f"  … and {len(d.members) - 40} more")
    out.append("Evidence (examples):")
    for e in d.evidence_examples[:10]:
        what = clip(e.text or e.item, 80)
        out.append(f"  {iso(e.time)}  {e.account_id}  post {e.post_id}  [{e.signal}]  {what}")
    if d.image_matches:
        limit = d.params.image_distance
        out.append(
            "Near-identical images (post and its whole-picture hash; bits apart of 64 "
            "between the closest of the two pictures' crop windows, which is why two "
            f"hashes shown can differ by more; past {limit}: same picture through "
            "others of its group):"
        )
        for im in d.image_matches[:10]:
            via = "" if im.distance <= limit else ", joined through the group"
            out.append(
                f"  post {im.post_a} {im.hash_a} ~ post {im.post_b} {im.hash_b}: "
                f"{im.distance} bits{via}"
            )
    return "\n".join(out)


def cluster_table(
    result: AnalysisResult,
    *,
    limit: int = 20,
    sort: str = "score",
    wording: Wording = neutral_wording,
) -> str:
    """A ranked table for the terminal (clusters in the order given, `sort` named). With
    none, the same head line and notes, then why nothing was found (hints in `wording`)."""
    p = result.params
    head = (
        f"{result.dataset}: {result.posts:,} posts, {result.accounts:,} accounts; "
        f"window {result.window_label}, min-shared {p.min_shared:g}, "
        f"min-accounts {p.min_accounts}{image_distance(p)}; "
        f"{result.edges:,} linked pairs"
    )
    lines = [head]
    lines.extend(f"note: {n}" for n in result.notes)
    if not result.clusters:
        lines.append(result.empty_message(wording))
        return "\n".join(lines)
    shares = result.new_shares  # ranked by the new-account share: show it, ties too
    new_head = f"{'new accounts':<14}" if shares else ""
    lines.append(f"{'cluster':<14}{'size':>6}{'score':>10}  {new_head}{'first seen':<21}signals")
    for c in result.clusters[:limit]:
        sig = ", ".join(f"{k} {v}" for k, v in sorted(c.signals.items(), key=lambda kv: -kv[1]))
        new = f"{_new_share(*shares.get(c.id, (0, 0))):<14}" if shares else ""
        lines.append(
            f"{c.id:<14}{c.size:>6}{c.score:>10g}  {new}{short_time(c.first_seen)[:19]:<21}{sig}"
        )
    if len(result.clusters) > limit:
        more = plural(len(result.clusters) - limit, "more cluster")
        lines.append(f"… and {more} (by {sort}; --limit N shows more)")
    return "\n".join(lines)


# Below these a dataset is too small for a larger window to be worth advising.
TINY_POSTS = 10
TINY_ACCOUNTS = 3


def _new_share(new: int, dated: int) -> str:
    """ "7/8 (88%)", as `chorus cluster` says it; "unknown" without creation dates."""
    return f"{new}/{dated} ({new / dated:.0%})" if dated else "unknown"


def nothing_found_message(result: AnalysisResult, wording: Wording = neutral_wording) -> str:
    """ "no clusters at window 60 s, min-shared 2; try a larger window"; the smaller
    cluster size to try is a hint, named by each front end (`wording`). A tiny dataset is
    said to be too small instead: a larger window does not help two posts."""
    p = result.params
    window = window_label(result.window_s, p)
    tiny = result.posts < TINY_POSTS or result.accounts < TINY_ACCOUNTS
    advice: tuple[Part, ...] = (
        (
            f"the dataset is too small to show coordination ("
            f"{plural(result.posts, 'post')}, {plural(result.accounts, 'account')})",
        )
        if tiny
        else ("try a larger window",)
    )
    found = f"no clusters at window {window}, min-shared {p.min_shared:g}; "
    # Every group too small for min-accounts: that is the limit to name first.
    largest = result.largest_group or result.linked_accounts
    if result.edges and largest < p.min_accounts:
        smaller = Hint.option("min_accounts", str(max(2, largest)))
        advice = ("try ", smaller) if tiny else ("try ", smaller, " or a larger window")
        found = (
            f"no clusters at window {window}, min-shared {p.min_shared:g} (the largest group "
            f"of linked accounts has {plural(largest, 'account')}, fewer than min-accounts "
            f"{p.min_accounts}); "
        )
    if result.repeated_pairs:
        pairs = plural(result.repeated_pairs, "account pair")
        found += (
            f"{pairs} posted one item within the window several times, yet shared fewer "
            f"than min-shared {p.min_shared:g} distinct items: repeats of an item (a hashtag "
            "set reused on several days) count once; "
        )
    pop = result.popular
    if pop.group and not tiny:
        # The rule stays (it keeps organic virality out), but here it is what hid the links.
        threshold = max(p.popular_share * result.accounts, p.popular_min_accounts)
        found += (
            f"popular items are down-weighted (used by more than {threshold:g} accounts): "
            f"counting them in full, {plural(pop.group, 'account')} would link; the most "
            f"shared, posted by {pop.item_accounts} of {result.accounts} accounts "
            f"({pop.item_linked} within the window of each other), weighs {pop.item_weight:g}; "
        )
        advice = (
            "try ",
            Hint.option("weighting", "count"),
            " or ",
            Hint.option("popular_share", "1"),
        )
    return word((found, *advice), wording)

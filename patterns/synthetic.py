"""A synthetic post dataset with planted coordination, for tests and benchmarks.

The scenario is the seed story's: a few dozen weeks-old accounts post identical campaign
messages (same text, link, hashtags and image) within minutes of each other, hidden among
organic accounts that share popular hashtags and links and burst-repost viral items. The
campaign accounts are the ground truth; `score_accounts` measures precision and recall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from corpus.posts.formats import CANONICAL_FIELDS

T0 = datetime(2020, 2, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0
_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "zi",
    "pa",
    "qua",
    "dor",
    "fen",
    "gul",
    "hir",
    "jas",
    "ble",
    "cro",
    "dri",
    "ent",
)


@dataclass(frozen=True)
class Scenario:
    organic_accounts: int = 2000
    organic_posts: int = 30_000
    days: float = 3.0
    campaigns: tuple[int, ...] = (70, 25)  # accounts per planted campaign
    messages_per_campaign: int = 10
    campaign_take_part: float = 0.85  # chance an account posts a given campaign message
    campaign_lag_s: float = 40.0  # mean delay after the message is released
    near_copy_share: float = 0.15  # copies with a word changed
    trending_hashtags: int = 12
    hashtag_share: float = 0.6  # organic posts with a (popular) hashtag
    popular_urls: int = 150
    url_share: float = 0.25
    meme_images: int = 40
    image_share: float = 0.08
    viral_items: int = 30
    viral_reposters: tuple[int, int] = (150, 700)
    viral_burst_s: float = 900.0
    reply_share: float = 0.05
    seed: int = 7


@dataclass(frozen=True)
class Planted:
    table: pa.Table  # canonical columns, lists space-separated
    campaign_of: dict[str, int]  # account id -> campaign index (planted accounts only)


def _words(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(_SYLLABLES), size=(n, 3))
    return ["".join(_SYLLABLES[i] for i in row) for row in a]


def _zipf(n: int, exponent: float = 1.0) -> npt.NDArray[np.float64]:
    p = 1.0 / np.arange(1, n + 1) ** exponent
    return np.asarray(p / p.sum(), dtype=np.float64)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


COLUMNS = CANONICAL_FIELDS


class _Posts:
    """The growing table, one list per canonical column."""

    def __init__(self) -> None:
        self.cols: dict[str, list[str | None]] = {k: [] for k in COLUMNS}

    def add(
        self,
        account: str,
        t: float,
        text: str | None,
        created: float,
        *,
        url: str = "",
        tags: str = "",
        image: str = "",
        repost: str = "",
        reply: str = "",
    ) -> str:
        pid = f"p{len(self.cols['post_id']) + 1:08d}"
        row = (
            pid,
            account,
            _iso(t),
            text,
            url,
            tags,
            image,
            repost,
            reply,
            _iso(created),
            account.upper(),
            "twitter",
        )
        for name, value in zip(COLUMNS, row, strict=True):
            self.cols[name].append(value)
        return pid


@dataclass(frozen=True)
class _World:
    rng: np.random.Generator
    vocab: npt.NDArray[np.str_]
    organic: list[str]
    created: npt.NDArray[np.float64]
    hashtags: list[str]
    tag_p: npt.NDArray[np.float64]
    span: float


def _organic(s: Scenario, w: _World, out: _Posts) -> None:
    """Unique texts, popular hashtags, links (with tracking noise), memes, replies."""
    rng, n = w.rng, s.organic_posts
    activity = rng.pareto(1.2, size=len(w.organic)) + 1.0
    who = rng.choice(len(w.organic), size=n, p=activity / activity.sum())
    when = T0 + rng.uniform(0, w.span, size=n)
    length = rng.integers(6, 18, size=n)
    words = rng.integers(0, w.vocab.size, size=(n, 18))
    tag = np.where(
        rng.random(n) < s.hashtag_share, rng.choice(len(w.hashtags), size=n, p=w.tag_p), -1
    )
    urls = [
        f"https://news{i % 17}.example/{x}"
        for i, x in enumerate(w.vocab[100 : 100 + s.popular_urls])
    ]
    url = np.where(
        rng.random(n) < s.url_share, rng.choice(len(urls), size=n, p=_zipf(len(urls))), -1
    )
    memes = [f"{int(x):016x}" for x in rng.integers(0, 2**62, size=s.meme_images)]
    image = np.where(rng.random(n) < s.image_share, rng.integers(0, len(memes), size=n), -1)
    is_reply = rng.random(n) < s.reply_share
    replyable: list[str] = []
    for k in range(n):
        a = int(who[k])
        tags = w.hashtags[tag[k]] if tag[k] >= 0 else ""
        link = urls[url[k]] + (f"?utm_source=s{k % 5}" if k % 3 == 0 else "") if url[k] >= 0 else ""
        reply = replyable[int(rng.integers(0, len(replyable)))] if is_reply[k] and replyable else ""
        text = " ".join(w.vocab[words[k, : length[k]]])
        pid = out.add(
            w.organic[a],
            float(when[k]),
            f"{text} {tags}".strip(),
            float(w.created[a]),
            url=link,
            tags=tags,
            image=memes[image[k]] if image[k] >= 0 else "",
            reply=reply,
        )
        if k % 50 == 0:
            replyable.append(pid)


def _viral(s: Scenario, w: _World, out: _Posts) -> None:
    """Viral items, burst-reposted by many organic accounts within minutes."""
    rng = w.rng
    for _ in range(s.viral_items):
        words = " ".join(w.vocab[rng.integers(0, w.vocab.size, size=10)])
        author = w.organic[int(rng.integers(0, len(w.organic)))]
        origin = out.add(
            author, T0 + float(rng.uniform(0, w.span)), "viral " + words, T0 - 1000 * DAY
        )
        start = T0 + float(rng.uniform(0, w.span))
        n = min(int(rng.integers(*s.viral_reposters)), len(w.organic))
        for a in rng.choice(len(w.organic), size=n, replace=False).tolist():
            t = start + float(rng.exponential(s.viral_burst_s / 3))
            out.add(w.organic[a], t, None, float(w.created[a]), repost=origin)


def _campaigns(s: Scenario, w: _World, out: _Posts) -> dict[str, int]:
    """Weeks-old accounts posting identical messages (text, link, hashtags, image) within
    minutes of each message's release; some copies have a word changed; links carry
    per-account tracking parameters. Each account also posts a few ordinary messages."""
    rng = w.rng
    campaign_of: dict[str, int] = {}
    for c, size in enumerate(s.campaigns):
        members = [f"camp{c}_{i:03d}" for i in range(size)]
        first_seen = T0 + float(rng.uniform(0, w.span / 4))
        created = first_seen - rng.uniform(14 * DAY, 56 * DAY, size=size)
        tag_set = f"#{w.vocab[200 + c]} #{w.vocab[300 + c]}"
        releases = np.sort(first_seen + rng.uniform(0, w.span * 0.7, size=s.messages_per_campaign))
        for m, release in enumerate(releases.tolist()):
            text = " ".join(w.vocab[rng.integers(0, w.vocab.size, size=14)])
            link = f"https://campaign{c}.example/msg/{m}"
            image = f"{int(rng.integers(0, 2**62)):016x}"
            for i, acc in enumerate(members):
                if rng.random() > s.campaign_take_part:
                    continue
                body = text.split()
                if rng.random() < s.near_copy_share:
                    body[int(rng.integers(0, len(body)))] = str(
                        w.vocab[int(rng.integers(0, w.vocab.size))]
                    )
                tags = tag_set if i % 2 else tag_set.upper()
                lag = float(rng.exponential(s.campaign_lag_s))
                out.add(
                    acc,
                    release + lag,
                    f"{' '.join(body)} {tags} {link}",
                    float(created[i]),
                    url=f"{link}?utm_source=acct{i}",
                    tags=tags,
                    image=image,
                )
        for i, acc in enumerate(members):
            campaign_of[acc] = c
            for _ in range(3):
                tag = w.hashtags[int(rng.choice(len(w.hashtags), p=w.tag_p))]
                words = " ".join(w.vocab[rng.integers(0, w.vocab.size, size=9)])
                out.add(
                    acc,
                    T0 + float(rng.uniform(0, w.span)),
                    f"{words} {tag}",
                    float(created[i]),
                    tags=tag,
                )
    return campaign_of


def generate(s: Scenario = Scenario()) -> Planted:
    rng = np.random.default_rng(s.seed)
    vocab = np.asarray(sorted(set(_words(rng, 6000))))
    organic = [f"u{i:06d}" for i in range(s.organic_accounts)]
    world = _World(
        rng=rng,
        vocab=vocab,
        organic=organic,
        created=T0 - rng.uniform(200 * DAY, 3000 * DAY, size=len(organic)),
        hashtags=[f"#{x}" for x in vocab[: s.trending_hashtags]],
        tag_p=_zipf(s.trending_hashtags, 1.1),
        span=s.days * DAY,
    )
    out = _Posts()
    _organic(s, world, out)
    _viral(s, world, out)
    campaign_of = _campaigns(s, world, out)
    table = pa.table({k: pa.array(v, pa.string()) for k, v in out.cols.items()})
    return Planted(table, campaign_of)


def write_csv(planted: Planted, path: Path) -> Path:
    pacsv.write_csv(planted.table, str(path))
    return path


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    flagged: int
    planted: int

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"({self.flagged} accounts flagged, {self.planted} planted)"
        )


def score_accounts(flagged: Iterable[str], planted: dict[str, int]) -> Scores:
    """Account-level precision and recall of clustered accounts against planted ones."""
    got = set(flagged)
    truth = set(planted)
    hit = len(got & truth)
    precision = hit / len(got) if got else 1.0
    recall = hit / len(truth) if truth else 1.0
    return Scores(precision, recall, len(got), len(truth))

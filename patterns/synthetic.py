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
import pyarrow as pa
import pyarrow.csv as pacsv

T0 = datetime(2020, 2, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "qua", "dor",
              "fen", "gul", "hir", "jas", "ble", "cro", "dri", "ent")  # fmt: skip


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


def generate(s: Scenario = Scenario()) -> Planted:
    rng = np.random.default_rng(s.seed)
    vocab = np.asarray(sorted(set(_words(rng, 6000))))
    span = s.days * DAY
    cols: dict[str, list[object]] = {k: [] for k in (
        "post_id", "account_id", "created_at", "text", "urls", "hashtags", "image_hashes",
        "repost_of", "reply_to", "account_created_at", "account_name", "platform")}  # fmt: skip
    organic = [f"u{i:06d}" for i in range(s.organic_accounts)]
    org_created = T0 - rng.uniform(200 * DAY, 3000 * DAY, size=len(organic))
    activity = rng.pareto(1.2, size=len(organic)) + 1.0
    activity /= activity.sum()
    hashtags = [f"#{w}" for w in vocab[: s.trending_hashtags]]
    tag_p = 1.0 / np.arange(1, len(hashtags) + 1) ** 1.1
    tag_p /= tag_p.sum()
    urls = [f"https://news{i % 17}.example/{w}" for i, w in enumerate(vocab[100 : 100 + s.popular_urls])]
    url_p = 1.0 / np.arange(1, len(urls) + 1)
    url_p /= url_p.sum()
    memes = [f"{int(x):016x}" for x in rng.integers(0, 2**62, size=s.meme_images)]
    counter = 0

    def add(account: str, t: float, text: str | None, created: float, *, url: str = "",
            tags: str = "", image: str = "", repost: str = "", reply: str = "") -> str:  # fmt: skip
        nonlocal counter
        counter += 1
        pid = f"p{counter:08d}"
        cols["post_id"].append(pid)
        cols["account_id"].append(account)
        cols["created_at"].append(datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        cols["text"].append(text)
        cols["urls"].append(url)
        cols["hashtags"].append(tags)
        cols["image_hashes"].append(image)
        cols["repost_of"].append(repost)
        cols["reply_to"].append(reply)
        cols["account_created_at"].append(
            datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        cols["account_name"].append(account.upper())
        cols["platform"].append("twitter")
        return pid

    # Organic posting: unique texts, popular hashtags, links (with tracking noise), memes.
    who = rng.choice(len(organic), size=s.organic_posts, p=activity)
    when = T0 + rng.uniform(0, span, size=s.organic_posts)
    length = rng.integers(6, 18, size=s.organic_posts)
    words = rng.integers(0, vocab.size, size=(s.organic_posts, 18))
    has_tag = rng.random(s.organic_posts) < s.hashtag_share
    tag_pick = rng.choice(len(hashtags), size=s.organic_posts, p=tag_p)
    has_url = rng.random(s.organic_posts) < s.url_share
    url_pick = rng.choice(len(urls), size=s.organic_posts, p=url_p)
    has_img = rng.random(s.organic_posts) < s.image_share
    img_pick = rng.integers(0, len(memes), size=s.organic_posts)
    replyable: list[str] = []
    is_reply = rng.random(s.organic_posts) < s.reply_share
    for k in range(s.organic_posts):
        a = int(who[k])
        text = " ".join(vocab[words[k, : length[k]]])
        tag = hashtags[tag_pick[k]] if has_tag[k] else ""
        url = urls[url_pick[k]] + (f"?utm_source=s{k % 5}" if k % 3 == 0 else "") if has_url[k] else ""
        reply = replyable[int(rng.integers(0, len(replyable)))] if is_reply[k] and replyable else ""
        pid = add(organic[a], float(when[k]), f"{text} {tag}".strip(), float(org_created[a]),
                  url=url, tags=tag, image=memes[img_pick[k]] if has_img[k] else "", reply=reply)  # fmt: skip
        if k % 50 == 0:
            replyable.append(pid)

    # Viral items, burst-reposted by many organic accounts within minutes.
    for v in range(s.viral_items):
        origin = add(organic[int(rng.integers(0, len(organic)))], T0 + float(rng.uniform(0, span)),
                     "viral " + " ".join(vocab[rng.integers(0, vocab.size, size=10)]),
                     T0 - 1000 * DAY)  # fmt: skip
        start = T0 + float(rng.uniform(0, span))
        n = int(rng.integers(*s.viral_reposters))
        reposters = rng.choice(len(organic), size=min(n, len(organic)), replace=False)
        for a in reposters.tolist():
            t = start + float(rng.exponential(s.viral_burst_s / 3))
            add(organic[a], t, None, float(org_created[a]), repost=origin)
        del v

    # Planted campaigns: weeks-old accounts posting identical messages within minutes.
    campaign_of: dict[str, int] = {}
    for c, size in enumerate(s.campaigns):
        members = [f"camp{c}_{i:03d}" for i in range(size)]
        first_seen = T0 + float(rng.uniform(0, span / 4))
        created = first_seen - rng.uniform(14 * DAY, 56 * DAY, size=size)
        tag_set = f"#{vocab[200 + c]} #{vocab[300 + c]}"
        releases = np.sort(first_seen + rng.uniform(0, span * 0.7, size=s.messages_per_campaign))
        for m, release in enumerate(releases.tolist()):
            text = " ".join(vocab[rng.integers(0, vocab.size, size=14)])
            link = f"https://campaign{c}.example/msg/{m}"
            image = f"{int(rng.integers(0, 2**62)):016x}"
            for i, acc in enumerate(members):
                if rng.random() > s.campaign_take_part:
                    continue
                body = text
                if rng.random() < s.near_copy_share:
                    ws = body.split()
                    ws[int(rng.integers(0, len(ws)))] = str(vocab[int(rng.integers(0, vocab.size))])
                    body = " ".join(ws)
                lag = float(rng.exponential(s.campaign_lag_s))
                tags = tag_set if i % 2 else tag_set.upper()
                add(acc, release + lag, f"{body} {tags} {link}", float(created[i]),
                    url=f"{link}?utm_source=acct{i}", tags=tags, image=image)  # fmt: skip
        # Some ordinary-looking posts too, to blend in.
        for i, acc in enumerate(members):
            campaign_of[acc] = c
            for _ in range(3):
                t = T0 + float(rng.uniform(0, span))
                tag = hashtags[int(rng.choice(len(hashtags), p=tag_p))]
                add(acc, t, " ".join(vocab[rng.integers(0, vocab.size, size=9)]) + " " + tag,
                    float(created[i]), tags=tag)  # fmt: skip

    table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
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

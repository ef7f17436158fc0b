"""Plain-language coordination questions with expected answers: right, wrong or refused.

    python -m benchmarks.coordination.questions [--work DIR] [--only NAME]

Datasets: the synthetic generator's default scenario (two planted campaigns of 70 and 25
accounts among 2,000 organic ones) and the three real sets in ../shared/data/real/
(CooRTweet's german_elections and russian_coord_tweets, the IRA troll tweets of
5-7 October 2016), each analysed at the default settings through the Assistant, then asked
questions through `Assistant.ask`, as `chorus ask` and Discord ask them.

Expected answers come from the data, not from the code under test, wherever that can be:
- synthetic: the planted campaign of each account (the generator's ground truth);
- real sets: co-shares counted here from the raw CSV with plain Python: two accounts that
  posted the same item (IRA: the same text, link or hashtag set; german: the same link,
  hashtag or image id; russian: a retweet of the same tweet) within 60 s of each other. An
  account named as a partner must have such a co-share with the account asked about; an
  account with none must be in no cluster; a link's sharers must have posted it within
  60 s of another account.
- "the biggest cluster", "most images" and "how many clusters" are checked against
  `chorus clusters --json` (the stored analysis): they test the answering, not the engine.

A question is right when the answer names at least one account and only expected ones
(or states the expected fact), wrong when it names any other account or states another
fact, refused when it refuses or says nothing checkable. Two sets of phrasings: "dev"
(used while writing the parser) and "held-out" (written before the first run and never
tuned on). Prints one line per question with --verbose.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.coordination.agreement import REPO
from tests.support.synthetic import generate, write_csv

REAL = REPO.parent / "shared" / "data" / "real"
WINDOW = 60.0

DEV = {
    "partners": "Who is {x} coordinating with?",
    "alone": "Is {x} in a cluster?",
    "link": "Which accounts shared the link {x}?",
    "biggest": "What is the biggest cluster in the {d} dataset?",
    "count": "How many clusters does {d} have?",
    "images": "Which cluster shared the most images in {d}?",
}
HELD_OUT = {
    "partners": "Which accounts are connected to {x}?",
    "alone": "Does {x} belong to a coordinated group?",
    "link": "Who posted the link {x} at the same time as others?",
    "biggest": "Show me the largest group of accounts in {d}",
    "count": "How many coordinated campaigns are in {d}?",
    "images": "Which group in {d} shared the most pictures?",
}


@dataclass(frozen=True)
class Case:
    dataset: str
    phrasing: str  # dev | held-out
    question: str
    check: Callable[[str, bool], str]  # (answer text, refused) -> right | wrong | refused


def _named(text: str, accounts: set[str]) -> set[str]:
    return {t for t in re.findall(r"[\w.-]+", text) if t in accounts} | {
        t.rstrip(".") for t in re.findall(r"[\w.-]+", text) if t.rstrip(".") in accounts
    }


def partners_check(x: str, allowed: set[str], accounts: set[str]) -> Callable[[str, bool], str]:
    def check(text: str, refused: bool) -> str:
        if refused:
            return "refused"
        named = _named(text, accounts) - {x}
        if not named:
            return "refused"
        return "right" if named <= allowed else "wrong"

    return check


def alone_check(x: str, accounts: set[str]) -> Callable[[str, bool], str]:
    def check(text: str, refused: bool) -> str:
        if refused:
            return "refused"
        if _named(text, accounts) - {x}:
            return "wrong"
        # The account is named by its id, or "Name (id)" when it has a display name.
        said = f"{x} is in no cluster" in text or f"({x}) is in no cluster" in text
        return "right" if said else "wrong"

    return check


def missing_check(x: str) -> Callable[[str, bool], str]:
    def check(text: str, refused: bool) -> str:
        if refused:
            return "refused"
        return "right" if f"no account named {x}" in text else "wrong"

    return check


def fact_check(fact: str, members: set[str], accounts: set[str]) -> Callable[[str, bool], str]:
    """The answer states `fact` and names only accounts of `members` (if any)."""

    def check(text: str, refused: bool) -> str:
        if refused:
            return "refused"
        if fact not in text:
            return "wrong"
        return "right" if _named(text, accounts) <= members else "wrong"

    return check


# -- independent co-share counts from the raw files ----------------------------------------
@dataclass
class Raw:
    accounts: set[str]
    by_item: dict[str, list[tuple[float, str]]]  # item -> (time, account), sorted

    def partners(self, x: str) -> dict[str, set[str]]:
        """Accounts that posted an item within WINDOW of one of x's posts of it, with the
        items."""
        out: dict[str, set[str]] = defaultdict(set)
        for item, rows in self.mine(x).items():
            times = self.by_item[item]
            for t in rows:
                lo = bisect_left(times, (t - WINDOW, ""))
                for tt, acc in times[lo:]:
                    if tt > t + WINDOW:
                        break
                    if acc != x:
                        out[acc].add(item)
        return out

    def mine(self, x: str) -> dict[str, list[float]]:
        return self._mine.get(x, {})

    def index(self) -> None:
        self._mine: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for item, rows in self.by_item.items():
            rows.sort()
            for t, acc in rows:
                self._mine[acc][item].append(t)

    def sharers(self, item: str) -> set[str]:
        rows = self.by_item.get(item, [])
        out = set()
        for i, (t, acc) in enumerate(rows):
            near = [a for tt, a in rows[max(0, i - 50) : i + 50] if abs(tt - t) <= WINDOW]
            if any(a != acc for a in near):
                out.add(acc)
        return out


def _raw(rows: Iterable[tuple[str, float, Iterable[str]]]) -> Raw:
    by_item: dict[str, list[tuple[float, str]]] = defaultdict(list)
    accounts: set[str] = set()
    for acc, t, items in rows:
        accounts.add(acc)
        for item in set(items):
            by_item[item].append((t, acc))
    raw = Raw(accounts, dict(by_item))
    raw.index()
    return raw


def _text_key(text: str) -> str:
    flat = re.sub(r"https?://\S+|@\w+", " ", text.lower())
    flat = re.sub(r"^\s*rt\b:?", " ", flat)
    return "t:" + " ".join(flat.split())


def raw_ira(path: Path) -> Raw:
    def rows() -> Iterable[tuple[str, float, list[str]]]:
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                items = [f"u:{u}" for u in r["urls"].split()]
                if r["hashtags"].strip():
                    items.append(
                        "h:" + " ".join(sorted({h.lower() for h in r["hashtags"].split()}))
                    )
                if _text_key(r["content"]) != "t:":
                    items.append(_text_key(r["content"]))
                yield r["author_id"], float(r["timestamp"]), items

    return _raw(rows())


def raw_german(path: Path) -> Raw:
    def rows() -> Iterable[tuple[str, float, list[str]]]:
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                items = [
                    f"{k}:{r[k].removesuffix('.0')}"
                    for k in ("url_id", "hashtag_id", "phash_id")
                    if r[k]
                ]
                yield r["account_id"], float(r["timestamp"]), items

    return _raw(rows())


def raw_russian(path: Path) -> Raw:
    def rows() -> Iterable[tuple[str, float, list[str]]]:
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                yield r["account_id"], float(r["timestamp_share"]), [f"o:{r['object_id']}"]

    return _raw(rows())


# -- cases -----------------------------------------------------------------------------
def _both(make: Callable[[dict[str, str]], list[Case]]) -> list[Case]:
    return make(DEV) + make(HELD_OUT)


def _stored_facts(assistant: Any, req: Any, dataset: str) -> tuple[list[dict[str, Any]], set[str]]:
    clusters = assistant.clusters(req, dataset).to_json()["clusters"]
    members = {a for c in clusters for a in c["accounts"]}
    return clusters, members


def _cluster_cases(
    assistant: Any, req: Any, d: str, *, accounts: set[str], phr: dict[str, str], tag: str
) -> list[Case]:
    clusters, _ = _stored_facts(assistant, req, d)
    if not clusters:
        return []
    big = max(clusters, key=lambda c: (c["size"], c["score"]))
    img = max(clusters, key=lambda c: (c["signals"].get("image", 0), c["score"], c["size"]))
    cases = [
        Case(
            d,
            tag,
            phr["biggest"].format(d=d),
            fact_check(f"{big['id']}: {big['size']} accounts", set(big["accounts"]), accounts),
        ),
        Case(
            d,
            tag,
            phr["count"].format(d=d),
            # "has 1 coordination cluster": one cluster is said in the singular.
            fact_check(
                f"has {len(clusters)} coordination cluster{'' if len(clusters) == 1 else 's'}",
                set(),
                accounts,
            ),
        ),
    ]
    if img["signals"].get("image"):
        cases.append(
            Case(
                d,
                tag,
                phr["images"].format(d=d),
                fact_check(f"{img['id']}: {img['size']} accounts", set(img["accounts"]), accounts),
            )
        )
    return cases


def synthetic_cases(assistant: Any, req: Any, work: Path, rng: random.Random) -> list[Case]:
    planted = generate()
    path = write_csv(planted, work / "synthetic.csv")
    assistant.analyze(str(path), req, name="synthetic")
    accounts = set(planted.table.column("account_id").to_pylist())
    campaign = planted.campaign_of
    members_of: dict[int, set[str]] = defaultdict(set)
    for acc, c in campaign.items():
        members_of[c].add(acc)
    planted_accounts = sorted(campaign)
    organic = sorted(accounts - set(campaign))
    picks = rng.sample(planted_accounts, 12)
    alone = rng.sample(organic, 8)

    def make(phr: dict[str, str]) -> list[Case]:
        tag = "dev" if phr is DEV else "held-out"
        cases = [
            Case(
                "synthetic",
                tag,
                phr["partners"].format(x=x),
                partners_check(x, members_of[campaign[x]], accounts),
            )
            for x in picks
        ]
        cases += [
            Case("synthetic", tag, phr["alone"].format(x=x), alone_check(x, accounts))
            for x in alone
        ]
        cases.append(Case("synthetic", tag, phr["alone"].format(x="u17"), missing_check("u17")))
        for c, m in ((0, 3), (1, 7)):
            link = f"https://campaign{c}.example/msg/{m}"
            cases.append(
                Case(
                    "synthetic",
                    tag,
                    phr["link"].format(x=link),
                    partners_check("", members_of[c], accounts),
                )
            )
        clusters, _ = _stored_facts(assistant, req, "synthetic")
        big = max(clusters, key=lambda k: (k["size"], k["score"]))
        # Independent: the biggest campaign planted has 70 accounts, all of campaign 0.
        cases.append(
            Case(
                "synthetic",
                tag,
                phr["biggest"].format(d="synthetic"),
                fact_check(f"{big['id']}: {big['size']} accounts", members_of[0], accounts),
            )
        )
        return cases

    return _both(make)


def real_cases(
    assistant: Any, req: Any, name: str, *, path: Path, raw: Raw, rng: random.Random
) -> list[Case]:
    assistant.analyze(str(path), req, name=name)
    accounts = raw.accounts
    # Accounts with strong raw evidence (>= 3 partners sharing >= 2 items each), a sample.
    strong = []
    for x in sorted(accounts):
        p = raw.partners(x)
        if sum(len(v) >= 2 for v in p.values()) >= 3:
            strong.append((x, set(p)))
        if len(strong) >= 400:
            break
    picks = rng.sample(strong, min(10, len(strong)))
    pool = rng.sample(sorted(accounts), min(300, len(accounts)))
    lonely = [x for x in pool if not raw.partners(x)][:6]
    items = sorted(
        (i for i in raw.by_item if i.startswith("u:")), key=lambda i: -len(raw.by_item[i])
    )[:2]

    def make(phr: dict[str, str]) -> list[Case]:
        tag = "dev" if phr is DEV else "held-out"
        cases = [
            Case(name, tag, phr["partners"].format(x=x), partners_check(x, allowed, accounts))
            for x, allowed in picks
        ]
        cases += [
            Case(name, tag, phr["alone"].format(x=x), alone_check(x, accounts)) for x in lonely
        ]
        cases.append(Case(name, tag, phr["alone"].format(x="u17"), missing_check("u17")))
        for item in items:
            cases.append(
                Case(
                    name,
                    tag,
                    phr["link"].format(x=item[2:]),
                    partners_check("", raw.sharers(item), accounts),
                )
            )
        return cases + _cluster_cases(assistant, req, name, accounts=accounts, phr=phr, tag=tag)

    return _both(make)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "results" / "questions")
    parser.add_argument("--only", help="one dataset: synthetic, ira, german, russian")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.update({"CHORUS_DATA_DIR": str(work / "data"), "CHORUS_SHARED_DEMO": "false"})
    from bot.assistant import Assistant, Requester
    from bot.settings import load_settings

    assistant = Assistant(load_settings())
    req = Requester.local()
    rng = random.Random(10)
    cases: list[Case] = []
    start = time.perf_counter()
    if args.only in (None, "synthetic"):
        cases += synthetic_cases(assistant, req, work, rng)
    real = {
        "ira": (REAL / "ira_troll_tweets_2016oct" / "tweets.csv", raw_ira),
        "german": (REAL / "coortweet_examples" / "german_elections.csv", raw_german),
        "russian": (REAL / "coortweet_examples" / "russian_coord_tweets.csv", raw_russian),
    }
    for name, (path, loader) in real.items():
        if args.only not in (None, name):
            continue
        if not path.exists():
            print(f"skipped {name}: {path} is absent")
            continue
        cases += real_cases(assistant, req, name, path=path, raw=loader(path), rng=rng)
    tally: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wrong_names = 0
    for case in cases:
        answer = assistant.ask(case.question, req)
        verdict = case.check(answer.answer, answer.refused)
        tally[(case.dataset, case.phrasing)][verdict] += 1
        tally[("all", case.phrasing)][verdict] += 1
        if verdict == "wrong":
            wrong_names += 1
        if args.verbose or verdict != "right":
            print(f"{verdict:>8}  [{case.dataset}/{case.phrasing}] {case.question}")
            if verdict != "right":
                print("          " + answer.answer[:400].replace("\n", " "))
    print(
        f"\n{len(cases)} questions in {time.perf_counter() - start:.0f} s; load {os.getloadavg()}"
    )
    print(f"{'dataset':<10}{'phrasing':<10}{'right':>7}{'wrong':>7}{'refused':>9}{'share':>8}")
    for (d, p), t in sorted(tally.items()):
        n = sum(t.values())
        print(
            f"{d:<10}{p:<10}{t['right']:>7}{t['wrong']:>7}{t['refused']:>9}{t['right'] / n:>8.0%}"
        )
    (work / "summary.json").write_text(
        json.dumps({f"{d}/{p}": dict(t) for (d, p), t in tally.items()}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

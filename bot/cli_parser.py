"""The `chorus` argument parser (DESIGN.md, "Command line"): every command and option."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Kept here (not imported from patterns) so `chorus --help` stays instant.
DEFAULT_CLUSTER_LIMIT = 20
ALL_SIGNALS_HELP = ("text", "near_text", "url", "domain", "hashtags", "image", "repost", "reply")


def _default(setting: str, shipped: str) -> str:
    """An option's default is a setting that .env may change: name it with the shipped value,
    since the parser is built before the settings are read (`--help` stays instant)."""
    return f"(default: the setting CHORUS_ANALYSIS__{setting}, {shipped} unless set)"


def _add_pattern_commands(sub: Any) -> None:
    """analyze, clusters, cluster and datasets (DESIGN.md, "Command line")."""
    p = sub.add_parser("analyze", help="find coordination clusters in a post dataset")
    p.add_argument(
        "dataset",
        metavar="DATASET",
        help="a CSV/JSONL/Parquet file (or a zip of one with its images), or a stored name",
    )
    p.add_argument("--name", help="dataset name (default: the file name)")
    p.add_argument(
        "--window", help="co-occurrence window in seconds, or 'auto' " + _default("WINDOW_S", "60")
    )
    p.add_argument(
        "--min-accounts",
        type=int,
        help="smallest cluster reported " + _default("MIN_ACCOUNTS", "3"),
    )
    p.add_argument(
        "--min-shared", type=float, help="shared items for an edge " + _default("MIN_SHARED", "2")
    )
    p.add_argument(
        "--signals",
        help="comma-separated: "
        + ",".join(ALL_SIGNALS_HELP)
        + " "
        + _default("SIGNALS", "all but domain"),
    )
    p.add_argument(
        "--new-account-days",
        type=int,
        help="'new account' age, days " + _default("NEW_ACCOUNT_DAYS", "60"),
    )
    # No argparse choices: a bad value is one line, "unknown ...; choose one of ...", as
    # the analysis parameters' own checks word it (argparse prints its whole usage first).
    p.add_argument(
        "--normalisation",
        metavar="chorus|toolkit",
        help="text normalisation for identical text, see docs "
        + _default("NORMALISATION", "chorus"),
    )
    p.add_argument(
        "--weighting",
        metavar="discounted|count",
        help="edge weight: discounted (popular items weigh less) or count (every distinct "
        "shared item counts 1, the toolkit's rule) " + _default("WEIGHTING", "discounted"),
    )
    p.add_argument(
        "--popular-share",
        type=float,
        help="discounted weighting: items used by more than this share of accounts weigh "
        "less; 1 turns it off " + _default("POPULAR_SHARE", "0.01"),
    )
    p.add_argument(
        "--engine",
        metavar="duckdb|dask",
        help="where pairing runs: this process (duckdb) or a Dask cluster (the '.[dask]' "
        "extra); the results are the same " + _default("ENGINE", "duckdb"),
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="--engine dask: a scheduler address")
    p.add_argument(
        "--workers",
        type=int,
        help="--engine dask without --scheduler: local workers " + _default("DASK_WORKERS", "2"),
    )
    p.add_argument(
        "--shared-dir",
        metavar="PATH_OR_URL",
        help="--engine dask: where shards are written for the workers to read, a path or "
        "fsspec URL (s3://...) every worker can see "
        + _default("DASK_SHARED_DIR", "DATA_DIR/dask-shards"),
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="use COLUMN for a canonical field (repeatable)",
    )
    p.add_argument("--strict", action="store_true", help="fail on unparseable timestamps")
    p.add_argument(
        "--image-distance",
        type=int,
        metavar="BITS",
        help="perceptual image hashes this many bits apart (of 64) match "
        + _default("IMAGE_DISTANCE", "4"),
    )
    p.add_argument(
        "--no-fetch-images",
        action="store_true",
        help="do not download image_urls (files beside the dataset are still hashed)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write clusters.json, edges.csv, evidence.csv, graph.graphml",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("clusters", help="list clusters found so far")
    p.add_argument("--dataset")
    p.add_argument(
        "--sort",
        default="score",
        metavar="ORDER",
        help="size | score | new (newest accounts) | a signal ("
        + ",".join(ALL_SIGNALS_HELP)
        + ": most distinct items of it); default score",
    )
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N clusters of each dataset, in the text and in --json (default "
        f"{DEFAULT_CLUSTER_LIMIT}; --json: all)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("account", help="an account's clusters, ties and evidence")
    p.add_argument("name", help="the account id or display name, exactly")
    p.add_argument("--dataset", help="only this dataset (default: every dataset)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("cluster", help="one cluster in full, with evidence")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="timeline and network picture")

    p = sub.add_parser("datasets", help="stored post datasets: list | remove NAME")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("list")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("remove")
    a.add_argument("name")


def build_parser(*, for_console: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="" if for_console else "chorus",
        description="Chorus: find coordinated posting campaigns; answer with cited sources.",
        exit_on_error=not for_console,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add reporting sources (files, folders, URLs)")
    p.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--title", help="title for a single file or URL")
    p.add_argument(
        "--force", action="store_true", help="add content already stored as another source"
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("sources", help="the source catalog: list | remove ID | reindex")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("list", help="list sources")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("remove", help="remove a source from catalog and index")
    a.add_argument("id")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("reindex", help="rebuild the vector index from the catalog")
    a.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer a question with numbered citations")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("check", help="look a claim up: evidence (and a verdict with a model)")
    p.add_argument("claim", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    _add_pattern_commands(sub)

    p = sub.add_parser("doctor", help="check catalog and vector index; repair what a crash left")
    p.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    p.add_argument("--json", action="store_true")

    if not for_console:
        sub.add_parser("console", help="interactive session (same commands; a bare line asks)")
        sub.add_parser("bot", help="run on Discord (needs DISCORD_TOKEN)")
    return parser

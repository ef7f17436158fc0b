"""The dataset file's schema, in one place.

A stored dataset is one DuckDB file: `meta` (key, JSON value: name, source, load report,
images, format version), the posts and accounts as loaded (written once, by the loader), the
images' perceptual hashes when the posts carry images, and each analysis' rows (keyed by
analysis_id; the newest KEEP_ANALYSES are kept). Every table is created here; readers name
these columns.
"""

from __future__ import annotations

import duckdb

# 2: links and hashtags read from the text of datasets without those columns.
FORMAT_VERSION = 2

# Analyses' tables; `IF NOT EXISTS` so a file from an earlier version gains what it lacks.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS analyses (
    analysis_id VARCHAR, created_at DOUBLE, body VARCHAR, meta VARCHAR);
CREATE TABLE IF NOT EXISTS clusters (
    analysis_id VARCHAR, cluster_id VARCHAR, rank INTEGER, detail VARCHAR);
CREATE TABLE IF NOT EXISTS cluster_members (
    analysis_id VARCHAR, cluster_id VARCHAR, aid INTEGER, posts BIGINT, partners BIGINT);
CREATE TABLE IF NOT EXISTS edges (
    analysis_id VARCHAR, a INTEGER, b INTEGER, weight DOUBLE, shared INTEGER,
    signals VARCHAR, cluster_id VARCHAR);
CREATE TABLE IF NOT EXISTS evidence (
    analysis_id VARCHAR, a INTEGER, b INTEGER, item INTEGER, signal VARCHAR,
    pid_a INTEGER, pid_b INTEGER, t_a DOUBLE, t_b DOUBLE, n INTEGER);
CREATE TABLE IF NOT EXISTS items (
    analysis_id VARCHAR, item INTEGER, signal VARCHAR, label VARCHAR,
    accounts INTEGER, weight DOUBLE);
"""

# Tables holding one analysis' rows (keyed by analysis_id).
TABLES = ("analyses", "clusters", "cluster_members", "edges", "evidence", "items")


def create_accounts(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """accounts (aid, account_id, name, created, first_t, posts): one row per account of the
    loaded posts in `source`, numbered in the order they first appear."""
    con.execute(
        "CREATE TABLE accounts AS SELECT "
        "CAST(row_number() OVER (ORDER BY first_row) - 1 AS INTEGER) AS aid, "
        "account_id, name, created, first_t, posts FROM ("
        "SELECT account_id, max(account_name) AS name, min(account_created_at) AS created, "
        "min(t) AS first_t, count(*) AS posts, min(row) AS first_row "
        f"FROM {source} GROUP BY account_id)"
    )


def create_posts(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """posts (pid = the row, post_id, aid, t, the content fields): the loaded posts in
    `source`, each with its account's aid."""
    con.execute(
        "CREATE TABLE posts AS SELECT CAST(c.row AS INTEGER) AS pid, c.post_id, a.aid, "
        "c.t, c.text, c.urls, c.hashtags, c.image_hashes, c.domains, c.repost_of, "
        "c.reply_to, c.platform, c.image_files, c.image_urls, c.image_phashes "
        f"FROM {source} c JOIN accounts a USING (account_id)"
    )


def create_image_tables(con: duckdb.DuckDBPyConnection, images: str, windows: str) -> None:
    """post_images (pid, phash, sha) and image_windows (phash, win: the hash's windows for
    near-image search), from the registered relations `images` and `windows`."""
    con.execute(f"CREATE TABLE post_images AS SELECT DISTINCT pid, phash, sha FROM {images}")
    con.execute(f"CREATE TABLE image_windows AS SELECT DISTINCT phash, win FROM {windows}")

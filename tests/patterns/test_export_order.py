"""The exports are sorted and joined on narrow columns, then written in that order (see
patterns/exports.py). Their contract is the plain SQL below: one sorted COPY per file,
joined on the stored tables. The files must be byte for byte what it writes, on data made
of the awkward cases: ids that are formulas or hold control characters (C0, DEL, C1),
ids that only differ in a control character (equal once exported: the account numbers
break the tie), XML's special characters, ties in weight, lag and post, items without a
label, posts that carried several shared items."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from corpus.posts.load import literal
from patterns import export_tables, exports
from patterns.export_tables import cell_sql, xml_sql
from patterns.exports import EVIDENCE_LABEL_CHARS, ISO_SQL, _data
from patterns.service import PatternService
from patterns.store import connect

ODD_IDS = [
    '=HYPERLINK("http://evil")',
    "+1",
    "-2",
    "@x",
    "a\x01b",
    "a\x02b",  # equal to the one above once exported ("a b")
    "c\x7fd",
    "e\x85f",  # C1
    "g\u00a0h",  # not a control character: kept
    "x&y<z>\"q'",
    "plain",
    "Ünïcödé",
    "tab\there",
    " lead",
]


def _rows(seed: int) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    rows: list[dict[str, object]] = []
    for k in range(60):
        acc = rnd.choice(ODD_IDS + [f"u{i}" for i in range(8)])
        rows.append(
            {
                "post_id": rnd.choice(["=p", f"p{k}", f"p\x03{k}", f"@{k}"]) + f"-{k}",
                "account_id": acc,
                "account_name": rnd.choice([None, "", 'Ann <b> & "co"\x01', "Bob\nS", acc]),
                "t": 1_700_000_000 + rnd.choice([0, 0, 5, 10, 30]) + 100 * (k % 3),
                "text": rnd.choice(["same text", "=formula text", "other\x1ftext"]),
                "urls": rnd.choice(
                    ["", "https://a.example/x", "https://a.example/x https://b.ex/y"]
                ),
                "hashtags": rnd.choice(["", "tag", "tag other"]),
            }
        )
    return rows


def _expected_edges(aid: str) -> str:
    return f"""
        WITH co AS (SELECT a, b, sum(n) AS co_posts FROM evidence
                    WHERE analysis_id = {aid} GROUP BY a, b)
        SELECT {cell_sql("x.account_id")} AS source, {cell_sql("y.account_id")} AS target,
               {cell_sql("x.name")} AS source_name, {cell_sql("y.name")} AS target_name,
               round(e.weight, 4) AS weight, e.shared AS shared_items, e.signals,
               coalesce(e.cluster_id, '') AS cluster_id, coalesce(co.co_posts, 0) AS co_posts
        FROM edges e
        JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b
        LEFT JOIN co ON co.a = e.a AND co.b = e.b
        WHERE e.analysis_id = {aid}
        ORDER BY e.weight DESC, source, target, e.a, e.b"""


def _expected_evidence(aid: str) -> str:
    label = f"left(i.label, {EVIDENCE_LABEL_CHARS})"
    return f"""
        SELECT {cell_sql("x.account_id")} AS source, {cell_sql("y.account_id")} AS target,
               coalesce(e.cluster_id, '') AS cluster_id, v.signal, {cell_sql(label)} AS item,
               {cell_sql("pa.post_id")} AS source_post, {cell_sql("pb.post_id")} AS target_post,
               strftime(to_timestamp(v.t_a), {ISO_SQL}) AS source_time,
               strftime(to_timestamp(v.t_b), {ISO_SQL}) AS target_time,
               round(abs(v.t_b - v.t_a), 3) AS lag_s, v.n AS co_posts
        FROM evidence v
        JOIN edges e ON e.analysis_id = v.analysis_id AND e.a = v.a AND e.b = v.b
        JOIN accounts x ON x.aid = v.a JOIN accounts y ON y.aid = v.b
        JOIN posts pa ON pa.pid = v.pid_a
        JOIN posts pb ON pb.pid = v.pid_b
        LEFT JOIN items i ON i.analysis_id = v.analysis_id AND i.item = v.item
        WHERE v.analysis_id = {aid}
        ORDER BY e.weight DESC, source, target, lag_s, source_post, v.a, v.b, v.item"""


def _expected_graphml(con: object, aid: str) -> str:
    graph = f"""
        WITH e AS (SELECT a, b, weight, shared, signals, coalesce(cluster_id, '') AS cid
                   FROM edges WHERE analysis_id = {aid}),
        ends AS (SELECT a AS aid, cid FROM e UNION ALL SELECT b, cid FROM e),
        nodes AS (SELECT aid, max(cid) AS cid,
                         row_number() OVER (ORDER BY aid) - 1 AS i FROM ends GROUP BY aid)"""
    nodes = con.execute(  # type: ignore[attr-defined]
        f"""{graph}
        SELECT concat('    <node id="n', n.i, '">', chr(10),
               {_data("v_account_id", "ac.account_id")},
               {_data("v_label", "coalesce(nullif(ac.name, ''), ac.account_id)")},
               {_data("v_cluster", "n.cid", text=False)}, '    </node>') AS x
        FROM nodes n JOIN accounts ac ON ac.aid = n.aid ORDER BY n.i"""
    ).fetchall()
    edges = con.execute(  # type: ignore[attr-defined]
        f"""{graph}
        SELECT concat('    <edge source="n', na.i, '" target="n', nb.i, '">', chr(10),
               {_data("e_weight", "e.weight", text=False)},
               {_data("e_shared", "e.shared", text=False)},
               {_data("e_signals", "e.signals", text=False)},
               {_data("e_cluster", "e.cid", text=False)}, '    </edge>') AS x
        FROM e JOIN nodes na ON na.aid = e.a JOIN nodes nb ON nb.aid = e.b
        ORDER BY e.a, e.b"""
    ).fetchall()
    body = "".join(f"{r[0]}\n" for r in [*nodes, *edges])
    return exports.GRAPHML_HEAD + body + exports.GRAPHML_TAIL


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exports_are_what_the_sorted_sql_writes(
    svc: PatternService, tmp_path: Path, seed: int
) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _rows(seed)), encoding="utf-8")
    result = svc.analyze_file(
        path,
        scope="s",
        mapping={"created_at": "t"},
        params=svc.params(signals="text,url,hashtags", min_shared=1, min_accounts=2),
    )
    assert result.edges >= 10  # enough rows for the order to matter
    out = tmp_path / "out"
    svc.export(result, scope="s", out_dir=out)
    (dataset,) = list((tmp_path / "datasets").rglob("*.duckdb"))
    con = connect(dataset)
    try:
        aid = literal(result.analysis_id)
        expected = {"edges.csv": _expected_edges(aid), "evidence.csv": _expected_evidence(aid)}
        for name, query in expected.items():
            want = tmp_path / f"want-{name}"
            con.execute(f"COPY ({query}) TO {literal(str(want))} (HEADER, DELIMITER ',')")
            assert (out / name).read_bytes() == want.read_bytes(), name
        graphml = (out / "graph.graphml").read_text(encoding="utf-8")
        assert graphml == _expected_graphml(con, aid)
        assert "&amp;" in graphml and "'=HYPERLINK" in (out / "edges.csv").read_text()
        # An item with no label row is exported with an empty label.
        con.execute(f"DELETE FROM items WHERE analysis_id = {aid} AND signal = 'url'")
        con.close()
        again = tmp_path / "again"
        svc.export(result, scope="s", out_dir=again)
        con = connect(dataset)
        want = tmp_path / "want-evidence-nolabel.csv"
        query = _expected_evidence(aid)
        con.execute(f"COPY ({query}) TO {literal(str(want))} (HEADER, DELIMITER ',')")
        assert (again / "evidence.csv").read_bytes() == want.read_bytes()
        assert ',url,"",' in want.read_text()
    finally:
        con.close()


def test_the_byte_scans_agree_with_the_sql(svc: PatternService) -> None:
    import duckdb
    import pyarrow as pa

    values = [*ODD_IDS, "", "ok", "\u0080", "\u009f", "\u00a0", "\u0100", "é=", "-", "x\x00y"]
    con = duckdb.connect()
    con.register("v", pa.table({"v": values}))
    cells = [r[0] for r in con.execute(f"SELECT {cell_sql('v')} FROM v").fetchall()]
    xml = [r[0] for r in con.execute(f"SELECT {xml_sql('v')} FROM v").fetchall()]
    for value, cell, text in zip(values, cells, xml, strict=True):
        one = pa.array([value], pa.string())
        assert export_tables._plain_cells(one) == (cell == value), repr(value)
        assert export_tables._plain_xml(one) == (text == value), repr(value)
        assert export_tables._text(con, one).to_pylist() == [cell]
        assert export_tables._text(con, one, xml=True).to_pylist() == [text]
    con.close()

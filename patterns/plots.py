"""`chorus cluster ID --plot FILE.png`: the cluster's co-posts on a timeline, one row per
account, beside a small network view. matplotlib's Agg canvas, no pyplot global state (safe
from a bot's worker threads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import igraph
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from common.errors import InputError
from patterns.params import ALL_SIGNALS
from patterns.picture_files import check_picture_path, write_picture
from patterns.result_text import SIGNAL_LABELS
from patterns.results import ClusterDetail

COLOURS = dict(
    zip(
        ALL_SIGNALS,
        ("#1f77b4", "#17becf", "#d62728", "#ff9896", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"),
        strict=True,
    )
)
# One shape per signal as well as a colour: two signals at one moment must both show, and
# a reader without colour vision must tell them apart.
MARKERS = dict(zip(ALL_SIGNALS, ("o", "s", "^", "D", "v", "P", "X", "*"), strict=True))
MAX_ROWS = 60
PLOT_FORMATS = ("png", "svg")


def plot_cluster(con: duckdb.DuckDBPyConnection, detail: ClusterDetail, path: Path) -> Path:
    fmt = plot_format(path)  # before any drawing: a wrong name fails at once
    rows = con.execute(
        "SELECT x.account_id, y.account_id, v.signal, v.t_a, v.t_b, e.weight "
        "FROM edges e JOIN evidence v ON v.analysis_id = e.analysis_id AND v.a = e.a AND v.b = e.b "
        "JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b "
        "WHERE e.analysis_id = ? AND e.cluster_id = ?",
        [detail.analysis_id, detail.id],
    ).fetchall()
    members = [m.account_id for m in detail.members]
    first: dict[str, float] = {}
    points: list[tuple[str, float, str]] = []
    for a, b, sig, ta, tb, _w in rows:
        points.append((a, ta, sig))
        points.append((b, tb, sig))
        first[a] = min(first.get(a, ta), ta)
        first[b] = min(first.get(b, tb), tb)
    order = sorted(members, key=lambda m: (first.get(m, float("inf")), m))[:MAX_ROWS]

    fig = Figure(figsize=(13, max(4.0, min(12.0, 0.22 * len(order) + 2))), dpi=100)
    FigureCanvasAgg(fig)
    ax_t, ax_n = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    _draw_timeline(ax_t, points, order, detail.id)
    fig.autofmt_xdate()
    _draw_network(ax_n, rows, members, detail)
    fig.tight_layout()
    write_picture(path, lambda tmp: fig.savefig(str(tmp), format=fmt))
    return path


def _draw_timeline(
    ax: Axes, points: list[tuple[str, float, str]], order: list[str], cluster_id: str
) -> None:
    row_of = {m: i for i, m in enumerate(order)}
    for sig, offset in signal_lanes({s for _a, _t, s in points}).items():
        pts = [(t, row_of[a]) for a, t, s in points if s == sig and a in row_of]
        if pts:
            ax.scatter(
                np.asarray([round(t * 1000) for t, _ in pts], dtype="datetime64[ms]"),
                [y + offset for _, y in pts],
                s=22,
                color=COLOURS[sig],
                marker=MARKERS[sig],
                edgecolors="black",
                linewidths=0.3,
                label=SIGNAL_LABELS[sig],
                alpha=0.85,
            )
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([_short(m) for m in order], fontsize=7)
    ax.invert_yaxis()
    # Evidence keeps one co-post per linked pair and item: said, or a reader takes a later
    # burst that is not drawn for one that did not happen.
    ax.set_xlabel("time (UTC); one co-post shown per linked pair and item, not every repeat")
    ax.set_title(f"Cluster {cluster_id}: co-posts by account", loc="left")
    if points:  # above the axes: inside, it hid the first row's latest markers
        ax.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=4,
            fontsize=7,
            frameon=False,
            borderaxespad=0.2,
            markerscale=1.4,
        )


def _draw_network(ax: Axes, rows: list[Any], members: list[str], detail: ClusterDetail) -> None:
    pairs: dict[tuple[str, str], float] = {}
    for a, b, _s, _ta, _tb, w in rows:
        pairs[(a, b)] = float(w)
    index = {m: i for i, m in enumerate(members)}
    graph = igraph.Graph(
        n=len(members), edges=[(index[a], index[b]) for a, b in pairs if a in index and b in index]
    )
    coords = np.asarray(graph.layout_kamada_kawai().coords if len(members) > 1 else [[0.0, 0.0]])
    weights = np.asarray(list(pairs.values()) or [1.0])
    segs = [[coords[index[a]], coords[index[b]]] for a, b in pairs if a in index and b in index]
    ax.add_collection(
        LineCollection(
            segs, linewidths=0.5 + 2.0 * weights / weights.max(), colors="#888888", alpha=0.6
        )
    )
    ax.scatter(coords[:, 0], coords[:, 1], s=30, color="#d62728", zorder=3)
    if len(members) <= 30:
        for m, (x, y) in zip(members, coords, strict=True):
            ax.annotate(_short(m), (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_title(f"{detail.size} accounts, {detail.edges} links")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.autoscale()


def signal_lanes(present: set[str]) -> dict[str, float]:
    """Each present signal's vertical offset within an account's row.

    Co-posts of several signals often share one moment (the same text with the same link):
    drawn on one line, the last signal hid the others (a new user never saw the
    identical-text marker). Side by side in lanes, every one shows.
    """
    sigs = [s for s in ALL_SIGNALS if s in present]
    step = 0.6 / max(len(sigs), 1)
    return {s: (k - (len(sigs) - 1) / 2) * step for k, s in enumerate(sigs)}


def plot_format(path: Path) -> str:
    """The image format a chart path asks for: its extension, PNG or SVG; others refused."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise InputError(
            f"{path}: charts are written as .png or .svg (the extension chooses the format)"
        )
    check_picture_path(path)
    return fmt


def _short(account: str, width: int = 18) -> str:
    return account if len(account) <= width else account[: width - 1] + "…"

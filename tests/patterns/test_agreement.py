"""Agreement with coordination-network-toolkit 1.5.2 (same input, same window, min weight 1
-> the same account pairs) for co-repost, co-tweet (its text normalisation) and co-link, from
the edges.csv of the `chorus analyze` command itself (`--weighting count --min-shared 1`).
The toolkit is not a project dependency: this runs when benchmarks/.venv-ref has it
(python -m benchmarks.coordination.run installs it) and skips otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.coordination.agreement import (
    chorus_pairs,
    ref_python,
    toolkit_pairs,
    write_toolkit_csv,
)
from tests.support.synthetic import Scenario, generate


@pytest.mark.slow
def test_same_pairs_as_the_toolkit(tmp_path: Path) -> None:
    python = ref_python()
    if python is None:
        pytest.skip("coordination-network-toolkit is not installed in benchmarks/.venv-ref")
    planted = generate(Scenario(organic_accounts=300, organic_posts=3000, viral_items=8))
    path = write_toolkit_csv(planted.table, tmp_path / "toolkit.csv")
    for network in ("co_retweet", "co_tweet", "co_link"):
        ours = chorus_pairs(path, network, 60, tmp_path)
        theirs = toolkit_pairs(python, path, network, 60, tmp_path / f"{network}.db")
        assert ours == theirs, network
        assert ours, network  # something to agree on

"""text_sql collapses whitespace by rewriting only the runs that are not one plain space:
texts dense in runs of every kind of space (and zero-width characters) must still come out
as the Python reference makes them."""

from __future__ import annotations

from typing import Literal

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.normalise import text_match_key, text_sql

# Plain spaces, other whitespace, zero-width characters, and a few letters between them.
RUNS = st.text(
    alphabet=st.sampled_from(
        [" ", " ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "a", "é"]
    ),
    max_size=40,
)
CON = duckdb.connect()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(RUNS)
def test_whitespace_runs_agree_with_python(text: str) -> None:
    modes: tuple[Literal["chorus", "toolkit"], ...] = ("chorus", "toolkit")
    for mode in modes:
        got = CON.execute(f"SELECT {text_sql('?', mode)}", [text]).fetchone()
        assert got == (text_match_key(text, mode),), (mode, text)

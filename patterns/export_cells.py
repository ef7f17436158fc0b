"""Cell values that spreadsheets and graph tools open as plain text.

Exports carry text from the dataset (account ids and names, post ids, shared texts), which
is the data of whoever made the dataset. A cell starting with = + - @ opens as a formula in
a spreadsheet (the CSV injection OWASP describes), so it gets a leading apostrophe, which
spreadsheets show as text; control characters (C0, DEL, C1) are removed, since they break
XML (GraphML) and forge lines or colours in terminals. Every export calls these.
"""

from __future__ import annotations

import re
from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@")
_CONTROL_CLASS: Final = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL: Final = re.compile(_CONTROL_CLASS)


def strip_control(value: str) -> str:
    """`value` without control characters (XML 1.0 cannot hold most of them)."""
    return _CONTROL.sub("", value)


def export_cell(value: str) -> str:
    """A text cell for a CSV export: no control characters, never a formula."""
    text = strip_control(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_cell_sql(expr: str) -> str:
    """`export_cell` as a DuckDB SQL expression over `expr` (a VARCHAR), for COPY exports."""
    stripped = f"regexp_replace(CAST({expr} AS VARCHAR), '{_CONTROL_CLASS}', '', 'g')"
    starts = ", ".join(f"'{c}'" for c in FORMULA_START)
    return (
        f"CASE WHEN left({stripped}, 1) IN ({starts}) THEN '''' || {stripped} ELSE {stripped} END"
    )

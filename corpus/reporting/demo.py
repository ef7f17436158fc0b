"""The bundled demo source (see corpus/reporting/demo/ATTRIBUTION.md)."""

from __future__ import annotations

from importlib import resources

from corpus.reporting.documents import SourceDocument, make_document

DEMO_FILE = "bloomberg_campaign_accounts.txt"
DEMO_TITLE = (
    "Bloomberg campaign accounts suspended by Twitter; NDA releases "
    "(a reader's post quoting the LA Times and Mother Jones, Feb 2020)"
)
DEMO_ORIGIN = "chorus:demo/" + DEMO_FILE


def demo_document() -> SourceDocument:
    text = (
        resources.files("corpus.reporting").joinpath("demo", DEMO_FILE).read_text(encoding="utf-8")
    )
    return make_document(text, title=DEMO_TITLE, origin=DEMO_ORIGIN, kind="text")

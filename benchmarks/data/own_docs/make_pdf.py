"""Write vaccine_rumours.pdf, the PDF of the own question set, reproducibly.

    python benchmarks/data/own_docs/make_pdf.py

matplotlib (already a dependency) lays out the text; fonts are embedded as TrueType (so the
text can be extracted) and the creation date is left out, so the bytes repeat.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLE = "Vaccine Rumour Network: Quarterly Transparency"
PARAGRAPHS = [
    "This report covers the second quarter of 2024. It describes a network of accounts that "
    "spread false claims about a childhood vaccine on three platforms, and what was done "
    "about it.",
    "Between April and June we identified 1,870 accounts that belonged to the network. The "
    "accounts posted the same video clips and the same misleading chart, usually within ten "
    "minutes of one another.",
    "The network's main claim was that the vaccine had been withdrawn in Denmark. That claim is "
    "false: Danish health authorities confirmed that the vaccine remains in the national "
    "programme.",
    "We removed 1,420 of the accounts for coordinated inauthentic behaviour. The remaining 450 "
    "accounts received warning labels because they also shared genuine personal posts.",
    "Most of the network's accounts were operated from two countries, and about a quarter of "
    "them had changed their names at least twice since January.",
    "Appeals were handled by an independent review panel. It reinstated 35 accounts after "
    "finding that their owners were real parents who had reshared the clips.",
]


def main() -> None:
    matplotlib.rcParams["pdf.fonttype"] = 42
    fig = plt.figure(figsize=(8.27, 11.69))
    y = 0.93
    fig.text(0.08, y, TITLE, fontsize=15, weight="bold")
    y -= 0.05
    for paragraph in PARAGRAPHS:
        for line in textwrap.wrap(paragraph, 88):
            fig.text(0.08, y, line, fontsize=10)
            y -= 0.022
        y -= 0.018
    out = Path(__file__).with_name("vaccine_rumours.pdf")
    fig.savefig(out, format="pdf", metadata={"Title": TITLE, "Creator": None, "CreationDate": None, "Producer": None})
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.sentences import split_sentences


def test_offsets_are_exact_and_initials_do_not_split() -> None:
    text = (
        "Courtesy of the LA Times:\n\nMichael R. Bloomberg’s campaign hired staff. It paid $2,500."
    )
    spans = split_sentences(text, offset=100)
    assert [s.text for s in spans] == [
        "Courtesy of the LA Times:",
        "Michael R. Bloomberg’s campaign hired staff.",
        "It paid $2,500.",
    ]
    for s in spans:
        assert text[s.start - 100 : s.end - 100] == s.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sen. Elizabeth Warren spoke. Then he left.", 2),
        ("He entered the race on Nov. 24. Nobody was surprised.", 2),
        ("“We act,” a spokesman said. Some are permanent.", 2),
        ("Really? Using Kremlin techniques?", 2),
        ("Wow! It works... or does it? Yes.", 3),
        ("A list:\n- first item\n- second item", 3),
        ("e.g. this stays whole. Next.", 2),
    ],
)
def test_boundaries(text: str, expected: int) -> None:
    assert len(split_sentences(text)) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_spans_always_map_back_to_the_text(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
        assert s.text


def test_stems_join_acronym_plurals_and_irregular_verbs() -> None:
    from retrieval.lexical import content_stems

    assert content_stems("NDAs") == content_stems("NDA") == ["nda"]
    assert content_stems("They were paid") == content_stems("pay")
    assert content_stems("How many accounts did Twitter suspend?") == [
        "account",
        "twitter",
        "suspend",
    ]


# The splitter's table: each text, and the sentences it must give (issue 9, point 4).
SPLIT_TABLE = [
    ("He is Robert Paulson, a.k.a. Bob. He works nights.", 2),
    ("The U.S. Senate voted. It passed.", 2),
    ("Bloomberg entered the race on Nov. 24. Nobody was surprised.", 2),
    ("Dr. Smith arrived late. He sat down.", 2),
    ("Fruit, e.g. apples, is sweet. So is honey.", 2),
    ("They met at St. Paul's Cathedral. Then they left.", 2),
    ("The deal was worth $1.2 million. It closed in May.", 2),
    ("Turnout rose 3.5 percent in 2020. Analysts cheered.", 2),
    ('"Stop," he said. "Now." She left.', 3),
    ("He said, “It’s over.” Then he left.", 2),
    ("Wait... what happened? Nothing.", 2),
    ("He paused … Then he spoke again.", 2),
    ("Findings:\n1. Accounts were new.\n2. Posts were identical.", 3),
    ("Steps:\n- collect posts\n- find clusters\n* report them", 4),
    ("See Fig. 2 for the timeline. It is clear.", 2),
    ("Mr. and Mrs. Smith came at 5 p.m. sharp. They stayed.", 2),
    ("The remaining\n450 accounts received labels. That claim\nis false.", 2),
    ("Who was behind it\nThe submissions were traced to a firm.", 2),
    ("# Heading\nThe text under it. More text.", 3),
    ("It ends here [1]. then a cited one [2]. Next.", 3),  # a marker closes a sentence
    ("As in fig. [3] the text goes on.", 1),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_TABLE)
def test_split_table(text: str, expected: int) -> None:
    spans = split_sentences(text)
    assert len(spans) == expected, [s.text for s in spans]
    for s in spans:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Steps:\n- collect posts\n* find clusters\n• report",
            ["Steps:", "collect posts", "find clusters", "report"],
        ),
        (
            "Findings:\n1. Accounts were new.\n  2) Posts matched.",
            ["Findings:", "Accounts were new.", "Posts matched."],
        ),
        # Not a marker: a minus sign, a dash inside a line, a decimal number.
        (
            "-5 degrees at night. It fell - 5 points.",
            ["-5 degrees at night.", "It fell - 5 points."],
        ),
        ("3.5 percent rose.\n- ", ["3.5 percent rose."]),
    ],
)
def test_a_list_item_sentence_starts_after_its_marker(text: str, expected: list[str]) -> None:
    spans = split_sentences(text, offset=7)
    assert [s.text for s in spans] == expected
    for s in spans:
        assert text[s.start - 7 : s.end - 7] == s.text


def test_wrapped_pdf_line_stays_one_sentence() -> None:
    text = "We removed 1,420 of the accounts. The remaining\n450 accounts received labels."
    assert [s.text for s in split_sentences(text)][
        1
    ] == "The remaining\n450 accounts received labels."


def test_hard_wrapped_plain_text_keeps_sentences_whole_but_not_title_lines() -> None:
    # A report wrapped at ~75 columns: the next line may start with a capital (a name).
    text = (
        "Field notes on the flood\n"
        "We have taken enforcement action on a group of accounts for violating our\n"
        "rules against platform manipulation, a Twitter spokesman said on Friday to\n"
        "Reuters. Some of the suspensions will be permanent."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Field notes on the flood",
        "We have taken enforcement action on a group of accounts for violating our\n"
        "rules against platform manipulation, a Twitter spokesman said on Friday to\n"
        "Reuters.",
        "Some of the suspensions will be permanent.",
    ]


def test_no_sentence_crosses_a_context_line() -> None:
    # A heading long enough to read as wrapped prose, with no full stop: without the break it
    # ran on into the paragraph under it and was quoted with it (the HTML page's <h1>).
    heading = "Fake rider reviews flooded the transit authority's survey"
    text = f"{heading}\nThe survey received 31,000 responses. Most were fake."
    assert split_sentences(text)[0].text.startswith(heading + "\nThe survey")
    spans = split_sentences(text, offset=10, breaks=[(10, 10 + len(heading))])
    assert [s.text for s in spans] == [
        heading,
        "The survey received 31,000 responses.",
        "Most were fake.",
    ]
    for s in spans:
        assert text[s.start - 10 : s.end - 10] == s.text
    # Breaks outside the text, or at its edges, change nothing.
    assert split_sentences(text, breaks=[(0, 0), (500, 600)]) == split_sentences(text)

"""Fixed phrases every front end and test can import."""

from __future__ import annotations

# Said when the sources do not hold enough evidence. The model is told to answer with exactly
# this sentence too, so a refusal is recognised whichever way the answer was made.
REFUSAL = "I can't answer that from the sources I have."

VERDICTS = ("supported", "refuted", "conflicting", "not_enough_evidence")
EVIDENCE_ONLY = "evidence_only"

EXPLAIN_EVIDENCE_ONLY = (
    "No model is configured to weigh the evidence, so no verdict is given. "
    "These are the passages most relevant to the claim."
)
EXPLAIN_NOT_ENOUGH = "The sources hold nothing close enough to this claim to judge it."
# Where a number, date or count of the claim differs from the same slot in strong evidence.
MISMATCH = "The claim says {claim}; [{n}] says {evidence}."
EXPLAIN_MISMATCH_UNCHECKED = (
    "The model's verdict did not account for a figure the evidence gives differently, "
    "so it is not shown."
)
EXPLAIN_UNBACKED = "The model's verdict did not cite valid evidence, so it is not shown."

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

# `ask` with a question of the shape "Is the claim that X true?": answered by a claim check.
CLAIM_VERDICTS = {
    "supported": "Checked against the sources, the claim is supported.",
    "refuted": "Checked against the sources, the claim is refuted.",
    "conflicting": "Checked against the sources, the evidence on the claim conflicts.",
    "not_enough_evidence": "The sources do not hold enough to judge the claim.",
}
# A sentence that only reports the claim being made ("Opponents say X") is not an answer to it.
CLAIM_REPORTED = {
    1: "Source {refs} only reports that the claim is made.",
    2: "Sources {refs} only report that the claim is made.",
}
REPORTS_LABEL = "only reports the claim"  # beside such a source in a check's evidence list

"""Tuning knobs of the retrieval layer (part of the settings tree, group `retrieval`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RetrievalConfig(BaseModel):
    """Chunking, search and answering parameters. Defaults are the measured ones (README)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_tokens: int = Field(160, ge=16, le=512, description="chunk size in tiktoken tokens")
    chunk_overlap: int = Field(32, ge=0, le=256, description="overlap between chunks, tokens")
    encoding: str = Field("cl100k_base", description="tiktoken encoding for chunking and budgets")
    top_k: int = Field(6, ge=1, le=50, description="chunks handed to the answerer")
    candidates: int = Field(30, ge=1, le=500, description="hits taken from each retriever")
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    min_evidence: float = Field(
        0.18,
        ge=0.0,
        le=1.0,
        description=(
            "refuse when no sentence's answer probability reaches this (the 160 user-style "
            "calibration questions' balanced accuracy is flat from 0.12 to 0.24, best at 0.12; "
            "with SQuAD's validation articles it would be 0.31: "
            "python -m benchmarks.retrieval.fit_scorer)"
        ),
    )
    min_claim_evidence: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="claim checks show evidence scoring at least this (it may disagree)",
    )
    max_scored_sentences: int = Field(
        16, ge=1, le=500, description="candidate sentences the scorer reads per question"
    )
    sentence_scorer: Literal["cross_encoder", "features"] = Field(
        "features",
        description=(
            "what scores candidate sentences: the fitted logistic scorer (features) or a "
            "cross-encoder that reads question and sentence together (needs a model from "
            "python -m benchmarks.retrieval.fit_cross_encoder; it did not beat features)"
        ),
    )
    cross_encoder_file: str = Field(
        "",
        description=(
            "cross-encoder ONNX file (model.json beside it); empty: "
            "retrieval/model_files/cross_encoder/model.onnx, written by the refit (none ships)"
        ),
    )
    scorer_file: str = Field(
        "", description="logistic scorer parameters file; empty: the one shipped with Chorus"
    )
    max_answer_sentences: int = Field(
        3, ge=1, le=10, description="sentences in an extractive answer"
    )
    context_tokens: int = Field(3000, ge=256, description="token budget of the model's context")
    max_chunks_per_source: int = Field(
        25_000, ge=1, description="most chunks one source may make (about 4 MB of text)"
    )
    embed_batch: int = Field(32, ge=1, le=512, description="texts per embedding batch")

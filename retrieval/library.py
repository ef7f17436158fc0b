"""The reporting library: adds, removes and re-indexes sources across catalog and vector index,
and answers from them. The catalog (SQLite) is the truth; the vector index is derived.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.errors import ChorusError, Hint, NotFoundError
from common.progress import Progress, no_progress
from corpus.reporting.documents import SourceDocument
from retrieval.authorship import asks_author, byline_answer
from retrieval.catalog import Catalog
from retrieval.catalog_records import ChunkRecord, SourceRecord
from retrieval.citations import Answer
from retrieval.claim_check import CheckResult, check_claim, reports_claim
from retrieval.claim_context import gather
from retrieval.claim_questions import claim_answer, claim_asked, yes_no_claim
from retrieval.config import RetrievalConfig
from retrieval.cross_encoder import MODEL_FILE as CROSS_ENCODER_FILE
from retrieval.cross_encoder import CrossEncoder, load_cross_encoder
from retrieval.embeddings import MODEL_ID, MiniLMEmbeddings
from retrieval.extractive import Candidate, candidate_sentences, extractive_answer
from retrieval.generated import build_passages, generated_answer
from retrieval.lexical import content_stems
from retrieval.search import Hit, HybridSearcher, Mode, QueryVectors
from retrieval.sentence_scorer import SCORER_FILE, SentenceScorer, load_scorer
from retrieval.source_store import AddResult, SourceStore
from retrieval.tokens import install_offline_encodings
from retrieval.vector_store import COLLECTION, VectorIndex

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)


class Library:
    def __init__(
        self,
        data_dir: Path,
        config: RetrievalConfig,
        *,
        chroma_url: str = "",
        collection: str = COLLECTION,
        embeddings: MiniLMEmbeddings | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.config = config
        self.chroma_url = chroma_url
        self.collection = collection
        self.catalog = Catalog(data_dir / "catalog.sqlite3")
        self.embeddings = embeddings or MiniLMEmbeddings(batch_size=config.embed_batch)
        self._index: VectorIndex | None = None
        self._searcher: HybridSearcher | None = None
        self._sentence_vectors = QueryVectors(self.embeddings, size=8192)
        self._lock = threading.Lock()
        self.store = SourceStore(
            self.catalog, lambda: self.index, lambda: self.config, self._encodings
        )
        self._check_embedding_model()

    def _check_embedding_model(self) -> None:
        recorded = self.catalog.get_meta("embedding_model")
        if recorded is None:
            self.catalog.set_meta("embedding_model", MODEL_ID)
        elif recorded != MODEL_ID:
            raise ChorusError(
                f"the index was built with {recorded}, this version uses {MODEL_ID}: run ",
                Hint.command("sources reindex"),
            )

    # -- components, made on first use (importing Chroma costs about a second) ----------
    @property
    def index(self) -> VectorIndex:
        with self._lock:
            if self._index is None:
                self._index = VectorIndex(
                    self.embeddings,
                    persist_dir=None if self.chroma_url else self.data_dir / "chroma",
                    server_url=self.chroma_url,
                    collection=self.collection,
                )
            return self._index

    @property
    def searcher(self) -> HybridSearcher:
        index = self.index
        with self._lock:
            if self._searcher is None:
                self._searcher = HybridSearcher(
                    self.catalog,
                    index,
                    self.embeddings,
                    candidates=self.config.candidates,
                    rrf_k=self.config.rrf_k,
                )
            return self._searcher

    def _encodings(self) -> None:
        install_offline_encodings(self.data_dir / "cache" / "tiktoken")

    # -- sources --------------------------------------------------------------------------
    def find(self, sha256: str, scope: str) -> SourceRecord | None:
        """The ready source in `scope` with this content (its oldest copy), if any."""
        return self.store.find(sha256, scope)

    def add(
        self,
        doc: SourceDocument,
        *,
        scope: str,
        added_by: str,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> AddResult:
        """Chunk, embed and store one document, all or nothing."""
        result = self.add_many(
            [doc], scope=scope, added_by=added_by, progress=progress, force=force
        )[0]
        if isinstance(result, ChorusError):
            raise result
        return result

    def add_many(
        self,
        docs: Sequence[SourceDocument],
        *,
        scope: str,
        added_by: str,
        progress: Progress = no_progress,
        force: bool = False,
    ) -> list[AddResult | ChorusError]:
        """Several documents, each all or nothing (see SourceStore.add_many)."""
        return self.store.add_many(
            docs, scope=scope, added_by=added_by, progress=progress, force=force
        )

    def get(self, source_id: str, scopes: Sequence[str]) -> SourceRecord:
        record = self.catalog.get_source(source_id, scopes)
        if record is None:
            raise NotFoundError(f"no source with id {source_id}")
        return record

    def sources(self, scopes: Sequence[str]) -> list[SourceRecord]:
        return self.catalog.list_sources(scopes)

    def remove(self, source_id: str, *, scope: str) -> SourceRecord:
        """Remove a source of `scope` from both stores (deleting-mark first: crash-safe)."""
        return self.store.remove(self.get(source_id, [scope]))

    def reindex(self, progress: Progress = no_progress) -> int:
        """Rebuild the vector index from the catalog; returns the number of chunks indexed."""
        return self.store.reindex(progress)

    def index_chunks(self, batch: Sequence[tuple[ChunkRecord, str]]) -> None:
        self.store.index_chunks(batch)

    # -- answering ------------------------------------------------------------------------
    def retrieve(
        self, query: str, scopes: Sequence[str], *, k: int | None = None, mode: Mode = "hybrid"
    ) -> tuple[list[Hit], dict[str, float]]:
        """Top hits and each hit's cosine similarity to the query."""
        searcher = self.searcher
        hits = searcher.search(query, scopes, k or self.config.top_k, mode)
        sims = {h.chunk.id: h.dense for h in hits if h.dense is not None}
        missing: dict[str, list[str]] = {}
        for h in hits:
            if h.dense is None:  # found by keyword only: its vector gives a comparable score
                missing.setdefault(h.chunk.scope, []).append(h.chunk.id)
        if missing:
            qv = searcher.vectors.get(query)
            for scope, ids in missing.items():
                for cid, vec in self.index.vectors(ids, scope).items():
                    sims[cid] = float(np.dot(qv, np.asarray(vec, dtype=np.float32)))
        return hits, sims

    @property
    def scorer(self) -> SentenceScorer:
        return load_scorer(
            Path(self.config.scorer_file) if self.config.scorer_file else SCORER_FILE
        )

    @property
    def cross_encoder(self) -> CrossEncoder:
        return load_cross_encoder(
            Path(self.config.cross_encoder_file)
            if self.config.cross_encoder_file
            else CROSS_ENCODER_FILE
        )

    def candidates(
        self,
        question: str,
        scopes: Sequence[str],
        retrieved: tuple[list[Hit], dict[str, float]] | None = None,
    ) -> list[Candidate]:
        """Scored candidate quotes; `retrieved`: the search for `question` already made."""
        # A missing or damaged model file stops here, before any search.
        joint = self.config.sentence_scorer == "cross_encoder"
        encoder = self.cross_encoder if joint else None
        scorer = None if joint else self.scorer
        if encoder is not None:
            encoder.check()
        if not content_stems(question):
            return []  # only stopwords, emoji or punctuation: nothing to look for
        hits, sims = retrieved or self.retrieve(question, scopes)
        if encoder is not None:
            return candidate_sentences(
                question,
                hits,
                sims,
                self.catalog,
                scorer=None,
                max_scored=self.config.max_scored_sentences,
                cross_encoder=encoder,
            )
        return candidate_sentences(
            question,
            hits,
            sims,
            self.catalog,
            scorer=scorer,
            query_vector=self.searcher.vectors.get(question),
            embed=self._sentence_vectors.get_many,
            max_scored=self.config.max_scored_sentences,
        )

    def ask(
        self,
        question: str,
        scopes: Sequence[str],
        *,
        model: BaseChatModel | None = None,
        model_name: str = "",
        history: tuple[str, str] | None = None,
    ) -> Answer:
        claim = claim_asked(question)
        if claim is not None:  # "Is it true that X?": the evidence about X, not X restated
            result = self.check(claim, scopes, model=model, model_name=model_name)
            return claim_answer(question, result, mode="extractive" if model is None else "llm")
        # A follow-up is retrieved with the earlier question, so "and why?" finds its topic.
        query = f"{history[0]} {question}" if history else question
        retrieved = None
        if asks_author(question) and content_stems(question):
            retrieved = self.retrieve(query, scopes)  # searched once, also for what follows
            byline = byline_answer(question, retrieved[0], self.sources(scopes), self.catalog)
            if byline is not None:  # "Who wrote it?": the byline, which answers nothing else
                return byline
        if model is None:
            answer = extractive_answer(
                question,
                self.candidates(query, scopes, retrieved),
                min_evidence=self.config.min_evidence,
                max_sentences=self.config.max_answer_sentences,
            )
            asked = yes_no_claim(question)
            if asked and any(reports_claim(asked, c.quote) for c in answer.citations):
                # "Did X?" answered by "A post claims X" reads as a yes: check X instead.
                return claim_answer(question, self.check(asked, scopes), mode="extractive")
            return answer
        self._encodings()
        hits, sims = retrieved or self.retrieve(query, scopes)
        return generated_answer(
            question,
            build_passages(hits, sims, self.catalog),
            model=model,
            model_name=model_name,
            context_tokens=self.config.context_tokens,
            encoding=self.config.encoding,
            history=history,
        )

    def check(
        self,
        claim: str,
        scopes: Sequence[str],
        *,
        model: BaseChatModel | None = None,
        model_name: str = "",
    ) -> CheckResult:
        candidates = self.candidates(claim, scopes)
        floor = self.config.min_claim_evidence
        return check_claim(
            claim,
            candidates,
            min_evidence=floor,
            gathered=gather(claim, candidates, self.catalog, floor),
            model=model,
            model_name=model_name,
        )

"""The parts the Assistant is made of, each built on first use from the settings: the
library (catalog, vectors, answers), the chat model, the pattern service and the analysis
reader. Retrieval and the engine are imported only when first used, so `chorus analyze`
never loads retrieval and a question never loads the engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from bot.settings import Settings
    from corpus.web.policy import FetchPolicy
    from patterns.reader import AnalysisReader
    from patterns.service import PatternService
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library


def fetch_policy(settings: Settings, *, timeout_s: float, max_bytes: int) -> FetchPolicy:
    """What URL fetches may reach and how much they may read (sources and images differ
    only in time and size)."""
    from corpus.web.policy import FetchPolicy  # noqa: PLC0415 - loaders import heavy parsers

    return FetchPolicy(
        allow_private=settings.allow_private_urls,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
        max_redirects=settings.limits.url_max_redirects,
        allowed_networks=settings.allowed_url_networks,
    )


class Components:
    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: MiniLMEmbeddings | None = None,
        chat_model: BaseChatModel | None = None,
        on_library_open: Callable[[Library], None] = lambda library: None,
    ) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._on_library_open = on_library_open
        self._lock = threading.Lock()
        self._library: Library | None = None
        self._patterns: PatternService | None = None
        self._reader: AnalysisReader | None = None

    @property
    def library(self) -> Library:
        with self._lock:
            if self._library is None:
                from retrieval.library import Library  # noqa: PLC0415

                self._library = Library(
                    self.settings.data_dir,
                    self.settings.retrieval,
                    chroma_url=self.settings.chroma_url,
                    collection=self.settings.chroma_collection,
                    embeddings=self._embeddings,
                )
                self._on_library_open(self._library)
            return self._library

    @property
    def model_name(self) -> str:
        """What answers name as their author: the CHORUS_LLM spec, or an injected model's name."""
        if self.settings.llm or self._chat_model is None:
            return self.settings.llm
        return str(getattr(self._chat_model, "model_name", "") or type(self._chat_model).__name__)

    def chat_model(self) -> BaseChatModel | None:
        """The configured model, loaded on first use; None means extractive answers."""
        with self._lock:
            if self._chat_model is None and self.settings.llm:
                from retrieval.chat_model import load_chat_model  # noqa: PLC0415

                self._chat_model = load_chat_model(
                    self.settings.llm,
                    timeout_s=self.settings.llm_timeout_s,
                    base_url=self.settings.llm_base_url,
                )
            return self._chat_model

    def source_fetch_policy(self) -> FetchPolicy:
        limits = self.settings.limits
        return fetch_policy(
            self.settings, timeout_s=limits.url_timeout_s, max_bytes=limits.max_source_bytes
        )

    @property
    def patterns(self) -> PatternService:
        with self._lock:
            if self._patterns is None:
                from corpus.posts.image_sources import ImageLimits  # noqa: PLC0415
                from patterns.service import PatternService  # noqa: PLC0415 - DuckDB, igraph

                limits = self.settings.limits
                images = self.settings.images
                self._patterns = PatternService(
                    self.settings.data_dir / "datasets",
                    self.settings.analysis,
                    max_rows=limits.max_dataset_rows,
                    max_bytes=limits.max_dataset_bytes,
                    max_field_chars=limits.max_field_chars,
                    max_columns=limits.max_columns,
                    max_items_per_post=limits.max_items_per_post,
                    max_unpack_ratio=limits.max_unpack_ratio,
                    memory_limit=limits.analysis_memory,
                    temp_dir=limits.analysis_temp_dir,
                    images=ImageLimits(
                        fetch=images.fetch,
                        max_image_bytes=images.max_image_bytes,
                        max_total_bytes=images.max_total_bytes,
                        max_pixels=images.max_pixels,
                        max_images=images.max_images,
                        concurrency=images.concurrency,
                    ),
                    image_cache=self.settings.data_dir / "images" / "cache.sqlite",
                    fetch_policy=fetch_policy(
                        self.settings, timeout_s=images.timeout_s, max_bytes=images.max_image_bytes
                    ),
                )
            return self._patterns

    @property
    def reader(self) -> AnalysisReader:
        """Stored analyses, read for questions without loading the engine."""
        with self._lock:
            if self._reader is None:
                from patterns.reader import AnalysisReader  # noqa: PLC0415 - DuckDB

                self._reader = AnalysisReader(self.settings.data_dir / "datasets")
            return self._reader

    def close(self) -> None:
        """Let go of open dataset files (they are locked against other processes)."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()

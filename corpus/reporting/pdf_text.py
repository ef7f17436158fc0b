"""PDF bytes to text and title, with pypdf, bounded against hostile files.

pypdf's own limits (stream sizes, array lengths, page tree depth) stop decompression bombs
inside one object; the limits here bound the whole document: pages, extracted text and time.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import Any, Final

import pypdf
from pypdf.errors import DependencyError, LimitReachedError

from common.errors import InputError, LimitError

logger = logging.getLogger(__name__)

MAX_PDF_PAGES: Final = 5_000
NO_TEXT_HINT: Final = "no extractable text — scanned image? run OCR first"


@contextlib.contextmanager
def _bounded() -> Iterator[None]:
    """Tighter pypdf limits for this extraction only (a context variable, so thread-safe)."""
    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:  # pypdf < 7 has only its built-in module-level limits
        yield
        return
    # Never shell out to jbig2dec for images: text extraction does not need them.
    with apply(jbig2dec_binary=None):
        yield


def _metadata_title(reader: pypdf.PdfReader) -> str | None:
    try:
        meta = reader.metadata
        title: Any = meta.title if meta is not None else None
    except Exception:  # metadata is optional; a broken info dict must not lose the text
        return None
    return title if isinstance(title, str) and title.strip() else None


def pdf_to_text(
    data: bytes,
    *,
    name: str,
    max_text_bytes: int,
    max_pages: int = MAX_PDF_PAGES,
) -> tuple[str, str | None]:
    """Text of every page, pages joined by a blank line, and the metadata title.

    InputError for encrypted, corrupt or image-only PDFs; LimitError past `max_pages` or past
    `max_text_bytes` of extracted text. (Time is bounded by the caller, see reporting.py.)
    """
    pages: list[str] = []
    total = 0
    try:
        with _bounded():
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                _decrypt(reader, name)
            count = len(reader.pages)
            if count > max_pages:
                raise LimitError(f"{name}: the PDF has {count} pages; the limit is {max_pages}")
            for number, page in enumerate(reader.pages, start=1):
                text = page.extract_text() or ""
                total += len(text.encode("utf-8", "surrogatepass"))
                if total > max_text_bytes:
                    raise LimitError(
                        f"{name}: the PDF's text is over the {max_text_bytes:,}-byte limit "
                        f"(reached at page {number} of {count})"
                    )
                if text.strip():
                    pages.append(text)
            title = _metadata_title(reader)
    except InputError:
        raise
    except LimitReachedError as exc:
        raise LimitError(f"{name}: the PDF exceeds a safety limit ({_reason(exc)})") from None
    except Exception as exc:  # pypdf raises many kinds on malformed input; all mean "corrupt"
        logger.debug("pypdf failed on %s", name, exc_info=True)
        raise InputError(
            f"{name}: not a readable PDF (corrupt or truncated: {_reason(exc)})"
        ) from None
    if not pages:
        raise InputError(f"{name}: {NO_TEXT_HINT}")
    return "\n\n".join(pages), title


def _decrypt(reader: pypdf.PdfReader, name: str) -> None:
    # Many PDFs are encrypted only to restrict printing or copying, with an empty password
    # for reading; those open. Anything else needs the user to remove the password.
    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise InputError(
            f"{name}: the PDF is AES-encrypted and the 'cryptography' package is not installed "
            "to open it; install it, or save an unencrypted copy"
        ) from None
    if not opened:
        raise InputError(
            f"{name}: the PDF is encrypted (password-protected); remove the password first"
        )


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"

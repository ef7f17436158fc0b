"""Optional chat model for generated answers and verdicts, through LangChain's init_chat_model.

Any failure (missing integration package, bad spec, unreachable server, timeout) becomes one
ChatModelError line; retries are off so an unreachable model fails in seconds, not minutes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from common.errors import ChorusError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)


class ChatModelError(ChorusError):
    """The configured model cannot be loaded or did not answer."""


def load_chat_model(spec: str, *, timeout_s: float, base_url: str = "") -> BaseChatModel:
    from langchain.chat_models import init_chat_model  # noqa: PLC0415 - only with CHORUS_LLM

    provider = spec.split(":", 1)[0] if ":" in spec else ""
    kwargs: dict[str, Any] = {}
    if provider == "ollama":
        kwargs["client_kwargs"] = {"timeout": timeout_s}
        if base_url:
            kwargs["base_url"] = base_url
    else:
        kwargs.update(timeout=timeout_s, max_retries=0)
        if base_url:
            kwargs["base_url"] = base_url
    try:
        model: BaseChatModel = init_chat_model(spec, **kwargs)
        return model
    except ImportError as exc:
        raise ChatModelError(f"CHORUS_LLM={spec}: {_first_line(exc)}") from None
    except Exception as exc:  # ValueError for a bad spec, provider errors for missing keys
        raise ChatModelError(f"bad setting CHORUS_LLM={spec!r}: {_first_line(exc)}") from None


def complete(model: BaseChatModel, system: str, user: str, *, name: str) -> str:
    """The model's reply text to one system + user turn."""
    from langchain_core.messages import HumanMessage, SystemMessage  # noqa: PLC0415

    try:
        reply = model.invoke([SystemMessage(system), HumanMessage(user)])
    except Exception as exc:  # each provider raises its own types; all mean "no answer"
        raise ChatModelError(
            f"the model {name} did not answer ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    return str(reply.text)  # the text blocks of a reply made of content blocks, joined


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]

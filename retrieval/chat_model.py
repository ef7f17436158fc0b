"""Optional chat model for generated answers and verdicts, through LangChain's init_chat_model.

Any failure (missing integration package, bad spec, unreachable server, timeout) becomes one
ChatModelError line; retries are off so an unreachable model fails in seconds, not minutes.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
from typing import TYPE_CHECKING, Any

from common.errors import ChorusError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)


class ChatModelError(ChorusError):
    """The configured model cannot be loaded or did not answer."""


SPEC_FORM = "provider:model, e.g. ollama:llama3.1 or openai:gpt-4o-mini"


def _providers() -> dict[str, str]:
    """init_chat_model's providers, each with the module its integration lives in.

    LangChain keeps the table private; if a release drops it, providers go unchecked here
    and init_chat_model's own error still names the problem."""
    from langchain.chat_models import base  # noqa: PLC0415 - only with CHORUS_LLM

    table = getattr(base, "_BUILTIN_PROVIDERS", None)
    if not isinstance(table, dict):
        return {}
    return {name: str(entry[0]) for name, entry in table.items()}


def spec_problem(spec: str) -> str | None:
    """What is wrong with the CHORUS_LLM spec, found without loading or calling the model
    (so `chorus doctor` can say it); None when it is empty or looks usable."""
    if not spec:
        return None
    provider, _, model = spec.partition(":")
    if not provider.strip() or not model.strip():
        return f"bad setting CHORUS_LLM={spec!r}: write it as {SPEC_FORM}"
    providers = _providers()
    if not providers:
        return None
    if provider not in providers:
        close = difflib.get_close_matches(provider, list(providers), n=2, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}?" if close else "one of " + ", ".join(providers)
        return f"bad setting CHORUS_LLM={spec!r}: unknown provider {provider!r}; {hint}"
    package = providers[provider].split(".", 1)[0]
    # ollama also works through langchain_community, as init_chat_model allows.
    found = [importlib.util.find_spec(m) for m in (package, "langchain_community")]
    if found[0] is None and not (provider == "ollama" and found[1] is not None):
        pip = package.replace("_", "-")
        return (
            f"CHORUS_LLM={spec}: the provider's package {pip} is not installed (pip install {pip})"
        )
    return None


def load_chat_model(spec: str, *, timeout_s: float, base_url: str = "") -> BaseChatModel:
    from langchain.chat_models import init_chat_model  # noqa: PLC0415 - only with CHORUS_LLM

    problem = spec_problem(spec)
    if problem is not None:  # in Chorus' words, not init_chat_model's ("model_provider")
        raise ChatModelError(problem)

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

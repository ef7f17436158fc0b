"""Domain errors shared by every layer; front ends turn them into one user-facing line.

A message that points the user at something they can change (an option, a setting, a
command, a permission) carries it as a `Hint` among its parts instead of naming it the way
one front end would: the CLI words `Hint.option("min_accounts", "2")` as `--min-accounts 2`,
Discord as a slash-command option `min_accounts: 2`. `str(error)` words hints neutrally (for
logs); front ends call `error.worded(their_wording)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

HintKind = Literal["option", "setting", "command", "permission"]


@dataclass(frozen=True)
class Hint:
    """Something the user can change, named by each front end in its own terms.

    kind "option": an option of the command that was run; `name` is its parameter name
    (min_accounts), `value` an example value to show with it ("2", "text=COLUMN").
    kind "setting": an environment setting, `name` as written (CHORUS_ANALYSIS__ENGINE).
    kind "command": a command, `name` its words after the program's name ("sources reindex").
    kind "permission": a right the requester lacks; `name` is "moderate".
    """

    kind: HintKind
    name: str
    value: str = ""

    @classmethod
    def option(cls, name: str, value: str = "") -> Hint:
        return cls("option", name, value)

    @classmethod
    def setting(cls, name: str) -> Hint:
        return cls("setting", name)

    @classmethod
    def command(cls, name: str) -> Hint:
        return cls("command", name)

    @classmethod
    def permission(cls, name: str) -> Hint:
        return cls("permission", name)


Part = str | Hint
Wording = Callable[[Hint], str]


def neutral_wording(hint: Hint) -> str:
    """Hints as no front end in particular would say them (logs, `str(error)`)."""
    if hint.kind == "option":
        return f"{hint.name}={hint.value}" if hint.value else hint.name
    if hint.kind == "permission":
        return f"the {hint.name} permission"
    return hint.name


def word(parts: Iterable[Part], wording: Wording = neutral_wording) -> str:
    """Message parts as one line: text as it is, each hint in `wording`'s terms."""
    return "".join(p if isinstance(p, str) else wording(p) for p in parts)


class ChorusError(Exception):
    """An expected failure whose message is fit to show a user as it is.

    Built from parts: plain text, and `Hint`s for what a front end names in its own terms,
    e.g. `InputError(Hint.option("title"), " applies to a single file or URL")`."""

    exit_code = 1

    def __init__(self, *parts: Part) -> None:
        super().__init__(*parts)
        self.parts: tuple[Part, ...] = parts

    @property
    def hints(self) -> tuple[Hint, ...]:
        return tuple(p for p in self.parts if isinstance(p, Hint))

    def worded(self, wording: Wording) -> str:
        return word(self.parts, wording)

    def __str__(self) -> str:
        return self.worded(neutral_wording)


class InputError(ChorusError):
    """Bad input: the message names the file, row or field at fault."""

    exit_code = 2


class LimitError(InputError):
    """Input over a configured limit (size, rows, length)."""


class FetchError(InputError):
    """A URL could not be fetched (refused, timed out, HTTP error)."""


class NotFoundError(ChorusError):
    """An id that does not exist in the caller's scope (never says whether it exists elsewhere)."""

    exit_code = 3

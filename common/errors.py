"""Domain errors shared by every layer; front ends turn them into one user-facing line."""

from __future__ import annotations


class ChorusError(Exception):
    """An expected failure whose message is fit to show a user as it is."""

    exit_code = 1


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

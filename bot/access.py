"""Who is asking and what they may do: requesters, scopes, moderation and request checks.

Each Discord server, each DM user and the local CLI own their sources and datasets (a
scope); the bundled demo source is readable from every scope when `shared_demo` is on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import ChorusError, Hint, InputError, LimitError

if TYPE_CHECKING:
    from bot.components import Components

DEMO_SCOPE = "demo"
LOCAL_SCOPE = "local"


class PermissionDenied(ChorusError):
    """The requester may not change this scope's sources or datasets."""

    exit_code = 4


@dataclass(frozen=True)
class Requester:
    """Who is asking, and for which scope. Front ends build it; the Assistant enforces it."""

    scope: str
    user: str
    can_moderate: bool = False

    @classmethod
    def local(cls, user: str = "cli") -> Requester:
        return cls(scope=LOCAL_SCOPE, user=user, can_moderate=True)


def require_moderator(req: Requester, action: str) -> None:
    """Changing sources or datasets is for moderators; each front end names the right."""
    if not req.can_moderate:
        raise PermissionDenied(f"only moderators can {action} (", Hint.permission("moderate"), ")")


def checked_text(text: str, limit: int, what: str) -> str:
    """A question, claim or name, stripped; refused when empty or over `limit` characters."""
    text = text.strip()
    if not text:
        raise InputError(f"the {what} is empty")
    if len(text) > limit:
        raise LimitError(f"the {what} is {len(text):,} characters; the limit is {limit:,}")
    return text


class Scopes:
    """Which scopes a requester reads, and the rules about the shared demo and the index."""

    def __init__(self, components: Components) -> None:
        self._components = components
        self._demo_checked = False
        self._demo_lock = threading.Lock()

    def read_scopes(self, req: Requester) -> list[str]:
        if self._components.settings.shared_demo and req.scope != DEMO_SCOPE:
            self.ensure_demo()
            return [req.scope, DEMO_SCOPE]
        return [req.scope]

    def ensure_demo(self) -> None:
        """Add the bundled demo source once per data dir (cheap check afterwards)."""
        if self._demo_checked:
            return
        with self._demo_lock:  # concurrent first questions must not add it twice
            if self._demo_checked:
                return
            from corpus.reporting.demo import demo_document  # noqa: PLC0415

            library = self._components.library
            doc = demo_document()
            if library.find(doc.sha256, DEMO_SCOPE) is None:
                library.add(doc, scope=DEMO_SCOPE, added_by="chorus (bundled demo)")
            self._demo_checked = True

    def check_removable(self, source_id: str, req: Requester) -> None:
        """A server may not remove the demo source every server shares."""
        require_moderator(req, "remove sources")
        if req.scope != DEMO_SCOPE and source_id.strip() in {
            s.id for s in self._components.library.sources([DEMO_SCOPE])
        }:
            raise PermissionDenied(
                f"{source_id.strip()} is the built-in demo source, shared by every server; it "
                "cannot be removed here (CHORUS_SHARED_DEMO=false hides it everywhere)"
            )

    @staticmethod
    def check_can_reindex(req: Requester) -> None:
        require_moderator(req, "rebuild the index")
        if req.scope != LOCAL_SCOPE:
            raise PermissionDenied("the index can only be rebuilt from the command line")

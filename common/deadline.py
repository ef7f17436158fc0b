"""The one deadline helper: run work in a thread and answer by a time limit, however the work
is stopped.

Two ways to stop work that ran out of time, chosen by the caller:
- cooperative (`cancel` given): the event is set and the work stops at its next check (the URL
  fetcher checks it between reads; its sockets time out by then);
- interrupt (no `cancel`): an exception is raised asynchronously inside the thread
  (PyThreadState_SetAsyncExc), for work with no checks of its own (pypdf, trafilatura).
  They are mostly Python, so it stops them at the next bytecode; a long single C call (one
  regex scan, one lxml parse) delays that by its own length only.
The caller gets its answer at the limit either way. The work runs in a copy of the caller's
context, so context-bound configuration (pypdf's) holds in the thread.
"""

from __future__ import annotations

import contextvars
import ctypes
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

UNWIND_S = 2.0  # how long an interrupted thread is given to unwind (the answer does not wait)


class _Overtime(BaseException):
    """Raised asynchronously inside a worker thread that ran out of time."""


def run_with_deadline(
    work: Callable[[], T],
    *,
    limit_s: float,
    on_timeout: Callable[[], Exception],
    cancel: threading.Event | None = None,
    name: str = "chorus-work",
) -> T:
    """Run `work` in a daemon thread named `name`; past `limit_s` seconds, stop it (set
    `cancel`, or interrupt the thread when there is none) and raise `on_timeout()`.
    An exception `work` raises is raised here."""
    values: list[T] = []
    errors: list[BaseException] = []
    done = threading.Event()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            try:
                values.append(context.run(work))
            except _Overtime:
                pass
            except BaseException as exc:  # handed to the caller below
                errors.append(exc)
        except _Overtime:  # a repeat that arrived while the first one was being handled
            pass
        finally:
            done.set()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not done.wait(max(0.0, limit_s)):
        if cancel is not None:
            cancel.set()
        else:
            _interrupt(thread, done)
        raise on_timeout()
    if errors:
        raise errors[0]
    return values[0]


def _interrupt(thread: threading.Thread, done: threading.Event) -> None:
    # Raised again until the thread ends: an exception that arrives while the thread runs a
    # weakref or GC callback is reported as unraisable and dropped, and the work goes on.
    deadline = time.monotonic() + UNWIND_S
    while thread.ident is not None and not done.is_set() and time.monotonic() < deadline:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(_Overtime)
        )
        done.wait(0.05)

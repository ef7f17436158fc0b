"""The one deadline helper (common/deadline.py): both ways of stopping work, and errors."""

from __future__ import annotations

import threading
import time

import pytest

from common.deadline import run_with_deadline


class Late(Exception):
    pass


def test_work_in_time_returns_its_value_and_raises_its_errors() -> None:
    assert run_with_deadline(lambda: 42, limit_s=5, on_timeout=Late) == 42

    def fail() -> int:
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        run_with_deadline(fail, limit_s=5, on_timeout=Late)


def test_cooperative_work_is_told_to_stop_at_the_limit() -> None:
    cancel = threading.Event()
    stopped = threading.Event()

    def poll() -> None:
        while not cancel.wait(0.01):
            pass
        stopped.set()

    started = time.monotonic()
    with pytest.raises(Late):
        run_with_deadline(poll, limit_s=0.2, on_timeout=Late, cancel=cancel)
    assert 0.15 < time.monotonic() - started < 2
    assert stopped.wait(2)  # the work saw the event and ended


def test_work_without_checks_is_interrupted_at_the_limit() -> None:
    ended = threading.Event()

    def spin() -> None:
        try:
            while True:
                sum(range(100))
        finally:
            ended.set()

    started = time.monotonic()
    with pytest.raises(Late):
        run_with_deadline(spin, limit_s=0.2, on_timeout=Late, name="chorus-test-spin")
    assert time.monotonic() - started < 3
    assert ended.wait(3)  # the thread was stopped, not left spinning
    workers = [t for t in threading.enumerate() if t.name == "chorus-test-spin"]
    for worker in workers:
        worker.join(3)
    assert not any(worker.is_alive() for worker in workers)

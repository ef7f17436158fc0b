"""Whether a process that left work behind (a pending source, a scratch file) still runs."""

from __future__ import annotations

import os
import socket


def process_alive(pid: int) -> bool:
    """True while `pid` runs on this machine (this process included); a process of another
    user counts as running, since it may be."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_tag() -> str:
    """This process, as "host:pid": the tag a writer leaves on work it has not finished."""
    return f"{socket.gethostname()}:{os.getpid()}"


def writer_alive(tag: str) -> bool:
    """Whether the process that tagged a pending source may still be writing it."""
    host, _, pid = tag.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return process_alive(int(pid))

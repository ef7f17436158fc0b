"""Whether a process that left work behind (a pending source, a scratch file) still runs."""

from __future__ import annotations

import os


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

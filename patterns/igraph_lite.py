"""igraph, imported without its matplotlib plotting backend.

igraph imports matplotlib.pyplot at import time whenever matplotlib is installed (about a
second, several under load: most of `chorus analyze`'s start-up). Chorus never plots
through igraph (patterns.plots draws with matplotlib itself), so while igraph is imported
matplotlib is hidden, unless something already imported it.
"""

from __future__ import annotations

import sys

if "matplotlib" in sys.modules or "igraph" in sys.modules:
    import igraph
else:
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # import fails: igraph's fallback
    try:
        import igraph
    finally:
        del sys.modules["matplotlib"]

__all__ = ["igraph"]

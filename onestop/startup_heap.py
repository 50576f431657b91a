"""What a long-running process built to start is left out of the garbage collector's scans.

Modules, models, routes, clients and caches made at start live until the process stops, yet
CPython's full collections walked all of them: about 170,000 objects in the API, so each full
collection paused its event loop 50-120 ms, every few seconds under load, and every request in
flight waited (`onestop bench --api-load`). Frozen once the stack runs, they stay out of every
later collection; what requests allocate is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    gc.collect()  # start-up's own garbage goes first: frozen, it could never be freed
    gc.freeze()

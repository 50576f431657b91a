"""What a long-running process built to start is left out of the garbage collector's scans.

Modules, models, routes, clients and caches made at start live until the process stops, yet
CPython's full collections walked all of them: about 170,000 objects in the API, so each full
collection paused its event loop 50-120 ms, every few seconds under load, and every request in
flight waited (`onestop bench --api-load`). Frozen once the stack runs, they stay out of every
later collection; what requests allocate is collected as before.

The benchmark's process freezes its stacks too, so its worker runs as `onestop worker` does: in
it the collector cost an engine case 2.6-2.8 ms of CPU unfrozen, 1.4-1.7 ms frozen (bare
Temporal's 0.4-1.8 and 0.8-1.1; `gc.callbacks` with `time.thread_time`, 200 cases at
concurrency 50, 2026-12-03).

A larger young generation was measured and left as it is: at 7,000 objects instead of 700 an
engine case spent 0.5-1.0 ms in the collector, but each middle-generation collection then
walked ten times as many objects and paused the loop 40-150 ms, not 6-11.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> None:
    gc.collect()  # start-up's own garbage goes first: frozen, it could never be freed
    gc.freeze()


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """Frozen for the block, thawed after it: for a command that runs inside another process's
    life (the benchmark, called by the CLI or a test)."""
    freeze_startup_heap()
    try:
        yield
    finally:
        gc.unfreeze()

"""Background processes yield the CPU to the ones people wait on.

On one machine (`make run`, the embedded stack) the worker draining a backlog and the agency
simulators compete with the API for the same cores. A citizen waits on the API's answer; nobody
waits on the drain, which is durable and only finishes a little later. So the worker and the
simulators lower their own CPU priority when they start (`ONESTOP_BACKGROUND_NICE`, default 10;
0 keeps it). It is set before any thread starts, so the SDK's and the database driver's threads
inherit it (Linux's nice value is per thread). On a cluster, where each part has its own
machine, it changes nothing. Measured with `onestop bench --api-load`.
"""

from __future__ import annotations

import os

from orchestrator.settings import Settings


def yield_to_interactive(settings: Settings) -> None:
    if settings.background_nice > 0:
        os.nice(settings.background_nice)

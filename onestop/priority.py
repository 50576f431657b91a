"""Background processes yield the CPU to the ones people wait on.

On one machine (`make run`, the embedded stack) the worker draining a backlog and the agency
simulators compete with the API for the same cores. A citizen waits on the API's answer; nobody
waits on the drain, which is durable and only finishes a little later. So the worker and the
simulators lower their own CPU priority when they start (`ONESTOP_BACKGROUND_NICE`, default 19;
0 keeps it), and the embedded Temporal server is started lowered as well (`EmbeddedServers`).
It is set before any thread starts, so the SDK's and the database driver's threads inherit it
(Linux's nice value is per thread), and so is its session's autogroup where it leads one
(`orchestrator/cpu_priority.py` says why a nice value alone did not hold). On a cluster, where
each part has its own machine, it changes nothing. Measured with `onestop bench --api-load`.
"""

from __future__ import annotations

from orchestrator.cpu_priority import lower_own_priority
from orchestrator.settings import Settings


def yield_to_interactive(settings: Settings) -> None:
    lower_own_priority(settings.background_nice)

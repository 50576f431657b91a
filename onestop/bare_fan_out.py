"""The benchmark's baseline: bare Temporal with a life event's fan-out and no-op activities.

A module of its own because the workflow sandbox re-imports a workflow's module: it must
import nothing but the SDK.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

# As the engine's steps (`StepDefinition.timeout_seconds`'s default): the server keeps a timer
# per call for its timeout, and the bench waits for those timers (`onestop/bench.py`).
STEP_TIMEOUT_SECONDS = 15.0


@activity.defn(name="bench_noop")
async def noop(step: str) -> str:
    return step


@workflow.defn(name="BareFanOut")
class BareFanOut:
    @workflow.run
    async def run(self, k: int) -> int:
        timeout = timedelta(seconds=STEP_TIMEOUT_SECONDS)
        await workflow.execute_activity(noop, "first", start_to_close_timeout=timeout)
        calls = [workflow.execute_activity(noop, f"s{i}", start_to_close_timeout=timeout) for i in range(k)]
        return len(await asyncio.gather(*calls)) + 1


@workflow.defn(name="BareLocalFanOut")
class BareLocalFanOut:
    """The same fan-out with local activities, as the engine makes its calls on the case's own
    queue (`workflows.agency_calls.attempt`): beside bare Temporal's ordinary activities, the row
    that tells the engine's own cost from what local calls save the server."""

    @workflow.run
    async def run(self, k: int) -> int:
        timeout = timedelta(seconds=STEP_TIMEOUT_SECONDS)
        await workflow.execute_local_activity(noop, "first", start_to_close_timeout=timeout)
        calls = [
            workflow.execute_local_activity(noop, f"s{i}", start_to_close_timeout=timeout) for i in range(k)
        ]
        return len(await asyncio.gather(*calls)) + 1

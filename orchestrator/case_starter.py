"""Starting accepted cases' workflows once the citizen has their answer.

A life event is accepted when its case and the citizen's data are journaled in the database
(`CaseIntake`); its workflow's start then runs here, in the background. Temporal is the most
loaded part of a machine whose worker is draining a backlog: inline, its start made the
trigger's p50 167 ms at 50 requests/s; with the start here, 13 ms (`onestop bench --api-load`).

Nothing accepted depends on this process living on. A start still pending when it dies, or one
Temporal kept refusing, is made by the worker's sweep (`Reconciler`), which starts every case
left unstarted for `reconcile_quiet_seconds`. A command that reaches a case whose start is
pending here waits for that start first (`started`); on another API process it answers 503
with Retry-After until the case is running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import structlog
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from orchestrator import search_attributes
from orchestrator.contracts import LifeEventInput
from orchestrator.errors import Unavailable
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)
_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)
"""Between the attempts here: a Temporal restart is bridged; a longer outage is the sweep's."""


class CaseStarter:
    def __init__(
        self,
        temporal: Client,
        task_queue: str,
        *,
        concurrency: int = 20,
        drain_seconds: float = 10.0,
        backoff: Sequence[float] = _BACKOFF_SECONDS,
    ) -> None:
        """`concurrency`: starts in flight at once, so a burst of triggers queues here rather
        than opening an RPC per request against a busy server. `drain_seconds`: what `close`
        gives the starts under way."""
        self._drain_seconds = drain_seconds
        self._backoff = tuple(backoff)
        self._temporal = temporal
        self._task_queue = task_queue
        self._gate = asyncio.Semaphore(concurrency)
        self._pending: dict[str, asyncio.Task[None]] = {}

    def start(self, case: LifeEventInput) -> None:
        """Start the case's workflow soon; a case already being started here is left to it."""
        if case.case_id in self._pending:
            return
        task = asyncio.create_task(self._start(case))
        self._pending[case.case_id] = task
        task.add_done_callback(lambda _: self._pending.pop(case.case_id, None))

    async def started(self, case_id: str) -> None:
        """Wait for this process's pending start of `case_id`, if it has one."""
        task = self._pending.get(case_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        """On shutdown: the starts under way get `drain_seconds`; the rest are the sweep's."""
        pending = list(self._pending.values())
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self._drain_seconds)
        for task in late:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("case_starts_left_to_the_sweep", cases=len(late))

    async def _start(self, case: LifeEventInput) -> None:
        structlog.contextvars.bind_contextvars(case_id=case.case_id)
        async with self._gate:
            for delay in (*self._backoff, None):
                try:
                    await start_case(self._temporal, self._task_queue, case)
                    return
                except Unavailable as exc:
                    if delay is None:
                        log.warning("case_start_deferred", case_id=case.case_id, error=str(exc))
                        return
                except Exception:  # not Temporal's refusal: no retry here can cure it
                    log.exception("case_start_failed", case_id=case.case_id)
                    return
                await asyncio.sleep(delay)


async def start_case(temporal: Client, task_queue: str, case: LifeEventInput) -> None:
    """Start the case's workflow once: a second start of the same case is a no-op."""
    definition = case.definition
    try:
        await temporal.start_workflow(
            "LifeEventCase",
            case,
            id=workflow_id(case.case_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"{definition.title} (v{definition.version})",
            static_details=f"{len(definition.steps)} steps: {', '.join(s.id for s in definition.steps)}",
            # Findable from its first moment; the workflow upserts them as they change.
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.LIFE_EVENT, definition.type),
                    SearchAttributePair(search_attributes.STATUS, "running"),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran before and has finished: nothing to start again
    except RPCError as exc:
        raise Unavailable(
            f"Temporal did not take the case ({exc.status.name}): retry with the same key"
        ) from exc

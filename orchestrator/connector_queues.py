"""One connector worker per task queue of the live directory's connector agencies, kept in step
with `agencies.yaml` while OneStop runs.

The directory reloads live (`orchestrator/catalog.py`), and a case pins its agencies' queues when
it starts: a connector agency added with a queue of its own would otherwise have its cases wait
until someone restarted the worker. `sync` starts a worker for every new queue, stops the worker
of a queue no agency names any more (after its calls in flight finish: the worker's graceful
shutdown), and replaces one whose limits changed, since a worker's capacity is fixed when it is
built.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from temporalio.worker import Worker

from orchestrator.agencies import AgencyDirectory, AgencySpec, Hosting

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Limits:
    """What a queue's worker is built with: the agency's capacity."""

    concurrency: int | None
    actions_per_second: float | None

    @classmethod
    def of(cls, spec: AgencySpec) -> Limits:
        return cls(spec.concurrency, spec.actions_per_second)


@dataclass
class _Running:
    agency: str
    limits: Limits
    worker: Worker
    task: asyncio.Task[None]


class ConnectorQueues:
    def __init__(
        self, directory: Callable[[], AgencyDirectory], build: Callable[[str, AgencySpec], Worker]
    ) -> None:
        """`build(queue, spec)`: the connector worker for one queue, with the agency's limits."""
        self._directory = directory
        self._build = build
        self._running: dict[str, _Running] = {}

    def serving(self) -> dict[str, Limits]:
        """The queues served now, with the limits their workers were built with."""
        return {queue: r.limits for queue, r in self._running.items() if not r.task.done()}

    async def sync(self) -> None:
        """Serve exactly the connector queues the directory names now."""
        wanted: dict[str, tuple[str, AgencySpec]] = {}
        for agency, queue, spec in self._directory().own_queues(Hosting.connector):
            wanted.setdefault(queue, (agency, spec))  # two agencies on one queue: the first's limits
        for queue, running in list(self._running.items()):
            target = wanted.get(queue)
            if target is None or Limits.of(target[1]) != running.limits or running.task.done():
                await self._stop(queue)
        for queue, (agency, spec) in wanted.items():
            if queue not in self._running:
                self._start(queue, agency, spec)

    async def keep_in_step(self, interval_seconds: float) -> None:
        """`sync` every interval until cancelled; a failed sync is logged and tried again."""
        while True:
            try:
                await self.sync()
            except Exception:
                log.exception("connector_queues_sync_failed")
            await asyncio.sleep(interval_seconds)

    async def close(self) -> None:
        for queue in list(self._running):
            await self._stop(queue)

    def _start(self, queue: str, agency: str, spec: AgencySpec) -> None:
        worker = self._build(queue, spec)
        task = asyncio.create_task(worker.run(), name=f"connector-worker-{queue}")
        self._running[queue] = _Running(agency, Limits.of(spec), worker, task)
        log.info("worker_started", task_queue=queue, agency=agency)

    async def _stop(self, queue: str) -> None:
        running = self._running.pop(queue)
        if not running.task.done():
            await running.worker.shutdown()  # waits for the calls in flight, up to its grace period
        with contextlib.suppress(asyncio.CancelledError):
            failure = await asyncio.gather(running.task, return_exceptions=True)
            if failure and isinstance(failure[0], Exception):
                log.warning("worker_failed", task_queue=queue, error=type(failure[0]).__name__)
        log.info("worker_stopped", task_queue=queue, agency=running.agency)

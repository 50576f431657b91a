"""Before a deploy: would the new workflow code carry on the cases Temporal already holds?

A worker replays a case's history whenever it picks the case up again; if the new code would
take another path than the one recorded, the case stops with a `NondeterminismError`. This
check finds that first: it lists the case workflows a visibility query matches, fetches each
history and replays them all with the SDK's `Replayer` against the workflow classes the new
worker will register, decoding payloads with the same data converter as the workers (so
encrypted histories replay). The workflow classes, client and converter are injected: the CLI
passes the worker's own list, tests pass engine variants.

Recorded histories (`tests/histories`) guard the paths the tests take; this check guards the
cases that are actually running, whatever path they took.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer

from orchestrator.cases import CaseStatus
from orchestrator.definition import IDENT
from orchestrator.search_attributes import LIFE_EVENT, STATUS

CASE_WORKFLOWS = (
    "(WorkflowType = 'LifeEventCase' OR WorkflowType = 'LifeEventWorkflow' "
    "OR WorkflowType = 'FollowUpSchedule')"
)
"""Every OneStop workflow: the engine's cases, the retired v1 engine's, and the follow-up
schedules cases start (which run for months and replay this code too). A filter by life event
or status keeps cases only: a schedule carries neither attribute."""


def case_query(type_: str | None = None, status: CaseStatus | None = None, raw: str | None = None) -> str:
    """The visibility query for case workflows, narrowed by life-event type, OneStop status and
    any raw query (ANDed). Values go into the query text, so a type must be a definition's id."""
    parts = [CASE_WORKFLOWS]
    if type_ is not None:
        if not re.fullmatch(IDENT, type_):
            raise ValueError(f"{type_!r} is not a life-event type: use one like moving_house")
        parts.append(f"{LIFE_EVENT.name} = '{type_}'")
    if status is not None:
        parts.append(f"{STATUS.name} = '{CaseStatus(status).value}'")
    if raw is not None and raw.strip():
        parts.append(f"({raw})")
    return " AND ".join(parts)


class ReplayOutcome(StrEnum):
    ok = "ok"
    incompatible = "incompatible"


class ReplayResult(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    execution_status: str = Field(description="Temporal's: RUNNING, COMPLETED, ...")
    result: ReplayOutcome
    reason: str | None = Field(default=None, description="the replay error's first line")


class ReplayReport(BaseModel):
    query: str
    results: list[ReplayResult]
    checked: int
    ok: int
    incompatible: int

    @property
    def compatible(self) -> bool:
        return self.incompatible == 0


def quiet_runtime() -> Runtime:
    """A runtime whose core logs errors only: by default it prints a warning per failed replay on
    stdout, which would bury the report (and break `--json`). One per process, as runtimes are."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


class ReplayCheck:
    def __init__(
        self,
        client: Client,
        workflows: Sequence[type],
        data_converter: DataConverter,
        runtime: Runtime | None = None,
    ) -> None:
        self._client = client
        self._replayer = Replayer(workflows=workflows, data_converter=data_converter, runtime=runtime)

    async def run(self, query: str, limit: int, save: Path | None = None) -> ReplayReport:
        """Replay up to `limit` matching executions (newest first); `save` also writes each
        history there as JSON, payloads as Temporal holds them (encrypted)."""
        executions = [e async for e in self._client.list_workflows(query, limit=limit)]
        if save is not None:
            await asyncio.to_thread(save.mkdir, parents=True, exist_ok=True)
        replayed = await self._replayer.replay_workflows(
            self._histories(executions, save), raise_on_replay_failure=False
        )
        results = [
            _result(execution, replayed.replay_failures.get(execution.run_id)) for execution in executions
        ]
        bad = sum(r.result is ReplayOutcome.incompatible for r in results)
        return ReplayReport(
            query=query, results=results, checked=len(results), ok=len(results) - bad, incompatible=bad
        )

    async def _histories(
        self, executions: list[WorkflowExecution], save: Path | None
    ) -> AsyncIterator[WorkflowHistory]:
        """One at a time, so a large query never holds every history in memory."""
        for execution in executions:
            handle = self._client.get_workflow_handle(execution.id, run_id=execution.run_id)
            history = await handle.fetch_history()
            if save is not None:
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{execution.id}_{execution.run_id}")
                await asyncio.to_thread((save / f"{name}.json").write_text, history.to_json())
            yield history


def _result(execution: WorkflowExecution, failure: Exception | None) -> ReplayResult:
    status = execution.status.name if execution.status is not None else "UNKNOWN"
    return ReplayResult(
        workflow_id=execution.id,
        run_id=execution.run_id,
        workflow_type=execution.workflow_type,
        execution_status=status,
        result=ReplayOutcome.incompatible if failure else ReplayOutcome.ok,
        reason=_reason(failure) if failure else None,
    )


_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


def _reason(failure: Exception) -> str:
    """One line: the core's own message where the SDK wraps it in a debug dump ("[TMPRL1100]
    Nondeterminism error: Timer machine does not handle this event: ..."), else the first line."""
    text = str(failure).strip()
    found = _CORE_MESSAGE.search(text)
    if found:
        return found.group(1)
    return f"{type(failure).__name__}: {text.splitlines()[0]}" if text else type(failure).__name__

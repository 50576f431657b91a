"""The two activities every step runs: do the agency action, or undo it.

Each finished attempt writes the case read model once (status, attempts, what was shared, a
timeline entry), inside the activity that did the work, so progress costs no extra activity.
The idempotency key is derived from case and step, stable across retries and worker restarts,
so an agency that already acted on it answers with the same record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agency_client import AgencyPort, AgencyRequest
from orchestrator.case_store import CaseStore, now
from orchestrator.cases import FINAL_STEP_STATUSES, StepStatus, TimelineEntry
from orchestrator.contracts import CompensationInput, OutcomeInput, ProgressInput, StepInput, StepResult
from orchestrator.errors import AGENCY_REJECTED, AGENCY_UNAVAILABLE, AgencyError
from orchestrator.vault import CaseDataStore

log = structlog.get_logger(__name__)

# What a late attempt must not overwrite: an undone step, and for failures any settled one.
_UNDONE = frozenset({StepStatus.compensated, StepStatus.skipped})
_SETTLED = _UNDONE | {StepStatus.succeeded}


def step_key(case_id: str, step_id: str, round_: int = 0) -> str:
    """Stable across retries and worker restarts, so an agency acts once per case, step and
    submission round (a review resubmitted with a missing document is a new submission)."""
    return f"{case_id}:{step_id}" + (f":r{round_}" if round_ else "")


class StepActivities:
    """The worker's activities, with their stores and agency adapter given by the worker
    bootstrap: the same class runs against HTTP agencies in production and in-process ones in
    the benchmark."""

    def __init__(self, cases: CaseStore, vault: CaseDataStore, agencies: AgencyPort) -> None:
        self._cases = cases
        self._vault = vault
        self._agencies = agencies

    @activity.defn(name="run_step")
    async def run_step(self, req: StepInput) -> StepResult:
        info = activity.info()
        structlog.contextvars.bind_contextvars(
            case_id=req.case_id, workflow_id=info.workflow_id, step=req.step_id
        )
        started = _started_at()
        fields = await self._vault.fields(req.case_id, req.inputs)
        key = step_key(req.case_id, req.step_id, req.round)
        request = AgencyRequest(
            case_id=req.case_id, step_id=req.step_id, subject=req.citizen_id, fields=fields
        )
        try:
            reply = await self._agencies.call(req.agency, req.action, key, request)
        except AgencyError as exc:
            await self._record_failure(
                req.case_id, req.step_id, req.events, exc, req.maximum_attempts, started
            )
            raise _as_application_error(exc) from exc
        status = StepStatus.waiting if req.await_decision else StepStatus.succeeded
        detail = f"{req.agency} ref {reply.reference}"
        if req.await_decision:
            detail = f"submitted to {req.agency} (ref {reply.reference}), waiting for its decision"
        log.info(f"step_{status.value}", agency=req.agency, action=req.action, attempt=info.attempt)
        events = [
            *req.events,
            *_started(req.step_id, started),
            _entry(f"step_{status.value}", req.step_id, detail),
        ]
        changes: dict[str, Any] = {
            "status": status.value,
            "attempts": info.attempt,
            "error": None,
            "reference": reply.reference,
            "shared_fields": sorted(fields),
            "waiting_for": "agency" if req.await_decision else None,
            "asked_fields": [],
        }
        if info.attempt == 1:
            changes["started_at"] = started
        if not req.await_decision:
            changes["finished_at"] = now()
        await self._cases.record_step(req.case_id, req.step_id, changes, events, unless=_UNDONE)
        # Only reply keys the definition declares enter the workflow (and its history).
        output = {k: v for k, v in reply.output.items() if k in req.outputs}
        return StepResult(reference=reply.reference, output=output)

    @activity.defn(name="compensate_step")
    async def compensate_step(self, req: CompensationInput) -> StepResult:
        info = activity.info()
        structlog.contextvars.bind_contextvars(
            case_id=req.case_id, workflow_id=info.workflow_id, step=req.step_id
        )
        try:
            # Every submission is undone, newest first: a resubmitted review holds one per round.
            for round_ in reversed(range(req.rounds)):
                original = step_key(req.case_id, req.step_id, round_)
                request = AgencyRequest(
                    case_id=req.case_id, step_id=req.step_id, subject=req.citizen_id, compensates=original
                )
                reply = await self._agencies.call(req.agency, req.action, f"{original}:compensate", request)
        except AgencyError as exc:
            await self._cases.record_step(
                req.case_id,
                req.step_id,
                {"error": f"compensation: {exc}"},
                [*req.events, _entry("compensation_attempt_failed", req.step_id, str(exc))],
            )
            raise _as_application_error(exc) from exc
        log.info("step_compensated", agency=req.agency, action=req.action, attempt=info.attempt)
        await self._cases.record_step(
            req.case_id,
            req.step_id,
            {"status": StepStatus.compensated.value, "finished_at": now()},
            [*req.events, _entry("step_compensated", req.step_id, f"{req.agency}.{req.action}")],
        )
        return StepResult(reference=reply.reference, output=reply.output)

    @activity.defn(name="record_progress")
    async def record_progress(self, progress: ProgressInput) -> None:
        """A transition decided in the workflow: a wait begins, an agency decides."""
        changes: dict[str, Any] = {
            "status": progress.status.value,
            "error": progress.error,
            "waiting_for": progress.waiting_for.value if progress.waiting_for else None,
            "asked_fields": progress.asked_fields,
        }
        if progress.asked_at is not None:
            changes["asked_at"] = progress.asked_at  # names this question, so it is answered once
        if progress.status in FINAL_STEP_STATUSES:
            changes["finished_at"] = now()
        await self._cases.record_step(progress.case_id, progress.step_id, changes, progress.events)

    @activity.defn(name="record_outcome")
    async def record_outcome(self, outcome: OutcomeInput) -> None:
        """The workflow's final word; overwrites steps so the read model matches it exactly."""
        await self._cases.record_outcome(outcome.case_id, outcome.status, outcome.steps, outcome.events)

    async def _record_failure(
        self,
        case_id: str,
        step_id: str,
        events: list[TimelineEntry],
        exc: AgencyError,
        maximum_attempts: int,
        started: datetime,
    ) -> None:
        attempt = activity.info().attempt
        final = not exc.retryable or attempt >= maximum_attempts
        changes: dict[str, Any] = {
            "status": (StepStatus.failed if final else StepStatus.running).value,
            "attempts": attempt,
            "error": str(exc),
        }
        if attempt == 1:
            changes["started_at"] = started
        event = "step_failed" if final else "step_attempt_failed"
        log.warning(event, agency=exc.agency, status=exc.status, attempt=attempt)
        entries = [*events, *_started(step_id, started), _entry(event, step_id, str(exc))]
        await self._cases.record_step(case_id, step_id, changes, entries, unless=_SETTLED)


def _as_application_error(exc: AgencyError) -> ApplicationError:
    if exc.retryable:
        return ApplicationError(str(exc), type=AGENCY_UNAVAILABLE)
    return ApplicationError(
        str(exc), {"agency": exc.agency, "status": exc.status}, type=AGENCY_REJECTED, non_retryable=True
    )


def _started_at() -> datetime:
    scheduled = activity.info().started_time
    return scheduled if scheduled.tzinfo else scheduled.replace(tzinfo=UTC)


def _started(step: str, started: datetime) -> list[TimelineEntry]:
    """The step's start, recorded with its first attempt's outcome rather than by a write of its own."""
    return (
        [TimelineEntry(at=started, event="step_started", step=step)] if activity.info().attempt == 1 else []
    )


def _entry(event: str, step: str, detail: str | None = None) -> TimelineEntry:
    return TimelineEntry(at=now(), event=event, step=step, detail=detail)

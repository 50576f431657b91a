"""How the life-event workflow reaches agencies, and how a step's end travels back to the graph.

Workflow code: deterministic, imported by `life_event.py` inside the sandbox. Each call is one
attempt (Temporal's own retry is off): the workflow retries durably itself, so it can show the
case as waiting with the last error and the next attempt, stop a backoff at once on a cancel,
and hold the step for support when the agency's budget runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from orchestrator.contracts import AgencyCall, AgencyUndo, StepResult
    from orchestrator.definition import StepDefinition
    from orchestrator.errors import AGENCY_MISCONFIGURED, AGENCY_REJECTED, CONSENT_MISSING, DATA_MISSING

_ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)


class StepEnded(Exception):
    """A step ended without success. `submitted`: the agency may hold something to undo."""

    def __init__(self, step_id: str, reason: str, *, submitted: bool = False) -> None:
        self.step_id = step_id
        self.reason = reason
        self.submitted = submitted
        super().__init__(f"{step_id}: {reason}")


class StepFailed(StepEnded):
    """Failed for good: an agency's rejection (or a definition bug met at run time)."""


class StepInterrupted(StepEnded):
    """The case stopped (a cancel, a failure elsewhere, a support compensation) while it waited."""


class StepSkippedBySupport(StepEnded):
    """Support skipped the held step: the case goes on as if it succeeded, with no output."""


class FailureKind(StrEnum):
    rejected = "rejected"  # the agency said no: nothing held there, never retried
    unavailable = "unavailable"  # may succeed later: retried durably
    broken = "broken"  # no retry can cure it (configuration, missing data): hold at once
    consent = "consent"  # shared by consent, not (or no longer) given: ask the citizen


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    code: str
    reason: str


def classify(exc: ActivityError) -> Failure:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        code = cause.message
        if cause.type == AGENCY_REJECTED:
            return Failure(FailureKind.rejected, code, code)
        if cause.type in (AGENCY_MISCONFIGURED, DATA_MISSING):
            return Failure(FailureKind.broken, code, code)
        if cause.type == CONSENT_MISSING:
            return Failure(FailureKind.consent, code, code)
        return Failure(FailureKind.unavailable, code, code)
    if isinstance(cause, TimeoutError):
        return Failure(FailureKind.unavailable, "timeout", "the agency call timed out")
    name = type(cause).__name__ if cause is not None else "unknown"
    return Failure(FailureKind.unavailable, name, name)


async def attempt(
    activity: str,
    request: AgencyCall | AgencyUndo,
    step: StepDefinition,
    summary: str,
    *,
    task_queue: str | None = None,
    calls: dict[str, str] | None = None,
    own_id: bool = True,
) -> StepResult:
    """One attempt, with the step's own timeout, on the agency's own task queue if it has one (an
    agency that runs its own worker polls it; cases started before queues existed carry none).
    `calls` keeps the running calls' activity ids -> step ids (the `agency_calls` query); `own_id`:
    the run has the `step-activity-ids` patch (`engine_patches`)."""
    call_id = f"{activity}:{workflow.uuid4().hex}" if own_id else None
    if call_id is not None and calls is not None:
        calls[call_id] = step.id
    try:
        result: StepResult = await workflow.execute_activity(
            activity,
            request,
            result_type=StepResult,
            start_to_close_timeout=timedelta(seconds=step.timeout_seconds),
            retry_policy=_ONE_ATTEMPT,
            summary=summary,
            task_queue=task_queue,
            activity_id=call_id,
        )
    finally:
        if call_id is not None and calls is not None:
            calls.pop(call_id, None)
    return result


async def fail_with(error: StepEnded) -> StepResult | None:
    raise error

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
    from orchestrator.contracts import AgencyCall, AgencyUndo, StepResult, local_call_id
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


LOCAL_CALL_SECONDS = 2.0
"""How long a call on the case's own queue runs as a local activity, in the worker that holds the
case (counted from when it is scheduled, a wait for a local slot included), before it moves to
the Temporal server as an ordinary activity (the same idempotency key, so an agency that did act
meanwhile acts once). Local, a call costs the server nothing: no activity task to store, match,
poll, start and complete. An engine case then needed 24-26 ms of the Temporal server's CPU
instead of 78, and the engine ran at 1.45-1.5x bare Temporal's throughput instead of 0.89x (two
paired rounds of 200 cases, 2026-12-03; `make bench`: 1.57-1.79x, README "Measured"). The bound
is what a command waits at most: while a local activity runs, the case's workflow task stays open
and an update, a signal or a query is handed to the workflow only when it ends (an update waited
out a 12 s local activity in full; a server activity delays nothing)."""


async def attempt(
    activity: str,
    request: AgencyCall | AgencyUndo,
    step: StepDefinition,
    summary: str,
    *,
    task_queue: str | None = None,
    calls: dict[str, str] | None = None,
    own_id: bool = True,
    local: bool = False,
    position: int = 0,
) -> StepResult:
    """One attempt, with the step's own timeout, on the agency's own task queue if it has one (an
    agency that runs its own worker polls it; cases started before queues existed carry none).
    `calls` keeps the running calls' activity ids -> step ids (the `agency_calls` query); `own_id`:
    the run has the `step-activity-ids` patch (`engine_patches`). `local` (the `local-calls`
    patch): a call on the case's own queue starts as a local activity for `LOCAL_CALL_SECONDS`
    of the step's timeout, and only an agency that has not answered by then gets the rest of it
    as a server activity. Its activity id is `local_call_id`'s, so support reads which step a
    local call was for from the history (`orchestrator.case_history`)."""
    timeout = step.timeout_seconds
    if local and task_queue is None:
        bound = min(timeout, LOCAL_CALL_SECONDS)
        try:
            result: StepResult = await workflow.execute_local_activity(
                activity,
                request,
                result_type=StepResult,
                # From when it is scheduled: a call queued for the worker's local slots counts
                # too, so a busy worker moves calls to the server instead of holding commands.
                schedule_to_close_timeout=timedelta(seconds=bound),
                retry_policy=_ONE_ATTEMPT,
                summary=summary,
                activity_id=local_call_id(activity, position, workflow.uuid4().hex[:8]),
            )
            return result
        except (ActivityError, ApplicationError, TimeoutError) as exc:
            # A local activity's failure may arrive bare (its own, or, replayed from its marker,
            # its timeout too): the callers classify an activity error, with the failure its cause.
            error = exc if isinstance(exc, ActivityError) else _activity_error(activity, exc)
            if not isinstance(error.cause, TimeoutError) or timeout <= bound:
                raise error from error.cause
        timeout -= bound
    call_id = f"{activity}:{workflow.uuid4().hex}" if own_id else None
    if call_id is not None and calls is not None:
        calls[call_id] = step.id
    try:
        result = await workflow.execute_activity(
            activity,
            request,
            result_type=StepResult,
            start_to_close_timeout=timedelta(seconds=timeout),
            retry_policy=_ONE_ATTEMPT,
            summary=summary,
            task_queue=task_queue,
            activity_id=call_id,
        )
    finally:
        if call_id is not None and calls is not None:
            calls.pop(call_id, None)
    return result


def _activity_error(activity: str, cause: ApplicationError | TimeoutError) -> ActivityError:
    """What a server activity's failure raises, for a local one's: an `ActivityError` whose cause
    is the failure."""
    error = ActivityError(
        f"local activity {activity} failed",
        scheduled_event_id=0,
        started_event_id=0,
        identity="",
        activity_type=activity,
        activity_id="",
        retry_state=None,
    )
    error.__cause__ = cause
    return error


async def fail_with(error: StepEnded) -> StepResult | None:
    raise error

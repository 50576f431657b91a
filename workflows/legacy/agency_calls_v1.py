"""Calls from the life-event workflow to agency activities, and how a step's failure travels.

Workflow code: deterministic, imported by `life_event.py` inside the sandbox.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from orchestrator.contracts import StepResult
    from orchestrator.definition import StepDefinition
    from orchestrator.errors import AGENCY_REJECTED, AGENCY_UNAVAILABLE
    from workflows.legacy.contracts_v1 import CompensationInput, StepInput


# Failures run_step writes into the read model itself before raising them.
RECORDED_BY_ACTIVITY = frozenset({AGENCY_REJECTED, AGENCY_UNAVAILABLE})


class StepFailed(Exception):
    """A step failed for good. `submitted`: the agency holds something to undo; `recorded`: the
    failing activity already wrote the failure into the read model."""

    def __init__(self, step_id: str, reason: str, *, submitted: bool = False, recorded: bool = False) -> None:
        self.step_id = step_id
        self.reason = reason
        self.submitted = submitted
        self.recorded = recorded
        super().__init__(f"{step_id}: {reason}")


class StepInterrupted(StepFailed):
    """A cancel arrived while the step waited for a citizen or an agency."""


async def agency_call(
    activity: str, request: StepInput | CompensationInput, step: StepDefinition, attempts_floor: int = 1
) -> StepResult:
    """An agency activity with the step's own timeout and retry policy; agency rejections are final."""
    spec = step.retry
    retry = RetryPolicy(
        initial_interval=timedelta(seconds=spec.initial_interval_seconds),
        backoff_coefficient=spec.backoff,
        maximum_interval=timedelta(seconds=spec.maximum_interval_seconds),
        maximum_attempts=max(spec.maximum_attempts or 5, attempts_floor),
        non_retryable_error_types=[AGENCY_REJECTED],
    )
    result: StepResult = await workflow.execute_activity(
        activity,
        request,
        result_type=StepResult,
        start_to_close_timeout=timedelta(seconds=step.timeout_seconds),
        retry_policy=retry,
    )
    return result


async def fail_with(error: StepFailed) -> StepResult:
    raise error


def reason_of(exc: ActivityError) -> str:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return str(exc)

"""An agency's own worker: OneStop's two activity names served by the agency's handlers, on the
agency's own task queue, with the capacity the agency chooses.

The worker connects out (to Temporal and to OneStop's API), so the agency needs no inbound port.
Each call fetches the step's fields through the data exchange; failures are sorted as OneStop's
connector sorts an agency's HTTP answers: a `Rejected` is final, a contract mismatch or a refused
fetch holds the step for support, anything else is retried durably by the workflow.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from onestop.sdk.agency import ActionContext, Agency, Rejected
from onestop.sdk.exchange import ExchangeClient, ExchangeRefused
from orchestrator.contracts import AgencyCall, AgencyUndo, StepResult, step_key
from orchestrator.errors import (
    AGENCY_MISCONFIGURED,
    AGENCY_REJECTED,
    AGENCY_UNAVAILABLE,
    CONSENT_MISSING,
    DATA_MISSING,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")


class AgencyActivities:
    def __init__(self, agency: Agency, exchange: ExchangeClient) -> None:
        self._agency = agency
        self._exchange = exchange

    @activity.defn(name="call_agency")
    async def call_agency(self, req: AgencyCall) -> StepResult:
        action = self._agency.actions.get(req.action)
        if action is None:
            raise _broken("unknown_action")
        try:
            data = await self._exchange.fetch(req.case_id, req.step_id, activity.info().activity_id)
        except ExchangeRefused as exc:
            log.warning("step_data_refused", case_id=req.case_id, step=req.step_id, status=exc.status)
            if exc.consent_missing:
                raise ApplicationError("consent_missing", type=CONSENT_MISSING, non_retryable=True) from None
            raise _broken("exchange_refused") from None
        missing = sorted(set(req.required_inputs) - set(data.fields))
        if missing:
            raise ApplicationError(
                f"data_missing: {', '.join(missing)}", type=DATA_MISSING, non_retryable=True
            )
        try:
            model = action.input.model_validate(data.fields)
        except ValidationError as exc:  # names of the bad fields only: the values are personal
            bad = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
            log.warning("step_data_invalid", case_id=req.case_id, step=req.step_id, fields=bad)
            raise _broken("input_invalid") from None
        ctx = ActionContext(
            agency=self._agency.name,
            action=req.action,
            case_id=req.case_id,
            step_id=req.step_id,
            idempotency_key=step_key(req.case_id, req.step_id, req.round),
            subject=data.subject,
            round=req.round,
            instance=req.instance,
        )
        reply = await _run(action.handler(ctx, model), req.action)
        output = reply.model_dump(mode="json", exclude={"reference"})
        return StepResult(
            reference=reply.reference, output={k: v for k, v in output.items() if k in req.outputs}
        )

    @activity.defn(name="undo_agency")
    async def undo_agency(self, req: AgencyUndo) -> StepResult:
        handler = self._agency.compensations.get(req.action)
        if handler is None:
            raise _broken("unknown_action")
        for round_ in reversed(range(req.rounds)):  # every submission, newest first
            original = step_key(req.case_id, req.step_id, round_)
            ctx = ActionContext(
                agency=self._agency.name,
                action=req.action,
                case_id=req.case_id,
                step_id=req.step_id,
                idempotency_key=f"{original}:compensate",
                round=round_,
                compensates=original,
                instance=req.instance,
            )
            await _run(handler(ctx), req.action)
        return StepResult(reference=f"undone:{step_key(req.case_id, req.step_id)}")


async def _run(work: Awaitable[T], action: str) -> T:
    try:
        return await work
    except Rejected as exc:
        raise ApplicationError(exc.code, type=AGENCY_REJECTED, non_retryable=True) from None
    except Exception as exc:  # the agency's trouble: retried by the workflow, text kept out of Temporal
        # Its text may echo personal data: the log and Temporal get its type only.
        log.warning("agency_action_failed", action=action, error=type(exc).__name__)
        raise ApplicationError("agency_error", type=AGENCY_UNAVAILABLE) from None


def _broken(code: str) -> ApplicationError:
    return ApplicationError(code, type=AGENCY_MISCONFIGURED, non_retryable=True)


def agency_worker(
    client: Client,
    agency: Agency,
    exchange: ExchangeClient,
    task_queue: str,
    *,
    concurrency: int | None = None,
    actions_per_second: float | None = None,
) -> Worker:
    activities = AgencyActivities(agency, exchange)
    return Worker(
        client,
        task_queue=task_queue,
        activities=[activities.call_agency, activities.undo_agency],
        max_concurrent_activities=concurrency or 100,
        max_activities_per_second=actions_per_second,
    )

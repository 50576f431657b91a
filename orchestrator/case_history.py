"""A case's Temporal history, read for support: a summary of its agency calls, and the point a
reset to before a step goes back to.

Activity inputs name their step (`AgencyCall.step_id`, `AgencyUndo.step_id`); they are decoded
with the client's own data converter, so this keeps working once payloads are encrypted. A local
call (`workflows.agency_calls.attempt`) leaves no scheduled event, only the marker that records
its outcome, which keeps no input: its activity id names its step's position in the case's
definition (`local_call_id`), read from the run's input.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.contracts import local_call_position
from orchestrator.errors import CaseNotFound, CaseStateError, Unavailable
from orchestrator.support_models import ActivitySummary, HistorySummary
from orchestrator.temporal_client import workflow_id

_AGENCY_ACTIVITIES = ("call_agency", "undo_agency")
_LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the marker the SDK records a local activity in
_E = EventType


@dataclass(frozen=True)
class ScheduledCall:
    event_id: int
    task_completed_id: int  # the workflow task that scheduled it: a reset goes back to it
    activity: str
    step: str
    local_outcome: str | None = None  # a local call's: completed, failed or timed_out
    local_failure: str | None = None


class CaseHistory:
    def __init__(self, temporal: Client) -> None:
        self._temporal = temporal

    async def load(self, case_id: str) -> tuple[str, str, WorkflowHistory]:
        """The current run's id, status and history."""
        handle = self._temporal.get_workflow_handle(workflow_id(case_id))
        try:
            described = await handle.describe()
            history = await self._temporal.get_workflow_handle(
                workflow_id(case_id), run_id=described.run_id
            ).fetch_history()
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(case_id) from None
            raise Unavailable(f"Temporal did not give the history ({exc.status.name}): retry") from exc
        status = described.status.name if described.status is not None else "UNKNOWN"
        return described.run_id, status, history

    async def summary(self, case_id: str) -> HistorySummary:
        run_id, status, history = await self.load(case_id)
        calls = {c.event_id: c for c in await self._calls(history.events)}
        by_step: dict[tuple[str, str], ActivitySummary] = {}
        timers = resets = 0
        updates: list[str] = []
        for event in history.events:
            kind = event.event_type
            if event.event_id in calls:  # a scheduled call, or a local call's marker
                call = calls[event.event_id]
                row = by_step.setdefault(
                    (call.step, call.activity), ActivitySummary(step=call.step, activity=call.activity)
                )
                row.scheduled += 1
                if call.local_outcome is not None:
                    setattr(row, call.local_outcome, getattr(row, call.local_outcome) + 1)
                if call.local_failure is not None:
                    row.last_failure = call.local_failure
            elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                _row(
                    by_step,
                    calls,
                    event.activity_task_completed_event_attributes.scheduled_event_id,
                    "completed",
                )
            elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                attrs = event.activity_task_failed_event_attributes
                failed = _row(by_step, calls, attrs.scheduled_event_id, "failed")
                if failed is not None:
                    failed.last_failure = attrs.failure.message or None
            elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
                _row(
                    by_step,
                    calls,
                    event.activity_task_timed_out_event_attributes.scheduled_event_id,
                    "timed_out",
                )
            elif kind == _E.EVENT_TYPE_TIMER_STARTED:
                timers += 1
            elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                updates.append(
                    event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                )
            elif (
                kind == _E.EVENT_TYPE_WORKFLOW_TASK_FAILED
                and event.workflow_task_failed_event_attributes.cause
                == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
            ):
                resets += 1
        return HistorySummary(
            run_id=run_id,
            workflow_status=status,
            events=len(history.events),
            activities=list(by_step.values()),
            timers=timers,
            updates=updates,
            resets=resets,
        )

    async def reset_to_before(self, case_id: str, step_id: str, reason: str) -> str:
        """Reset the current run to just before the step first called its agency: the workflow
        task that scheduled that call (or ran it, a local call, with whatever else that task did:
        agencies answer a repeated key as the first time) runs again on today's code. Commands
        people sent after that point (answers, decisions, cancels) are re-applied by Temporal, as
        by default.
        Returns the new run's id; the same request on the same run is the same reset."""
        run_id, _, history = await self.load(case_id)
        first = next(
            (
                c
                for c in await self._calls(history.events)
                if c.step == step_id and c.activity == "call_agency"
            ),
            None,
        )
        if first is None:
            raise CaseStateError(
                case_id, f"step {step_id} never called its agency in this run: nothing to reset to"
            )
        request = ResetWorkflowExecutionRequest(
            namespace=self._temporal.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id(case_id), run_id=run_id),
            reason=f"support: {reason}",
            workflow_task_finish_event_id=first.task_completed_id,
            request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"onestop-reset:{run_id}:{step_id}")),
        )
        try:
            response = await self._temporal.workflow_service.reset_workflow_execution(request)
        except RPCError as exc:
            if exc.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION):
                raise CaseStateError(case_id, f"Temporal refused the reset: {exc.message}") from None
            raise Unavailable(f"Temporal did not take the reset ({exc.status.name}): retry") from exc
        return response.run_id

    async def _calls(self, events: Sequence[HistoryEvent]) -> list[ScheduledCall]:
        scheduled = [
            e
            for e in events
            if e.event_type == _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name in _AGENCY_ACTIVITIES
        ]
        payloads: list[Payload] = [
            e.activity_task_scheduled_event_attributes.input.payloads[0] for e in scheduled
        ]
        inputs = await self._temporal.data_converter.decode(payloads) if payloads else []
        calls = [
            ScheduledCall(
                event_id=e.event_id,
                task_completed_id=e.activity_task_scheduled_event_attributes.workflow_task_completed_event_id,
                activity=e.activity_task_scheduled_event_attributes.activity_type.name,
                step=str(value.get("step_id", "")) if isinstance(value, dict) else "",
            )
            for e, value in zip(scheduled, inputs, strict=True)
        ]
        calls += await self._local_calls(events)
        return sorted(calls, key=lambda c: c.event_id)

    async def _local_calls(self, events: Sequence[HistoryEvent]) -> list[ScheduledCall]:
        markers = [
            (e, _marker_data(e))
            for e in events
            if e.event_type == _E.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == _LOCAL_ACTIVITY_MARKER
        ]
        markers = [(e, d) for e, d in markers if d.get("activity_type") in _AGENCY_ACTIVITIES]
        if not markers:
            return []
        steps = await self._step_ids(events)
        calls = []
        for event, data in markers:
            attrs = event.marker_recorded_event_attributes
            position = local_call_position(str(data.get("activity_id", "")))
            failed = attrs.HasField("failure")
            timed_out = failed and attrs.failure.HasField("timeout_failure_info")
            calls.append(
                ScheduledCall(
                    event_id=event.event_id,
                    task_completed_id=attrs.workflow_task_completed_event_id,
                    activity=str(data["activity_type"]),
                    step=steps[position] if position is not None and position < len(steps) else "",
                    local_outcome="timed_out" if timed_out else "failed" if failed else "completed",
                    local_failure=(attrs.failure.message or None) if failed else None,
                )
            )
        return calls

    async def _step_ids(self, events: Sequence[HistoryEvent]) -> list[str]:
        """The step ids of the run's definition, in its order (from its input, the first event)."""
        started = events[0].workflow_execution_started_event_attributes if events else None
        if started is None or not started.input.payloads:
            return []
        [value] = await self._temporal.data_converter.decode([started.input.payloads[0]])
        steps = value.get("definition", {}).get("steps", []) if isinstance(value, dict) else []
        return [str(step.get("id", "")) for step in steps if isinstance(step, dict)]


def _marker_data(event: HistoryEvent) -> dict[str, object]:
    """The SDK's own record of a local activity (its type and id), plain JSON, never encrypted."""
    details = event.marker_recorded_event_attributes.details.get("data")
    if details is None or not details.payloads:
        return {}
    try:
        data = json.loads(details.payloads[0].data)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _row(
    rows: dict[tuple[str, str], ActivitySummary],
    calls: dict[int, ScheduledCall],
    scheduled_id: int,
    field: str,
) -> ActivitySummary | None:
    call = calls.get(scheduled_id)
    if call is None:
        return None
    row = rows[(call.step, call.activity)]
    setattr(row, field, getattr(row, field) + 1)
    return row

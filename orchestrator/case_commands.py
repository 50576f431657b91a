"""What people may do to a running case: cancel it, answer a question, decide a review.

Each command checks who is asking against the case's pinned definition, then signals the
workflow. Personal answers go to the vault first; the signal carries only field names.
"""

from __future__ import annotations

import structlog
from pydantic import BaseModel, Field, JsonValue, model_validator
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.auth import Principal, Role
from orchestrator.case_store import CaseRecord
from orchestrator.cases import FINAL_CASE_STATUSES, StepStatus, StepView, WaitingFor
from orchestrator.contracts import AnswerInput, CancelInput, DecisionInput
from orchestrator.definition import LifeEventDefinition, StepDefinition, StepKind, validate_data
from orchestrator.errors import CaseNotFound, CaseStateError, InputError, Unavailable
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)


class CaseCommands:
    def __init__(self, stores: CaseStores, temporal: Client) -> None:
        self._cases = stores.cases
        self._definitions = stores.definitions
        self._vault = stores.vault
        self._temporal = temporal

    async def visible_case(self, case_id: str, principal: Principal) -> CaseRecord:
        """Another citizen's case answers 404, so case ids cannot be probed."""
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=workflow_id(case_id))
        record = await self._cases.get(case_id)
        if principal.role is Role.citizen and record.citizen_id != principal.sub:
            raise CaseNotFound(case_id)
        return record

    async def cancel(self, case_id: str, principal: Principal, note: str | None) -> CaseRecord:
        """The person's own words stay in the read model; the workflow gets a reason code."""
        record = await self.visible_case(case_id, principal)
        _require_open(record)
        code = "citizen_request" if principal.role is Role.citizen else f"{principal.role.value}_request"
        await self._signal(record, "cancel", CancelInput(reason=code, requested_by=principal.sub))
        if note:  # after the signal: a refused cancel leaves no note behind
            await self._cases.add_event(case_id, "cancel_note", note)
        log.info("case_cancel_requested", case_id=case_id, by_role=principal.role.value)
        return record

    async def provide_input(
        self, case_id: str, step_id: str, principal: Principal, data: dict[str, JsonValue]
    ) -> CaseRecord:
        record = await self.visible_case(case_id, principal)
        definition = await self._definitions.get(record.definition_id)
        _, view = _waiting_step(record, definition, step_id, WaitingFor.citizen)
        clean = validate_data(definition.data_model(only=view.asked_fields), data)
        question = f"{step_id}@{view.asked_at.isoformat() if view.asked_at else ''}"
        if not await self._vault.answer(case_id, question, clean):
            raise CaseStateError(case_id, f"step {step_id}'s question was answered already")
        await self._signal(record, "provide_input", AnswerInput(step_id=step_id, fields=sorted(clean)))
        return record

    async def decide(self, case_id: str, step_id: str, principal: Principal, verdict: Verdict) -> CaseRecord:
        structlog.contextvars.bind_contextvars(
            case_id=case_id, workflow_id=workflow_id(case_id), step=step_id
        )
        try:
            record = await self._cases.get(case_id)
        except CaseNotFound:
            raise CaseNotFound(f"{case_id}/steps/{step_id}") from None
        definition = await self._definitions.get(record.definition_id)
        step = next((s for s in definition.steps if s.id == step_id), None)
        if step is None or step.kind is not StepKind.agency_review or principal.agency != step.agency:
            # Another agency learns nothing about the case, not even that it exists.
            raise CaseNotFound(f"{case_id}/steps/{step_id}")
        _waiting_step(record, definition, step_id, WaitingFor.agency)
        not_askable = sorted(set(verdict.request_input) - set(step.asks))
        if not_askable:
            raise InputError(
                "request_input", f"{step_id} may ask only for {', '.join(step.asks) or 'nothing'}"
            )
        if verdict.note:
            await self._cases.add_event(case_id, "agency_note", verdict.note, step=step_id)
        decision = DecisionInput(
            step_id=step_id,
            approved=verdict.approved,
            reason=verdict.reason,
            request_input=verdict.request_input,
            decided_by=principal.sub,
        )
        await self._signal(record, "decide", decision)
        return record

    async def _signal(self, record: CaseRecord, name: str, arg: object) -> None:
        handle = self._temporal.get_workflow_handle(workflow_id(record.case_id))
        try:
            await handle.signal(name, arg)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CaseStateError(record.case_id, f"the case no longer accepts {name}") from exc
            raise Unavailable(f"Temporal did not take the {name} ({exc.status.name}): retry") from exc


def _require_open(record: CaseRecord) -> None:
    if record.status in FINAL_CASE_STATUSES:
        raise CaseStateError(record.case_id, f"is already {record.status.value}")


def _waiting_step(
    record: CaseRecord, definition: LifeEventDefinition, step_id: str, waiting_for: WaitingFor
) -> tuple[StepDefinition, StepView]:
    _require_open(record)
    step = next((s for s in definition.steps if s.id == step_id), None)
    view = next((v for v in record.steps if v.id == step_id), None)
    if step is None or view is None:
        raise CaseNotFound(f"{record.case_id}/steps/{step_id}")
    if view.status is not StepStatus.waiting or view.waiting_for is not waiting_for:
        state = view.status.value + (f" for the {view.waiting_for.value}" if view.waiting_for else "")
        raise CaseStateError(
            record.case_id, f"step {step_id} is {state}, not waiting for the {waiting_for.value}"
        )
    return step, view


class Verdict(BaseModel):
    """An agency's review decision as the API takes it; `note` is free text kept in MongoDB."""

    approved: bool = False
    reason: str = Field(default="", pattern=r"^[a-z0-9_]{0,64}$", description="reason code")
    request_input: list[str] = Field(default_factory=list, description="fields to ask the citizen for")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_verdict(self) -> Verdict:
        if self.approved and self.request_input:
            raise ValueError("approve, or ask for more (request_input), not both")
        return self

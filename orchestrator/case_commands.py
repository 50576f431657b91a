"""What people may do to a running case: cancel it, answer a question, decide a review.

Each command checks who is asking against the case's pinned definition, then signals the
workflow. Personal answers go to the vault first; the signal carries only field names.
"""

from __future__ import annotations

from typing import Any

import structlog
from temporalio.client import Client
from temporalio.service import RPCError

from orchestrator.auth import Principal, Role
from orchestrator.case_store import CaseRecord, CaseStore
from orchestrator.cases import FINAL_CASE_STATUSES, StepStatus
from orchestrator.contracts import AgencyDecision, CancelRequest, InputProvided
from orchestrator.definition import LifeEventDefinition, StepDefinition, StepKind, validate_data
from orchestrator.definition_store import DefinitionStore
from orchestrator.errors import CaseNotFound, CaseStateError, Forbidden
from orchestrator.temporal_client import workflow_id
from orchestrator.vault import CaseDataStore

log = structlog.get_logger(__name__)


class CaseCommands:
    def __init__(
        self, cases: CaseStore, vault: CaseDataStore, definitions: DefinitionStore, temporal: Client
    ) -> None:
        self._cases = cases
        self._definitions = definitions
        self._vault = vault
        self._temporal = temporal

    async def visible_case(self, case_id: str, principal: Principal) -> CaseRecord:
        """Another citizen's case answers 404, so case ids cannot be probed."""
        record = await self._cases.get(case_id)
        if principal.role is Role.citizen and record.citizen_id != principal.sub:
            raise CaseNotFound(case_id)
        return record

    async def cancel(self, case_id: str, principal: Principal, reason: str) -> CaseRecord:
        record = await self.visible_case(case_id, principal)
        _require_open(record)
        await self._signal(record, "cancel", CancelRequest(reason=reason, requested_by=principal.sub))
        log.info("case_cancel_requested", case_id=case_id, by_role=principal.role.value)
        return record

    async def provide_input(
        self, case_id: str, step_id: str, principal: Principal, data: dict[str, Any]
    ) -> CaseRecord:
        record = await self.visible_case(case_id, principal)
        definition = await self._definitions.get(record.definition_id)
        step = _waiting_step(record, definition, step_id, StepKind.citizen_input)
        clean = validate_data(definition.data_model(only=step.asks), data)
        await self._vault.add(case_id, clean)
        await self._signal(record, "provide_input", InputProvided(step_id=step_id, fields=sorted(clean)))
        return record

    async def decide(
        self, case_id: str, step_id: str, principal: Principal, approved: bool, reason: str
    ) -> CaseRecord:
        record = await self._cases.get(case_id)
        definition = await self._definitions.get(record.definition_id)
        step = _waiting_step(record, definition, step_id, StepKind.agency_review)
        if principal.agency != step.agency:
            raise Forbidden(f"step {step_id} is reviewed by {step.agency}, not by {principal.agency}")
        decision = AgencyDecision(step_id=step_id, approved=approved, reason=reason, decided_by=principal.sub)
        await self._signal(record, "decide", decision)
        return record

    async def _signal(self, record: CaseRecord, name: str, arg: object) -> None:
        handle = self._temporal.get_workflow_handle(workflow_id(record.case_id))
        try:
            await handle.signal(name, arg)
        except RPCError as exc:
            raise CaseStateError(record.case_id, f"the case no longer accepts {name}: {exc.message}") from exc


def _require_open(record: CaseRecord) -> None:
    if record.status in FINAL_CASE_STATUSES:
        raise CaseStateError(record.case_id, f"is already {record.status.value}")


def _waiting_step(
    record: CaseRecord, definition: LifeEventDefinition, step_id: str, kind: StepKind
) -> StepDefinition:
    _require_open(record)
    step = next((s for s in definition.steps if s.id == step_id), None)
    if step is None:
        raise CaseNotFound(f"{record.case_id}/steps/{step_id}")
    if step.kind is not kind:
        raise CaseStateError(record.case_id, f"step {step_id} is {step.kind.value}, not {kind.value}")
    view = next(v for v in record.steps if v.id == step_id)
    if view.status is not StepStatus.waiting:
        raise CaseStateError(record.case_id, f"step {step_id} is {view.status.value}, not waiting")
    return step

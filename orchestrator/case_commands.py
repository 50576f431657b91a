"""What people may do to a running case: cancel it, answer a question, decide a review, and for
support staff retry or skip a held step or compensate the case.

Each command checks who is asking against the read model and the case's pinned definition, then
sends the workflow a Temporal Update. The workflow's validator is the authority on whether the
case's state allows it, and its answer (the new state, or why not) is what the caller gets:
nothing is accepted that the workflow may then drop. Personal answers go to the vault first;
the Update carries only field names, and people's free text stays in MongoDB.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel, Field, JsonValue, model_validator
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.agency_tasks import refusal, task_of
from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal, Role
from orchestrator.case_starter import CaseStarter
from orchestrator.case_store import CaseRecord
from orchestrator.cases import FINAL_CASE_STATUSES, CaseView, StepStatus, WaitingFor, question_id
from orchestrator.contracts import (
    Actor,
    AnswerInput,
    CancelInput,
    CaseState,
    ConsentInput,
    DecisionInput,
    ReasonCode,
    SupportInput,
)
from orchestrator.definition import Ident, LifeEventDefinition, StepKind, validate_data
from orchestrator.errors import (
    COMMAND_REFUSED,
    CaseNotFound,
    CaseStateError,
    InputError,
    OneStopError,
    Unavailable,
)
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)


class CaseCommands:
    def __init__(
        self,
        stores: CaseStores,
        temporal: Client,
        audit: AuditLog,
        answer_within: float = 5.0,
        *,
        pseudonyms: Pseudonyms,
        starter: CaseStarter | None = None,
    ) -> None:
        """`starter`: the API process's background starts; a command to a case it is starting
        waits for that start."""
        self._starter = starter
        self._pseudonyms = pseudonyms
        self._cases = stores.cases
        self._definitions = stores.definitions
        self._vault = stores.vault
        self._temporal = temporal
        self._audit = audit
        self._answer_within = answer_within

    async def visible_case(self, case_id: str, principal: Principal) -> CaseRecord:
        """Another citizen's case answers 404, so case ids cannot be probed."""
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=workflow_id(case_id))
        record = await self._cases.get(case_id)
        if principal.role is Role.citizen and record.citizen_id != principal.sub:
            raise CaseNotFound(case_id)
        return record

    def actor(self, principal: Principal) -> Actor:
        """Who acts, as the case's history records it: a citizen by their pseudonym (their
        identity number never enters Temporal), staff and agencies by their own ids."""
        subject = self._pseudonyms.of(principal.sub) if principal.role is Role.citizen else principal.sub
        return Actor(subject=subject, role=principal.role.value)

    async def read_case(self, case_id: str, principal: Principal) -> CaseView:
        """A case as its reader may see it; a support read is audited (it may show personal data)."""
        record = await self.visible_case(case_id, principal)
        if principal.role is Role.support:
            await self._audit.record(principal, "read_case", "ok", case_id=case_id)
        return record.view()

    async def cancel(self, case_id: str, principal: Principal, note: str | None) -> CaseView:
        """The person's own words stay in the read model; the workflow gets a reason code."""
        async with self.audited(principal, "cancel", case_id):
            record = await self.visible_case(case_id, principal)
            require_open(record)
            code = "citizen_request" if principal.role is Role.citizen else f"{principal.role.value}_request"
            state = await self.update(record, "cancel", CancelInput(reason=code, by=self.actor(principal)))
            if note:  # after the Update: a refused cancel leaves no note behind
                await self._cases.add_event(case_id, "cancel_note", note)
            log.info("case_cancel_requested", case_id=case_id, by_role=principal.role.value)
            return merged(record, state)

    async def provide_input(
        self, case_id: str, step_id: str, principal: Principal, data: dict[str, JsonValue]
    ) -> CaseView:
        async with self.audited(principal, "answer", case_id, step_id):
            record = await self.visible_case(case_id, principal)
            require_open(record)
            definition = await self._definitions.get(record.definition_id)
            view = next((v for v in record.steps if v.id == step_id), None)
            if view is None or definition.step_or_none(step_id) is None:
                raise CaseNotFound(f"{case_id}/steps/{step_id}")
            if view.status is not StepStatus.waiting or view.waiting_for is not WaitingFor.citizen:
                raise CaseStateError(
                    case_id, f"step {step_id} is {view.status.value}, not waiting for the citizen"
                )
            clean = validate_data(definition.data_model(only=view.asked_fields), data)
            question = question_id(view.asked_at)
            if not await self._vault.answer(case_id, f"{step_id}@{question}", clean):
                raise CaseStateError(case_id, f"step {step_id}'s question was answered already")
            answer = AnswerInput(
                step_id=step_id, fields=sorted(clean), question=question, by=self.actor(principal)
            )
            return merged(record, await self.update(record, "answer", answer))

    async def decide(
        self,
        case_id: str,
        step_id: str,
        principal: Principal,
        verdict: Verdict,
        *,
        asks_field: str = "request_input",
    ) -> CaseView:
        """The one way an agency decides (the decision route and the work list's `:complete`,
        `:fail` and `:request-input` alike); `asks_field` names the request's list of fields to ask
        for, so a 422 points at the caller's own field."""
        async with self.audited(principal, "decide", case_id, step_id, verdict.reason or None):
            structlog.contextvars.bind_contextvars(
                case_id=case_id, workflow_id=workflow_id(case_id), step=step_id
            )
            try:
                record = await self._cases.get(case_id)
            except CaseNotFound:
                raise CaseNotFound(f"{case_id}/steps/{step_id}") from None
            definition = await self._definitions.get(record.definition_id)
            step = definition.step_or_none(step_id)
            if step is None or step.kind is not StepKind.agency_review or principal.agency != step.agency:
                # Another agency learns nothing about the case, not even that it exists.
                raise CaseNotFound(f"{case_id}/steps/{step_id}")
            not_askable = [n for n in verdict.request_input if n not in step.asks]
            if not_askable:  # each one named, so one answer lists every bad field
                allowed = ", ".join(step.asks) or "nothing"
                bad = [(asks_field, f"{n}: {step_id} may ask only for {allowed}") for n in not_askable]
                raise InputError(*bad[0], list(bad[1:]))
            decision = DecisionInput(
                step_id=step_id,
                approved=verdict.approved,
                reason=verdict.reason,
                request_input=verdict.request_input,
                by=self.actor(principal),
            )
            try:
                require_open(record)
                state = await self.update(record, "decide", decision)
            except CaseStateError as refused:
                raise await self._decision_refused(record, definition, step_id, refused) from None
            if verdict.note:  # after the Update: a refused decision leaves no note behind
                await self._cases.add_event(case_id, "agency_note", verdict.note, step=step_id)
            return merged(record, state)

    async def _decision_refused(
        self, record: CaseRecord, definition: LifeEventDefinition, step_id: str, refused: CaseStateError
    ) -> CaseStateError:
        """The workflow's refusal in the agency's terms, read off the case as it is now: a second
        decision (a retried request, a second officer) hears that the task was decided already.
        A final case is read from the read model: its workflow writes nothing more."""
        view = record.view()
        if record.status not in FINAL_CASE_STATUSES:
            try:
                view = merged(record, await self.current_state(record.case_id))
            except OneStopError:
                return refused
        task = task_of(view, definition, step_id, datetime.now(UTC))
        why = refusal(task)
        return CaseStateError(record.case_id, why) if why else refused

    async def support(
        self,
        case_id: str,
        action: str,
        principal: Principal,
        reason: str,
        step_id: str | None,
        note: str | None,
    ) -> CaseView:
        """A support Update (retry_step, skip_step, resolve_step, pause_step, resume_step or
        compensate), as support staff (the route checks the role)."""
        async with self.audited(principal, action, case_id, step_id, reason):
            record = await self.visible_case(case_id, principal)
            require_open(record)
            if step_id is not None and all(s.id != step_id for s in record.steps):
                raise CaseNotFound(f"{case_id}/steps/{step_id}")
            command = SupportInput(step_id=step_id, reason=reason, by=self.actor(principal))
            state = await self.update(record, action, command)
            if note:
                await self._cases.add_event(case_id, "support_note", note, step=step_id)
            log.info("support_action", action=action, step=step_id, reason=reason)
            return merged(record, state)

    async def note(self, case_id: str, event: str, text: str, step_id: str | None = None) -> None:
        await self._cases.add_event(case_id, event, text, step=step_id)

    async def current_state(self, case_id: str) -> CaseState:
        """The case as its workflow sees it now (a query), not as the read model last heard."""
        handle = self._temporal.get_workflow_handle(workflow_id(case_id))
        try:
            async with asyncio.timeout(self._answer_within):
                state: CaseState = await handle.query("state", result_type=CaseState)
                return state
        except TimeoutError:
            raise Unavailable("the case did not answer in time: retry") from None
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(case_id) from None
            raise Unavailable(f"Temporal did not answer ({exc.status.name}): retry") from exc

    @asynccontextmanager
    async def audited(
        self,
        principal: Principal,
        action: str,
        case_id: str,
        step_id: str | None = None,
        reason: str | None = None,
    ) -> AsyncIterator[None]:
        """Every command anyone sends is audited with its outcome: accepted, or why not."""
        outcome = "accepted"
        try:
            yield
        except CaseStateError as exc:
            outcome = f"refused: {exc}"
            raise
        except OneStopError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
            raise
        except BaseException as exc:
            outcome = f"failed: {type(exc).__name__}"
            raise
        finally:
            await self._audit.record(principal, action, outcome, case_id=case_id, step=step_id, reason=reason)

    async def update(self, record: CaseRecord, name: str, arg: Command) -> CaseState:
        """Send the command and wait, bounded, for the workflow's verdict."""
        handle = self._temporal.get_workflow_handle(workflow_id(record.case_id))
        try:
            async with asyncio.timeout(self._answer_within):
                if self._starter is not None:
                    await self._starter.started(record.case_id)
                state: CaseState = await handle.execute_update(name, arg, result_type=CaseState)
                return state
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == COMMAND_REFUSED:
                raise CaseStateError(record.case_id, cause.message) from None
            raise
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise Unavailable(f"the case did not answer the {name} in time: retry") from None
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND and not record.started:
                raise Unavailable(f"the case is still starting: retry the {name} shortly") from exc
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CaseStateError(record.case_id, f"the case no longer accepts {name}") from exc
            raise Unavailable(f"Temporal did not take the {name} ({exc.status.name}): retry") from exc


Command = CancelInput | AnswerInput | DecisionInput | SupportInput | ConsentInput


def merged(record: CaseRecord, state: CaseState) -> CaseView:
    """The workflow's answer in the shape of the read model (which its projector will catch up)."""
    fresh = record.model_copy(
        update={"status": state.status, "steps": state.steps, "timeline": state.timeline}
    )
    return fresh.view()


def require_open(record: CaseRecord) -> None:
    if record.status in FINAL_CASE_STATUSES:
        raise CaseStateError(record.case_id, f"is already {record.status.value}")


class Verdict(BaseModel):
    """An agency's review decision as the API takes it; `note` is free text kept in MongoDB.
    `approved` is required: an empty body must not reject a citizen's case."""

    approved: bool
    reason: ReasonCode = Field(default="", description="reason code")
    request_input: list[Ident] = Field(default_factory=list, description="fields to ask the citizen for")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_verdict(self) -> Verdict:
        if self.approved and self.request_input:
            raise ValueError("approve, or ask for more (request_input), not both")
        return self


class SupportAction(BaseModel):
    """A support action's reason, as a code (it enters the case's history), and an optional note
    in the person's own words (it stays in MongoDB)."""

    reason: ReasonCode = Field(min_length=1, description="reason code, e.g. agency_recovered")
    note: str | None = Field(default=None, min_length=1, max_length=2000)

"""The two activities every step runs: do the agency action, or undo it. They talk to agencies
and return; they never write OneStop's database, so an agency can run them on its own worker.

The idempotency key is derived from case, step and submission round, stable across retries and
worker restarts, so an agency that already acted on it answers with the same record.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agency_client import AgencyPort, AgencyRequest
from activities.agency_health import AgencyHealth
from activities.agency_replies import Outcome, classify
from orchestrator.contracts import AgencyCall, AgencyUndo, StepResult, step_key
from orchestrator.data_exchange import Channel, DataExchange, Share
from orchestrator.definition import LegalBasis
from orchestrator.errors import (
    AGENCY_MISCONFIGURED,
    AGENCY_REJECTED,
    AGENCY_UNAVAILABLE,
    CONSENT_MISSING,
    DATA_MISSING,
    AgencyError,
    ConsentMissing,
)

log = structlog.get_logger(__name__)

_SUBJECTS_KEPT = 10_000
"""Cases whose citizen a worker remembers (least recently stored dropped first)."""


class AgencyActions:
    """OneStop's HTTP connector: given the data exchange and agency adapter by the worker
    bootstrap, the same class runs against HTTP agencies in production and in-process ones in the
    benchmark. (An agency that runs its own worker serves these activity names with the SDK.)"""

    def __init__(
        self, exchange: DataExchange, agencies: AgencyPort, health: AgencyHealth | None = None
    ) -> None:
        """`health`: the one probe per agency that is down (none: every call reaches the agency)."""
        self._exchange = exchange
        self._health = health
        self._agencies = agencies
        self._subjects: OrderedDict[str, str] = OrderedDict()

    async def _request_data(
        self, req: AgencyCall | AgencyUndo, names: list[str]
    ) -> tuple[str, dict[str, Any]]:
        """Whom the request is about (Temporal knows a pseudonym only) and the declared fields,
        released through the data exchange (which logs the share for the citizen). A case's
        citizen never changes: it is remembered per case, so a step that sends no field costs no
        read, and one that sends fields reads them and the citizen together.

        Without the case's data there is no one to name: the step holds (`data_missing`) rather
        than send the agency the pseudonym, which names nobody it knows and would file the
        action under a made-up subject."""
        subject = self._subjects.get(req.case_id)
        fields: dict[str, Any] = {}
        if subject is None or names:
            share = Share(
                case_id=req.case_id,
                step_id=req.step_id,
                citizen=req.citizen_id,
                agency=req.agency,
                action=req.action,
                fields=names,
                legal_basis=(req.legal_basis if isinstance(req, AgencyCall) else None) or LegalBasis(),
            )
            try:
                released = await self._exchange.release(share, Channel.connector)
            except ConsentMissing as exc:
                # The workflow asks the citizen; field names only (no values) travel.
                raise ApplicationError(
                    f"consent_missing: {', '.join(exc.missing)}", type=CONSENT_MISSING, non_retryable=True
                ) from None
            stored, fields = released.subject, released.fields
            if stored is None:
                log.warning("step_case_data_missing")
                raise ApplicationError(
                    "data_missing: the case's data is gone", type=DATA_MISSING, non_retryable=True
                )
            subject = self._subjects[req.case_id] = stored
            if len(self._subjects) > _SUBJECTS_KEPT:
                self._subjects.popitem(last=False)
        return subject, fields

    @activity.defn(name="call_agency")
    async def call_agency(self, req: AgencyCall) -> StepResult:
        info = activity.info()
        structlog.contextvars.bind_contextvars(
            case_id=req.case_id, workflow_id=info.workflow_id, step=req.step_id
        )
        self._unless_down(req.agency)  # before any data is released for a call that is not made
        subject, fields = await self._request_data(req, req.inputs)
        missing = sorted(set(req.required_inputs) - set(fields))
        if missing:
            # Never send an agency a request without the data its contract needs: hold instead.
            log.warning("step_data_missing", fields=missing)
            raise ApplicationError(
                f"data_missing: {', '.join(missing)}", type=DATA_MISSING, non_retryable=True
            )
        request = AgencyRequest(
            case_id=req.case_id, step_id=req.step_id, subject=subject, fields=fields, instance=req.instance
        )
        try:
            reply = await self._agencies.call(
                req.agency, req.action, step_key(req.case_id, req.step_id, req.round), request
            )
        except AgencyError as exc:
            log.warning("agency_call_failed", agency=exc.agency, status=exc.status, code=exc.code)
            raise self._failed(exc) from exc
        self._succeeded(req.agency)
        log.info("agency_acted", agency=req.agency, action=req.action)
        # Only reply keys the definition declares enter the workflow (and its history).
        output = {k: v for k, v in reply.output.items() if k in req.outputs}
        return StepResult(reference=reply.reference, output=output)

    @activity.defn(name="undo_agency")
    async def undo_agency(self, req: AgencyUndo) -> StepResult:
        info = activity.info()
        structlog.contextvars.bind_contextvars(
            case_id=req.case_id, workflow_id=info.workflow_id, step=req.step_id
        )
        self._unless_down(req.agency)
        subject, _ = await self._request_data(req, [])
        try:
            # Every submission is undone, newest first: a resubmitted review holds one per round.
            for round_ in reversed(range(req.rounds)):
                original = step_key(req.case_id, req.step_id, round_)
                request = AgencyRequest(
                    case_id=req.case_id,
                    step_id=req.step_id,
                    subject=subject,
                    compensates=original,
                    instance=req.instance,
                )
                reply = await self._agencies.call(req.agency, req.action, f"{original}:compensate", request)
        except AgencyError as exc:
            log.warning("agency_undo_failed", agency=exc.agency, status=exc.status, code=exc.code)
            raise self._failed(exc) from exc
        self._succeeded(req.agency)
        log.info("agency_undone", agency=req.agency, action=req.action)
        return StepResult(reference=reply.reference)

    def _unless_down(self, agency: str) -> None:
        """While its probe says it is down, a call fails at once, as the outage would make it."""
        if self._health is not None and self._health.is_down(agency):
            raise ApplicationError("agency_down", type=AGENCY_UNAVAILABLE)

    def _failed(self, exc: AgencyError) -> ApplicationError:
        if self._health is not None and exc.retryable:
            self._health.failed(exc.agency)
        return _as_application_error(exc)

    def _succeeded(self, agency: str) -> None:
        if self._health is not None:
            self._health.succeeded(agency)


def _as_application_error(exc: AgencyError) -> ApplicationError:
    """Only the reason code travels: an agency's text may echo the personal data it was sent."""
    if exc.retryable:
        return ApplicationError(exc.code, type=AGENCY_UNAVAILABLE)
    misconfigured = classify(exc.status, exc.code) is Outcome.misconfigured
    kind = AGENCY_MISCONFIGURED if misconfigured else AGENCY_REJECTED
    return ApplicationError(
        exc.code, {"agency": exc.agency, "status": exc.status}, type=kind, non_retryable=True
    )

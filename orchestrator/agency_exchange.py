"""An agency's own worker fetches a step's fields: the bounds it must stay within, checked here.

Only the step's agency (another agency learns nothing: 404), only while Temporal has that step's
agency call running (the call's activity id, which the server must have started and the
workflow must name as that step's: 403 otherwise), and only the step's declared fields within
the agency's data contract. Every fetch outside these bounds is refused and written to the audit
trail; every release is written to the data-use log by `DataExchange.release`.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.agencies import AgencyDirectory
from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal
from orchestrator.data_exchange import Channel, DataExchange, Released, Share
from orchestrator.errors import CaseNotFound, Forbidden, NotFound, Unavailable
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id


class AgencyExchange:
    def __init__(
        self,
        stores: CaseStores,
        temporal: Client,
        directory: Callable[[], AgencyDirectory],
        exchange: DataExchange,
        audit: AuditLog,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._stores = stores
        self._temporal = temporal
        self._directory = directory
        self._exchange = exchange
        self._audit = audit
        self._pseudonyms = pseudonyms

    async def fetch(self, principal: Principal, case_id: str, step_id: str, activity_id: str) -> Released:
        try:
            share = await self._bounds(principal, case_id, step_id, activity_id)
        except (NotFound, Forbidden) as refused:
            await self._audit.record(
                principal, "fetch_step_data", f"refused: {refused}", case_id=case_id, step=step_id
            )
            raise
        return await self._exchange.release(share, Channel.exchange)

    async def _bounds(self, principal: Principal, case_id: str, step_id: str, activity_id: str) -> Share:
        missing = CaseNotFound(f"{case_id}/steps/{step_id}")
        try:
            record = await self._stores.cases.get(case_id)
        except CaseNotFound:
            raise missing from None
        definition = await self._stores.definitions.get(record.definition_id)
        step = definition.step_or_none(step_id)
        if step is None or step.agency != principal.agency:
            raise missing  # another agency learns nothing about the case
        if not await self._running(case_id, step_id, activity_id):
            raise Forbidden(f"step {step_id} has no agency call {activity_id} running now")
        spec = self._directory().agencies.get(step.agency)
        action = spec.actions.get(step.action) if spec else None
        accepts = set(action.accepts) if action else set()
        # What the workflow sends, capped by the contract once more.
        names = [n for n in dict.fromkeys(step.sent) if n in accepts]
        return Share(
            case_id=case_id,
            step_id=step_id,
            citizen=self._pseudonyms.of(record.citizen_id),
            agency=step.agency,
            agency_title=spec.title if spec else "",
            action=step.action,
            purpose=action.title if action else "",
            fields=names,
            legal_basis=step.legal_basis,
        )

    async def _running(self, case_id: str, step_id: str, activity_id: str) -> bool:
        """Temporal, not the read model (which may lag), says whether the call runs: the server
        that it is started, the workflow that it is this step's (activity ids are random)."""
        handle = self._temporal.get_workflow_handle(workflow_id(case_id))
        try:
            described = await handle.describe()
            started = any(
                a.activity_id == activity_id
                and a.activity_type.name == "call_agency"
                and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                for a in described.raw_description.pending_activities
            )
            if not started:
                return False
            calls: dict[str, str] = await handle.query("agency_calls", result_type=dict[str, str])
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return False
            raise Unavailable(f"Temporal did not answer ({exc.status.name})") from exc
        return calls.get(activity_id) == step_id

"""Keeps the read model true to Temporal: starts cases that were accepted but never started, and
re-projects cases whose read model has fallen behind their workflow.

Intake writes the case, then starts its workflow; a crash or a Temporal outage between the two
leaves a `running` case that nothing moves. A projection can fall behind too (the database was
down when the workflow finished, or an operator reset the workflow). The worker runs `sweep`
periodically; `onestop cases resync` runs `resync` on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.agencies import AgencyDirectory
from orchestrator.case_starter import start_case
from orchestrator.case_store import CaseRecord, now
from orchestrator.contracts import CURRENT_ENGINE, CaseState, LifeEventInput
from orchestrator.intake import agency_terms
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)
_QUERY_TIMEOUT = timedelta(seconds=10)
_CURRENT_TYPE = "LifeEventCase"


class Resynced(StrEnum):
    projected = "projected"  # the read model now holds the workflow's state
    started = "started"  # an orphan: its workflow has been started
    closed = "closed"  # an orphan without data: closed as intake_incomplete
    unchanged = "unchanged"  # nothing to do (no workflow yet, or one of a retired type)


class Reconciler:
    def __init__(
        self,
        stores: CaseStores,
        temporal: Client,
        task_queue: str,
        directory: Callable[[], AgencyDirectory],
        *,
        pseudonyms: Pseudonyms,
        profiles: ProfileUpdates | None = None,
    ) -> None:
        """`directory` gives the live agency directory (`CatalogSource.directory`): an orphan
        started an hour after the catalog changed gets the terms intake would give it now.
        `profiles`: a case a resync finds completed updates its citizen's profile, as its
        projection would have."""
        self._profiles = profiles
        self._pseudonyms = pseudonyms
        self._cases = stores.cases
        self._vault = stores.vault
        self._definitions = stores.definitions
        self._temporal = temporal
        self._task_queue = task_queue
        self._directory = directory

    async def sweep(self, quiet_for: timedelta, limit: int = 200) -> list[str]:
        """Repair every case quiet for `quiet_for`: orphans and projections left behind."""
        repaired: list[str] = []
        before = now() - quiet_for
        candidates = [
            *await self._cases.unstarted_since(before, limit),
            *await self._cases.open_since(before, limit),
        ]
        for record in candidates:
            try:
                outcome = await self._repair(record)
            except Exception:
                log.exception("case_repair_failed", case_id=record.case_id)  # the others go on
                continue
            if outcome is Resynced.started:
                repaired.append(record.case_id)
        return repaired

    async def resync(self, case_id: str) -> Resynced:
        return await self._repair(await self._cases.get(case_id))

    async def _repair(self, record: CaseRecord) -> Resynced:
        handle = self._temporal.get_workflow_handle(workflow_id(record.case_id))
        try:
            description = await handle.describe()
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            return await self._start_orphan(record)
        if description.workflow_type != _CURRENT_TYPE:
            return Resynced.unchanged  # a retired engine's case: it wrote its own read model
        state = await handle.query("state", result_type=CaseState, rpc_timeout=_QUERY_TIMEOUT)
        if self._profiles is not None:
            await self._profiles.on_projection(record.case_id, state.status, state.updates_profile)
        await self._cases.project(state)
        log.info("case_resynced", case_id=record.case_id, status=state.status.value)
        return Resynced.projected

    async def _start_orphan(self, record: CaseRecord) -> Resynced:
        if record.started:
            return Resynced.unchanged
        if not await self._vault.exists(record.case_id):
            # Intake died before storing the citizen's data: nothing to act on, and it says so.
            await self._cases.close_unstarted(record.case_id, "intake_incomplete")
            log.warning("orphan_case_closed", case_id=record.case_id)
            return Resynced.closed
        definition = await self._definitions.get(record.definition_id)
        facts = await self._vault.facts(record.case_id, definition.fact_names)
        case = LifeEventInput(
            case_id=record.case_id,
            citizen_id=self._pseudonyms.of(record.citizen_id),
            definition=definition,
            facts=facts,
            agencies=agency_terms(self._directory(), definition),
            engine=CURRENT_ENGINE,
        )
        await start_case(self._temporal, self._task_queue, case)
        log.warning("orphan_case_started", case_id=record.case_id)
        return Resynced.started

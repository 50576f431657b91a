"""Repairs cases that were accepted but whose workflow never started.

Intake writes the case, then starts its workflow; a crash or a Temporal outage between the two
leaves a `running` case that nothing moves. A request retried with its Idempotency-Key repairs
itself; one without a key relies on this sweep, which the worker runs periodically.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.case_store import CaseRecord, now
from orchestrator.intake import start_case
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)


class Reconciler:
    def __init__(self, stores: CaseStores, temporal: Client, task_queue: str) -> None:
        self._cases = stores.cases
        self._vault = stores.vault
        self._definitions = stores.definitions
        self._temporal = temporal
        self._task_queue = task_queue

    async def sweep(self, quiet_for: timedelta, limit: int = 200) -> list[str]:
        """Start the workflow of every running case untouched for `quiet_for` that has none."""
        started: list[str] = []
        for record in await self._cases.unstarted_since(now() - quiet_for, limit):
            try:
                if await self._repair(record):
                    started.append(record.case_id)
            except Exception:
                log.exception("orphan_case_repair_failed", case_id=record.case_id)  # the others go on
        return started

    async def _repair(self, record: CaseRecord) -> bool:
        try:
            await self._temporal.get_workflow_handle(workflow_id(record.case_id)).describe()
            await self._cases.mark_started(record.case_id)  # running, just quiet: not an orphan
            return False
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
        if not await self._vault.exists(record.case_id):
            # Intake died before storing the citizen's data: nothing to act on, and it says so.
            await self._cases.close_unstarted(record.case_id, "intake_incomplete")
            log.warning("orphan_case_closed", case_id=record.case_id)
            return False
        definition = await self._definitions.get(record.definition_id)
        facts = await self._vault.facts(record.case_id, definition.fact_names)
        await start_case(
            self._temporal, self._task_queue, record.case_id, record.citizen_id, definition, facts
        )
        log.warning("orphan_case_started", case_id=record.case_id)
        return True

"""Wake the cases waiting on an agency that has come back, so none waits out a long backoff.

The read model finds them (a step backing off before its next call to that agency); each gets the
workflow's `agency_recovered` signal, which ends those steps' backoff at once. A signal, not an
Update: it asks for nothing a person decided, and a case that has moved on ignores it.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.service import RPCError

from orchestrator.case_store import CaseStore
from orchestrator.contracts import AgencyRecovered
from orchestrator.temporal_client import workflow_id

_AT_ONCE = 50


class CaseWaker:
    def __init__(self, cases: CaseStore, temporal: Client, *, limit: int = 5_000) -> None:
        self._cases = cases
        self._temporal = temporal
        self._limit = limit

    async def wake(self, agency: str) -> int:
        ids = await self._cases.retrying_on(agency, self._limit)
        woken = 0
        for start in range(0, len(ids), _AT_ONCE):
            results = await asyncio.gather(
                *(self._signal(case_id, agency) for case_id in ids[start : start + _AT_ONCE])
            )
            woken += sum(results)
        return woken

    async def _signal(self, case_id: str, agency: str) -> bool:
        try:
            handle = self._temporal.get_workflow_handle(workflow_id(case_id))
            await handle.signal("agency_recovered", AgencyRecovered(agency=agency))
        except RPCError:  # ended meanwhile, or Temporal busy: its own backoff still runs
            return False
        return True

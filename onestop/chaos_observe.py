"""How `onestop chaos` looks at a stack after its faults: each case through the API (the read
model, with a support token) and through Temporal (the workflow's `state` query), and every
agency's records through the simulators (support reads them), each wait with a deadline.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.simulator import RecordList, RecordPublic
from onestop.chaos_check import CaseFacts
from onestop.chaos_load import Accepted
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.cases import FINAL_CASE_STATUSES, CaseStatus, CaseView, effective_status
from orchestrator.contracts import CaseState
from orchestrator.settings import Settings
from orchestrator.temporal_client import workflow_id

SETTLED = FINAL_CASE_STATUSES | {CaseStatus.needs_attention}
"""Where a case rests with nobody else to act: ended, or held for support."""
POLL_SECONDS = 1.0
CONCURRENCY = 8


def support_headers(settings: Settings) -> dict[str, str]:
    token = issue_token(
        Principal(sub="onestop-chaos", role=Role.support), settings.jwt_secret, 3600, settings.token_rules
    )
    return {"Authorization": f"Bearer {token}"}


class Observer:
    def __init__(
        self, settings: Settings, api: httpx.AsyncClient, agencies: httpx.AsyncClient, temporal: Client
    ) -> None:
        self._api = api
        self._agencies = agencies
        self._temporal = temporal
        self._headers = support_headers(settings)
        self._gate = asyncio.Semaphore(CONCURRENCY)

    async def view(self, case_id: str) -> CaseView | None:
        """The read model's case; None when the API has none (404)."""
        async with self._gate:
            for _ in range(5):  # a restarted API or database: a few tries, a second apart
                try:
                    response = await self._api.get(f"/v1/cases/{case_id}", headers=self._headers)
                except httpx.TransportError:
                    await asyncio.sleep(1)
                    continue
                if response.status_code == 404:
                    return None
                if response.status_code == 200:
                    return CaseView.model_validate(response.json())
                await asyncio.sleep(1)
            raise RuntimeError(f"the API did not answer for case {case_id}")

    async def truth(self, case_id: str) -> CaseState | None:
        """The workflow's own state; None when Temporal has no such workflow."""
        async with self._gate:
            try:
                state: CaseState = await self._temporal.get_workflow_handle(workflow_id(case_id)).query(
                    "state", result_type=CaseState
                )
            except RPCError as exc:
                if exc.status is RPCStatusCode.NOT_FOUND:
                    return None
                raise
            return state

    async def settle(self, accepted: list[Accepted], deadline: float) -> list[str]:
        """Wait until every case rests (SETTLED), or the deadline; the ones still moving."""
        moving = [a.case_id for a in accepted]
        while moving and time.monotonic() < deadline:
            views = await asyncio.gather(*(self.view(case_id) for case_id in moving))
            moving = [
                case_id
                for case_id, view in zip(moving, views, strict=True)
                if view is not None and effective_status(view.status, view.steps) not in SETTLED
            ]
            if moving:
                await asyncio.sleep(POLL_SECONDS)
        return moving

    async def facts(self, accepted: list[Accepted], deadline: float) -> list[CaseFacts]:
        """Each case as the API and Temporal see it; read again while they disagree (the last
        projection may still be landing, or the sweep repairing it), up to the deadline."""
        while True:
            views = await asyncio.gather(*(self.view(a.case_id) for a in accepted))
            truths = await asyncio.gather(*(self.truth(a.case_id) for a in accepted))
            facts = [CaseFacts(a, v, t) for a, v, t in zip(accepted, views, truths, strict=True)]
            if all(_agree(f) for f in facts) or time.monotonic() > deadline:
                return facts
            await asyncio.sleep(POLL_SECONDS)

    async def records(self, agencies: list[str]) -> list[RecordPublic]:
        """Every record each agency holds (a fresh stack: all of them this scenario's)."""
        found: list[RecordPublic] = []
        for agency in agencies:
            response = await self._agencies.get(f"/agencies/{agency}/records", headers=self._headers)
            response.raise_for_status()
            found += RecordList.model_validate(response.json()).data
        return found


def _agree(fact: CaseFacts) -> bool:
    view, truth = fact.view, fact.truth
    if view is None or truth is None:
        return False
    return (view.status, [(s.id, s.status) for s in view.steps]) == (
        effective_status(truth.status, truth.steps),
        [(s.id, s.status) for s in truth.steps],
    )

"""Commands answer with the workflow's own verdict: 200 and the new state, 409 naming why not,
422 for an incomplete body, 503 when no worker answers in time. Nothing is accepted and then
dropped."""

from __future__ import annotations

import time
import uuid

import httpx
from pymongo import AsyncMongoClient

from orchestrator.case_starter import start_case
from orchestrator.catalog import CatalogSource
from orchestrator.contracts import LifeEventInput
from orchestrator.intake import agency_terms
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal
from tests.support import MOVE, CaseWatcher, step
from tests.test_life_events_e2e import BIRTH

REVIEW = "review_birth_documents"


async def test_an_empty_decision_is_422_and_rejects_nothing(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait_step(citizen, case_id, REVIEW, "agency")
    officer = watcher.auth("agency", "registrar-1", agency="civil_registry")
    url = f"/v1/cases/{case_id}/steps/{REVIEW}/decision"
    empty = await watcher.http.post(url, json={}, headers=officer)
    assert empty.status_code == 422 and empty.json()["field"] == "body.approved"
    approved = await watcher.http.post(url, json={"approved": True}, headers=officer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["timeline"][-1]["event"] == "agency_decided"
    assert approved.json()["timeline"][-1]["role"] == "agency"
    late = await watcher.http.post(url, json={"approved": False}, headers=officer)
    assert late.status_code == 409  # a decision counts once; a late one is refused, not dropped
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case


async def test_a_decision_on_a_step_not_waiting_is_409_at_once(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait(citizen, case_id, {"waiting", "completed"})
    officer = watcher.auth("agency", "registrar-1", agency="civil_registry")
    await watcher.wait_step(citizen, case_id, REVIEW, "agency")
    await watcher.http.post(
        f"/v1/cases/{case_id}/steps/{REVIEW}/decision", json={"approved": True}, headers=officer
    )
    case = await watcher.wait(citizen, case_id)
    again = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/{REVIEW}/decision", json={"approved": True}, headers=officer
    )
    assert again.status_code == 409, again.text
    assert step(case, REVIEW)["status"] == "succeeded"


async def test_support_actions_need_a_reason_and_a_held_step(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait_step(citizen, case_id, "transfer_school", "citizen")
    support = watcher.auth("support", "agent-2")
    url = f"/v1/support/cases/{case_id}/steps/transfer_school"
    no_reason = await watcher.http.post(f"{url}:retry", json={}, headers=support)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "body.reason"
    not_held = await watcher.http.post(f"{url}:skip", json={"reason": "stuck"}, headers=support)
    assert not_held.status_code == 409 and "only a held step" in not_held.json()["detail"]
    unknown = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/nope:retry", json={"reason": "x"}, headers=support
    )
    assert unknown.status_code == 404
    for headers in (
        watcher.auth("citizen", citizen),
        watcher.auth("agency", "officer", agency="school_office"),
        watcher.auth("designer", "designer-1"),
    ):
        denied = await watcher.http.post(f"{url}:retry", json={"reason": "x"}, headers=headers)
        assert denied.status_code == 403
    compensated = await watcher.http.post(
        f"/v1/support/cases/{case_id}:compensate", json={"reason": "duplicate_case"}, headers=support
    )
    assert compensated.status_code == 200, compensated.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    assert any(e["event"] == "compensation_requested" and e["by"] == "agent-2" for e in case["timeline"])
    closed = await watcher.http.post(
        f"/v1/support/cases/{case_id}:compensate", json={"reason": "again"}, headers=support
    )
    assert closed.status_code == 409


async def test_a_command_nobody_answers_is_503_within_the_bound(
    stack: Settings, http: httpx.AsyncClient, watcher: CaseWatcher, citizen: str
) -> None:
    """A case whose workflow has no worker (its task queue is not polled): the command waits
    `command_timeout_seconds`, then says to retry, instead of hanging or pretending."""
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    stores = CaseStores.on(mongo[stack.mongodb_database], stack.vault_sealer())
    case_id = str(uuid.uuid4())
    await stores.cases.create(case_id, citizen, definition, await stores.definitions.pin(definition), "hash")
    directory = CatalogSource(stack.catalog_path).current().directory
    temporal = await connect_temporal(stack)
    case = LifeEventInput(
        case_id=case_id,
        citizen_id=citizen,
        definition=definition,
        agencies=agency_terms(directory, definition),
    )
    await start_case(temporal, f"nobody-{uuid.uuid4().hex[:6]}", case)
    started = time.monotonic()
    response = await http.post(f"/v1/cases/{case_id}:cancel", headers=watcher.auth("citizen", citizen))
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    # It waited its bounded time, not the client's 30 s; the margin is for a loaded machine.
    assert stack.command_timeout_seconds - 0.5 <= took < stack.command_timeout_seconds + 15, took
    await temporal.get_workflow_handle(f"case-{case_id}").terminate("test over")
    await mongo.close()

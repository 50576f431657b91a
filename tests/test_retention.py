"""Retention: a case ended longer ago than `ONESTOP_RETENTION_DAYS` loses its personal data; its
view and its data-use log stay, the log with field names only. Age is set by moving the case's
end back in time, so the sweep runs now and touches no other test's case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import bson
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.case_store import now
from orchestrator.mongo import Document, connect
from orchestrator.profile_store import ProfileStore
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.retention import Retention
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from tests.support import MOVE, CaseWatcher


@pytest.fixture
async def db(stack: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    mongo = connect(stack.mongodb_url)
    yield mongo[stack.mongodb_database]
    await mongo.close()


def _retention(stack: Settings, db: AsyncDatabase[Document], days: float) -> Retention:
    stores = CaseStores.on(db, stack.vault_sealer())
    profiles = ProfileUpdates(stores, ProfileStore(db, stack.vault_sealer()), stack.pseudonyms())
    return Retention(stores, profiles, days)


async def test_an_old_finished_case_keeps_its_view_and_log_but_no_personal_data(
    stack: Settings, watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    old = await watcher.start(citizen, "moving_house", MOVE)
    recent = await watcher.start(citizen, "moving_house", {**MOVE, "citizen_name": "Ana L."})
    for case_id in (old, recent):
        await watcher.wait(citizen, case_id)
    headers = watcher.auth("citizen", citizen)
    log_before = (await watcher.http.get("/v1/me/data-uses", headers=headers)).json()["data"]
    await db.cases.update_one({"_id": old}, {"$set": {"updated_at": now() - timedelta(days=2)}})

    retention = _retention(stack, db, days=1)
    assert old in await retention.sweep(limit=10_000)
    assert await retention.sweep(limit=10_000) == []  # once

    gone = await db.case_data.find_one({"_id": old})
    assert gone is not None and "data" not in gone and "citizen_id" not in gone and gone["removed_at"]
    assert MOVE["citizen_name"].encode() not in bson.encode(gone)
    kept = await db.case_data.find_one({"_id": recent})
    assert kept is not None and kept["data"]  # ended a moment ago: not yet

    view = await watcher.case(citizen, old)
    assert view["status"] == "completed" and view["personal_data_removed_at"]
    assert len(view["steps"]) == 7 and view["timeline"]
    log_after = (await watcher.http.get("/v1/me/data-uses", headers=headers)).json()["data"]
    assert log_after == log_before and any(u["case_id"] == old and u["fields"] for u in log_after)
    me = (await watcher.http.get("/v1/me", headers=headers)).json()
    assert me["address"] == MOVE["new_address"]  # what the case taught the profile stays


async def test_a_running_case_keeps_its_data_however_old(
    stack: Settings, watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    await watcher.wait_step(citizen, case_id, "transfer_school", "citizen")
    await db.cases.update_one({"_id": case_id}, {"$set": {"updated_at": now() - timedelta(days=400)}})
    assert case_id not in await _retention(stack, db, days=1).sweep(limit=10_000)
    doc = await db.case_data.find_one({"_id": case_id})
    assert doc is not None and doc["data"]

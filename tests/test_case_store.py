"""The read model against the real MongoDB-wire server: writes a retried activity repeats are
harmless, and a finished case is never reopened by a late attempt."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.case_store import CaseStore
from orchestrator.cases import CaseStatus, StepStatus, TimelineEntry
from orchestrator.catalog import CatalogSource
from orchestrator.mongo import Document, connect
from orchestrator.settings import Settings


@pytest.fixture
async def store(stack: Settings) -> AsyncIterator[tuple[CaseStore, str]]:
    mongo = connect(stack.mongodb_url)
    db: AsyncDatabase[Document] = mongo[stack.mongodb_database]
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    cases = CaseStore(db)
    case_id = str(uuid.uuid4())
    await cases.create(case_id, "citizen-store", definition, definition.digest, "hash")
    yield cases, case_id
    await mongo.close()


async def test_a_repeated_write_adds_its_entries_once(store: tuple[CaseStore, str]) -> None:
    cases, case_id = store
    events = [TimelineEntry(at=datetime(2026, 11, 25, tzinfo=UTC), event="case_started")]
    for _ in range(2):
        await cases.record_step(case_id, "update_tax", {"status": StepStatus.running.value}, events)
    record = await cases.get(case_id)
    assert [e.event for e in record.timeline].count("case_started") == 1
    assert record.started


async def test_a_late_attempt_cannot_reopen_a_finished_case(store: tuple[CaseStore, str]) -> None:
    cases, case_id = store
    record = await cases.get(case_id)
    await cases.record_outcome(case_id, CaseStatus.compensated, record.steps, [])
    await cases.record_step(case_id, "update_tax", {"status": StepStatus.succeeded.value}, [])
    after = await cases.get(case_id)
    assert after.status is CaseStatus.compensated
    assert next(s for s in after.steps if s.id == "update_tax").status is StepStatus.pending


async def test_a_late_failed_attempt_cannot_undo_a_success(store: tuple[CaseStore, str]) -> None:
    cases, case_id = store
    await cases.record_step(case_id, "update_tax", {"status": StepStatus.succeeded.value}, [])
    late = frozenset({StepStatus.succeeded, StepStatus.compensated, StepStatus.skipped})
    await cases.record_step(case_id, "update_tax", {"status": StepStatus.running.value}, [], unless=late)
    record = await cases.get(case_id)
    assert next(s for s in record.steps if s.id == "update_tax").status is StepStatus.succeeded
    await cases.record_step(case_id, "update_vehicle", {"status": StepStatus.running.value}, [], unless=late)
    record = await cases.get(case_id)
    assert next(s for s in record.steps if s.id == "update_vehicle").status is StepStatus.running

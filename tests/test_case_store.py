"""The read model against the real MongoDB-wire server: a projection is the workflow's state,
rewritten whole; an older one (a retried or late write, a run replaced by a reset) never
overwrites a newer one; the API's own notes survive every projection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.case_store import CaseStore
from orchestrator.cases import CaseStatus, StepStatus, TimelineEntry
from orchestrator.catalog import CatalogSource
from orchestrator.contracts import CaseState
from orchestrator.mongo import Document, connect
from orchestrator.settings import Settings

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(stack: Settings) -> AsyncIterator[tuple[CaseStore, str]]:
    mongo = connect(stack.mongodb_url)
    db: AsyncDatabase[Document] = mongo[stack.mongodb_database]
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    cases = CaseStore(db)
    case_id = str(uuid.uuid4())
    await cases.create(case_id, "citizen-store", definition, definition.digest, "hash", {"tax_office": "Tax"})
    yield cases, case_id
    await mongo.close()


async def _state(
    cases: CaseStore, case_id: str, status: CaseStatus, revision: int, at: datetime
) -> CaseState:
    record = await cases.get(case_id)
    steps = [s.model_copy(update={"status": StepStatus.running}) for s in record.steps]
    timeline = [TimelineEntry(at=at, event=f"rev_{revision}")]
    return CaseState(
        case_id=case_id, status=status, steps=steps, timeline=timeline, revision=revision, as_of=at
    )


async def test_a_projection_is_stored_whole_and_repeating_it_changes_nothing(
    store: tuple[CaseStore, str],
) -> None:
    cases, case_id = store
    state = await _state(cases, case_id, CaseStatus.running, 3, T0)
    assert await cases.project(state)
    assert await cases.project(state)  # a retried write, or a resync: same outcome
    record = await cases.get(case_id)
    assert record.started and record.revision == 3 and record.revision_at == T0
    assert [e.event for e in record.timeline] == ["rev_3"]
    assert all(s.status is StepStatus.running for s in record.steps)
    assert next(s for s in record.steps if s.agency == "tax_office").agency_title == "Tax"


async def test_an_older_projection_never_overwrites_a_newer_one(store: tuple[CaseStore, str]) -> None:
    cases, case_id = store
    await cases.project(await _state(cases, case_id, CaseStatus.completed, 9, T0))
    assert not await cases.project(await _state(cases, case_id, CaseStatus.running, 8, T0))
    assert not await cases.project(
        await _state(cases, case_id, CaseStatus.running, 12, T0 - timedelta(seconds=1))
    )
    assert (await cases.get(case_id)).status is CaseStatus.completed


async def test_a_reset_run_overwrites_with_a_lower_revision_at_a_later_time(
    store: tuple[CaseStore, str],
) -> None:
    """A reset replays the workflow up to the reset point: its revision counter restarts lower,
    but its workflow time moves on."""
    cases, case_id = store
    await cases.project(await _state(cases, case_id, CaseStatus.failed, 20, T0))
    assert await cases.project(await _state(cases, case_id, CaseStatus.running, 5, T0 + timedelta(minutes=1)))
    assert (await cases.get(case_id)).status is CaseStatus.running


async def test_notes_survive_projections_and_read_in_time_order(store: tuple[CaseStore, str]) -> None:
    cases, case_id = store
    await cases.add_event(case_id, "cancel_note", "moving abroad instead")
    later = datetime.now(UTC) + timedelta(minutes=5)
    await cases.project(await _state(cases, case_id, CaseStatus.running, 1, later))
    view = (await cases.get(case_id)).view()
    assert [e.event for e in view.timeline] == ["case_accepted", "cancel_note", "rev_1"]

"""Intake writes a case and its data side by side when no key names the case, and never keeps
data without the case that owns it (`CaseIntake._create_with_data`). On the session's real
database server, in a database of each test's own."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure
from temporalio.client import Client

from orchestrator.catalog import CatalogSource
from orchestrator.intake import CaseIntake
from orchestrator.mongo import Document, connect
from orchestrator.profile_store import ProfileStore
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from tests.support import MOVE


@pytest.fixture
async def own_db(stack: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    mongo = connect(stack.mongodb_url)
    name = f"intake-{uuid.uuid4().hex[:8]}"
    yield mongo[name]
    await mongo.drop_database(name)
    await mongo.close()


def _intake(settings: Settings, db: AsyncDatabase[Document], temporal: Client) -> CaseIntake:
    return CaseIntake(
        CatalogSource(settings.catalog_path),
        CaseStores.on(db, settings.vault_sealer()),
        temporal,
        settings.task_queue,
        pseudonyms=settings.pseudonyms(),
        profiles=ProfileStore(db, settings.vault_sealer()),
    )


async def test_a_report_without_a_key_stores_its_case_and_data(
    stack: Settings, own_db: AsyncDatabase[Document], temporal: Client
) -> None:
    record, created = await _intake(stack, own_db, temporal).trigger("citizen-w1", "moving_house", MOVE, None)
    assert created
    assert await own_db.cases.count_documents({"_id": record.case_id}) == 1
    stores = CaseStores.on(own_db, stack.vault_sealer())
    subject, fields = await stores.vault.request(record.case_id, ["new_address"])
    assert subject == "citizen-w1" and fields == {"new_address": MOVE["new_address"]}


async def test_a_case_the_database_refuses_keeps_none_of_the_data_written_beside_it(
    stack: Settings, own_db: AsyncDatabase[Document], temporal: Client
) -> None:
    """The case insert fails (here: a validator no case meets) while its data was stored."""
    await own_db.create_collection("cases", validator={"$jsonSchema": {"required": ["no_such_field"]}})
    with pytest.raises(OperationFailure):
        await _intake(stack, own_db, temporal).trigger("citizen-w2", "moving_house", MOVE, None)
    assert await own_db.case_data.count_documents({}) == 0


async def test_data_beside_a_case_of_another_request_is_not_kept(
    stack: Settings, own_db: AsyncDatabase[Document], temporal: Client
) -> None:
    """Defensive: an id without a key names a new case or an identical report's; should another
    request's case be found under it, the data written beside it goes again."""
    stores = CaseStores.on(own_db, stack.vault_sealer())
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    case_id = str(uuid.uuid4())
    digest = await stores.definitions.pin(definition)
    await stores.cases.create(case_id, "citizen-w3", definition, digest, "another-request")
    create = functools.partial(stores.cases.create, case_id, "citizen-w3", definition, digest, "this-request")
    intake = _intake(stack, own_db, temporal)
    record, created = await intake._create_with_data(
        create, case_id, "citizen-w3", dict(MOVE), "this-request"
    )
    assert not created and record.request_hash == "another-request"
    assert await own_db.case_data.count_documents({"_id": case_id}) == 0


async def test_the_data_of_the_identical_report_is_left_as_it_was(
    stack: Settings, own_db: AsyncDatabase[Document], temporal: Client
) -> None:
    stores = CaseStores.on(own_db, stack.vault_sealer())
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    case_id = str(uuid.uuid4())
    digest = await stores.definitions.pin(definition)
    create = functools.partial(stores.cases.create, case_id, "citizen-w4", definition, digest, "same")
    intake = _intake(stack, own_db, temporal)
    assert (await intake._create_with_data(create, case_id, "citizen-w4", dict(MOVE), "same"))[1]
    record, created = await intake._create_with_data(create, case_id, "citizen-w4", dict(MOVE), "same")
    assert not created and record.case_id == case_id
    assert (await stores.vault.request(case_id, ["new_address"]))[1] == {"new_address": MOVE["new_address"]}
